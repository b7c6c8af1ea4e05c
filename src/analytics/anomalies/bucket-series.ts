/**
 * One series' calls per bucket in time order, held in typed arrays: a busy month's rollup
 * gives ~1 M (bucket, count) pairs, and one object per pair (with the bucket's epoch
 * milliseconds boxed as a heap number) made building them most of rate_spike's time in the
 * process (~0.1 s per read) and its garbage collection.
 */
export class BucketSeries {
  private readonly starts: Float64Array;
  private readonly calls: Float64Array;
  readonly length: number;

  /**
   * From bucket numbers (epoch ms / bucketMs) in non-decreasing order and their counts; the
   * counts of a bucket's several rows (rollup rows in parts not merged yet) are summed.
   */
  constructor(numbers: readonly number[], counts: readonly number[], bucketMs: number) {
    this.starts = new Float64Array(numbers.length);
    this.calls = new Float64Array(numbers.length);
    let n = 0;
    for (let i = 0; i < numbers.length; i++) {
      const start = (numbers[i] as number) * bucketMs;
      if (n > 0 && this.starts[n - 1] === start) this.calls[n - 1] = (this.calls[n - 1] as number) + Number(counts[i] ?? 0);
      else {
        this.starts[n] = start;
        this.calls[n] = Number(counts[i] ?? 0);
        n++;
      }
    }
    this.length = n;
  }

  startAt(i: number): number {
    return this.starts[i] as number;
  }

  countAt(i: number): number {
    return this.calls[i] as number;
  }

  /** The counts of buckets [lo, hi), without a copy. */
  counts(lo: number, hi: number): Float64Array {
    return this.calls.subarray(lo, Math.max(lo, hi));
  }

  /** The index of the first bucket starting at or after `ms`. */
  firstAtOrAfter(ms: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.starts[mid] as number) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first bucket starting after `ms` (starts are distinct). */
  firstAfter(ms: number): number {
    const i = this.firstAtOrAfter(ms);
    return i < this.length && this.starts[i] === ms ? i + 1 : i;
  }
}
