/**
 * Anomalous traffic that `suggest` does not learn from (so a runaway agent does not teach the
 * policy to allow it), as keys a query joins on, never as a list every row is scanned against:
 * - a flag about one MCP session (lifecycle_violation) excludes that agent+tool+session from
 *   the flag's start to its end: a hash join on (agent, tool, session), one interval per key;
 * - every other flag excludes its agent+tool for the whole minutes its window touches: a
 *   semi-join on (agent, tool, minute).
 * The cost is one hash lookup per call whatever the number of flags (the old per-row
 * arrayExists over every flag cost calls × flags). The same keys classify replayed calls
 * (ExclusionIndex), so the forward test calls "runaway" exactly what learning left out.
 */
import type { Anomaly, AnomalyType } from '../anomalies/index.js';

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
  sessions: SessionExclusion[];
  minutes: MinuteExclusion[];
  /** Flags these came from, by type. */
  byType: Record<string, number>;
  flags: number;
}

const key = (...parts: string[]) => parts.join('\u0000');

export function exclusionsFrom(anomalies: readonly Anomaly[]): Exclusions {
  const sessions = new Map<string, SessionExclusion>();
  const minutes = new Map<string, Array<[number, number]>>();
  const byType: Record<string, number> = {};
  let flags = 0;
  for (const a of anomalies) {
    if (!EXCLUDED_TYPES.has(a.type)) continue;
    flags++;
    byType[a.type] = (byType[a.type] ?? 0) + 1;
    const startMs = Date.parse(a.start);
    const endMs = Date.parse(a.end);
    if (a.type === 'lifecycle_violation' && a.session) {
      // One interval per session key: the hull of its flags (a hash join keeps one match per key).
      const k = key(a.agent, a.tool, a.session);
      const prev = sessions.get(k);
      sessions.set(k, prev
        ? { ...prev, startMs: Math.min(prev.startMs, startMs), endMs: Math.max(prev.endMs, endMs) }
        : { agent: a.agent, tool: a.tool, session: a.session, startMs, endMs });
    } else {
      const k = key(a.agent, a.tool);
      minutes.set(k, [...(minutes.get(k) ?? []), [Math.floor(startMs / MINUTE_MS), Math.floor(endMs / MINUTE_MS)]]);
    }
  }
  const merged: MinuteExclusion[] = [];
  for (const [k, spans] of minutes) {
    const [agent, tool] = k.split('\u0000') as [string, string];
    for (const [fromMin, toMin] of mergeSpans(spans)) merged.push({ agent, tool, fromMin, toMin });
  }
  return { sessions: [...sessions.values()], minutes: merged, byType, flags };
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
 * SQL for `x`, whether a call is excluded, over a subquery aliased `c` with columns agent,
 * tool, session and t_ms (epoch ms): a LEFT ANY JOIN clause and the expression. Every key
 * arrives as a bound array parameter (see exclusionParams). An unmatched row joins x_from =
 * x_to = 0, an interval no call falls in.
 */
export const EXCLUSION_JOIN = `LEFT ANY JOIN (
    SELECT k.1 AS x_agent, k.2 AS x_tool, k.3 AS x_session, k.4 AS x_from, k.5 AS x_to
    FROM (SELECT arrayJoin(arrayZip({xs_agent:Array(String)}, {xs_tool:Array(String)}, {xs_session:Array(String)}, {xs_from:Array(Int64)}, {xs_to:Array(Int64)})) AS k)
  ) AS j ON c.agent = j.x_agent AND c.tool = j.x_tool AND c.session = j.x_session`;

export const EXCLUDED_EXPR = `((c.t_ms >= j.x_from AND c.t_ms <= j.x_to)
    OR (c.agent, c.tool, intDiv(c.t_ms, ${MINUTE_MS})) IN (
      SELECT k.1, k.2, arrayJoin(range(k.3, k.4 + 1))
      FROM (SELECT arrayJoin(arrayZip({xm_agent:Array(String)}, {xm_tool:Array(String)}, {xm_from:Array(UInt64)}, {xm_to:Array(UInt64)})) AS k)))`;

export function exclusionParams(x: Exclusions): Record<string, unknown> {
  return {
    xs_agent: x.sessions.map((e) => e.agent), xs_tool: x.sessions.map((e) => e.tool), xs_session: x.sessions.map((e) => e.session),
    xs_from: x.sessions.map((e) => Math.floor(e.startMs)), xs_to: x.sessions.map((e) => Math.ceil(e.endMs)),
    xm_agent: x.minutes.map((e) => e.agent), xm_tool: x.minutes.map((e) => e.tool),
    xm_from: x.minutes.map((e) => e.fromMin), xm_to: x.minutes.map((e) => e.toMin),
  };
}

/** The same keys in process memory, for classifying replayed calls: O(1) per session key, O(log n) per minute. */
export class ExclusionIndex {
  private readonly sessions = new Map<string, SessionExclusion>();
  private readonly minutes = new Map<string, Array<[number, number]>>();

  constructor(x: Exclusions) {
    for (const s of x.sessions) this.sessions.set(key(s.agent, s.tool, s.session), s);
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
