// Rates computed in plain JS over the generated calls, with the definition rates.ts documents.
import type { GeneratedCall } from '../../../examples/workload/generate.js';

export interface BruteRate {
  agent: string; tool: string; calls: number; mean_per_window: number; p50: number; p95: number; p99: number; max_per_window: number; window_s: number;
}

function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export function bruteForceRates(calls: readonly GeneratedCall[], fromMs: number, toMs: number, windowS: number): BruteRate[] {
  const w = windowS * 1000;
  const byKey = new Map<string, number[]>();
  for (const c of calls) {
    if (c.tsMs < fromMs - w || c.tsMs >= toMs) continue;
    const key = `${c.agent}\u0000${c.tool}`;
    byKey.set(key, [...(byKey.get(key) ?? []), c.tsMs]);
  }
  const out: BruteRate[] = [];
  for (const [key, times] of byKey) {
    times.sort((a, b) => a - b);
    // (t − w, t] at ms resolution: everything ≤ t minus everything ≤ t − w.
    const counts = times.filter((t) => t >= fromMs).map((t) => upperBound(times, t) - upperBound(times, t - w));
    if (counts.length === 0) continue;
    counts.sort((a, b) => a - b);
    const [agent, tool] = key.split('\u0000') as [string, string];
    out.push({
      agent, tool, calls: counts.length, mean_per_window: Math.round((counts.length / ((toMs - fromMs) / w)) * 1e4) / 1e4,
      p50: quantile(counts, 0.5), p95: quantile(counts, 0.95), p99: quantile(counts, 0.99), max_per_window: counts[counts.length - 1] as number, window_s: windowS,
    });
  }
  return out.sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0));
}
