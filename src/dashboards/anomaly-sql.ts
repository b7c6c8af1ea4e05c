import { DEFAULT_ANOMALY_THRESHOLDS, SEVERITIES, SQL_RULES, type AnomalyThresholds } from '../analytics/index.js';
import { literal, select, type TableRefs } from './sql.js';

/**
 * The anomalies SQL alone decides (lifecycle violations, deny storms): the analytics module's
 * own rule definitions rendered with Grafana's time macros, so this panel, Warden's API and
 * its alert loop answer the same on the same data. The statistical ones (rate spikes, loops,
 * new tools) come from Warden's API (/api/v1/anomalies), which Grafana cannot query without
 * another plugin. Ranked like the API: severity, then observed/threshold.
 */
export function sqlAnomaliesQuery(t: TableRefs, extraWhere: readonly string[] = [], thresholds: AnomalyThresholds = DEFAULT_ANOMALY_THRESHOLDS): string {
  const rules = Object.values(SQL_RULES).map((rule) => rule(thresholds, { toolCalls: t.toolCalls, mode: 'grafana', literal, extraWhere }).sql);
  return select({
    select: [
      'fromUnixTimestamp64Milli(start_ms) AS start',
      'fromUnixTimestamp64Milli(end_ms) AS end',
      'type', 'severity', 'agent', 'tool', 'observed', 'threshold', 'calls', 'sessions',
      "arrayStringConcat(sample_sessions, ', ') AS sample_sessions",
    ],
    from: `(\n${rules.join('\nUNION ALL\n')}\n)`,
    orderBy: [`indexOf([${SEVERITIES.map(literal).join(', ')}], severity) DESC`, 'observed / threshold DESC', 'start', 'agent', 'tool'],
    limit: 200,
  });
}
