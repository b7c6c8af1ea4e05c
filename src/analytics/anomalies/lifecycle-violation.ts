/**
 * lifecycle_violation: a lifecycle tool (session_start / session_close by default) called
 * more than once in one MCP session. Calls without a session id cannot be judged and are
 * skipped. The flag starts at the second call: everything from there on is the violation.
 */
import { IN_RANGE, runQuery, toolCallsFinal, type AnalyticsContext } from '../context.js';
import { rangeParams, type TimeRange } from '../range.js';
import { finishAnomaly, severityByRatio } from './common.js';
import type { Anomaly } from './types.js';

export async function detectLifecycleViolations(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  if (t.lifecycleTools.length === 0) return [];
  const rows = await runQuery<{ agent: string; session: string; tool: string; n: number; second_ms: number; last_ms: number; spans: string[] }>(
    ctx,
    'lifecycle_violation detection',
    `SELECT agent, session, tool, count() AS n,
       toUnixTimestamp64Milli(arraySort(groupArray(ts))[2]) AS second_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms,
       groupArray({samples:UInt32})(span_id) AS spans
     FROM ${toolCallsFinal(ctx)}
     WHERE ${IN_RANGE} AND session != '' AND has({tools:Array(String)}, tool) AND ({agent:String} = '' OR agent = {agent:String})
       AND cityHash64(agent, session, tool) IN (
         SELECT k FROM ${toolCallsFinal(ctx)}
         WHERE ${IN_RANGE} AND session != '' AND has({tools:Array(String)}, tool) AND ({agent:String} = '' OR agent = {agent:String})
         GROUP BY cityHash64(agent, session, tool) AS k HAVING count() > 1)
     GROUP BY agent, session, tool HAVING n > 1
     ORDER BY agent, second_ms`,
    { ...rangeParams(range), tools: t.lifecycleTools, agent: scope.agent ?? '', samples: t.samples },
  );
  return rows.map((r) =>
    finishAnomaly({
      type: 'lifecycle_violation', severity: r.n >= 10 ? severityByRatio(r.n, 1) : 'medium',
      agent: r.agent, tool: r.tool, session: r.session, startMs: r.second_ms, endMs: r.last_ms,
      observed: r.n, baseline: 1, threshold: 2, calls: r.n - 1,
      method: `count of ${r.tool} per MCP session > 1`,
      explanation: `${r.agent} called ${r.tool} ${r.n} times in session ${r.session}; a session has one ${r.tool}`,
      sample_span_ids: r.spans,
    }),
  );
}
