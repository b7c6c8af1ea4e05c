/**
 * Per agent+tool call rates over ROLLING windows, with the same definition the policy
 * limits use (design.md): the rolling count of a call at time t is the number of calls of
 * the same agent and tool in the half-open interval (t − window, t], at millisecond
 * resolution; calls in the same millisecond count each other. Calls just before `from`
 * are counted into the windows of calls near `from` (as a limit would see them), but only
 * calls inside the range are reported. All recorded calls count (every decision): they
 * are the attempts a limit would have to admit or refuse.
 *
 * p50/p95/p99 are quantiles over the per-call rolling counts ("the rolling rate the
 * q-th call saw"), nearest-rank from below: sorted[min(n − 1, floor(q·n))]
 * (ClickHouse quantileExact). max_per_window is the largest rolling count of any call.
 * mean_per_window = calls × window / (to − from).
 */
import { ErrorCodes, WardenError } from '../core/index.js';
import { AGENT_TOOL_FILTER, IN_RANGE, assertKnownAgent, filterParams, runQuery, toolCallsFinal, type AnalyticsContext, type Filter } from './context.js';
import type { TimeRange } from './range.js';

export interface RateRow {
  agent: string;
  tool: string;
  calls: number;
  mean_per_window: number;
  p50: number;
  p95: number;
  p99: number;
  max_per_window: number;
  window_s: number;
}

export const MAX_WINDOW_S = 7 * 86_400;

export function checkWindowS(windowS: number, field = 'window'): void {
  if (!Number.isInteger(windowS) || windowS < 1 || windowS > MAX_WINDOW_S) {
    throw new WardenError(ErrorCodes.BAD_REQUEST, `${field}: must be a whole number of seconds between 1 and ${MAX_WINDOW_S}`, {
      details: { field, reason: 'out of range' },
    });
  }
}

/**
 * Rolling counts per call as a subquery: columns agent, tool, ts, span_id, c.
 * `extraWhere` narrows the calls (e.g. risk classes); parameters: from_ms, to_ms, agent,
 * tool, lookback_ms (= window in ms), w_minus_1 (= window ms − 1).
 */
export function rollingCountsSql(ctx: AnalyticsContext, extraWhere = '1'): string {
  return `SELECT agent, tool, ts, span_id, c FROM (
    SELECT agent, tool, ts, span_id,
      count() OVER (PARTITION BY agent, tool ORDER BY toUnixTimestamp64Milli(ts)
                    RANGE BETWEEN {w_minus_1:UInt64} PRECEDING AND CURRENT ROW) AS c
    FROM ${toolCallsFinal(ctx)}
    WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {lookback_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64})
      AND ${AGENT_TOOL_FILTER} AND (${extraWhere})
  ) WHERE ${IN_RANGE}`;
}

export function rollingParams(range: TimeRange, windowS: number, filter: Filter = {}): Record<string, unknown> {
  return { ...filterParams(range, filter), lookback_ms: windowS * 1000, w_minus_1: windowS * 1000 - 1 };
}

export async function computeRates(ctx: AnalyticsContext, range: TimeRange, windowS: number, filter: Filter = {}): Promise<RateRow[]> {
  checkWindowS(windowS);
  await assertKnownAgent(ctx, filter.agent);
  const rows = await runQuery<{ agent: string; tool: string; calls: number; q: number[]; max_c: number }>(
    ctx,
    'rates',
    `SELECT agent, tool, count() AS calls, quantilesExact(0.5, 0.95, 0.99)(c) AS q, max(c) AS max_c
     FROM (${rollingCountsSql(ctx)})
     GROUP BY agent, tool ORDER BY agent, tool`,
    rollingParams(range, windowS, filter),
  );
  const windows = (range.toMs - range.fromMs) / (windowS * 1000);
  return rows.map((r) => ({
    agent: r.agent,
    tool: r.tool,
    calls: r.calls,
    mean_per_window: round(r.calls / windows, 4),
    p50: r.q[0] ?? 0,
    p95: r.q[1] ?? 0,
    p99: r.q[2] ?? 0,
    max_per_window: r.max_c,
    window_s: windowS,
  }));
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
