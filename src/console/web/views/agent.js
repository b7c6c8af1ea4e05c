// Agent: calls per minute of each tool against the policy's per-minute limit, decisions,
// rolling-rate quantiles, top refusals, sessions and this agent's anomalies.
import { useMemo } from 'preact/hooks';
import { html } from '../html.js';
import { useApi } from '../api.js';
import { Async, KeyValues, Section, Table } from '../components.js';
import { PALETTE, TimeChart } from '../chart.js';
import { agentRequests } from '../first-requests.js';
import { fmtInt, fmtNum, fmtTime } from '../format.js';
import { currentPolicyDocument, limitsFor, minuteLimit } from '../policy-doc.js';
import { routeHref } from '../route.js';
import { bucketTimes, decisionTotals, denseValues } from '../series.js';
import { AgentSessions } from './agent-sessions.js';

function chartData(answer, policy, agent) {
  const times = bucketTimes(answer);
  const perMinute = 60 / answer.step_s;
  const series = [];
  answer.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    series.push({ label: s.tool, color, values: denseValues(times, [s]).map((v) => v * perMinute) });
    const limit = policy ? minuteLimit(policy, agent, s.tool) : undefined;
    if (limit !== undefined) series.push({ label: `limit ${s.tool}`, color, dash: [6, 4], values: times.map(() => limit) });
  });
  return { times, series };
}

function refusals(seriesList) {
  return seriesList
    .map((s) => {
      const totals = decisionTotals([s]);
      const refused = Object.entries(totals).filter(([d]) => d !== 'allow');
      return { tool: s.tool, calls: s.points.reduce((n, p) => n + p.calls, 0), refused: refused.reduce((n, [, v]) => n + v, 0), by: refused };
    })
    .filter((r) => r.refused > 0)
    .sort((a, b) => b.refused - a.refused);
}

function PolicySource({ current, suggested }) {
  if (current) return html`<p class="muted">Limits from the current policy you gave on the <a href="#/policy">Policy</a> page.</p>`;
  if (suggested.error) return html`<p class="muted">No policy limits shown (the suggested policy failed: ${suggested.error.message}).</p>`;
  if (!suggested.data) return html`<p class="muted" aria-busy="true">Loading the suggested policy's limits…</p>`;
  return html`<p class="muted">Dashed: per-minute limits of the <a href="#/policy">suggested policy</a> (give your current policy there to see its limits instead).</p>`;
}

function RateChart({ agent, series, policy }) {
  const { times, series: lines } = useMemo(() => chartData(series, policy, agent), [series, policy, agent]);
  if (lines.length === 0) return html`<p class="muted empty" data-ready="agent-chart">No calls in this range.</p>`;
  const yLabel = series.step_s === 60 ? 'calls / min' : `calls / min (mean over ${series.step_s / 60} min)`;
  return html`<div data-ready="agent-chart"><${TimeChart} times=${times} series=${lines} yLabel=${yLabel} /></div>`;
}

function RatesTable({ rates, policy, agent }) {
  const limitText = (tool) => limitsFor(policy, agent, tool).map((l) => `${l.max}/${l.window_s}s${l.all_tools ? ' (all tools)' : ''}`).join(', ') || '–';
  return html`<${Table} testId="rates-table" rows=${rates} rowKey=${(r) => r.tool} columns=${[
    { label: 'Tool', value: (r) => r.tool },
    { label: 'Calls', num: true, value: (r) => fmtInt(r.calls) },
    { label: 'p50 / min', num: true, value: (r) => fmtNum(r.p50) },
    { label: 'p99 / min', num: true, value: (r) => fmtNum(r.p99) },
    { label: 'Max / min', num: true, title: 'most calls in any rolling minute', value: (r) => fmtInt(r.max_per_window) },
    { label: 'Policy limits', value: (r) => (policy ? limitText(r.tool) : '…') },
  ]} />`;
}

export function AgentView({ route, range }) {
  const agent = route.arg ?? '';
  const key = `${agent}|${range.from}|${range.to}`;
  const [seriesRequest, ratesRequest, anomaliesRequest] = agentRequests(agent, range);
  const series = useApi(...seriesRequest, key);
  const rates = useApi(...ratesRequest, key);
  const anomalies = useApi(...anomaliesRequest, key);
  const current = currentPolicyDocument();
  // The suggested policy (only for its limit lines) is the heaviest request here: asked for once
  // the chart and rates are in, so it does not hold them up on a big store.
  const settled = (state) => state.data !== undefined || state.error !== undefined;
  const wantLimits = !current && settled(series) && settled(rates);
  const suggested = useApi(wantLimits ? 'api/v1/policy/suggested' : undefined, { ...range, backtest: 'false' }, key);
  const policy = current ?? suggested.data?.policy;
  return html`<h1 class="title">Agent <span class="name">${agent}</span></h1>
    <${Section} title="Calls per minute by tool">
      <${PolicySource} current=${current} suggested=${suggested} />
      <${Async} state=${series} what="the rate series">${(data) => html`<${RateChart} agent=${agent} range=${range} series=${data} policy=${policy} />`}<//>
    <//>
    <div class="grid2">
      <${Section} title="Decisions">
        <${Async} state=${series} what="decisions">${(data) => html`<${KeyValues} object=${decisionTotals(data.series)} />`}<//>
      <//>
      <${Section} title="Top refusals (recorded)">
        <${Async} state=${series} what="refusals">${(data) => html`<${Table} testId="refusals-table" rows=${refusals(data.series)} rowKey=${(r) => r.tool}
          empty="No call of this agent was refused in this range." columns=${[
            { label: 'Tool', value: (r) => r.tool },
            { label: 'Refused', num: true, value: (r) => fmtInt(r.refused) },
            { label: 'of calls', num: true, value: (r) => fmtInt(r.calls) },
            { label: 'Decisions', value: (r) => r.by.map(([d, n]) => `${d} ${fmtInt(n)}`).join(', ') },
          ]} />`}<//>
      <//>
    </div>
    <${Section} title="Rolling one-minute rates">
      <${Async} state=${rates} what="rates">${(data) => html`<${RatesTable} rates=${data.rates} policy=${policy} agent=${agent} />`}<//>
    <//>
    <${AgentSessions} route=${route} range=${range} agent=${agent} />
    <${Section} title="Anomalies">
      <${Async} state=${anomalies} what="anomalies">${(data) => html`<${Table} testId="agent-anomalies" rows=${data.anomalies} rowKey=${(a) => a.id}
        empty="No anomaly for this agent in this range." columns=${[
          { label: 'Type', value: (a) => html`<a href=${routeHref('anomalies', undefined, { ...range, agent })}>${a.type}</a>` },
          { label: 'Severity', value: (a) => html`<span class=${`sev sev-${a.severity}`}>${a.severity}</span>` },
          { label: 'Tool', value: (a) => a.tool },
          { label: 'Session', value: (a) => a.session ?? (a.sample_sessions?.length ? `${a.sample_sessions.join(', ')}${a.sessions > a.sample_sessions.length ? ', …' : ''}` : '–') },
          { label: 'Start (UTC)', value: (a) => fmtTime(a.start) },
          { label: 'Explanation', value: (a) => a.explanation },
        ]} />`}<//>
    <//>`;
}
