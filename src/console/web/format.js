// Small formatting helpers shared by the views.

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A range bound as the API accepts it (ISO, epoch ms, "now", "-24h") → epoch ms, or NaN. */
export function boundMs(text, nowMs = Date.now()) {
  if (!text || text === 'now') return nowMs;
  const rel = /^-(\d+(?:\.\d+)?)([smhdw])$/.exec(text);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2]];
  if (/^\d+$/.test(text)) return Number(text);
  return Date.parse(text);
}

/** A bucket (seconds, a whole number of minutes) giving about `points` buckets over the range. */
export function stepFor(range, points) {
  const span = boundMs(range.to) - boundMs(range.from);
  if (!(span > 0)) return 60;
  return Math.max(60, Math.ceil(span / 1000 / points / 60) * 60);
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
export const fmtInt = (n) => (typeof n === 'number' ? int.format(n) : '–');
export const fmtNum = (n) => (typeof n === 'number' ? dec.format(n) : '–');
export const fmtPct = (part, whole) => (whole > 0 ? `${dec.format((100 * part) / whole)}%` : '–');

/** `2026-12-05T16:42:01.123Z` → `2026-12-05 16:42:01` (UTC, as the API speaks). */
export const fmtTime = (iso) => (iso ? String(iso).replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '–');

export function fmtDuration(ms) {
  if (!(ms >= 0)) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${dec.format(ms / 1000)} s`;
  if (ms < 7_200_000) return `${dec.format(ms / 60_000)} min`;
  return `${dec.format(ms / 3_600_000)} h`;
}

/** Any JSON value as short text for a table cell. */
export function fmtValue(value) {
  if (value === undefined || value === null) return '–';
  if (typeof value === 'number') return fmtNum(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
