/**
 * SQL for metric rules, rendered twice from the same pieces: with bound `{name:Type}`
 * parameters for Warden's own loop, and with literals plus the Grafana ClickHouse plugin's
 * `$__timeFilter(ts)` macro for Grafana alert rules. Both count distinct span ids in
 * `tool_calls` over the rule's rolling window (default 60 s) as a per-minute rate, so a
 * redelivered span counts once without FINAL.
 */
import { DEFAULT_ANOMALY_THRESHOLDS, denyStormRule, type RuleTarget } from '../analytics/index.js';
import { Tables, ToolCallsColumns as C, qualified, quoteIdent, sqlStringLiteral } from '../storage/index.js';
import type { CallFilter, MetricCondition, MetricKind } from './types.js';

/** The default window a metric rule counts over: rolling, ending at evaluation time (not clock-aligned minutes). */
export const METRIC_WINDOW_S = 60;

/** Distinct calls in the window as a per-minute rate (the plain count for a 60 s window). */
function rateExpression(windowS: number): string {
  const count = `uniqExact(${C.SPAN_ID})`;
  return windowS === 60 ? count : `${count} * 60 / ${windowS}`;
}

/** One WHERE predicate in both renderings. */
interface Predicate {
  bound: string;
  literal: string;
  params: Record<string, unknown>;
}

const DECISION_PREDICATES: Record<MetricKind, string | undefined> = {
  calls_per_minute: undefined,
  // Would-be denials: audit mode recorded a refusal but let the call through.
  would_deny_per_minute: `${C.DECISION} != 'allow' AND NOT ${C.ENFORCED}`,
  // The deny_storm anomaly rule (analytics) selects its refusals itself.
  deny_storm: undefined,
};

/** A ClickHouse string literal; rule values are config, but are still escaped, never trusted. */
export function sqlString(value: string): string {
  return sqlStringLiteral(value);
}

function inList(column: string, param: string, values: readonly string[] | undefined): Predicate[] {
  if (!values || values.length === 0) return [];
  return [{
    bound: `${column} IN {${param}:Array(String)}`,
    literal: `${column} IN (${values.map(sqlString).join(', ')})`,
    params: { [param]: [...values] },
  }];
}

export function metricPredicates(kind: MetricKind, filter: CallFilter): Predicate[] {
  const decision = DECISION_PREDICATES[kind];
  return [
    ...(decision ? [{ bound: decision, literal: decision, params: {} }] : []),
    ...inList(C.RISK, 'risk', filter.risk),
    ...inList(C.TOOL, 'tool', filter.tool),
    ...inList(C.AGENT, 'agent', filter.agent),
  ];
}

function groupColumns(cond: MetricCondition): string[] {
  return cond.perTool ? [C.AGENT, C.TOOL] : [C.AGENT];
}

export interface BoundQuery {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * A deny storm is the analytics deny_storm rule itself (one definition for the API, this loop
 * and Grafana) over the last window: `value` is the largest rolling count of enforced refusals
 * among the calls in it, so the rule fires (value > above) exactly when the API flags a storm
 * there. `above` = the rule's minimum − 1.
 */
function denyStormSql(cond: MetricCondition, target: Omit<RuleTarget, 'extraWhere'>, preds: readonly string[]): string {
  const thresholds = { ...DEFAULT_ANOMALY_THRESHOLDS, denyStorm: Math.floor(cond.above) + 1, denyWindowS: cond.windowS };
  const rule = denyStormRule(thresholds, { ...target, extraWhere: preds });
  return `SELECT agent, tool, max(observed) AS value FROM (\n${rule.sql}\n) GROUP BY agent, tool`;
}

function denyStormParams(cond: MetricCondition): Record<string, unknown> {
  return denyStormRule({ ...DEFAULT_ANOMALY_THRESHOLDS, denyStorm: Math.floor(cond.above) + 1, denyWindowS: cond.windowS }, { toolCalls: '', mode: 'bound' }).params;
}

/** Rows `{agent, tool, value}` above the rule's threshold in the window ending at `nowMs`. */
export function wardenMetricQuery(cond: MetricCondition, database: string, nowMs: number): BoundQuery {
  const preds = metricPredicates(cond.kind, cond.filter);
  if (cond.kind === 'deny_storm') {
    const sql = `${denyStormSql(cond, { toolCalls: qualified(database, Tables.TOOL_CALLS), mode: 'bound' }, preds.map((p) => p.bound))}
HAVING value > {above:Float64}
ORDER BY value DESC
LIMIT 1000`;
    const params = Object.assign({ from_ms: nowMs - cond.windowS * 1000, to_ms: nowMs + 1, above: cond.above }, denyStormParams(cond), ...preds.map((p) => p.params));
    return { sql, params: params as Record<string, unknown> };
  }
  const group = groupColumns(cond);
  const where = [
    `${C.TS} > fromUnixTimestamp64Milli({window_start_ms:Int64})`,
    `${C.TS} <= fromUnixTimestamp64Milli({window_end_ms:Int64})`,
    ...preds.map((p) => p.bound),
  ];
  const sql = [
    `SELECT ${C.AGENT} AS agent, ${cond.perTool ? C.TOOL : "''"} AS tool, ${rateExpression(cond.windowS)} AS value`,
    `FROM ${qualified(database, Tables.TOOL_CALLS)}`,
    `WHERE ${where.join('\n  AND ')}`,
    `GROUP BY ${group.join(', ')}`,
    `HAVING value > {above:Float64}`,
    `ORDER BY value DESC`,
    `LIMIT 1000`,
  ].join('\n');
  const params = Object.assign(
    { window_start_ms: nowMs - cond.windowS * 1000, window_end_ms: nowMs, above: cond.above },
    ...preds.map((p) => p.params),
  ) as Record<string, unknown>;
  return { sql, params };
}

/** What a Grafana alert rule needs for one metric rule (see src/dashboards). */
export interface GrafanaMetricQuery {
  /** SQL for the ClickHouse datasource (table format): one row per agent (and tool) with `value`. */
  rawSql: string;
  /** The rule fires where `value` is strictly above this (Grafana threshold expression `gt`). */
  threshold: number;
  /** Query range relative to evaluation: `relativeTimeRange: {from: <window s>, to: 0}`. */
  relativeTimeRangeS: { from: number; to: number };
  /** Label columns Grafana turns into alert instances (matches Warden's fingerprint). */
  labelColumns: string[];
}

/**
 * The same rate for Grafana: `$__timeFilter(ts)` with the window as relative range replaces the
 * bound window; no HAVING, because Grafana's threshold expression compares `value`.
 */
export function grafanaMetricQuery(cond: MetricCondition, database = 'warden'): GrafanaMetricQuery {
  const preds = metricPredicates(cond.kind, cond.filter);
  const group = groupColumns(cond);
  if (cond.kind === 'deny_storm') {
    const toolCalls = `${quoteIdent(database)}.${quoteIdent(Tables.TOOL_CALLS)}`;
    const rawSql = denyStormSql(cond, { toolCalls, mode: 'grafana', literal: sqlString }, preds.map((p) => p.literal));
    return { rawSql, threshold: cond.above, relativeTimeRangeS: { from: cond.windowS, to: 0 }, labelColumns: [C.AGENT, C.TOOL] };
  }
  const where = [`$__timeFilter(${C.TS})`, ...preds.map((p) => p.literal)];
  const rawSql = [
    `SELECT ${group.join(', ')}, ${rateExpression(cond.windowS)} AS value`,
    `FROM ${quoteIdent(database)}.${quoteIdent(Tables.TOOL_CALLS)}`,
    `WHERE ${where.join('\n  AND ')}`,
    `GROUP BY ${group.join(', ')}`,
  ].join('\n');
  return { rawSql, threshold: cond.above, relativeTimeRangeS: { from: cond.windowS, to: 0 }, labelColumns: group };
}
