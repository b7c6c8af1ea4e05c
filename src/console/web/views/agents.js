// Agents: one row per agent seen in the range, with a sparkline of its calls over the range.
import { html } from '../html.js';
import { useApi } from '../api.js';
import { Async, Section, Sparkline, Table } from '../components.js';
import { agentsRequests } from '../first-requests.js';
import { fmtInt, fmtTime } from '../format.js';
import { routeHref } from '../route.js';
import { bucketTimes, denseValues, groupBy } from '../series.js';

function columns(range, sparks) {
  return [
    { label: 'Agent', value: (a) => html`<a href=${routeHref('agent', a.agent, range)}>${a.agent}</a>` },
    { label: 'Calls', num: true, value: (a) => fmtInt(a.calls) },
    { label: 'Would deny', num: true, title: 'refused by the policy in audit mode (recorded, not blocked)', value: (a) => fmtInt(a.would_deny) },
    { label: 'Denied', num: true, title: 'refused and blocked (enforce mode)', value: (a) => fmtInt(a.denied) },
    { label: 'Tools', num: true, value: (a) => fmtInt(a.tools) },
    { label: 'Peak / min', num: true, title: 'most calls in any rolling minute', value: (a) => fmtInt(a.peak_per_minute) },
    { label: 'Calls over the range', value: (a) => (sparks ? html`<${Sparkline} values=${sparks.get(a.agent) ?? []} label=${`calls of ${a.agent}`} />` : '…') },
    { label: 'Last seen (UTC)', value: (a) => fmtTime(a.last_seen) },
  ];
}

function sparklines(answer) {
  if (!answer) return undefined;
  const times = bucketTimes(answer);
  const out = new Map();
  for (const [agent, list] of groupBy(answer.series, 'agent')) out.set(agent, denseValues(times, list));
  return out;
}

export function AgentsView({ range }) {
  const key = `${range.from}|${range.to}`;
  const [agentsRequest, seriesRequest] = agentsRequests(range);
  const agents = useApi(...agentsRequest, key);
  const series = useApi(...seriesRequest, key);
  const sparks = sparklines(series.data);
  return html`<${Section} title="Agents">
    <${Async} state=${agents} what="agents">${(data) => html`<div data-ready="agents">
      <${Table} testId="agents-table" columns=${columns(range, sparks)} rows=${[...data.agents].sort((a, b) => b.calls - a.calls)} rowKey=${(a) => a.agent}
        empty="No calls recorded in this range. Point a warden proxy at this serve (--otlp), or widen the range." />
    </div>`}<//>
  <//>`;
}
