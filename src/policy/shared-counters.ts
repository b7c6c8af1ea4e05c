/**
 * The seam for counters kept outside the process (e.g. Redis, see src/limits): the engine
 * hands every limit of a call to one atomic `admit` and builds the decision from the answer,
 * so a shared store decides with the same half-open window (t − window, t] and the same
 * "refused calls consume nothing" rule as `InMemoryCounters`. The store does the I/O; the
 * engine stays pure.
 */
import type { LimitFallback } from '../config/index.js';
import type { Result } from '../core/index.js';
import type { CounterSpec } from './counters.js';
import type { Decision } from './types.js';

/** What one atomic admission over every limit of a call found. */
export interface SharedAdmission {
  /** -1 when the call was admitted (and recorded in every counter), else the first full limit. */
  full: number;
  /** counts[i]: counter i's admitted calls in its window before this call (up to `full`). */
  counts: number[];
  /** The window's t for the refusing counter (the store's clock, never behind its newest entry). */
  nowMs: number;
  /** On a refusal with max > 0: the entry whose leaving the window frees a slot. */
  blockingMs: number | undefined;
}

export interface SharedCounters {
  /**
   * Checks and records the call in one step no other caller can interleave with. `callMs` is
   * the call's own time; a store may use its own clock instead (one clock for all its
   * callers). Resolves to an error (never rejects) when the store did not answer in time.
   */
  admit(specs: readonly CounterSpec[], ids: readonly string[], callMs: number): Promise<Result<SharedAdmission, string>>;
}


/** Which counters decided a limited call (`warden.limit.backend` on its span). */
export type LimitBackend = NonNullable<Decision['limitBackend']>;

export interface SharedLimits {
  counters: SharedCounters;
  /** The backend named on spans when the shared store answered, e.g. `redis`. */
  name: 'redis';
  fallback: LimitFallback;
}
