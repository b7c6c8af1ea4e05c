/** Small, explainable statistics for anomaly baselines. */

export function median(values: readonly number[] | Float64Array): number {
  return sortedMedian((values instanceof Float64Array ? values.slice() : Float64Array.from(values)).sort());
}

/** Median absolute deviation (unscaled). */
export function mad(values: readonly number[] | Float64Array, center = median(values)): number {
  const deviations = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) deviations[i] = Math.abs((values[i] as number) - center);
  return sortedMedian(deviations.sort());
}

export function sum(values: readonly number[] | Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] as number;
  return total;
}

/**
 * A typed array sorts numerically without a comparator call per comparison: rate_spike takes
 * a median and a MAD of ~1,000 buckets per series and day, and the comparator sort of plain
 * arrays was most of its time in the process (~0.25 s of a busy week's suggest).
 */
function sortedMedian(sorted: Float64Array): number {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** 1.4826·MAD estimates σ for normal data; the scale robust z-scores divide by. */
export const MAD_SCALE = 1.4826;

/**
 * Robust z = (x − median) / (1.4826·MAD). A MAD of 0 (most buckets equal) would make any
 * excess infinite, so the scale never drops below √median (Poisson spread) or 1.
 */
export function robustZ(x: number, center: number, madValue: number): { z: number; scale: number } {
  const scale = Math.max(MAD_SCALE * madValue, Math.sqrt(Math.max(center, 0)), 1);
  return { z: (x - center) / scale, scale };
}

/** ln(k!) by summation for small k and Stirling's series beyond (error < 1e-10 there). */
export function lnFactorial(k: number): number {
  if (k < 2) return 0;
  if (k < 256) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k) - 1 / (360 * k ** 3);
}

/** Upper tail P(X ≥ x) for X ~ Poisson(λ); summed from x upwards in log space (x above λ is the case that matters). */
export function poissonTail(x: number, lambda: number): number {
  if (x <= 0) return 1;
  if (lambda <= 0) return 0;
  if (x <= lambda) {
    // Lower side: 1 − P(X ≤ x − 1), summed directly (few terms when λ is small).
    let term = Math.exp(-lambda);
    let cdf = term;
    for (let k = 1; k < x; k++) {
      term *= lambda / k;
      cdf += term;
    }
    return Math.max(0, 1 - cdf);
  }
  let logTerm = -lambda + x * Math.log(lambda) - lnFactorial(x);
  let sum = 0;
  for (let k = x; k < x + 10_000; k++) {
    const term = Math.exp(logTerm);
    sum += term;
    if (term < sum * 1e-12) break;
    logTerm += Math.log(lambda / (k + 1));
  }
  return Math.min(1, sum);
}

/** Smallest x with P(X ≥ x | λ) < p: the count a bucket must reach to be flagged. */
export function poissonThreshold(lambda: number, p: number): number {
  let x = Math.max(1, Math.ceil(lambda));
  while (poissonTail(x, lambda) >= p) x++;
  return x;
}
