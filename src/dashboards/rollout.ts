import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { ToolCalls1mColumns as R, ToolCallsColumns as C, ToolInventoryColumns as I } from '../storage/schema.js';
import { Link, baseDashboard, type DashboardContext } from './common.js';
import { ALLOW, wouldDeny } from './exprs.js';
import {
  OutcomeColor, rowPanel, sqlTarget, stackedBars, statPanel, tablePanel, textPanel, thresholds, timeSeriesPanel, unitProperty,
} from './panels.js';
import { conditionalAll, literal, select, selectedBy, subquery, type TableRefs } from './sql.js';
import { columnVariable } from './variables.js';

export const ROLLOUT_UID = 'warden-rollout';
/** An agent is ready for enforce mode after this long without a would-be refusal. */
export const READY_AFTER_HOURS = 24;

const agentFilter = () => conditionalAll(selectedBy(C.AGENT, 'agent'), 'agent');
const auditRows = () => [`$__timeFilter(${C.TS})`, agentFilter(), `${C.MODE} = ${literal('audit')}`];

/** Rows under the policy each agent used last in the range ("the current policy"). */
function currentPolicyOnly(t: TableRefs): string {
  return `(${C.AGENT}, ${C.POLICY_HASH}) IN ${subquery({
    select: [C.AGENT, `argMax(${C.POLICY_HASH}, ${C.TS})`],
    from: t.toolCalls,
    where: [`$__timeFilter(${C.TS})`, agentFilter()],
    groupBy: [C.AGENT],
  })}`;
}

function totalsRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const count = (title: string, description: string, extra: string[], color: string) =>
    statPanel(title, description, { w: 6, h: 4 }, 'short')
      .thresholds(thresholds(color))
      .withTarget(sqlTarget(select({ select: ['count() AS calls'], from: t.toolCalls, final: true, where: [...auditRows(), ...extra] })));
  const readyAgents = statPanel('Agents ready to enforce', `Agents in audit mode without a would-be refusal in the last ${READY_AFTER_HOURS} h of the range.`, { w: 6, h: 4 }, 'short')
    .thresholds(thresholds('green'))
    .withTarget(sqlTarget(select({ select: ["countIf(status = 'ready') AS ready_agents"], from: readinessSubquery(t) })));
  return rowPanel('Audit mode')
    .withPanel(count('Calls in audit mode', 'Calls recorded while the proxy ran in audit mode.', [], 'blue'))
    .withPanel(count('Would-deny', 'Audit-mode calls the policy would refuse in enforce mode.', [wouldDeny()], OutcomeColor['would-deny']))
    .withPanel(
      statPanel('Would-deny share', 'Share of audit-mode calls enforce mode would refuse; switch when it stays at 0.', { w: 6, h: 4 }, 'percentunit')
        .thresholds(thresholds('green', [[0.001, 'orange'], [0.05, 'red']]))
        .withTarget(sqlTarget(select({ select: [`if(count() = 0, 0, countIf(${wouldDeny()}) / count()) AS would_deny_share`], from: t.toolCalls, final: true, where: auditRows() }))),
    )
    .withPanel(readyAgents);
}

function readinessSubquery(t: TableRefs): string {
  const recent = `${C.TS} > $__toTime - INTERVAL ${READY_AFTER_HOURS} HOUR`;
  return subquery({
    select: [
      C.AGENT,
      'count() AS calls',
      `countIf(${wouldDeny()}) AS would_deny`,
      `countIf(${wouldDeny()} AND ${recent}) AS would_deny_recent`,
      `maxIfOrNull(${C.TS}, ${wouldDeny()}) AS last_would_deny`,
      `if(would_deny_recent = 0, 'ready', 'not yet') AS status`,
    ],
    from: `${t.toolCalls} FINAL`,
    where: auditRows(),
    groupBy: [C.AGENT],
  });
}

function refusalsRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const table = tablePanel(
    'What the current policy would refuse',
    'Per agent and tool, the audit-mode calls the policy each agent ran last would refuse in enforce mode, with the rule and a reason.',
    { w: 24, h: 10 },
  )
    .overrides([{ matcher: { id: 'byName', options: 'share' }, properties: [unitProperty('percentunit')] }])
    .withTarget(sqlTarget(select({
      select: [
        C.AGENT, C.TOOL, `countIf(${wouldDeny()}) AS would_deny`, 'count() AS calls', 'would_deny / calls AS share',
        `topKIf(1)(${C.RULE}, ${wouldDeny()})[1] AS top_rule`, `anyIf(${C.REASON}, ${wouldDeny()}) AS reason`,
        `maxIf(${C.TS}, ${wouldDeny()}) AS last_seen`, `substring(any(${C.POLICY_HASH}), 1, 12) AS policy`,
      ],
      from: t.toolCalls,
      final: true,
      where: [...auditRows(), currentPolicyOnly(t)],
      groupBy: [C.AGENT, C.TOOL],
      having: ['would_deny > 0'],
      orderBy: ['would_deny DESC', C.AGENT, C.TOOL],
      limit: 200,
    })));
  const overTime = stackedBars(timeSeriesPanel('Would-deny by rule', 'Would-be refusals per interval, one series per policy rule.', { w: 12, h: 9 }, 'short'))
    .displayName('${__field.labels.rule}')
    .withTarget(sqlTarget(select({
      select: [`$__timeInterval(${C.TS}) AS time`, C.RULE, 'count() AS would_deny'],
      from: t.toolCalls,
      final: true,
      where: [...auditRows(), wouldDeny()],
      groupBy: ['time', C.RULE],
      orderBy: ['time'],
    })).timeSeries());
  const readiness = tablePanel('Readiness per agent', `"ready" after ${READY_AFTER_HOURS} h without a would-be refusal (Calico-style stabilisation).`, { w: 12, h: 9 })
    .withTarget(sqlTarget(select({
      select: [C.AGENT, 'status', 'calls', 'would_deny', 'would_deny_recent', 'last_would_deny'],
      from: readinessSubquery(t),
      orderBy: ['status DESC', 'would_deny DESC', C.AGENT],
    })));
  return rowPanel('Current policy').withPanel(table).withPanel(overTime).withPanel(readiness);
}

function suggestedRow(ctx: DashboardContext): dashboard.RowBuilder {
  const t = ctx.tables;
  const unused = tablePanel('Offered but never used', 'Tools an upstream lists that no agent called successfully (allowed) in the range: a policy suggested from this usage leaves them out, so it would refuse them.', { w: 12, h: 9 })
    .withTarget(sqlTarget(select({
      select: [I.UPSTREAM, I.TOOL, `anyLast(${I.RISK}) AS risk`, `min(${I.FIRST_SEEN}) AS first_seen`, `max(${I.LAST_SEEN}) AS last_seen`],
      from: t.toolInventory,
      where: [`(${I.UPSTREAM}, ${I.TOOL}) NOT IN ${subquery({ select: [`DISTINCT ${C.UPSTREAM}`, C.TOOL], from: t.toolCalls, where: [`$__timeFilter(${C.TS})`, `${C.DECISION} = ${literal(ALLOW)}`] })}`],
      groupBy: [I.UPSTREAM, I.TOOL],
      orderBy: [I.UPSTREAM, I.TOOL],
    })));
  const text = textPanel('Suggested policy', { w: 12, h: 9 }, suggestedPolicyMarkdown());
  return rowPanel('Suggested policy').withPanel(unused).withPanel(text);
}

function suggestedPolicyMarkdown(): string {
  return [
    'The suggested policy is learned by Warden (rolling peaks × headroom, risk classes, unused tools), not by SQL,',
    'so its refusals are not charted here. Ask Warden:',
    '',
    `- [Suggested policy with evidence and a backtest](${Link.api}/api/v1/policy/suggested) — \`GET /api/v1/policy/suggested\``,
    `- [Download policy.json](${Link.api}/api/v1/policy/suggested.json)`,
    '- Replay it against history: `POST /api/v1/policy/simulate` with `{"policy": …}`, or',
    '  `warden suggest --out suggested.json && warden simulate --policy suggested.json --since 7d`',
    '',
    'The table on the left lists tools no agent used in this range: the suggested policy leaves them out.',
    'With `--api-token`, the API needs a bearer token, so open these links with a client that sends it.',
  ].join('\n');
}

export function rolloutDashboard(ctx: DashboardContext): dashboard.DashboardBuilder {
  const t = ctx.tables;
  return baseDashboard(ROLLOUT_UID, 'Warden — Policy rollout', 'Is audit mode safe to switch to enforce? What the current policy would refuse, per agent and tool, and what a suggested policy would leave out.', ctx)
    .withVariable(columnVariable({ name: 'agent', label: 'Agent', table: t.toolCalls1m, column: R.AGENT, timeColumn: R.MINUTE, multi: true }))
    .withRow(totalsRow(ctx))
    .withRow(refusalsRow(ctx))
    .withRow(suggestedRow(ctx));
}
