/**
 * Panel-test data: the shared seeded workload (examples/workload/generate.ts) plus what it does
 * not produce — an audit-mode runaway agent whose refusals are would-deny with the limit
 * attributes a real proxy records, two policy versions, and upstream errors.
 */
import { Tables, type StoreDriver } from '../../../src/storage/index.js';
import { Attr } from '../../../src/telemetry/semconv.js';
import { generateWorkload, type Workload } from '../../../examples/workload/generate.js';
import { insertWorkloadDirect } from '../../../examples/workload/writers.js';

export const RUNAWAY_AGENT = 'runaway';
export const RUNAWAY_SESSION = 'runaway-session-1';
export const LIMIT_MAX = 30;
export const OLD_POLICY = 'a'.repeat(64);
export const CURRENT_POLICY = 'b'.repeat(64);

export interface PanelFixture {
  workload: Workload;
  /** Start of the minute in which the runaway agent closes its session 45 times. */
  burstStartMs: number;
  runawayTraceId: string;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

interface SupplementCall {
  tsMs: number;
  tool: string;
  decision: string;
  policy: string;
  limitCount?: number;
  errorType?: string;
}

function supplementRow(c: SupplementCall, i: number): object {
  const attrs: Record<string, string> = {
    [Attr.MCP_METHOD_NAME]: 'tools/call',
    [Attr.GEN_AI_OPERATION_NAME]: 'execute_tool',
    [Attr.GEN_AI_TOOL_NAME]: c.tool,
    [Attr.GEN_AI_AGENT_ID]: RUNAWAY_AGENT,
    [Attr.MCP_SESSION_ID]: RUNAWAY_SESSION,
    [Attr.DECISION]: c.decision,
    [Attr.ENFORCED]: String(c.decision === 'allow'),
    [Attr.MODE]: 'audit',
    [Attr.POLICY_HASH]: c.policy,
    [Attr.TOOL_RISK]: c.tool === 'load_context' ? 'read' : 'write',
    [Attr.ARGS_HASH]: hex(i, 64),
    [Attr.ARGS_BYTES]: '48',
    [Attr.UPSTREAM]: 'total-recall',
  };
  if (c.limitCount !== undefined) {
    Object.assign(attrs, {
      [Attr.LIMIT_COUNTER]: 'session_close_rate', [Attr.LIMIT_COUNT]: String(c.limitCount),
      [Attr.LIMIT_MAX]: String(LIMIT_MAX), [Attr.LIMIT_WINDOW_S]: '60',
    });
  }
  if (c.decision !== 'allow') {
    attrs[Attr.RULE] = 'tools.session_close.limits[0]';
    attrs[Attr.REASON] = `session_close_rate: ${LIMIT_MAX} per minute reached`;
  }
  if (c.errorType) attrs[Attr.ERROR_TYPE] = c.errorType;
  return {
    Timestamp: `${c.tsMs}000000`, TraceId: hex(0xd00d0000 + i, 32), SpanId: hex(0xbeef0000 + i, 16),
    SpanName: `tools/call ${c.tool}`, SpanKind: 'Server', ServiceName: 'warden-proxy',
    ResourceAttributes: { 'service.name': 'warden-proxy' }, ScopeName: 'warden', SpanAttributes: attrs,
    Duration: (c.decision === 'allow' ? 12 + (i % 20) : 0.2) * 1_000_000, StatusCode: c.errorType ? 'Error' : 'Unset',
  };
}

function runawayCalls(burstStartMs: number): SupplementCall[] {
  const calls: SupplementCall[] = [
    { tsMs: burstStartMs - 3_600_000, tool: 'session_start', decision: 'allow', policy: OLD_POLICY },
    { tsMs: burstStartMs - 3_000_000, tool: 'load_context', decision: 'allow', policy: OLD_POLICY, errorType: 'upstream_error' },
    { tsMs: burstStartMs - 2_000, tool: 'load_context', decision: 'allow', policy: CURRENT_POLICY },
  ];
  // 45 closes in 45 s against a 30/min limit: audit mode lets all through, 15 are would-deny.
  for (let i = 0; i < 45; i++) {
    const admitted = Math.min(i, LIMIT_MAX);
    calls.push({ tsMs: burstStartMs + i * 1000, tool: 'session_close', decision: i < LIMIT_MAX ? 'allow' : 'rate_limited', policy: CURRENT_POLICY, limitCount: admitted });
  }
  return calls;
}

export async function fillPanelStore(store: StoreDriver): Promise<PanelFixture> {
  const workload = generateWorkload({ seed: 7, days: 2 });
  await insertWorkloadDirect(store, workload);
  const burstStartMs = workload.endMs - 45 * 60_000;
  const rows = runawayCalls(burstStartMs).map(supplementRow);
  await store.insertJsonEachRow(Tables.OTEL_TRACES, rows);
  return { workload, burstStartMs, runawayTraceId: hex(0xd00d0000 + 3, 32) };
}
