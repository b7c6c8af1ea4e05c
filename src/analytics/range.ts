import { ErrorCodes, WardenError, parseTimeMs } from '../core/index.js';

/** A half-open time range [fromMs, toMs) in epoch milliseconds. */
export interface TimeRange {
  fromMs: number;
  toMs: number;
}

export const DEFAULT_RANGE_MS = 24 * 3_600_000;
/** Ranges longer than this are refused up front instead of running into the query budget. */
export const MAX_RANGE_MS = 90 * 86_400_000;

export interface RangeInput {
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * Parses `from`/`to` (ISO-8601, epoch ms, "now" or relative like "-24h"); defaults to the
 * last 24 hours ending now. Errors name the offending field so the API can answer 400.
 */
export function parseTimeRange(input: RangeInput, nowMs: number, opts: { defaultMs?: number; maxMs?: number } = {}): TimeRange {
  const toMs = input.to === undefined ? nowMs : parseField('to', input.to, nowMs);
  const fromMs = input.from === undefined ? toMs - (opts.defaultMs ?? DEFAULT_RANGE_MS) : parseField('from', input.from, nowMs);
  if (fromMs >= toMs) {
    throw badRange('from', `from (${new Date(fromMs).toISOString()}) must be before to (${new Date(toMs).toISOString()})`);
  }
  const maxMs = opts.maxMs ?? MAX_RANGE_MS;
  if (toMs - fromMs > maxMs) {
    throw badRange('from', `the range is ${Math.round((toMs - fromMs) / 86_400_000)} days; at most ${Math.round(maxMs / 86_400_000)} days per query`);
  }
  return { fromMs, toMs };
}

function parseField(field: 'from' | 'to', text: string, nowMs: number): number {
  try {
    const ms = parseTimeMs(text, nowMs);
    if (!Number.isFinite(ms)) throw new Error('not a finite time');
    return ms;
  } catch (cause) {
    throw badRange(field, cause instanceof Error ? cause.message : String(cause));
  }
}

function badRange(field: string, reason: string): WardenError {
  return new WardenError(ErrorCodes.BAD_REQUEST, `${field}: ${reason}`, { details: { field, reason } });
}

/** Bound parameters for the standard time filter (see sql.ts `RANGE_FILTER`). */
export function rangeParams(range: TimeRange): { from_ms: number; to_ms: number } {
  return { from_ms: Math.floor(range.fromMs), to_ms: Math.floor(range.toMs) };
}

export function isoRange(range: TimeRange): { from: string; to: string } {
  return { from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString() };
}
