/**
 * Anomalous traffic that `suggest` does not learn from (so a runaway agent does not teach the
 * policy to allow it), as keys a query joins on, never as a list every row is scanned against:
 * - lifecycle_violation (one flag per agent and tool) excludes the extra calls of each session
 *   behind it, from its second call of the tool to its last (lifecycleSessionsRule's sessions),
 *   found by ranking the lifecycle tools' calls within their sessions (excludedCallsSql);
 * - every other flag excludes its agent+tool for the whole minutes its window touches: a
 *   semi-join on (agent, tool, minute).
 * The cost is one hash lookup per call whatever the number of flags (the old per-row
 * arrayExists over every flag cost calls × flags). The same keys classify replayed calls
 * (ExclusionIndex), so the forward test calls "runaway" exactly what learning left out.
 */
import { lifecycleSessionsRule, type Anomaly, type AnomalyType } from '../anomalies/index.js';
import { SERIES_KEY, callsOnce, runQuery, table, toolCallsFinal, type AnalyticsContext } from '../context.js';
import { rangeParams, type TimeRange } from '../range.js';
import { Tables } from '../../storage/index.js';

/** new_tool marks a change, not abuse: the tool is kept (and marked not yet stable). */
export const EXCLUDED_TYPES: ReadonlySet<AnomalyType> = new Set(['bulk_write_burst', 'lifecycle_violation', 'rate_spike', 'repeat_loop', 'error_loop', 'deny_storm']);

const MINUTE_MS = 60_000;

export interface SessionExclusion {
  agent: string;
  tool: string;
  session: string;
  startMs: number;
  endMs: number;
}

export interface MinuteExclusion {
  agent: string;
  tool: string;
  /** Epoch minutes (ms / 60 000), inclusive. */
  fromMin: number;
  toMin: number;
}

export interface Exclusions {
  /** Whether some lifecycle session had extra calls to leave out: set from the learning pass, which ranks every session (true before it). */
  lifecycle: boolean;
  minutes: MinuteExclusion[];
  /** Flags these came from, by type. */
  byType: Record<string, number>;
  flags: number;
}

const key = (...parts: string[]) => parts.join('\u0000');

/**
 * What learning leaves out, before it runs: the minutes the other detectors flagged, and every
 * lifecycle session's extra calls (ranked in the learning pass itself, excludedCallsSql; a
 * session without extra calls has nothing to leave out, so this equals running
 * lifecycle_violation first). Its flags are added from the learning pass (withLifecycleFlags).
 */
export function exclusionsForLearning(anomalies: readonly Anomaly[]): Exclusions {
  const minutes = new Map<string, Array<[number, number]>>();
  const byType: Record<string, number> = {};
  let flags = 0;
  for (const a of anomalies) {
    if (!EXCLUDED_TYPES.has(a.type) || a.type === 'lifecycle_violation') continue;
    flags++;
    byType[a.type] = (byType[a.type] ?? 0) + 1;
    const k = key(a.agent, a.tool);
    minutes.set(k, [...(minutes.get(k) ?? []), [Math.floor(Date.parse(a.start) / MINUTE_MS), Math.floor(Date.parse(a.end) / MINUTE_MS)]]);
  }
  const merged: MinuteExclusion[] = [];
  for (const [k, spans] of minutes) {
    const [agent, tool] = k.split('\u0000') as [string, string];
    for (const [fromMin, toMin] of mergeSpans(spans)) merged.push({ agent, tool, fromMin, toMin });
  }
  return { lifecycle: true, minutes: merged, byType, flags };
}

/** The exclusions with lifecycle_violation's flags as the learning pass counted them (agent+tool pairs with extra calls). */
export function withLifecycleFlags(x: Exclusions, flags: number): Exclusions {
  if (flags === 0) return { ...x, lifecycle: false };
  return { ...x, lifecycle: true, flags: x.flags + flags, byType: { ...x.byType, lifecycle_violation: flags } };
}

/** Sorted, non-overlapping, adjacent minutes joined. */
function mergeSpans(spans: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [f, t] of [...spans].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && f <= last[1] + 1) last[1] = Math.max(last[1], t);
    else out.push([f, t]);
  }
  return out;
}

/**
 * Learning's input as SQL: `sql` selects agent, tool, ts, t_ms, risk, x (excluded), learnable
 * (the call counts as use: see LEARNABLE) and life (one of lifecycle_violation's extra calls,
 * learnable or not), with its parameters.
 */
export interface ExcludedCallsSql {
  sql: string;
  params: Record<string, unknown>;
}

const READ = 'ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {window_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64})';
/** A call suggest learns from: allowed, or refused only in audit (the agent went on). */
const LEARNABLE = "(decision = 'allow' OR NOT enforced)";
/**
 * Keyed on (SERIES_KEY, minute), two numbers: the same set keyed on the agent and tool names
 * hashed two strings per call, 0.17 s of a 0.30 s read of a busy week's 2.2 M calls against 0.04 s.
 */
const IN_FLAGGED_MINUTE = `(${SERIES_KEY}, intDiv(t_ms, ${MINUTE_MS})) IN (
      SELECT cityHash64(k.1, k.2), arrayJoin(range(k.3, k.4 + 1))
      FROM (SELECT arrayJoin(arrayZip({xm_agent:Array(String)}, {xm_tool:Array(String)}, {xm_from:Array(UInt64)}, {xm_to:Array(UInt64)})) AS k))`;
const OTHER_CALL = `${IN_FLAGGED_MINUTE} AS x, true AS learnable, false AS life`;

/**
 * The calls of [from − window, to) (the reach-back feeds the rolling counts), each marked x
 * when excluded. A lifecycle tool's calls are read apart (a few percent of a
 * store's calls) and ranked within their session: life from the second call in [from, to) on,
 * ties included: the extra calls lifecycleSessionsRule defines (`ts >= second_ms`), counting
 * every call, refused ones too, each span once. So the agent+tool pairs with a life call are
 * exactly the ones lifecycle_violation flags, and suggest need not run that detector's read of
 * the same calls. The old form joined every call against the sessions (0.6-0.7 s of a 1.4-2.1 s
 * learning pass on a busy week); this ranks 83 k calls instead.
 */
export function excludedCallsSql(ctx: AnalyticsContext, x: Exclusions): ExcludedCallsSql {
  const params = {
    xm_agent: x.minutes.map((e) => e.agent), xm_tool: x.minutes.map((e) => e.tool),
    xm_from: x.minutes.map((e) => e.fromMin), xm_to: x.minutes.map((e) => e.toMin),
  };
  const calls = table(ctx, Tables.TOOL_CALLS);
  const columns = 'agent, tool, ts, toUnixTimestamp64Milli(ts) AS t_ms, risk';
  const tools = '{lifecycle_tools:Array(String)}';
  return {
    sql: `SELECT agent, tool, ts, t_ms, risk, ${OTHER_CALL} FROM (
        SELECT ${columns} FROM ${toolCallsFinal(ctx)} WHERE ${READ} AND ${LEARNABLE} AND tool NOT IN ${tools})
      UNION ALL
      SELECT agent, tool, ts, t_ms, risk, ${IN_FLAGGED_MINUTE} OR life AS x, ${LEARNABLE} AS learnable, life FROM (
        SELECT agent, tool, ts, t_ms, risk, decision, enforced, session != '' AND t_ms >= {from_ms:Int64}
          AND sum(t_ms >= {from_ms:Int64}) OVER (PARTITION BY agent, tool, session ORDER BY t_ms RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) >= 2 AS life
        FROM (SELECT ${columns}, session, decision, enforced FROM ${callsOnce(calls, ['session', 'risk', 'decision', 'enforced'], [READ, `tool IN ${tools}`])}))`,
    params: { ...params, lifecycle_tools: [...ctx.config.anomalies.lifecycleTools] },
  };
}

/** The lifecycle sessions whose extra calls reach `sinceMs` or later (the forward test's holdout). */
export async function lifecycleSessionsSince(ctx: AnalyticsContext, range: TimeRange, x: Exclusions, sinceMs: number): Promise<SessionExclusion[]> {
  if (!x.lifecycle) return [];
  const rule = lifecycleSessionsRule(ctx.config.anomalies, { toolCalls: table(ctx, Tables.TOOL_CALLS), mode: 'bound' });
  const rows = await runQuery<{ agent: string; tool: string; session: string; second_ms: number; last_ms: number }>(
    ctx, 'lifecycle sessions of the holdout',
    `SELECT agent, tool, session, second_ms, last_ms FROM (${rule.sql}) WHERE last_ms >= {since_ms:Int64}`,
    { ...rule.params, ...rangeParams(range), since_ms: Math.floor(sinceMs) },
  );
  return rows.map((r) => ({ agent: r.agent, tool: r.tool, session: r.session, startMs: Number(r.second_ms), endMs: Number(r.last_ms) }));
}

/** The same keys in process memory, for classifying replayed calls: O(1) per session key, O(log n) per minute. */
export class ExclusionIndex {
  private readonly sessions = new Map<string, SessionExclusion>();
  private readonly minutes = new Map<string, Array<[number, number]>>();

  constructor(x: Exclusions, sessions: readonly SessionExclusion[]) {
    for (const s of sessions) this.sessions.set(key(s.agent, s.tool, s.session), s);
    for (const m of x.minutes) {
      const k = key(m.agent, m.tool);
      this.minutes.set(k, [...(this.minutes.get(k) ?? []), [m.fromMin, m.toMin]]);
    }
    for (const spans of this.minutes.values()) spans.sort((a, b) => a[0] - b[0]);
  }

  has(agent: string, tool: string, session: string, tsMs: number): boolean {
    const s = session ? this.sessions.get(key(agent, tool, session)) : undefined;
    if (s && tsMs >= s.startMs && tsMs <= s.endMs) return true;
    const spans = this.minutes.get(key(agent, tool));
    if (!spans) return false;
    const m = Math.floor(tsMs / MINUTE_MS);
    let lo = 0;
    let hi = spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [f, t] = spans[mid] as [number, number];
      if (m < f) hi = mid - 1;
      else if (m > t) lo = mid + 1;
      else return true;
    }
    return false;
  }
}
