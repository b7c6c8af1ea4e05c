import { ErrorCodes, WardenError } from '../core/index.js';
import { AGENT_TOOL_FILTER, IN_RANGE, assertKnownAgent, filterParams, runQuery, toolCallsFinal, type AnalyticsContext, type Filter } from './context.js';
import type { TimeRange } from './range.js';

export const MAX_SERIES_POINTS = 10_000;

export interface SeriesPoint {
  t: string;
  calls: number;
  by_decision: Record<string, number>;
}

export interface Series {
  agent: string;
  tool: string;
  points: SeriesPoint[];
}

/** Counts per fixed `step` bucket (aligned to the epoch) by decision; empty buckets omitted. */
export async function computeSeries(ctx: AnalyticsContext, range: TimeRange, stepS: number, filter: Filter = {}): Promise<{ step_s: number; series: Series[] }> {
  if (!Number.isInteger(stepS) || stepS < 1) {
    throw new WardenError(ErrorCodes.BAD_REQUEST, 'step: must be a whole number of seconds ≥ 1', { details: { field: 'step', reason: 'invalid' } });
  }
  const points = (range.toMs - range.fromMs) / (stepS * 1000);
  if (points > MAX_SERIES_POINTS) {
    throw new WardenError(ErrorCodes.BAD_REQUEST, `step: ${Math.ceil(points)} points over this range; at most ${MAX_SERIES_POINTS} (use a larger step or a shorter range)`, {
      details: { field: 'step', reason: 'too many points' },
    });
  }
  await assertKnownAgent(ctx, filter.agent);
  const rows = await runQuery<{ agent: string; tool: string; t_ms: number; decision: string; n: number }>(
    ctx,
    'rate series',
    `SELECT agent, tool, toUnixTimestamp(toStartOfInterval(toDateTime(ts), toIntervalSecond({step:UInt32}))) * 1000 AS t_ms, decision, count() AS n
     FROM ${toolCallsFinal(ctx)}
     WHERE ${IN_RANGE} AND ${AGENT_TOOL_FILTER}
     GROUP BY agent, tool, t_ms, decision ORDER BY agent, tool, t_ms, decision`,
    { ...filterParams(range, filter), step: stepS },
  );
  const byKey = new Map<string, Series>();
  for (const r of rows) {
    const key = `${r.agent}\u0000${r.tool}`;
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = { agent: r.agent, tool: r.tool, points: [] }));
    const t = new Date(r.t_ms).toISOString();
    let p = s.points[s.points.length - 1];
    if (!p || p.t !== t) s.points.push((p = { t, calls: 0, by_decision: {} }));
    p.calls += r.n;
    p.by_decision[r.decision] = (p.by_decision[r.decision] ?? 0) + r.n;
  }
  return { step_s: stepS, series: [...byKey.values()] };
}
