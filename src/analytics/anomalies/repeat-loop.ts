/**
 * repeat_loop: the same tool with the same arguments hash N or more times in a row within one
 * session (the whole agent stream when there is no session id). Sessions are pre-selected by a
 * hashed (agent, session) key, so the ordered pass runs only where a repeat is possible. Arguments that were not
 * recorded (empty hash) are never compared: name-only keys would flag legitimate exploration.
 */
import { runQuery, toolCallsFinal, type AnalyticsContext } from '../context.js';
import { rangeParams, type TimeRange } from '../range.js';
import { finishAnomaly, severityByRatio } from './common.js';
import type { Anomaly } from './types.js';

export async function detectRepeatLoops(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const rows = await runQuery<{ agent: string; session: string; tool: string; n: number; first_ms: number; last_ms: number; spans: string[] }>(
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
         WHERE ${'ts >= fromUnixTimestamp64Milli({from_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64})'}
           AND ({agent:String} = '' OR agent = {agent:String})
           AND cityHash64(agent, session) IN (
             SELECT k FROM ${toolCallsFinal(ctx)}
             WHERE ts >= fromUnixTimestamp64Milli({from_ms:Int64}) AND ts < fromUnixTimestamp64Milli({to_ms:Int64}) AND args_hash != ''
               AND ({agent:String} = '' OR agent = {agent:String})
             GROUP BY cityHash64(agent, session) AS k, cityHash64(tool, args_hash) HAVING count() >= {run:UInt32})
       )
     )
     WHERE args_hash != ''
     GROUP BY agent, session, tool, args_hash, run HAVING n >= {run:UInt32}
     ORDER BY agent, first_ms`,
    { ...rangeParams(range), agent: scope.agent ?? '', run: t.repeatRun, samples: t.samples },
  );
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
