/**
 * Where `suggest` splits its range: it learns a policy on the earlier part and replays the
 * later part (the holdout) through it, the forward test. A policy judged only on the history
 * it learned from cannot refuse a normal call by construction; the holdout is "tomorrow".
 */
import { ErrorCodes, WardenError, parseDurationMs } from '../../core/index.js';
import { DAY_MS } from '../anomalies/common.js';
import type { TimeRange } from '../range.js';

/** The last 20 % of the range by default… */
export const DEFAULT_HOLDOUT_SHARE = 0.2;
/** …but at least a day (a whole weekly/daily cycle of "tomorrow") when the learning part keeps a day too. */
export const MIN_DEFAULT_HOLDOUT_MS = DAY_MS;

const NONE = new Set(['0', 'none', 'off', 'false']);

/**
 * `holdout`: undefined (the default), a share ("20%", or a fraction below 1 such as 0.2), a
 * duration ("2d", "36h"), or 0/"none" for no forward test. Returns the split instant, or
 * undefined for none; a holdout that leaves nothing to learn from is a 400 naming the field.
 */
export function holdoutSplit(range: TimeRange, spec: string | number | undefined): number | undefined {
  const span = range.toMs - range.fromMs;
  let holdoutMs: number;
  if (spec === undefined) {
    holdoutMs = DEFAULT_HOLDOUT_SHARE * span;
    if (span - MIN_DEFAULT_HOLDOUT_MS >= MIN_DEFAULT_HOLDOUT_MS) holdoutMs = Math.max(holdoutMs, MIN_DEFAULT_HOLDOUT_MS);
  } else {
    const text = String(spec).trim().toLowerCase();
    if (NONE.has(text)) return undefined;
    holdoutMs = parseHoldout(text) * (text.endsWith('%') || Number(text) < 1 ? span : 1);
  }
  // Whole minutes when the range is long enough, so the split reads plainly.
  const exact = Math.round(range.toMs - holdoutMs);
  const rounded = Math.floor(exact / 60_000) * 60_000;
  const splitMs = rounded > range.fromMs ? rounded : exact;
  if (splitMs > range.fromMs && splitMs < range.toMs) return splitMs;
  // The default never fails a request: too short a range just has no forward test.
  if (spec === undefined) return undefined;
  throw bad(`${String(spec)} leaves nothing to ${splitMs <= range.fromMs ? 'learn from' : 'replay'} in a range of ${formatSpan(span)}`);
}

/** A share (0 < x < 1, or "x%" with 0 < x < 100) or a duration in ms. */
function parseHoldout(text: string): number {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (pct) {
    const share = Number(pct[1]) / 100;
    if (share > 0 && share < 1) return share;
    throw bad(`${text}: a share must be above 0 % and below 100 %`);
  }
  if (/^\d*\.?\d+$/.test(text)) {
    const n = Number(text);
    if (n > 0 && n < 1) return n;
    throw bad(`${text}: give a share (0.2 or 20%) or a duration with its unit (2d, 36h)`);
  }
  try {
    return parseDurationMs(text);
  } catch {
    throw bad(`${text}: give a share (0.2 or 20%), a duration (2d, 36h) or none`);
  }
}

function formatSpan(ms: number): string {
  return ms >= DAY_MS ? `${(ms / DAY_MS).toFixed(1)} d` : `${(ms / 3_600_000).toFixed(1)} h`;
}

function bad(message: string): WardenError {
  return new WardenError(ErrorCodes.BAD_REQUEST, `holdout: ${message}`, { details: { field: 'holdout', reason: message } });
}
