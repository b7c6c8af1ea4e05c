/**
 * rate_spike: an agent+tool's calls per bucket (10 min by default) far above its own history.
 * Baseline: the active buckets (≥ 1 call) in the lookback before each day-block (trailing,
 * see common.ts), so idle nights do not drag the median to zero.
 * - median ≥ spikePoissonBelow: robust z = (x − median)/(1.4826·MAD) ≥ spikeZ;
 * - smaller medians: Poisson tail P(X ≥ x | λ = mean active bucket) < spikeP, because z-scores
 *   over counts of 0–4 mislead.
 * Either way x must also reach spikeMinCalls and spikeMinRatio × median.
 */
import { Tables } from '../../storage/index.js';
import { runQuery, table, toolCallsFinal, type AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';
import { mad, median, poissonThreshold, robustZ } from '../stats.js';
import { dayBlocks, finishAnomaly, mergeEpisodes, seriesKey, severityByRatio, splitKey, type Flagged } from './common.js';
import { sampleEpisodes } from './samples.js';
import type { Anomaly } from './types.js';

interface Judgement {
  threshold: number;
  baseline: number;
  method: string;
}

export function spikeThreshold(prior: readonly number[], t: AnalyticsContext['config']['anomalies']): Judgement | undefined {
  if (prior.length < t.spikeMinBuckets) return undefined;
  const med = median(prior);
  const floor = Math.max(t.spikeMinCalls, Math.ceil(t.spikeMinRatio * med));
  if (med >= t.spikePoissonBelow) {
    const m = mad(prior, med);
    const { scale } = robustZ(med, med, m);
    const threshold = Math.max(floor, Math.ceil(med + t.spikeZ * scale));
    return { threshold, baseline: med, method: `robust z ≥ ${t.spikeZ} (median ${med}, MAD ${m}, ${prior.length} active buckets)` };
  }
  const lambda = prior.reduce((a, b) => a + b, 0) / prior.length;
  const threshold = Math.max(floor, poissonThreshold(lambda, t.spikeP));
  return { threshold, baseline: med, method: `Poisson tail P(X ≥ x | λ=${lambda.toFixed(2)}) < ${t.spikeP} (median ${med} < ${t.spikePoissonBelow}, ${prior.length} active buckets)` };
}

export async function detectRateSpikes(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const bucketMs = t.spikeBucketS * 1000;
  // Only series with a bucket in the range big enough to be a spike need their history.
  const rows = await runQuery<{ agent: string; tool: string; b: number[]; n: number[] }>(
    ctx,
    'rate_spike detection',
    // History counts each call once (FINAL: measured faster here than distinct span-id hashes,
    // whose sets grow with the 10-minute buckets); the series prefilter reads without FINAL, as
    // an over-counted redelivered span only lets a series through to the exact count.
    `SELECT agent, tool, groupArray(b_ms) AS b, groupArray(cnt) AS n FROM (
       SELECT agent, tool, intDiv(toUnixTimestamp64Milli(ts), {bucket_ms:Int64}) * {bucket_ms:Int64} AS b_ms, count() AS cnt
       FROM ${toolCallsFinal(ctx)}
       WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {lookback_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64})
         AND (agent, tool) IN (
           SELECT agent, tool FROM (
             SELECT agent, tool, intDiv(toUnixTimestamp64Milli(ts), {bucket_ms:Int64}) AS b, count() AS c FROM ${table(ctx, Tables.TOOL_CALLS)}
             WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND ({agent:String} = '' OR agent = {agent:String})
             GROUP BY agent, tool, b
           ) GROUP BY agent, tool HAVING max(c) >= {min_calls:UInt32})
       GROUP BY agent, tool, b_ms ORDER BY agent, tool, b_ms
     ) GROUP BY agent, tool`,
    { from_ms: range.fromMs, to_ms: range.toMs, lookback_ms: t.baselineLookbackMs, bucket_ms: bucketMs, min_calls: t.spikeMinCalls, agent: scope.agent ?? '' },
  );
  const series = new Map<string, Array<{ b: number; n: number }>>();
  for (const r of rows) series.set(seriesKey(r.agent, r.tool), r.b.map((b, i) => ({ b, n: r.n[i] ?? 0 })));
  const found: Array<{ key: string; e: Flagged }> = [];
  for (const [key, buckets] of series) {
    const flagged: Flagged[] = [];
    for (const block of dayBlocks(range)) {
      const current = buckets.filter((x) => x.b + bucketMs > block.startMs && x.b < block.endMs && x.b + bucketMs > range.fromMs);
      if (!current.some((x) => x.n >= t.spikeMinCalls)) continue;
      const prior = buckets.filter((x) => x.b >= block.startMs - t.baselineLookbackMs && x.b + bucketMs <= block.startMs).map((x) => x.n);
      const judged = spikeThreshold(prior, t);
      if (!judged) continue;
      for (const x of current) {
        if (x.n >= judged.threshold && !flagged.some((f) => f.startMs === x.b)) {
          flagged.push({ startMs: x.b, endMs: x.b + bucketMs, value: x.n, calls: x.n, samples: [], ...judged });
        }
      }
    }
    for (const e of mergeEpisodes(flagged, 0, t.samples)) found.push({ key, e });
  }
  const refs = found.map(({ key, e }) => {
    const [agent, tool] = splitKey(key);
    return { agent, tool, startMs: e.startMs, endMs: e.endMs };
  });
  const samples = await sampleEpisodes(ctx, refs, t.samples);
  return found.map(({ e }, i) => {
    const ref = refs[i] as (typeof refs)[number];
    return finishAnomaly({
      type: 'rate_spike', severity: severityByRatio(e.value, e.threshold), agent: ref.agent, tool: ref.tool,
      startMs: e.startMs, endMs: e.endMs, observed: e.value, baseline: e.baseline, threshold: e.threshold,
      method: e.method, calls: samples[i]?.calls ?? e.calls,
      explanation: `${ref.agent} called ${ref.tool} ${e.value} times in ${t.spikeBucketS / 60} min; its usual active ${t.spikeBucketS / 60}-min bucket has ${e.baseline}`,
      sample_span_ids: samples[i]?.spans ?? [],
    });
  });
}
