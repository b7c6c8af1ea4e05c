/**
 * new_tool: an agent calls a tool it never called in the lookback before (Elastic's "rare"
 * idea). The agent itself must have a history (seen at least newToolMinHistoryMs before),
 * otherwise a new agent would flag every tool it uses.
 */
import { TOOL_CALLS_10M_BUCKET_MS, Tables } from '../../storage/index.js';
import { AGENT_FILTER, SERIES_KEY, boundTuples, runQuery, table, toolCallsFinal, type AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';
import { finishAnomaly, severityByRisk } from './common.js';
import type { Anomaly } from './types.js';

/**
 * The series with calls that may fall in the range and none that surely fall in the lookback
 * before it, from the 10-minute rollup: a bucket lying wholly inside [from − lookback, from)
 * proves a call there, so its series is not new. Only these are looked for in the calls. The
 * rollup can only prove a call (never hide one), so no new tool is missed; reading the first
 * call of every series from the calls themselves took 0.1–0.16 s for a day and its week of
 * lookback on a busy store, the rollup a few hundredths.
 */
async function unprovenSeries(ctx: AnalyticsContext, params: Record<string, unknown>): Promise<Array<{ agent: string; tool: string }>> {
  return runQuery(ctx, 'new_tool candidates',
    `SELECT agent_name AS agent, tool_name AS tool FROM (
     SELECT any(agent) AS agent_name, any(tool) AS tool_name FROM ${table(ctx, Tables.TOOL_CALLS_10M)}
     WHERE bucket > fromUnixTimestamp64Milli({from_ms:Int64} - {lookback_ms:Int64} - ${TOOL_CALLS_10M_BUCKET_MS}) AND bucket < fromUnixTimestamp64Milli({to_ms:Int64}) AND ${AGENT_FILTER}
     GROUP BY ${SERIES_KEY}
     HAVING countIf(toUnixTimestamp(bucket) * 1000 + ${TOOL_CALLS_10M_BUCKET_MS} > {from_ms:Int64}) > 0
       AND countIf(toUnixTimestamp(bucket) * 1000 >= {from_ms:Int64} - {lookback_ms:Int64} AND toUnixTimestamp(bucket) * 1000 + ${TOOL_CALLS_10M_BUCKET_MS} <= {from_ms:Int64}) = 0)`,
    params);
}

export async function detectNewTools(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const params = { from_ms: range.fromMs, to_ms: range.toMs, lookback_ms: t.baselineLookbackMs, min_history_ms: t.newToolMinHistoryMs, agent: scope.agent ?? '' };
  const candidates = await unprovenSeries(ctx, params);
  if (candidates.length === 0) return [];
  // First uses of the candidates and of their agents (min is unaffected by a redelivered span, so
  // no FINAL): the sorting key starts with the agent, so only those agents' calls are read.
  const firsts = await runQuery<{ agent: string; tool: string; first_ms: number; agent_first_ms: number }>(
    ctx,
    'new_tool detection',
    `SELECT agent, tool, first_ms, agent_first_ms FROM (
       SELECT agent_name AS agent, tool_name AS tool, first_ms, min(first_ms) OVER (PARTITION BY agent_name) AS agent_first_ms FROM (
         SELECT any(agent) AS agent_name, any(tool) AS tool_name, toUnixTimestamp64Milli(min(ts)) AS first_ms
         FROM ${table(ctx, Tables.TOOL_CALLS)}
         WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64} - {lookback_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64})
           AND agent IN {ca:Array(String)}
         GROUP BY ${SERIES_KEY}
       )
     ) WHERE first_ms >= {from_ms:Int64} AND first_ms - agent_first_ms >= {min_history_ms:Int64}
       AND (agent, tool) IN ${boundTuples([['ca', 'String'], ['ct', 'String']])}`,
    { ...params, ca: candidates.map((c) => c.agent), ct: candidates.map((c) => c.tool) },
  );
  if (firsts.length === 0) return [];
  const details = await runQuery<{ agent: string; tool: string; last_ms: number; n: number; risk: string; spans: string[] }>(
    ctx,
    'new_tool details',
    `SELECT agent, tool, toUnixTimestamp64Milli(max(ts)) AS last_ms, count() AS n, anyLast(risk) AS risk, groupArray({samples:UInt32})(span_id) AS spans
     FROM ${toolCallsFinal(ctx)}
     WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND (agent, tool) IN ${boundTuples([['pa', 'String'], ['pt', 'String']])}
     GROUP BY agent, tool`,
    { from_ms: range.fromMs, to_ms: range.toMs, pa: firsts.map((f) => f.agent), pt: firsts.map((f) => f.tool), samples: t.samples },
  );
  const days = Math.round(t.baselineLookbackMs / 86_400_000);
  return firsts.flatMap((f) => {
    const r = details.find((d) => d.agent === f.agent && d.tool === f.tool);
    if (!r) return [];
    return [finishAnomaly({
      type: 'new_tool', severity: severityByRisk(r.risk), agent: f.agent, tool: f.tool,
      startMs: f.first_ms, endMs: r.last_ms + 1, observed: r.n, baseline: 0, threshold: 1, calls: r.n,
      method: `first call of this tool by this agent in ${days} days (agent seen since ${new Date(f.agent_first_ms).toISOString()})`,
      explanation: `${f.agent} started calling ${f.tool}${r.risk ? ` (${r.risk})` : ''}: ${r.n} call(s), none in the previous ${days} days`,
      sample_span_ids: r.spans,
    })];
  });
}
