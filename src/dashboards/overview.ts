import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { ToolCalls1mColumns as R, ToolCallsColumns as C } from '../storage/schema.js';
import { sqlAnomaliesQuery } from './anomaly-sql.js';
import { Link, baseDashboard, type DashboardContext } from './common.js';
import { WRITE_RISKS, denied, forwarded, nsToMs, outcomeExpr, rollupCalls, rollupErrors, rollupQuantiles, wouldDeny } from './exprs.js';
import {
  OutcomeColor, colorOf, linkProperty, rowPanel, sqlTarget, stackedBars, statPanel, tablePanel, thresholds, timeSeriesPanel, unitProperty,
} from './panels.js';
import { inList, select, subquery } from './sql.js';

export const OVERVIEW_UID = 'warden-overview';
/** Writes per minute by one agent that deserve attention (PolicyLayer's default write limit: 30/min). */
export const WRITE_PER_MINUTE_WARN = 30;
/** The default runaway alert's threshold (calls per minute). */
export const RUNAWAY_PER_MINUTE = 60;

/** Per-second rate over a rollup bucket: panels ask for ≥ 1 m intervals, alerts for exactly 1 m. */
const perSecond = (expr: string) => `${expr} / greatest($__interval_s, 60)`;

function totalsRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const stat = (title: string, description: string, where: string, color: string) =>
    statPanel(title, description, { w: 6, h: 4 }, 'short')
      .thresholds(thresholds(color))
      .withTarget(sqlTarget(select({ select: [`${rollupCalls} AS calls`], from: t.toolCalls1m, where: [`$__timeFilter(${R.MINUTE})`, ...(where ? [where] : [])] })));
  return rowPanel('Totals')
    .withPanel(stat('Tool calls', 'Every tools/call Warden recorded in the time range.', '', 'blue'))
    .withPanel(stat('Denied', 'Calls refused in enforce mode.', denied(R.DECISION, R.ENFORCED), OutcomeColor.denied))
    .withPanel(stat('Would-deny (audit)', 'Calls audit mode let through that enforce mode would refuse.', wouldDeny(R.DECISION, R.ENFORCED), OutcomeColor['would-deny']))
    .withPanel(
      statPanel('Error rate', 'Share of forwarded calls that failed (tool error or upstream error).', { w: 6, h: 4 }, 'percentunit')
        .thresholds(thresholds('green', [[0.05, 'orange'], [0.2, 'red']]))
        .withTarget(sqlTarget(select({
          select: [`if(${rollupCalls} = 0, 0, ${rollupErrors} / ${rollupCalls}) AS error_rate`],
          from: t.toolCalls1m,
          where: [`$__timeFilter(${R.MINUTE})`],
        }))),
    );
}

function activityRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const callsPerSecond = timeSeriesPanel('Calls/s by agent', 'Tool calls per second, one series per agent (from the per-minute rollup).', { w: 12, h: 9 }, 'reqps')
    .displayName('${__field.labels.agent}')
    .withTarget(sqlTarget(select({
      select: [`$__timeInterval(${R.MINUTE}) AS time`, R.AGENT, `${perSecond(rollupCalls)} AS calls_per_s`],
      from: t.toolCalls1m,
      where: [`$__timeFilter(${R.MINUTE})`],
      groupBy: ['time', R.AGENT],
      orderBy: ['time'],
    })).timeSeries());
  const decisions = stackedBars(timeSeriesPanel('Decisions over time', 'allow, denied (enforce mode) and would-deny (audit mode) per interval.', { w: 12, h: 9 }, 'short'))
    .displayName('${__field.labels.outcome}')
    .axisLabel('calls per interval')
    .overrides(Object.entries(OutcomeColor).map(([name, color]) => colorOf(name, color)))
    .withTarget(sqlTarget(select({
      select: [`$__timeInterval(${R.MINUTE}) AS time`, `${outcomeExpr(R.DECISION, R.ENFORCED)} AS outcome`, `${rollupCalls} AS calls`],
      from: t.toolCalls1m,
      where: [`$__timeFilter(${R.MINUTE})`],
      groupBy: ['time', 'outcome'],
      orderBy: ['time', 'outcome'],
    })).timeSeries());
  return rowPanel('Activity').withPanel(callsPerSecond).withPanel(decisions);
}

function topRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const topTools = tablePanel('Top tools', 'The 15 most called tools: outcomes, errors and p99 latency of forwarded calls.', { w: 12, h: 9 })
    .overrides([
      colorOf('denied', OutcomeColor.denied), colorOf('would_deny', OutcomeColor['would-deny']),
      { matcher: { id: 'byName', options: 'p99_ms' }, properties: [unitProperty('ms')] },
    ])
    .withTarget(sqlTarget(select({
      select: [
        R.TOOL, R.UPSTREAM, `any(${R.RISK}) AS risk`, `${rollupCalls} AS calls_total`,
        `uniqExactMergeIf(${R.CALLS}, ${denied(R.DECISION, R.ENFORCED)}) AS denied`,
        `uniqExactMergeIf(${R.CALLS}, ${wouldDeny(R.DECISION, R.ENFORCED)}) AS would_deny`,
        `${rollupErrors} AS errors_total`,
        `${nsToMs(`arrayElement(quantilesMergeIf(0.5, 0.9, 0.99)(${R.DURATION_Q}, ${forwarded(R.DECISION, R.ENFORCED)}), 3)`)} AS p99_ms`,
      ],
      from: t.toolCalls1m,
      where: [`$__timeFilter(${R.MINUTE})`],
      groupBy: [R.TOOL, R.UPSTREAM],
      orderBy: ['calls_total DESC', R.TOOL],
      limit: 15,
    })));
  const perMinute = subquery({
    select: [R.AGENT, R.MINUTE, `${rollupCalls} AS writes`],
    from: t.toolCalls1m,
    where: [`$__timeFilter(${R.MINUTE})`, `${R.RISK} IN ${inList(WRITE_RISKS)}`],
    groupBy: [R.AGENT, R.MINUTE],
  });
  const topWriters = tablePanel('Top agents by write calls', `Calls of write/execute/destructive/financial tools; peak per minute turns orange at ${WRITE_PER_MINUTE_WARN} and red at ${RUNAWAY_PER_MINUTE} (the runaway alert).`, { w: 12, h: 9 })
    .overrides([{
      matcher: { id: 'byName', options: 'peak_per_minute' },
      properties: [
        { id: 'thresholds', value: thresholds('green', [[WRITE_PER_MINUTE_WARN, 'orange'], [RUNAWAY_PER_MINUTE, 'red']]).build() },
        { id: 'custom.cellOptions', value: { type: 'color-background' } },
      ],
    }])
    .withTarget(sqlTarget(select({
      select: [R.AGENT, `sum(writes) AS write_calls`, `max(writes) AS peak_per_minute`, `count() AS active_minutes`],
      from: perMinute,
      groupBy: [R.AGENT],
      orderBy: ['write_calls DESC', R.AGENT],
      limit: 15,
    })));
  return rowPanel('Tools and agents').withPanel(topTools).withPanel(topWriters);
}

function healthRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const latency = timeSeriesPanel('Upstream latency p50 / p99', 'Duration of calls forwarded to each upstream (quantiles merged from the per-minute rollup).', { w: 12, h: 9 }, 'ms')
    .displayName('${__field.name} ${__field.labels.upstream}')
    .withTarget(sqlTarget(select({
      with: [`${rollupQuantiles} AS q`],
      select: [`$__timeInterval(${R.MINUTE}) AS time`, R.UPSTREAM, `${nsToMs('q[1]')} AS p50`, `${nsToMs('q[3]')} AS p99`],
      from: t.toolCalls1m,
      where: [`$__timeFilter(${R.MINUTE})`, forwarded(R.DECISION, R.ENFORCED)],
      groupBy: ['time', R.UPSTREAM],
      orderBy: ['time'],
    })).timeSeries());
  const errors = stackedBars(timeSeriesPanel('Errors', 'Failed calls by error type (tool_error: the tool returned isError; upstream_error: the upstream failed).', { w: 12, h: 9 }, 'short'))
    .displayName('${__field.labels.error_type}')
    .withTarget(sqlTarget(select({
      select: [`$__timeInterval(${C.TS}) AS time`, C.ERROR_TYPE, 'count() AS errors'],
      from: t.toolCalls,
      final: true,
      where: [`$__timeFilter(${C.TS})`, C.IS_ERROR],
      groupBy: ['time', C.ERROR_TYPE],
      orderBy: ['time'],
    })).timeSeries());
  return rowPanel('Health').withPanel(latency).withPanel(errors);
}

function anomaliesRow(ctx: DashboardContext): dashboard.RowBuilder {
  const anomalies = tablePanel(
    'Anomalies (SQL-detectable)',
    'Lifecycle violations and deny storms found by SQL. Rate spikes, loops, error loops and new tools come from Warden\'s API: follow a row\'s link to /api/v1/anomalies.',
    { w: 24, h: 9 },
  )
    .overrides([{
      matcher: { id: 'byName', options: 'type' },
      properties: [linkProperty('Warden anomalies for this agent', `${Link.api}/api/v1/anomalies?agent=${Link.queryValue(C.AGENT)}&from=${Link.from}&to=${Link.to}`)],
    }])
    .withTarget(sqlTarget(sqlAnomaliesQuery(ctx.tables)));
  return rowPanel('Anomalies').withPanel(anomalies);
}

export function overviewDashboard(ctx: DashboardContext): dashboard.DashboardBuilder {
  return baseDashboard(OVERVIEW_UID, 'Warden — Overview', 'Every MCP tool call Warden recorded: rates, decisions, top tools and agents, latency, errors, anomalies.', ctx)
    .withRow(totalsRow(ctx))
    .withRow(activityRow(ctx))
    .withRow(topRow(ctx))
    .withRow(healthRow(ctx))
    .withRow(anomaliesRow(ctx));
}

