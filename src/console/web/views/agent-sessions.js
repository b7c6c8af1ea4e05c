// An agent's sessions (one MCP conversation or run each): calls, refusals, errors, first and
// last call, ranked by the API (busiest, most refused or most recent first) and capped.
import { html } from '../html.js';
import { useApi } from '../api.js';
import { Async, Section, Table } from '../components.js';
import { fmtDuration, fmtInt, fmtTime } from '../format.js';
import { navigate } from '../route.js';

const SORTS = { calls: 'busiest', refused: 'most refused', recent: 'most recent' };
const LIMIT = 50;

const columns = [
  { label: 'Session', value: (s) => (s.session ? html`<code>${s.session}</code>` : html`<span class="muted">(no session id)</span>`) },
  { label: 'Calls', num: true, value: (s) => fmtInt(s.calls) },
  { label: 'Tools', num: true, value: (s) => fmtInt(s.tools) },
  { label: 'Refused', num: true, title: 'denied (enforce) + would deny (audit)', value: (s) => (s.refused ? html`<strong>${fmtInt(s.refused)}</strong>` : '0') },
  { label: 'Would deny', num: true, value: (s) => fmtInt(s.would_deny) },
  { label: 'Denied', num: true, value: (s) => fmtInt(s.denied) },
  { label: 'Errors', num: true, value: (s) => fmtInt(s.errors) },
  { label: 'First call (UTC)', value: (s) => fmtTime(s.first_seen) },
  { label: 'Last call (UTC)', value: (s) => fmtTime(s.last_seen) },
  { label: 'Span', num: true, value: (s) => fmtDuration(Date.parse(s.last_seen) - Date.parse(s.first_seen)) },
];

export function AgentSessions({ route, range, agent }) {
  const sort = SORTS[route.query.sessions] ? route.query.sessions : 'calls';
  const state = useApi(`api/v1/agents/${encodeURIComponent(agent)}/sessions`, { ...range, sort, limit: LIMIT }, `${agent}|${range.from}|${range.to}|${sort}`);
  const picker = html`<label class="muted">rank by <select value=${sort} onChange=${(e) => navigate(route, { sessions: e.currentTarget.value })} aria-label="rank sessions by">
    ${Object.entries(SORTS).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
  </select></label>`;
  return html`<${Section} title="Sessions" aside=${picker}>
    <${Async} state=${state} what="sessions">${(data) => html`<div data-ready="agent-sessions">
      <${Table} testId="sessions-table" rows=${data.sessions} rowKey=${(s) => s.session} columns=${columns} empty="No session of this agent in this range." />
      ${data.truncated ? html`<p class="muted small">The ${fmtInt(data.sessions.length)} ${SORTS[sort]} of ${fmtInt(data.total)} sessions.</p>` : null}
    </div>`}<//>
  <//>`;
}
