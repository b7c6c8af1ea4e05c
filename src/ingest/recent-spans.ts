/**
 * Span ids seen recently, so a redelivered span (an exporter retry after a lost reply, a
 * replayed spool) is not inserted twice. Two generations of Sets bound the memory: when
 * the current one fills, the older is dropped whole. An id is remembered for at least
 * `capacity / 2` later spans; older repeats fall through to the tool_calls
 * ReplacingMergeTree (+ FINAL, uniqExact in the rollup), which is the backstop.
 */
export class RecentSpanIds {
  private current = new Set<string>();
  private previous = new Set<string>();
  private readonly generationSize: number;

  constructor(capacity = 200_000) {
    this.generationSize = Math.max(1, Math.floor(capacity / 2));
  }

  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  add(key: string): void {
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Set();
    }
    this.current.add(key);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/** The identity of a span: trace id and span id together. */
export function spanKey(traceId: string, spanId: string): string {
  return traceId + spanId;
}
