import { ErrorCodes, WardenError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses "250ms", "15s", "5m", "4h", "7d", "2w" or a bare number of seconds into milliseconds. */
export function parseDurationMs(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(trimmed);
  if (!match) {
    throw new WardenError(ErrorCodes.BAD_REQUEST, `invalid duration "${text}" (use e.g. 500ms, 15s, 5m, 4h, 7d)`);
  }
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
}

/**
 * Parses a point in time: ISO-8601, epoch milliseconds, "now", or a relative offset
 * from `nowMs` such as "-24h" / "-7d" (a leading minus means "ago").
 */
export function parseTimeMs(text: string, nowMs: number): number {
  const trimmed = text.trim();
  if (trimmed === 'now') return nowMs;
  if (/^-\d/.test(trimmed)) return nowMs - parseDurationMs(trimmed.slice(1));
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  const parsed = Date.parse(trimmed);
  if (Number.isNaN(parsed)) {
    throw new WardenError(ErrorCodes.BAD_REQUEST, `invalid time "${text}" (use ISO-8601, epoch ms, "now" or e.g. -24h)`);
  }
  return parsed;
}

/** "90000" ms → "1m30s"; for human output only. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
