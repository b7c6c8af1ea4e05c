import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import { grafanaMetricQuery, ruleLabels, describeCondition } from '../alerts/index.js';
import { isMetricCondition, type AlertRule, type MetricCondition } from '../alerts/index.js';
import { clickhouseQuery } from './clickhouse-query.js';
import { DATASOURCE_UID } from './datasource.js';

export const ALERT_FOLDER = 'Warden';
export const ALERT_GROUP = 'warden';
/** How often Grafana evaluates the group; metric rules count the rolling last 60 s. */
export const ALERT_INTERVAL_S = 60;
const EXPRESSION_DATASOURCE_UID = '__expr__';

/** A rule as Grafana's alerting provisioning *file* wants it (the SDK builds the HTTP API shape). */
export interface ProvisionedRule {
  uid: string;
  title: string;
  condition: string;
  data: Array<Record<string, unknown>>;
  for: string;
  noDataState: string;
  execErrState: string;
  isPaused: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface AlertRulesFile {
  apiVersion: 1;
  groups: Array<{ orgId: number; name: string; folder: string; interval: string; rules: ProvisionedRule[] }>;
}

/** Grafana durations: whole seconds written as `Ns`, minutes as `Nm` when exact. */
export function durationString(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s > 0 && s % 3600 === 0) return `${s / 3600}h`;
  if (s > 0 && s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

function ruleBuilder(rule: AlertRule, cond: MetricCondition, database: string): alerting.RuleBuilder {
  const q = grafanaMetricQuery(cond, database);
  const model = clickhouseQuery(q.rawSql).refId('A').table().intervalMs(ALERT_INTERVAL_S * 1000).maxDataPoints(43200);
  return new alerting.RuleBuilder(rule.name)
    .uid(`warden-${rule.name}`.slice(0, 40))
    .condition('C')
    .withQuery(new alerting.QueryBuilder('A').datasourceUid(DATASOURCE_UID).relativeTimeRange(q.relativeTimeRangeS).model(model))
    .withQuery(new alerting.QueryBuilder('B').datasourceUid(EXPRESSION_DATASOURCE_UID).model(
      new expr.TypeReduceBuilder().refId('B').expression('A').reducer('last').settings({ mode: 'dropNN' })))
    .withQuery(new alerting.QueryBuilder('C').datasourceUid(EXPRESSION_DATASOURCE_UID).model(
      new expr.TypeThresholdBuilder().refId('C').expression('B').conditions([{ evaluator: { type: 'gt', params: [q.threshold] } }])))
    .forDuration(durationString(rule.forMs))
    .noDataState('OK')
    .execErrState('Error')
    .isPaused(false)
    .labels(ruleLabels(rule))
    .annotations({
      summary: describeCondition(cond),
      description: rule.description ?? `Warden rule ${rule.name}: ${describeCondition(cond)}. Same rule as warden serve's alert loop.`,
    });
}

/** The SDK's HTTP-API rule mapped to the file shape: drop folderUID/ruleGroup/orgID, keep the rest. */
function toFileRule(built: alerting.Rule): ProvisionedRule {
  const data = built.data.map((q) => {
    const model = JSON.parse(JSON.stringify(q.model)) as Record<string, unknown>;
    return { refId: q.refId, ...(q.relativeTimeRange ? { relativeTimeRange: q.relativeTimeRange } : {}), datasourceUid: q.datasourceUid, model };
  });
  return {
    uid: built.uid ?? built.title,
    title: built.title,
    condition: built.condition,
    data,
    for: built.for,
    noDataState: built.noDataState,
    execErrState: built.execErrState,
    isPaused: built.isPaused ?? false,
    labels: built.labels ?? {},
    annotations: built.annotations ?? {},
  };
}

/**
 * Grafana alert rules for the metric rules of `rules` (Warden's alert definitions). Anomaly
 * rules need Warden's detectors, so only `warden serve` evaluates them; they are skipped here.
 */
export function alertRulesFile(rules: readonly AlertRule[], database: string): AlertRulesFile {
  const metricRules = rules.flatMap((rule) => (isMetricCondition(rule.condition) ? [{ rule, cond: rule.condition }] : []));
  const group = new alerting.RuleGroupBuilder(ALERT_GROUP).interval(ALERT_INTERVAL_S);
  for (const { rule, cond } of metricRules) group.withRule(ruleBuilder(rule, cond, database));
  const built = group.build();
  return {
    apiVersion: 1,
    groups: [{
      orgId: 1,
      name: built.title ?? ALERT_GROUP,
      folder: ALERT_FOLDER,
      interval: durationString((built.interval ?? ALERT_INTERVAL_S) * 1000),
      rules: (built.rules ?? []).map(toFileRule),
    }],
  };
}
