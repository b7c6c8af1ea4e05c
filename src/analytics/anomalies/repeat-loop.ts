/**
 * repeat_loop: the same tool with the same arguments hash N or more times in a row within one
 * session (the whole agent stream when there is no session id). Sessions are pre-selected by a
 * hashed (agent, session) key, so the ordered pass runs only where a repeat is possible. Arguments that were not
 * recorded (empty hash) are never compared: name-only keys would flag legitimate exploration.
 *
 * The ordered pass holds a whole session in memory, so when the candidate sessions hold many
 * calls they are split into passes over disjoint sets of sessions (by the same hash): each pass
 * stays within a query's memory share however many calls the range holds, as long as no single
 * session is that large.
 */
import { IN_RANGE, runQuery, toolCallsFinal, type AnalyticsContext } from '../context.js';
import { rangeParams, type TimeRange } from '../range.js';
import { finishAnomaly, severityByRatio } from './common.js';
import type { Anomaly } from './types.js';

interface LoopRow { agent: string; session: string; tool: string; n: number; first_ms: number; last_ms: number; spans: string[] }

export async function detectRepeatLoops(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const params = { ...rangeParams(range), agent: scope.agent ?? '', run: t.repeatRun, samples: t.samples };
  // Calls in the sessions where a run is possible at all: usually few, and then one pass.
  const [size] = await runQuery<{ n: number }>(ctx, 'repeat_loop sizing',
    `SELECT sum(calls) AS n FROM (
       SELECT sum(c) AS calls, max(c) AS top FROM (
         SELECT cityHash64(agent, session) AS k, count() AS c FROM ${toolCallsFinal(ctx)}
         WHERE ${IN_RANGE} AND args_hash != '' AND ({agent:String} = '' OR agent = {agent:String})
         GROUP BY k, cityHash64(tool, args_hash))
       GROUP BY k HAVING top >= {run:UInt32})`, params);
  const passes = Math.max(1, Math.ceil(Number(size?.n ?? 0) / t.repeatPassCalls));
  const rows: LoopRow[] = [];
  for (let pass = 0; pass < passes; pass++) rows.push(...(await loopsInPass(ctx, { ...params, passes, pass })));
  rows.sort((a, b) => a.agent.localeCompare(b.agent) || a.first_ms - b.first_ms);
  return rows.map((r) =>
    finishAnomaly({
      type: 'repeat_loop', severity: severityByRatio(r.n, t.repeatRun), agent: r.agent, tool: r.tool,
      ...(r.session ? { session: r.session } : {}),
      startMs: r.first_ms, endMs: r.last_ms + 1, observed: r.n, baseline: 1, threshold: t.repeatRun, calls: r.n,
      method: `identical (tool, args hash) calls in a row per session ≥ ${t.repeatRun}`,
      explanation: `${r.agent} called ${r.tool} with identical arguments ${r.n} times in a row${r.session ? ` in session ${r.session}` : ''}`,
      sample_span_ids: r.spans,
    }),
  );
}

/** The runs in the sessions whose hash falls in this pass. */
function loopsInPass(ctx: AnalyticsContext, params: Record<string, unknown>): Promise<LoopRow[]> {
  const inPass = 'cityHash64(agent, session) % {passes:UInt32} = {pass:UInt32}';
  return runQuery<LoopRow>(
    ctx,
    'repeat_loop detection',
    `SELECT agent, session, tool, count() AS n, toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms,
       groupArray({samples:UInt32})(span_id) AS spans
     FROM (
       SELECT agent, session, tool, args_hash, ts, span_id,
         sum(changed) OVER (PARTITION BY agent, session ORDER BY ts, span_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
       FROM (
         SELECT agent, session, tool, args_hash, ts, span_id,
           (tool, args_hash) != lagInFrame((tool, args_hash), 1, ('', '')) OVER (PARTITION BY agent, session ORDER BY ts, span_id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS changed
         FROM ${toolCallsFinal(ctx)}
         WHERE ${IN_RANGE} AND ({agent:String} = '' OR agent = {agent:String}) AND ${inPass}
           AND cityHash64(agent, session) IN (
             SELECT k FROM ${toolCallsFinal(ctx)}
             WHERE ${IN_RANGE} AND args_hash != '' AND ({agent:String} = '' OR agent = {agent:String}) AND ${inPass}
             GROUP BY cityHash64(agent, session) AS k, cityHash64(tool, args_hash) HAVING count() >= {run:UInt32})
       )
     )
     WHERE args_hash != ''
     GROUP BY agent, session, tool, args_hash, run HAVING n >= {run:UInt32}`,
    params,
  );
}
