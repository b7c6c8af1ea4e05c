/**
 * The one place alert rules are defined for both evaluators: Warden's alert loop and the
 * Grafana alert rules that src/dashboards provisions. A metric rule yields the SQL Warden
 * runs (bound parameters) and the SQL Grafana runs (plugin macros) from the same pieces.
 * Anomaly rules need the analytics detectors, so only Warden evaluates them.
 */
import { grafanaMetricQuery, wardenMetricQuery, type BoundQuery, type GrafanaMetricQuery } from './sql.js';
import { isMetricCondition, type AlertCondition, type AlertRule } from './types.js';

export { DEFAULT_ALERT_RULES, DEFAULT_ALERT_RULES_FILE, defaultAlertConfig } from './parse.js';
export type { AlertRule, AlertConfig, AlertCondition, MetricCondition, AnomalyCondition, AlertTarget } from './types.js';
export { METRIC_WINDOW_S, grafanaMetricQuery, wardenMetricQuery } from './sql.js';
export type { BoundQuery, GrafanaMetricQuery } from './sql.js';

export interface AlertRuleDefinition {
  rule: AlertRule;
  /** Labels every notification of this rule carries (Alertmanager-style names). */
  labels: Record<string, string>;
  /** A one-line description of the condition, e.g. "calls/min (rolling 60 s) > 60 where risk in write, execute". */
  summary: string;
  /** For metric rules: the Grafana query and threshold; undefined for anomaly rules. */
  grafana: GrafanaMetricQuery | undefined;
  /** For metric rules: the query Warden runs at `nowMs`; undefined for anomaly rules. */
  warden: ((database: string, nowMs: number) => BoundQuery) | undefined;
}

export function ruleLabels(rule: AlertRule): Record<string, string> {
  return { ...rule.labels, alertname: rule.name, severity: rule.severity, source: 'warden' };
}

const KIND_TEXT = {
  calls_per_minute: 'calls/min',
  would_deny_per_minute: 'would-be denials/min (audit)',
  deny_storm: 'enforced denials/min of one tool',
} as const;

/** "risk in write, execute; tool in x", or '' without filters. */
export function describeFilter(c: AlertCondition): string {
  const filters: string[] = [];
  if ('risk' in c.filter && c.filter.risk) filters.push(`risk in ${c.filter.risk.join(', ')}`);
  if (c.filter.tool) filters.push(`tool in ${c.filter.tool.join(', ')}`);
  if (c.filter.agent) filters.push(`agent in ${c.filter.agent.join(', ')}`);
  return filters.join('; ');
}

export function describeCondition(c: AlertCondition): string {
  const filter = describeFilter(c);
  const where = filter ? ` where ${filter}` : '';
  if (c.kind === 'anomaly') return `anomaly ${c.types.join('|')} of severity ≥ ${c.severityAtLeast}${where}`;
  return `${KIND_TEXT[c.kind]} (rolling ${c.windowS} s) > ${c.above}${where}${c.perTool && c.kind !== 'deny_storm' ? ', per tool' : ''}`;
}

export function ruleDefinition(rule: AlertRule): AlertRuleDefinition {
  const c = rule.condition;
  return {
    rule,
    labels: ruleLabels(rule),
    summary: describeCondition(c),
    grafana: isMetricCondition(c) ? grafanaMetricQuery(c) : undefined,
    warden: isMetricCondition(c) ? (database, nowMs) => wardenMetricQuery(c, database, nowMs) : undefined,
  };
}

export function ruleDefinitions(rules: readonly AlertRule[]): AlertRuleDefinition[] {
  return rules.map(ruleDefinition);
}
