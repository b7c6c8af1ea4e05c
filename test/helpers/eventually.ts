// The one way tests wait for something that happens in the background (a span arriving, a
// row landing, a file appearing): poll a check until it holds, or fail naming what never came.
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  intervalMs?: number;
  /** Extra state for the failure message, read once at the timeout. */
  detail?: () => string;
}

/**
 * Resolves once `check` returns true. A check that throws counts as "not yet" (a server that
 * is not listening yet); the last error is part of the timeout message.
 */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, opts: EventuallyOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) break;
    await sleep(opts.intervalMs ?? 20);
  }
  const parts = [`timed out after ${timeoutMs} ms waiting for ${what}`];
  if (lastError !== undefined) parts.push(`last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  if (opts.detail) parts.push(opts.detail());
  throw new Error(parts.join('; '));
}
