/**
 * deny_storm: an agent keeps calling a tool that is being refused in enforce mode. The rule
 * itself lives in sql-rules.ts (shared with the dashboards and alerts).
 */
import type { AnalyticsContext } from '../context.js';
import type { TimeRange } from '../range.js';
import { ruleAnomaly, ruleRows } from './sql-detect.js';
import type { Anomaly } from './types.js';

export async function detectDenyStorms(ctx: AnalyticsContext, range: TimeRange, scope: { agent?: string | undefined } = {}): Promise<Anomaly[]> {
  const t = ctx.config.anomalies;
  const rows = await ruleRows(ctx, 'deny_storm', range, scope.agent);
  return rows.map((r) =>
    ruleAnomaly(r, {
      baseline: 0,
      method: `enforced refusals of one agent+tool in a rolling ${t.denyWindowS}s window ≥ ${t.denyStorm}`,
      explanation: `${r.agent} kept calling ${r.tool} after being refused: ${r.observed} enforced refusals within ${t.denyWindowS}s (${r.calls} call(s) at or above the threshold)`,
    }),
  );
}
