/**
 * rate_spike: an agent+tool's calls per bucket (10 min by default) far above its own history.
 * Baseline: the active buckets (≥ 1 call) in the lookback before each day-block (trailing,
 * see common.ts), so idle nights do not drag the median to zero.
 * - median ≥ spikePoissonBelow: robust z = (x − median)/(1.4826·MAD) ≥ spikeZ;
 * - smaller medians: Poisson tail P(X ≥ x | λ = mean active bucket) < spikeP, because z-scores
 *   over counts of 0–4 mislead.
 * Either way x must also reach spikeMinCalls and spikeMinRatio × median.
 */
import { TOOL_CALLS_10M_BUCKET_MS, Tables } from '../../storage/index.js';
import { AGENT_FILTER, SERIES_KEY, boundTuples, runQuery, table, toolCallsFinal, type AnalyticsContext, withSeriesNames } from '../context.js';
import type { TimeRange } from '../range.js';
import { mad, median, poissonThreshold, robustZ, sum } from '../stats.js';
import { BucketSeries } from './bucket-series.js';
import { dayBlocks, finishAnomaly, mergeEpisodes, seriesKey, severityByRatio, splitKey, type Flagged } from './common.js';
import { sampleEpisodes } from './samples.js';
import type { Anomaly, DetectorScope } from './types.js';

interface Judgement {
  threshold: number;
  baseline: number;
  method: string;
}

export function spikeThreshold(prior: readonly number[] | Float64Array, t: AnalyticsContext['config']['anomalies']): Judgement | undefined {
  if (prior.length < t.spikeMinBuckets) return undefined;
  const med = median(prior);
  const floor = Math.max(t.spikeMinCalls, Math.ceil(t.spikeMinRatio * med));
  if (med >= t.spikePoissonBelow) {
    const m = mad(prior, med);
    const { scale } = robustZ(med, med, m);
    const threshold = Math.max(floor, Math.ceil(med + t.spikeZ * scale));
    return { threshold, baseline: med, method: `robust z ≥ ${t.spikeZ} (median ${med}, MAD ${m}, ${prior.length} active buckets)` };
  }
  const lambda = sum(prior) / prior.length;
  const threshold = Math.max(floor, poissonThreshold(lambda, t.spikeP));
  return { threshold, baseline: med, method: `Poisson tail P(X ≥ x | λ=${lambda.toFixed(2)}) < ${t.spikeP} (median ${med} < ${t.spikePoissonBelow}, ${prior.length} active buckets)` };
}

type Bucket = { b: number; n: number };
type Candidate = { key: string; bucket: Bucket; judged: Judgement };

export async function detectRateSpikes(ctx: AnalyticsContext, range: TimeRange, scope: DetectorScope = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const bucketMs = t.spikeBucketS * 1000;
  const candidates = judgeSeries(await bucketSeries(ctx, range, scope.agent, bucketMs), range, t, bucketMs);
  const exact = await exactCounts(ctx, candidates, bucketMs, range.toMs);
  const flaggedBySeries = new Map<string, Flagged[]>();
  candidates.forEach(({ key, bucket, judged }, i) => {
    const n = exact[i] ?? 0;
    if (n < judged.threshold) return;
    const flagged = flaggedBySeries.get(key) ?? [];
    flagged.push({ startMs: bucket.b, endMs: bucket.b + bucketMs, value: n, calls: n, samples: [], ...judged });
    flaggedBySeries.set(key, flagged);
  });
  const found: Array<{ key: string; e: Flagged }> = [];
  for (const [key, flagged] of flaggedBySeries) for (const e of mergeEpisodes(flagged, 0, t.samples)) found.push({ key, e });
  const refs = found.map(({ key, e }) => {
    const [agent, tool] = splitKey(key);
    return { agent, tool, startMs: e.startMs, endMs: e.endMs };
  });
  const samples = scope.samples === false ? [] : await sampleEpisodes(ctx, refs, t.samples);
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

/**
 * Calls per bucket of every series with a bucket in the range big enough to be a spike, over
 * the range and its lookback. Read from the 10-minute rollup, which counts every copy of a
 * redelivered span: a count here can only be too high, which can only add a candidate (each
 * is recounted exactly) or raise a baseline by no more than spans anyone with ingest access
 * could add under new ids. Grouped on the hashed series key (SERIES_KEY).
 */
async function bucketSeries(ctx: AnalyticsContext, range: TimeRange, agent: string | undefined, bucketMs: number): Promise<Map<string, BucketSeries>> {
  const t = ctx.config.anomalies;
  const rows = await runQuery<{ agent: string; tool: string; b: number[]; n: number[] }>(
    ctx,
    'rate_spike detection',
    withSeriesNames(ctx, `SELECT s, arraySort(groupArray(bn)) AS b, arraySort((c, x) -> x, groupArray(cnt), groupArray(bn)) AS n FROM (
       ${bucketMs % TOOL_CALLS_10M_BUCKET_MS === 0 ? fromRollup(ctx) : fromCalls(ctx)}
     ) GROUP BY s
     HAVING sumIf(cnt, (bn + 1) * {bucket_ms:Int64} > {from_ms:Int64}) >= {min_calls:UInt32}`, '{lookback_ms:Int64}'),
    { from_ms: range.fromMs, to_ms: range.toMs, lookback_ms: t.baselineLookbackMs, bucket_ms: bucketMs, min_calls: t.spikeMinCalls, agent: agent ?? '' },
  );
  const series = new Map<string, BucketSeries>();
  for (const r of rows) series.set(seriesKey(r.agent, r.tool), new BucketSeries(r.b, r.n, bucketMs));
  return series;
}

const SERIES = `${SERIES_KEY} AS s`;

/**
 * Rollup rows (series key `s`, bucket number `bn`: epoch ms / bucket_ms) whose 10 minutes
 * overlap [from − lookback, to), as stored: a bucket's rows in parts not merged yet are summed
 * by BucketSeries. A GROUP BY (series, bucket) here cost more than the rest of the read (a busy
 * month's rollup holds 1.4 M rows, nearly one per series and bucket); bucket numbers, unlike
 * epoch milliseconds, are small integers, which JSON.parse stores unboxed.
 */
function fromRollup(ctx: AnalyticsContext): string {
  return `SELECT ${SERIES}, intDiv(toUnixTimestamp(bucket) * 1000, {bucket_ms:Int64}) AS bn, calls AS cnt
       FROM ${table(ctx, Tables.TOOL_CALLS_10M)}
       WHERE bucket > fromUnixTimestamp64Milli({from_ms:Int64} - {lookback_ms:Int64} - ${TOOL_CALLS_10M_BUCKET_MS}) AND bucket < fromUnixTimestamp64Milli({to_ms:Int64}) AND ${AGENT_FILTER}`;
}

/** Any other bucket size: the calls themselves, without FINAL (copies count, as in the rollup). */
function fromCalls(ctx: AnalyticsContext): string {
  return `SELECT ${SERIES}, intDiv(toUnixTimestamp64Milli(ts), {bucket_ms:Int64}) AS bn, count() AS cnt
       FROM ${table(ctx, Tables.TOOL_CALLS)}
       WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {lookback_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND ${AGENT_FILTER}
       GROUP BY s, bn`;
}

/**
 * The buckets in the range at or over their day-block's threshold, judged on the counts given
 * (a block's current and prior buckets are found by binary search in the series' time order).
 */
function judgeSeries(series: ReadonlyMap<string, BucketSeries>, range: TimeRange, t: AnalyticsContext['config']['anomalies'], bucketMs: number): Candidate[] {
  const out: Candidate[] = [];
  for (const [key, buckets] of series) {
    const seen = new Set<number>();
    for (const block of dayBlocks(range)) {
      // current: b + bucketMs > max(block start, range start) and b < block end
      const [lo, hi] = [buckets.firstAfter(Math.max(block.startMs, range.fromMs) - bucketMs), buckets.firstAtOrAfter(block.endMs)];
      if (!buckets.counts(lo, hi).some((n) => n >= t.spikeMinCalls)) continue;
      // prior: b ≥ block start − lookback and b + bucketMs ≤ block start
      const judged = spikeThreshold(buckets.counts(buckets.firstAtOrAfter(block.startMs - t.baselineLookbackMs), buckets.firstAfter(block.startMs - bucketMs)), t);
      if (!judged) continue;
      for (let i = lo; i < hi; i++) {
        const bucket = { b: buckets.startAt(i), n: buckets.countAt(i) };
        if (bucket.n < judged.threshold || seen.has(bucket.b)) continue;
        seen.add(bucket.b);
        out.push({ key, bucket, judged });
      }
    }
  }
  return out;
}

/** Each candidate bucket's calls, each span once (FINAL), read only for the candidates' series and buckets. */
async function exactCounts(ctx: AnalyticsContext, candidates: readonly Candidate[], bucketMs: number, toMs: number): Promise<number[]> {
  if (candidates.length === 0) return [];
  const keys = candidates.map((c) => splitKey(c.key));
  const starts = candidates.map((c) => c.bucket.b);
  const lo = starts.reduce((a, b) => Math.min(a, b));
  const hi = starts.reduce((a, b) => Math.max(a, b)) + bucketMs;
  const rows = await runQuery<{ agent: string; tool: string; b_ms: number; n: number }>(
    ctx,
    'rate_spike exact counts',
    `SELECT agent, tool, intDiv(toUnixTimestamp64Milli(ts), {bucket_ms:Int64}) * {bucket_ms:Int64} AS b_ms, count() AS n
     FROM ${toolCallsFinal(ctx)}
     WHERE ts >= fromUnixTimestamp64Milli({lo:Int64}) AND ts < fromUnixTimestamp64Milli({hi:Int64})
       AND (agent, tool) IN ${boundTuples([['ca', 'String'], ['ct', 'String']])}
       AND (agent, tool, b_ms) IN ${boundTuples([['ca', 'String'], ['ct', 'String'], ['cb', 'Int64']])}
     GROUP BY agent, tool, b_ms`,
    {
      bucket_ms: bucketMs, lo, hi: Math.min(toMs, hi),
      ca: keys.map(([a]) => a), ct: keys.map(([, tl]) => tl), cb: starts,
    },
  );
  const counts = new Map(rows.map((r) => [`${seriesKey(r.agent, r.tool)}\u0000${r.b_ms}`, Number(r.n)]));
  return candidates.map((c) => counts.get(`${c.key}\u0000${c.bucket.b}`) ?? 0);
}
