/**
 * lifecycle_violation: a lifecycle tool called more than once in one MCP session, one flag per
 * agent and tool. The rule itself lives in sql-rules.ts (shared with the dashboards and alerts).
 */
import type { AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';
import { ruleAnomaly, ruleRows } from './sql-detect.js';
import type { Anomaly } from './types.js';

export async function detectLifecycleViolations(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  if (ctx.config.anomalies.lifecycleTools.length === 0) return [];
  const rows = await ruleRows(ctx, 'lifecycle_violation', range, scope.agent);
  return rows.map((r) =>
    ruleAnomaly(r, {
      baseline: 1,
      method: `count of ${r.tool} per MCP session > 1, per agent and tool (observed: the worst session's count)`,
      explanation: `${r.agent} called ${r.tool} more than once in ${r.sessions} session(s), ${r.calls} extra call(s), up to ${r.observed} in one session; a session has one ${r.tool}`,
    }),
  );
}
