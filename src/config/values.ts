import { ErrorCodes, WardenError, parseDurationMs } from '../core/index.js';

/** Readers of flag and environment values: each throws WardenError CONFIG_INVALID naming the flag. */

export function invalid(message: string, hint?: string): WardenError {
  return new WardenError(ErrorCodes.CONFIG_INVALID, message, hint === undefined ? {} : { hint });
}

export function positiveInt(value: string | number, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw invalid(`${flag} must be a positive whole number, got "${value}"`);
  return n;
}

export function wholeNumber(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw invalid(`${name} must be a whole number, got "${value}"`);
  return n;
}

export function parsePositiveDuration(text: string, flag: string): number {
  const ms = parseDurationMs(text);
  if (ms <= 0) throw invalid(`${flag} must be positive, got "${text}"`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "64MiB", "500MB", "1048576": decimal and binary units. */
export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) throw invalid(`invalid size "${text}" (use e.g. 64MiB, 500MB, 1048576)`);
  return Math.floor(Number(match[1]) * unit);
}
