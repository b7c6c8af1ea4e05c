/**
 * A seeded busy-organisation workload, written straight into a store: 40 agents, sessions of
 * 100 calls over ten Total Recall tools, ~3 % refusals, and a buggy agent framework that closes
 * most sessions several times. The bulk is generated inside ClickHouse (INSERT … SELECT FROM
 * numbers, through the materialized views) so 10 M calls load in minutes; on top of it come
 * LABELLED episodes of every anomaly type, written as ordinary rows. Same seed, same store.
 */
import { Tables, qualified, type StoreDriver } from '../../src/storage/index.js';
import { Builder, DAY_MS, TOOL_RISK, prng, type AnomalyLabel, type GeneratedCall, type Workload } from './generate.js';
import { insertWorkloadDirect } from './writers.js';

export const BUSY_AGENTS = Array.from({ length: 40 }, (_, i) => `agent-${String(i).padStart(2, '0')}`);
/** Calls per session (session_start first, one or more session_close last). */
export const SESSION_CALLS = 100;
/** Agents 0…29 run the buggy framework: every session closed 2 to 4 times. */
export const BUGGY_AGENTS = 30;
/** Only these agents ever call `forget` in normal traffic (so `forget` is new to the others). */
export const FORGET_AGENTS = 4;
/** Pause between calls of a session, ms (plus up to half of it as jitter). */
const CALL_GAP_MS = 6_000;

/**
 * The normal mix of the calls between start and close, per mille (Total Recall's ten tools;
 * `forget` only for FORGET_AGENTS, the others call load_context instead).
 */
const MIX: ReadonlyArray<readonly [string, number]> = [
  ['load_context', 400], ['task_list', 180], ['sync', 100], ['correct', 100], ['approve_suggestion', 80],
  ['export_knowledge', 50], ['doctor', 40], ['forget', 50],
];

export type BusyEpisodeKind = 'close_storm' | 'framework_double_close' | 'double_start' | 'poller_runaway' | 'identical_call_loop' | 'error_loop' | 'retry_after_denial' | 'new_tool';

export interface BusyLabel extends Omit<AnomalyLabel, 'kind'> {
  kind: BusyEpisodeKind;
}

export interface BusyOrgOptions {
  seed?: number;
  /** Normal calls (the labelled episodes come on top). */
  calls?: number;
  days?: number;
  endMs?: number;
  /** Labelled episodes of each runaway type, all in the last day. */
  episodesPerType?: number;
}

export interface BusyOrg {
  seed: number;
  startMs: number;
  endMs: number;
  normalCalls: number;
  sessions: number;
  /** The labelled episodes' own calls (written as rows after the bulk). */
  episodes: GeneratedCall[];
  labels: BusyLabel[];
}

export function planBusyOrg(opts: BusyOrgOptions = {}): BusyOrg {
  const seed = opts.seed ?? 7;
  const days = opts.days ?? 30;
  const endMs = opts.endMs ?? Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const sessions = Math.max(1, Math.round((opts.calls ?? 10_000_000) / SESSION_CALLS));
  const b = new Builder(prng(seed), seed);
  const labels: BusyLabel[] = BUSY_AGENTS.slice(0, BUGGY_AGENTS).map((agent) => ({
    kind: 'framework_double_close', expected: 'lifecycle_violation', agent, tool: 'session_close',
    startMs: endMs - days * DAY_MS, endMs, spanIds: [], excessSpanIds: [],
  }));
  const per = opts.episodesPerType ?? 3;
  let slot = 0;
  for (const make of Object.values(EPISODES)) {
    for (let i = 0; i < per; i++, slot++) {
      // Spread over the last day, each on its own agent where the kind allows.
      const t0 = endMs - DAY_MS + 3_600_000 + slot * Math.floor((DAY_MS - 2 * 3_600_000) / (Object.keys(EPISODES).length * per)) + b.int(0, 59) * 1000;
      labels.push(make(b, t0, slot));
    }
  }
  return { seed, startMs: endMs - days * DAY_MS, endMs, normalCalls: sessions * SESSION_CALLS, sessions, episodes: b.calls, labels };
}

type Episode = (b: Builder, t0: number, slot: number) => BusyLabel;

/** An agent for episode `slot`: a buggy-framework agent or a well-behaved one. */
function agentFor(slot: number, wellBehaved = false): string {
  const i = wellBehaved ? BUGGY_AGENTS + (slot % (BUSY_AGENTS.length - BUGGY_AGENTS)) : (slot * 7) % BUGGY_AGENTS;
  return BUSY_AGENTS[i] as string;
}

function busyLabel(kind: BusyEpisodeKind, expected: string, calls: GeneratedCall[], excess: GeneratedCall[] = []): BusyLabel {
  const first = calls[0] as GeneratedCall;
  return {
    kind, expected, agent: first.agent, tool: first.tool,
    startMs: Math.min(...calls.map((c) => c.tsMs)), endMs: Math.max(...calls.map((c) => c.tsMs)) + 1,
    spanIds: calls.map((c) => c.spanId), excessSpanIds: excess.map((c) => c.spanId),
  };
}

const ENFORCED_REFUSAL = { decision: 'rate_limited', enforced: true, mode: 'enforce' } as const;

const EPISODES: Record<Exclude<BusyEpisodeKind, 'framework_double_close'>, Episode> = {
  /** A runaway closing one session 400 times in 100 s. */
  close_storm(b, t0, slot) {
    const agent = agentFor(slot, true);
    const session = `${agent}-${b.id(6)}`;
    b.call(t0, agent, session, 'session_start');
    const closes = Array.from({ length: 400 }, (_, i) => b.call(t0 + 5_000 + i * 250, agent, session, 'session_close'));
    return busyLabel('close_storm', 'bulk_write_burst', closes, closes.slice(1));
  },
  /** A well-behaved agent's session started twice. */
  double_start(b, t0, slot) {
    const agent = agentFor(slot, true);
    const session = `${agent}-${b.id(6)}`;
    const starts = [0, 30_000].map((dt) => b.call(t0 + dt, agent, session, 'session_start'));
    b.call(t0 + 60_000, agent, session, 'session_close');
    return busyLabel('double_start', 'lifecycle_violation', starts, starts.slice(1));
  },
  /** A poller calling task_list every second for ten minutes. */
  poller_runaway(b, t0, slot) {
    const agent = agentFor(slot);
    const session = `${agent}-poller-${b.id(6)}`;
    const calls = Array.from({ length: 600 }, (_, i) => b.call(t0 + i * 1_000, agent, session, 'task_list'));
    return busyLabel('poller_runaway', 'rate_spike', calls, calls.slice(60));
  },
  identical_call_loop(b, t0, slot) {
    const agent = agentFor(slot);
    const session = `${agent}-${b.id(6)}`;
    const argsHash = b.id(32);
    const loop = Array.from({ length: 15 }, (_, i) => b.call(t0 + 4_000 * i, agent, session, 'load_context', { argsHash }));
    return busyLabel('identical_call_loop', 'repeat_loop', loop, loop.slice(4));
  },
  error_loop(b, t0, slot) {
    const agent = agentFor(slot);
    const session = `${agent}-${b.id(6)}`;
    const calls = Array.from({ length: 8 }, (_, i) => b.call(t0 + i * 6_000, agent, session, 'doctor', { isError: true, argsHash: b.id(32) }));
    return busyLabel('error_loop', 'error_loop', calls);
  },
  /** Refused in enforce mode and retrying every 4 s for two minutes. */
  retry_after_denial(b, t0, slot) {
    const agent = agentFor(slot);
    const session = `${agent}-${b.id(6)}`;
    const calls = Array.from({ length: 30 }, (_, i) => b.call(t0 + i * 4_000, agent, session, 'correct', ENFORCED_REFUSAL));
    return busyLabel('retry_after_denial', 'deny_storm', calls, calls);
  },
  /** An agent that never archived anything starts calling `forget`. */
  new_tool(b, t0, slot) {
    const agent = BUSY_AGENTS[FORGET_AGENTS + (slot % (BUSY_AGENTS.length - FORGET_AGENTS))] as string;
    const session = `${agent}-${b.id(6)}`;
    const calls = [0, 20_000].map((dt) => b.call(t0 + dt, agent, session, 'forget'));
    return busyLabel('new_tool', 'new_tool', calls);
  },
};

/** The normal traffic of one chunk of call numbers, as one INSERT … SELECT into otel_traces. */
function bulkInsertSql(store: StoreDriver): string {
  const tools = MIX.map(([t]) => t);
  const edges = MIX.reduce<number[]>((acc, [, w]) => [...acc, (acc[acc.length - 1] ?? 0) + w], []);
  const pick = tools.map((t, i) => `h % 1000 < ${edges[i]}, '${t}'`).join(', ');
  return `INSERT INTO ${qualified(store.database, Tables.OTEL_TRACES)}
    (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, SpanAttributes, Duration, StatusCode)
  SELECT fromUnixTimestamp64Milli(toInt64(ts_ms)), lower(hex(sipHash128({seed:UInt64}, n))), lower(hex(sipHash64({seed:UInt64}, n))),
    concat('tools/call ', tool), 'Server', 'warden-proxy', map('service.name', 'warden-proxy'), 'warden',
    map('mcp.method.name', 'tools/call', 'gen_ai.operation.name', 'execute_tool', 'gen_ai.tool.name', tool, 'gen_ai.agent.id', agent,
        'mcp.session.id', concat(agent, '-', lower(hex(hs))), 'warden.decision', decision, 'warden.enforced', 'true', 'warden.mode', 'enforce',
        'warden.tool.risk', transform(tool, {risk_tools:Array(String)}, {risks:Array(String)}, 'write'),
        'warden.args.hash', lower(hex(sipHash128({seed:UInt64}, n, 1))), 'warden.args.bytes', '64', 'warden.upstream', 'total-recall',
        'warden.rule', if(decision = 'allow', '', concat('tools.', tool, '.limits[0]')),
        'error.type', multiIf(decision != 'allow', 'policy_denied', failed, 'tool_error', '')),
    toUInt64(2 + h % 38) * 1000000, if(decision != 'allow' OR failed, 'Error', 'Unset')
  FROM (
    SELECT number + {off:UInt64} AS n, intDiv(n, ${SESSION_CALLS}) AS s, n % ${SESSION_CALLS} AS p, s % ${BUSY_AGENTS.length} AS ai,
      {agents:Array(String)}[ai + 1] AS agent, sipHash64({seed:UInt64}, s) AS hs, sipHash64({seed:UInt64}, n, 2) AS h,
      if(ai < ${BUGGY_AGENTS}, 2 + hs % 3, 1) AS closes,
      {start:Int64} + intDiv(s * {span:Int64}, {sessions:Int64}) + p * ${CALL_GAP_MS} + intDiv(h, 1000) % ${CALL_GAP_MS / 2} AS ts_ms,
      multiIf(p = 0, 'session_start', p >= ${SESSION_CALLS} - closes, 'session_close', ${pick}, 'load_context') AS tool0,
      if(tool0 = 'forget' AND ai >= ${FORGET_AGENTS}, 'load_context', tool0) AS tool,
      if(tool NOT IN ('session_start', 'session_close') AND intDiv(h, 7) % 1000 < 31, if(h % 2 = 0, 'rate_limited', 'deny'), 'allow') AS decision,
      decision = 'allow' AND intDiv(h, 11) % 1000 < 5 AS failed
    FROM numbers({count:UInt64}))`;
}

/** Writes the plan into `store` (migrated), `chunk` normal calls per statement; returns ms taken. */
export async function writeBusyOrg(store: StoreDriver, org: BusyOrg, chunk = 250_000): Promise<number> {
  const t = performance.now();
  const sql = bulkInsertSql(store);
  const span = org.endMs - org.startMs - SESSION_CALLS * CALL_GAP_MS * 2;
  for (let off = 0; off < org.normalCalls; off += chunk) {
    await store.command(sql, {
      params: {
        seed: org.seed, off, count: Math.min(chunk, org.normalCalls - off), agents: BUSY_AGENTS, start: org.startMs, span, sessions: org.sessions,
        risk_tools: Object.keys(TOOL_RISK), risks: Object.values(TOOL_RISK),
      },
    });
  }
  const episodes: Workload = { startMs: org.startMs, endMs: org.endMs, calls: org.episodes, labels: [], normalAgents: [], offeredTools: Object.keys(TOOL_RISK) };
  await insertWorkloadDirect(store, episodes);
  return performance.now() - t;
}
