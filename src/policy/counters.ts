/**
 * Sliding-log rate counters. A counter keeps the timestamps of admitted calls only (refused
 * calls are never stored), at most `capacity` (= the limit's max) of them: to decide whether
 * fewer than max calls fall in (t − window, t], the newest max timestamps are enough.
 * The store sits behind `Counters` so a shared store (Redis sorted sets driven by one Lua
 * script) can replace the in-memory one without touching the evaluator.
 */

/** What a counter store needs to know about one limit. */
export interface CounterSpec {
  /** Scope, tool and counter name: fixed per compiled limit, stable across reloads. */
  readonly space: string;
  readonly windowMs: number;
  readonly max: number;
}

/**
 * A counter is named by its limit's `space` and an `id` (the agent, the session, or '' for
 * global). Admission is one operation over every limit of a call, so a shared store can make
 * it atomic (one Redis Lua script over `${space}${id}` sorted sets) and no replica can slip a
 * call between another's check and its record.
 */
export interface Counters {
  /**
   * When every counter has fewer than `max` admitted calls in (now − window, now], records the
   * call in all of them and returns -1; otherwise records nothing and returns the index of the
   * first full one. `counts[i]` receives counter i's count before this call (up to that index).
   */
  admit(specs: readonly CounterSpec[], ids: readonly string[], nowMs: number, counts: number[]): number;
  /**
   * For a full counter (count ≥ max > 0): the timestamp whose leaving the window frees a slot,
   * so the same call is admitted at that time + window. Undefined when there is room or max is 0.
   */
  blockingSince(spec: CounterSpec, id: string, nowMs: number): number | undefined;
}

/** Ring slots a new counter starts with. */
const INITIAL_SLOTS = 16;

/**
 * A ring of ascending timestamps. Time is clamped to never run backwards per counter
 * (replayed or wall-clock input may be slightly out of order), which keeps the log sorted
 * and "at most max in any rolling window" exact in the counter's own time.
 * Capacity and window only grow, so two limits sharing a counter (same name and scope, e.g.
 * a grant's and the top-level one, or before and after a reload) never lose entries the
 * other still needs.
 */
class SlidingLog {
  /** The ring; it starts small and doubles as calls arrive, up to `capacity`. */
  private times: Float64Array;
  /** The most entries kept: the largest max of the limits counting here. */
  private capacity: number;
  private head = 0;
  size = 0;
  /** Newest timestamp (-Infinity when empty); kept apart to spare index arithmetic. */
  newest = -Infinity;
  windowMs: number;

  constructor(capacity: number, windowMs: number) {
    this.capacity = Math.max(1, capacity);
    // A generous limit (say 100 million a minute) must not reserve its whole log up front.
    this.times = new Float64Array(Math.min(this.capacity, INITIAL_SLOTS));
    this.windowMs = windowMs;
  }

  private at(i: number): number {
    const index = this.head + i;
    const cap = this.times.length;
    return this.times[index < cap ? index : index - cap] as number;
  }

  /** Drops entries that have left the log's (longest) window; they can never count again. */
  expire(nowMs: number): void {
    const cutoff = (nowMs > this.newest ? nowMs : this.newest) - this.windowMs;
    const cap = this.times.length;
    while (this.size > 0 && (this.times[this.head] as number) <= cutoff) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
  }

  /** Entries in (now − window, now], now clamped to the newest entry. */
  countIn(nowMs: number, windowMs: number): number {
    const cutoff = (nowMs > this.newest ? nowMs : this.newest) - windowMs;
    let first = 0;
    while (first < this.size && this.at(first) <= cutoff) first++;
    return this.size - first;
  }

  blocking(nowMs: number, windowMs: number, max: number): number | undefined {
    const count = this.countIn(nowMs, windowMs);
    return count >= max && max > 0 ? this.at(this.size - max) : undefined;
  }

  push(ms: number, capacity: number, windowMs: number): void {
    if (windowMs > this.windowMs) this.windowMs = windowMs;
    if (capacity > this.capacity) this.capacity = capacity;
    if (this.size === this.times.length && this.size < this.capacity) this.grow(Math.min(this.capacity, this.size * 2));
    const cap = this.times.length;
    const value = ms > this.newest ? ms : this.newest;
    if (this.size === cap) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
    const index = this.head + this.size;
    this.times[index < cap ? index : index - cap] = value;
    this.size++;
    this.newest = value;
  }

  private grow(capacity: number): void {
    const next = new Float64Array(capacity);
    for (let i = 0; i < this.size; i++) next[i] = this.at(i);
    this.times = next;
    this.head = 0;
  }
}

/** Process-local counters; memory per counter follows its busiest window, bounded by the limit's max. */
export class InMemoryCounters implements Counters {
  private readonly spaces = new Map<string, Map<string, SlidingLog>>();
  private readonly found: Array<SlidingLog | undefined> = [];
  private addsSinceSweep = 0;

  private lookup(space: string, id: string, nowMs: number): SlidingLog | undefined {
    const byId = this.spaces.get(space);
    if (byId === undefined) return undefined;
    const log = byId.get(id);
    if (log !== undefined) log.expire(nowMs);
    return log;
  }

  admit(specs: readonly CounterSpec[], ids: readonly string[], nowMs: number, counts: number[]): number {
    const found = this.found;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i] as CounterSpec;
      const log = this.lookup(spec.space, ids[i] as string, nowMs);
      const count = log === undefined ? 0 : log.countIn(nowMs, spec.windowMs);
      counts[i] = count;
      if (count >= spec.max) return i;
      found[i] = log;
    }
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i] as CounterSpec;
      const log = found[i] ?? this.create(spec, ids[i] as string);
      log.push(nowMs, spec.max, spec.windowMs);
      found[i] = undefined;
    }
    this.addsSinceSweep += specs.length;
    if (this.addsSinceSweep >= 100_000) this.sweep(nowMs);
    return -1;
  }

  blockingSince(spec: CounterSpec, id: string, nowMs: number): number | undefined {
    const log = this.lookup(spec.space, id, nowMs);
    return log?.blocking(nowMs, spec.windowMs, spec.max);
  }

  private create(spec: CounterSpec, id: string): SlidingLog {
    let byId = this.spaces.get(spec.space);
    if (byId === undefined) this.spaces.set(spec.space, (byId = new Map()));
    const log = new SlidingLog(spec.max, spec.windowMs);
    byId.set(id, log);
    return log;
  }

  /** Number of live counters (for tests and metrics). */
  get size(): number {
    let total = 0;
    for (const byId of this.spaces.values()) total += byId.size;
    return total;
  }

  /** Timestamps held across all counters: bounded by the sum of the limits' max. */
  get entries(): number {
    let total = 0;
    for (const byId of this.spaces.values()) for (const log of byId.values()) total += log.size;
    return total;
  }

  /** Forgets counters whose every entry has left its window, so idle agents cost nothing. */
  sweep(nowMs: number): void {
    this.addsSinceSweep = 0;
    for (const [space, byId] of this.spaces) {
      for (const [id, log] of byId) if (log.newest <= nowMs - log.windowMs) byId.delete(id);
      if (byId.size === 0) this.spaces.delete(space);
    }
  }
}
