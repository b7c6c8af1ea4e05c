import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { Attr } from '../telemetry/semconv.js';
import { OtelTracesColumn as O, ToolCalls1mColumns as R, ToolCallsColumns as C } from '../storage/schema.js';
import { baseDashboard, type DashboardContext } from './common.js';
import { ALLOW, denied, isToolCallSpan, nsToMs, rollupCalls, spanAgent, spanAttr, wouldDeny } from './exprs.js';
import {
  OutcomeColor, heatmapPanel, linkProperty, rowPanel, sqlTarget, statPanel, tablePanel, thresholds, timeSeriesPanel, unitProperty,
} from './panels.js';
import { sessionLifecycleTable } from './session-panel.js';
import { conditionalAll, literal, select, selectedBy } from './sql.js';
import { linkableTraceId, traceExploreUrl } from './trace-link.js';
import { columnVariable } from './variables.js';

export const AGENT_UID = 'warden-agent';

/** The drill-down's variable filters on a table with `agent`, `tool` and `upstream` columns. */
export function agentFilters(): string[] {
  return [
    selectedBy(C.AGENT, 'agent'),
    conditionalAll(selectedBy(C.TOOL, 'tool'), 'tool'),
    conditionalAll(selectedBy(C.UPSTREAM, 'upstream'), 'upstream'),
  ];
}

function variables(ctx: DashboardContext) {
  const t = ctx.tables;
  const base = { table: t.toolCalls1m, timeColumn: R.MINUTE };
  return [
    columnVariable({ ...base, name: 'agent', label: 'Agent', column: R.AGENT, multi: false }),
    columnVariable({ ...base, name: 'tool', label: 'Tool', column: R.TOOL, where: [selectedBy(R.AGENT, 'agent')], multi: true }),
    columnVariable({ ...base, name: 'upstream', label: 'Upstream', column: R.UPSTREAM, where: [selectedBy(R.AGENT, 'agent')], multi: true }),
  ];
}

function totalsRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const rollupStat = (title: string, description: string, extra: string[], color: string) =>
    statPanel(title, description, { w: 6, h: 4 }, 'short')
      .thresholds(thresholds(color))
      .withTarget(sqlTarget(select({ select: [`${rollupCalls} AS calls`], from: t.toolCalls1m, where: [`$__timeFilter(${R.MINUTE})`, ...agentFilters(), ...extra] })));
  return rowPanel('Totals')
    .withPanel(rollupStat('Calls', 'Tool calls by this agent in the range.', [], 'blue'))
    .withPanel(rollupStat('Denied', 'Refused in enforce mode.', [denied(R.DECISION, R.ENFORCED)], OutcomeColor.denied))
    .withPanel(rollupStat('Would-deny (audit)', 'Let through by audit mode; enforce mode would refuse them.', [wouldDeny(R.DECISION, R.ENFORCED)], OutcomeColor['would-deny']))
    .withPanel(
      statPanel('Sessions', 'Distinct MCP sessions of this agent.', { w: 6, h: 4 }, 'short')
        .thresholds(thresholds('purple'))
        .withTarget(sqlTarget(select({
          select: [`uniqExact(${C.SESSION}) AS sessions`],
          from: t.toolCalls,
          where: [`$__timeFilter(${C.TS})`, `${C.SESSION} != ''`, ...agentFilters()],
        }))),
    );
}

function rateVersusLimit(ctx: DashboardContext) {
  const t = ctx.tables;
  const limitPerMinute = `toFloat64OrZero(${spanAttr(Attr.LIMIT_MAX)}) * 60 / greatest(toFloat64OrZero(${spanAttr(Attr.LIMIT_WINDOW_S)}), 1)`;
  return timeSeriesPanel(
    'Per-tool rate vs policy limit',
    'Calls per minute of each tool (solid) against the limit the policy applied to it (dashed, from warden.limit.max / window, scaled to a minute).',
    { w: 24, h: 10 },
    'short',
  )
    .axisLabel('calls / min')
    .displayName('${__field.name} ${__field.labels.tool}')
    .overrideByQuery('B', [
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      { id: 'custom.fillOpacity', value: 0 },
      { id: 'custom.lineWidth', value: 2 },
    ])
    .withTarget(sqlTarget(select({
      select: [`$__timeInterval(${R.MINUTE}) AS time`, R.TOOL, `${rollupCalls} * 60 / greatest($__interval_s, 60) AS calls_per_min`],
      from: t.toolCalls1m,
      where: [`$__timeFilter(${R.MINUTE})`, ...agentFilters()],
      groupBy: ['time', R.TOOL],
      orderBy: ['time'],
    })).timeSeries())
    .withTarget(sqlTarget(select({
      select: [`$__timeInterval(${O.TIMESTAMP}) AS time`, `${spanAttr(Attr.GEN_AI_TOOL_NAME)} AS tool`, `max(${limitPerMinute}) AS limit_per_min`],
      from: t.otelTraces,
      where: [
        `$__timeFilter(${O.TIMESTAMP})`,
        isToolCallSpan,
        `${spanAttr(Attr.LIMIT_MAX)} != ''`,
        selectedBy(spanAgent, 'agent'),
        conditionalAll(selectedBy(spanAttr(Attr.GEN_AI_TOOL_NAME), 'tool'), 'tool'),
      ],
      groupBy: ['time', 'tool'],
      orderBy: ['time'],
    }), 'B').timeSeries());
}

function refusalsRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const heat = heatmapPanel('Would-deny heatmap', 'Would-be refusals (audit mode) per tool and interval: where enforce mode would bite.', { w: 12, h: 10 })
    .withTarget(sqlTarget(select({
      select: [`$__timeInterval(${R.MINUTE}) AS time`, R.TOOL, `${rollupCalls} AS would_deny`],
      from: t.toolCalls1m,
      where: [`$__timeFilter(${R.MINUTE})`, ...agentFilters(), wouldDeny(R.DECISION, R.ENFORCED)],
      groupBy: ['time', R.TOOL],
      orderBy: ['time'],
    })).timeSeries());
  const byRule = tablePanel('Refusals by rule', 'Which policy rule refused (or would refuse) which tool, and why.', { w: 12, h: 10 })
    .withTarget(sqlTarget(select({
      select: [
        C.TOOL, C.RULE, C.DECISION, `if(${C.ENFORCED}, 'denied', 'would-deny') AS outcome`,
        'count() AS calls', `any(${C.REASON}) AS reason`, `max(${C.TS}) AS last_seen`,
      ],
      from: t.toolCalls,
      final: true,
      where: [`$__timeFilter(${C.TS})`, ...agentFilters(), `${C.DECISION} != ${literal(ALLOW)}`],
      groupBy: [C.TOOL, C.RULE, C.DECISION, 'outcome'],
      orderBy: ['calls DESC', C.TOOL, C.RULE],
      limit: 100,
    })));
  return rowPanel('Refusals').withPanel(heat).withPanel(byRule);
}

function recentCalls(ctx: DashboardContext) {
  const t = ctx.tables;
  return tablePanel('Recent calls', 'The latest 200 calls. The trace id opens the span in Explore\'s trace view (ClickHouse OTel trace mode).', { w: 24, h: 12 })
    .overrides([
      { matcher: { id: 'byName', options: C.TRACE_ID }, properties: [linkProperty('Open trace', traceExploreUrl(t))] },
      { matcher: { id: 'byName', options: 'duration_ms' }, properties: [unitProperty('ms')] },
    ])
    .sortBy([new common.TableSortByFieldStateBuilder().displayName(C.TS).desc(true)])
    .withTarget(sqlTarget(select({
      select: [
        C.TS, C.TOOL, C.DECISION, C.ENFORCED, C.MODE, C.RULE, C.REASON,
        `${nsToMs(C.DURATION_NS)} AS duration_ms`, C.ERROR_TYPE, C.SESSION, C.UPSTREAM, `${linkableTraceId(C.TRACE_ID)} AS ${C.TRACE_ID}`,
      ],
      from: t.toolCalls,
      final: true,
      where: [`$__timeFilter(${C.TS})`, ...agentFilters()],
      orderBy: [`${C.TS} DESC`],
      limit: 200,
    })));
}

export function agentDashboard(ctx: DashboardContext): dashboard.DashboardBuilder {
  const d = baseDashboard(AGENT_UID, 'Warden — Agent drill-down', 'One agent: per-tool rates against policy limits, would-be refusals, sessions and recent calls with their traces.', ctx);
  for (const v of variables(ctx)) d.withVariable(v);
  return d
    .withRow(totalsRow(ctx))
    .withRow(rowPanel('Rates').withPanel(rateVersusLimit(ctx)))
    .withRow(refusalsRow(ctx))
    .withRow(rowPanel('Sessions').withPanel(sessionLifecycleTable(ctx.tables, agentFilters())))
    .withRow(rowPanel('Calls').withPanel(recentCalls(ctx)));
}
