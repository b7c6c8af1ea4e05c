/**
 * Anomalous traffic that `suggest` does not learn from (so a runaway agent does not teach the
 * policy to allow it), as keys a query joins on, never as a list every row is scanned against:
 * - lifecycle_violation (one flag per agent and tool) excludes the extra calls of each session
 *   behind it, from its second call of the tool to its last: a hash join on (agent, tool,
 *   session) against the rule's own per-session query (sql-rules.ts), one interval per key,
 *   computed inside the same query (no session list travels through Node);
 * - every other flag excludes its agent+tool for the whole minutes its window touches: a
 *   semi-join on (agent, tool, minute).
 * The cost is one hash lookup per call whatever the number of flags (the old per-row
 * arrayExists over every flag cost calls × flags). The same keys classify replayed calls
 * (ExclusionIndex), so the forward test calls "runaway" exactly what learning left out.
 */
import { lifecycleSessionsRule, type Anomaly, type AnomalyType } from '../anomalies/index.js';
import { runQuery, table, type AnalyticsContext } from '../context.js';
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
  /** Whether lifecycle_violation flagged anything: its sessions are then joined in SQL. */
  lifecycle: boolean;
  minutes: MinuteExclusion[];
  /** Flags these came from, by type. */
  byType: Record<string, number>;
  flags: number;
}

const key = (...parts: string[]) => parts.join('\u0000');

export function exclusionsFrom(anomalies: readonly Anomaly[]): Exclusions {
  const minutes = new Map<string, Array<[number, number]>>();
  const byType: Record<string, number> = {};
  let flags = 0;
  let lifecycle = false;
  for (const a of anomalies) {
    if (!EXCLUDED_TYPES.has(a.type)) continue;
    flags++;
    byType[a.type] = (byType[a.type] ?? 0) + 1;
    if (a.type === 'lifecycle_violation') {
      lifecycle = true;
      continue;
    }
    const k = key(a.agent, a.tool);
    minutes.set(k, [...(minutes.get(k) ?? []), [Math.floor(Date.parse(a.start) / MINUTE_MS), Math.floor(Date.parse(a.end) / MINUTE_MS)]]);
  }
  const merged: MinuteExclusion[] = [];
  for (const [k, spans] of minutes) {
    const [agent, tool] = k.split('\u0000') as [string, string];
    for (const [fromMin, toMin] of mergeSpans(spans)) merged.push({ agent, tool, fromMin, toMin });
  }
  return { lifecycle, minutes: merged, byType, flags };
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

/** The exclusion as SQL: `join` (a LEFT ANY JOIN aliased j) and `expr` (whether the call is excluded), with their parameters. */
export interface ExclusionSql {
  join: string;
  expr: string;
  params: Record<string, unknown>;
}

/**
 * The exclusion over a subquery aliased `c` with columns agent, tool, session and t_ms (epoch
 * ms), read over the range's from_ms/to_ms parameters. An unmatched row joins x_from = x_to = 0,
 * an interval no call falls in.
 */
export function exclusionSql(ctx: AnalyticsContext, x: Exclusions): ExclusionSql {
  const rule = x.lifecycle ? lifecycleSessionsRule(ctx.config.anomalies, { toolCalls: table(ctx, Tables.TOOL_CALLS), mode: 'bound' }) : undefined;
  const sessions = rule?.sql ?? `SELECT '' AS agent, '' AS session, '' AS tool, toInt64(0) AS second_ms, toInt64(0) AS last_ms LIMIT 0`;
  return {
    join: `LEFT ANY JOIN (
    SELECT agent AS x_agent, tool AS x_tool, session AS x_session, second_ms AS x_from, last_ms AS x_to FROM (${sessions})
  ) AS j ON c.agent = j.x_agent AND c.tool = j.x_tool AND c.session = j.x_session`,
    expr: `((c.t_ms >= j.x_from AND c.t_ms <= j.x_to)
    OR (c.agent, c.tool, intDiv(c.t_ms, ${MINUTE_MS})) IN (
      SELECT k.1, k.2, arrayJoin(range(k.3, k.4 + 1))
      FROM (SELECT arrayJoin(arrayZip({xm_agent:Array(String)}, {xm_tool:Array(String)}, {xm_from:Array(UInt64)}, {xm_to:Array(UInt64)})) AS k)))`,
    params: {
      ...rule?.params,
      xm_agent: x.minutes.map((e) => e.agent), xm_tool: x.minutes.map((e) => e.tool),
      xm_from: x.minutes.map((e) => e.fromMin), xm_to: x.minutes.map((e) => e.toMin),
    },
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
