/**
 * Recorded calls in time order, read in bounded slices (whole hours, ≤ sliceRows calls each)
 * so a long replay never holds the whole range in memory at once.
 */
import { ErrorCodes, WardenError } from '../core/index.js';
import { IN_RANGE, runQuery, toolCallsFinal, type AnalyticsContext } from './context.js';
import { rangeParams, type TimeRange } from './range.js';

export interface RecordedCall {
  /** ts in epoch ms */
  t: number;
  a: string;
  o: string;
  s: string;
  /** decision actually recorded */
  d: string;
  /** whether the recorded decision was acted on (false for audit-mode refusals) */
  e: boolean;
  i: string;
}

export async function countCalls(ctx: AnalyticsContext, range: TimeRange): Promise<Array<{ h_ms: number; n: number }>> {
  return runQuery<{ h_ms: number; n: number }>(
    ctx,
    'replay plan',
    `SELECT toUnixTimestamp(toStartOfHour(ts)) * 1000 AS h_ms, count() AS n FROM ${toolCallsFinal(ctx)} WHERE ${IN_RANGE} GROUP BY h_ms ORDER BY h_ms`,
    rangeParams(range),
  );
}

export async function* recordedCalls(ctx: AnalyticsContext, range: TimeRange, sliceRows = 250_000): AsyncGenerator<RecordedCall[]> {
  const hours = await countCalls(ctx, range);
  const total = hours.reduce((n, h) => n + h.n, 0);
  if (total > ctx.config.simulateMaxCalls) {
    throw new WardenError(ErrorCodes.BAD_REQUEST, `from: the range holds ${total} calls; a replay takes at most ${ctx.config.simulateMaxCalls}`, {
      details: { field: 'from', reason: 'too many calls to replay' }, hint: 'replay a shorter range',
    });
  }
  let sliceStart = range.fromMs;
  let rows = 0;
  for (let i = 0; i < hours.length; i++) {
    const h = hours[i] as { h_ms: number; n: number };
    rows += h.n;
    const next = hours[i + 1];
    if (rows >= sliceRows || next === undefined) {
      const sliceEnd = next === undefined ? range.toMs : next.h_ms;
      yield await readSlice(ctx, { fromMs: sliceStart, toMs: sliceEnd });
      sliceStart = sliceEnd;
      rows = 0;
    }
  }
}

async function readSlice(ctx: AnalyticsContext, range: TimeRange): Promise<RecordedCall[]> {
  return runQuery<RecordedCall>(
    ctx,
    'replay read',
    `SELECT toUnixTimestamp64Milli(ts) AS t, agent AS a, tool AS o, session AS s, decision AS d, enforced AS e, span_id AS i
     FROM ${toolCallsFinal(ctx)} WHERE ${IN_RANGE} ORDER BY ts, span_id`,
    rangeParams(range),
  );
}
