/**
 * The "few sessions" bulk shape the analytics bench has used since the start: N tools/call
 * spans spread evenly over 30 days, 20 agents, seven Total Recall tools in a fixed rotation,
 * sessions of 140 calls, everything allowed. Written inside ClickHouse (INSERT … SELECT FROM
 * numbers, through the materialized views), so 10 M calls load in minutes.
 */
import { Tables, qualified, type StoreDriver } from '../../src/storage/index.js';
import { DAY_MS } from './generate.js';

export const FEW_SESSIONS_TOOLS = ['load_context', 'task_list', 'correct', 'session_start', 'session_close', 'approve_suggestion', 'export_knowledge'];
const RISKS = ['read', 'read', 'execute', 'execute', 'write', 'write', 'write'];
export const FEW_SESSIONS_DAYS = 30;

/** Loads n calls ending at endMs; returns the time it took, ms. */
export async function writeFewSessions(store: StoreDriver, n: number, endMs: number): Promise<number> {
  const t = performance.now();
  const spanMs = FEW_SESSIONS_DAYS * DAY_MS;
  const chunk = 1_000_000;
  for (let off = 0; off < n; off += chunk) {
    await store.command(
      `INSERT INTO ${qualified(store.database, Tables.OTEL_TRACES)} (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, SpanAttributes, Duration, StatusCode)
       SELECT fromUnixTimestamp64Milli(toInt64({start:Int64} + intDiv(number * {span:Int64}, {n:Int64}))), lower(hex(sipHash128(number))), lower(hex(sipHash64(number))),
         concat('tools/call ', tool), 'Server', 'warden-proxy',
         map('mcp.method.name', 'tools/call', 'gen_ai.tool.name', tool, 'gen_ai.agent.id', concat('agent-', toString(number % 20)),
             'mcp.session.id', concat('s-', toString(number % 20), '-', toString(intDiv(number, 140))), 'warden.decision', 'allow', 'warden.enforced', 'true',
             'warden.mode', 'audit', 'warden.tool.risk', risk, 'warden.args.hash', lower(hex(sipHash64(number, 1)))),
         1000000, 'Unset'
       FROM (SELECT number + {off:UInt64} AS number, {tools:Array(String)}[intDiv(number, 20) % 7 + 1] AS tool, {risks:Array(String)}[intDiv(number, 20) % 7 + 1] AS risk
             FROM numbers({count:UInt64}))`,
      { params: { start: endMs - spanMs, span: spanMs, n, off, count: Math.min(chunk, n - off), tools: FEW_SESSIONS_TOOLS, risks: RISKS } },
    );
  }
  return performance.now() - t;
}
