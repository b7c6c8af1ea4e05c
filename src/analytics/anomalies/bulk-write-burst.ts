/**
 * bulk_write_burst: a write / execute / destructive tool called far more often in a rolling
 * window than its own history, or above a fixed ceiling whatever the history.
 * observed = largest rolling count (the limits' definition) in the episode;
 * baseline = median over the previous days of each day's busiest calendar minute
 *   (a median, so one earlier storm does not raise the bar);
 * threshold = min(ceiling, max(minCalls, factor × baseline)), or the ceiling without history.
 */
import { TOOL_CALLS_10M_BUCKET_MS, Tables } from '../../storage/index.js';
import { AGENT_FILTER, CALLS_ONCE, SERIES_KEY, boundTuples, runQuery, table, type AnalyticsContext, withSeriesNames } from '../context.js';
import type { TimeRange } from '../range.js';
import { median } from '../stats.js';
import { DAY_MS, burstSeverity, finishAnomaly, mergeEpisodes, seriesKey, type Flagged } from './common.js';
import type { Anomaly } from './types.js';

interface Scope {
  agent?: string | undefined;
}

interface BurstRow {
  agent: string;
  tool: string;
  m_ms: number;
  peak: number;
  first_ms: number;
  last_ms: number;
  n: number;
  spans: string[];
}

export async function detectBulkWriteBursts(ctx: AnalyticsContext, range: TimeRange, scope: Scope = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const windowMs = t.burstWindowS * 1000;
  const prefilter = Math.min(t.burstMinCalls, t.burstCeiling);
  const params = {
    from_ms: range.fromMs, to_ms: range.toMs, risks: t.burstRisks, agent: scope.agent ?? '',
    w_minus_1: windowMs - 1, window_ms: windowMs, min_c: prefilter, samples: t.samples,
    // A rolling window ending in minute m lies within minutes m - k … m.
    k: Math.ceil(windowMs / MINUTE_MS),
  };
  const candidates = await candidateMinutes(ctx, params);
  if (candidates.length === 0) return [];
  const rows = await burstRows(ctx, { ...params, ...candidateParams(candidates) });
  if (rows.length === 0) return [];
  const baselines = await dailyPeakMinutes(ctx, { ...params, ...candidateParams(candidates) });
  const perSeries = new Map<string, Flagged[]>();
  for (const r of rows) {
    const block = Math.floor((r.m_ms - range.fromMs) / DAY_MS);
    const history = baselines.get(seriesKey(r.agent, r.tool)) ?? new Map<number, number>();
    const prior: number[] = [];
    for (let d = block - Math.round(t.baselineLookbackMs / DAY_MS); d < block; d++) {
      const v = history.get(d);
      if (v !== undefined) prior.push(v);
    }
    const baseline = median(prior);
    const threshold = prior.length > 0 ? Math.min(t.burstCeiling, Math.max(t.burstMinCalls, Math.ceil(t.burstFactor * baseline))) : t.burstCeiling;
    if (r.peak < threshold) continue;
    const method = prior.length > 0
      ? `rolling ${t.burstWindowS}s count ≥ min(ceiling ${t.burstCeiling}, max(${t.burstMinCalls}, ${t.burstFactor} × median daily peak minute over ${prior.length} prior day(s)))`
      : `rolling ${t.burstWindowS}s count ≥ ceiling ${t.burstCeiling} (no prior history for a baseline)`;
    const list = perSeries.get(seriesKey(r.agent, r.tool)) ?? [];
    list.push({ startMs: r.first_ms - windowMs, endMs: r.last_ms, value: r.peak, threshold, baseline, method, calls: r.n, samples: r.spans });
    perSeries.set(seriesKey(r.agent, r.tool), list);
  }
  const out: Anomaly[] = [];
  for (const [key, flagged] of perSeries) {
    const [agent, tool] = key.split('\u0000') as [string, string];
    for (const e of mergeEpisodes(flagged, windowMs, t.samples)) {
      out.push(finishAnomaly({
        type: 'bulk_write_burst', severity: burstSeverity(e.value, e.threshold), agent, tool,
        startMs: Math.max(e.startMs, range.fromMs - windowMs), endMs: e.endMs,
        observed: e.value, baseline: e.baseline, threshold: e.threshold, method: e.method, calls: e.calls,
        explanation: `${agent} called ${tool} ${e.value} times within ${t.burstWindowS}s (threshold ${e.threshold}; usual busiest minute ${e.baseline})`,
        sample_span_ids: e.samples,
      }));
    }
  }
  return out;
}

const MINUTE_MS = 60_000;
const WHERE_BURST_RISK = `risk IN {risks:Array(String)} AND ${AGENT_FILTER}`;

interface Candidate {
  agent: string;
  tool: string;
  m: number;
}

/**
 * Minutes (epoch minutes) of the range whose calls could reach the rolling prefilter: the calls
 * of minutes m - k … m reach it. Only their calls are ordered after; a store without bursts
 * ends here after one aggregate. Counted without FINAL on a hashed series key (SERIES_KEY): a
 * redelivered copy can only add a candidate, and the ordered pass counts each span once.
 * Only the 10-minute buckets that could hold such a window are read (busyBuckets).
 */
async function candidateMinutes(ctx: AnalyticsContext, params: Record<string, unknown>): Promise<Candidate[]> {
  return runQuery<Candidate>(
    ctx,
    'bulk_write_burst candidate minutes',
    withSeriesNames(ctx, `SELECT s, m FROM (
       SELECT s, m, sum(n) OVER (PARTITION BY s ORDER BY m RANGE BETWEEN {k:UInt32} PRECEDING AND CURRENT ROW) AS rolling
       FROM (
         SELECT ${SERIES_KEY} AS s, intDiv(toUnixTimestamp64Milli(ts), ${MINUTE_MS}) AS m, count() AS n
         FROM ${table(ctx, Tables.TOOL_CALLS)}
         WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {window_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND ${WHERE_BURST_RISK}
           AND (${SERIES_KEY}, intDiv(toUnixTimestamp64Milli(ts), ${TOOL_CALLS_10M_BUCKET_MS})) IN (${busyBuckets(ctx)})
         GROUP BY s, m
       )
     ) WHERE rolling >= {min_c:UInt32} AND m >= intDiv({from_ms:Int64}, ${MINUTE_MS})`, '{window_ms:Int64}'),
    { ...params, j: Math.ceil(Number(params.window_ms) / TOOL_CALLS_10M_BUCKET_MS) },
  );
}

/**
 * (series key, 10-minute bucket) pairs whose calls, with the `j` buckets before, reach the
 * prefilter in the 10-minute rollup, each with those `j` buckets (a window ending in one reaches
 * back into them). The rollup counts every call of the series whatever its risk, and every copy
 * of a redelivered span: a superset of what the calls could reach, so no burst is skipped.
 * Rollup rows are windowed as stored: the RANGE frame takes in every row of a bucket, so a
 * bucket's rows in parts not merged yet sum as one (grouping them first cost 0.13 s of 0.18 s).
 */
function busyBuckets(ctx: AnalyticsContext): string {
  return `SELECT s, arrayJoin(range(b - {j:UInt32}, b + 1)) FROM (
             SELECT s, b, sum(n) OVER (PARTITION BY s ORDER BY b RANGE BETWEEN {j:UInt32} PRECEDING AND CURRENT ROW) AS reach FROM (
               SELECT ${SERIES_KEY} AS s, toInt64(intDiv(toUnixTimestamp(bucket) * 1000, ${TOOL_CALLS_10M_BUCKET_MS})) AS b, calls AS n
               FROM ${table(ctx, Tables.TOOL_CALLS_10M)}
               WHERE bucket > fromUnixTimestamp64Milli({from_ms:Int64} - {window_ms:Int64} - ${TOOL_CALLS_10M_BUCKET_MS}) AND bucket < fromUnixTimestamp64Milli({to_ms:Int64})
                 AND ${AGENT_FILTER})
           ) WHERE reach >= {min_c:UInt32}`;
}

function candidateParams(c: readonly Candidate[]): Record<string, unknown> {
  return { ca: c.map((x) => x.agent), ct: c.map((x) => x.tool), cm: c.map((x) => Number(x.m)) };
}

const IN_CANDIDATE_MINUTE = `(agent, tool, intDiv(toUnixTimestamp64Milli(ts), ${MINUTE_MS})) IN ${boundTuples([['ca', 'String'], ['ct', 'String'], ['cm', 'Int64']])}`;

/** Each candidate minute's largest rolling count (ms resolution), over its calls and the k minutes before, each call once. */
async function burstRows(ctx: AnalyticsContext, params: Record<string, unknown>): Promise<BurstRow[]> {
  return runQuery<BurstRow>(
    ctx,
    'bulk_write_burst detection',
    `SELECT agent, tool, toUnixTimestamp(toStartOfMinute(ts)) * 1000 AS m_ms, max(c) AS peak,
       toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms, count() AS n,
       groupArray({samples:UInt32})(span_id) AS spans
     FROM (
       SELECT agent, tool, ts, span_id,
         count() OVER (PARTITION BY agent, tool ORDER BY toUnixTimestamp64Milli(ts) RANGE BETWEEN {w_minus_1:UInt64} PRECEDING AND CURRENT ROW) AS c
       FROM (
         SELECT agent, tool, ts, span_id FROM ${table(ctx, Tables.TOOL_CALLS)}
         WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {window_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND ${WHERE_BURST_RISK}
           AND (agent, tool, intDiv(toUnixTimestamp64Milli(ts), ${MINUTE_MS})) IN (
             SELECT tupleElement(x, 1), tupleElement(x, 2), tupleElement(x, 3) - arrayJoin(range(toInt64({k:UInt32}) + 1))
             FROM (SELECT arrayJoin(arrayZip({ca:Array(String)}, {ct:Array(String)}, {cm:Array(Int64)})) AS x))
         LIMIT 1 BY span_id
       )
     )
     WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64}) AND c >= {min_c:UInt32} AND ${IN_CANDIDATE_MINUTE}
     GROUP BY agent, tool, m_ms ORDER BY agent, tool, m_ms`,
    params,
  );
}

/** (agent, tool) → day index relative to `from` (negative = before) → busiest calendar minute that day (calls counted once), for the candidates' series. */
async function dailyPeakMinutes(ctx: AnalyticsContext, params: Record<string, unknown>): Promise<Map<string, Map<number, number>>> {
  const rows = await runQuery<{ agent: string; tool: string; day: number; peak: number }>(
    ctx,
    'bulk_write_burst baseline',
    `SELECT any(agent_name) AS agent, any(tool_name) AS tool, toInt64(floor((m_ms - {from_ms:Int64}) / 86400000)) AS day, max(n) AS peak
     FROM (
       SELECT ${SERIES_KEY} AS s, any(agent) AS agent_name, any(tool) AS tool_name, intDiv(toUnixTimestamp64Milli(ts), ${MINUTE_MS}) * ${MINUTE_MS} AS m_ms, ${CALLS_ONCE} AS n
       FROM ${table(ctx, Tables.TOOL_CALLS)}
       WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {lookback_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND ${WHERE_BURST_RISK}
         AND (agent, tool) IN ${boundTuples([['ca', 'String'], ['ct', 'String']])}
       GROUP BY s, m_ms
     ) GROUP BY s, day`,
    { ...params, lookback_ms: ctx.config.anomalies.baselineLookbackMs },
  );
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const key = seriesKey(r.agent, r.tool);
    const m = out.get(key) ?? new Map<number, number>();
    m.set(r.day, r.peak);
    out.set(key, m);
  }
  return out;
}
