// Alerts: the alert loop's current states, its last evaluation, recent notifications, rules.
import { html } from '../html.js';
import { useApi } from '../api.js';
import { Async, KeyValues, Section, Table } from '../components.js';
import { fmtNum, fmtTime } from '../format.js';
import { routeHref } from '../route.js';

function States({ alerts, range }) {
  return html`<${Table} testId="alerts-table" rows=${alerts} rowKey=${(a) => a.fingerprint} empty="No alert is pending, firing or recently resolved." columns=${[
    { label: 'Status', value: (a) => html`<span class=${`st st-${a.status}`}>${a.status}</span>` },
    { label: 'Rule', value: (a) => a.rule },
    { label: 'Severity', value: (a) => html`<span class=${`sev sev-${a.severity}`}>${a.severity}</span>` },
    { label: 'Agent', value: (a) => (a.agent ? html`<a href=${routeHref('agent', a.agent, range)}>${a.agent}</a>` : '–') },
    { label: 'Tool', value: (a) => a.tool || '–' },
    { label: 'Value', num: true, value: (a) => fmtNum(a.value) },
    { label: 'Summary', value: (a) => a.summary },
    { label: 'Since (UTC)', value: (a) => fmtTime(a.firing_since ?? a.active_since) },
  ]} />`;
}

function Notifications({ notifications }) {
  return html`<${Table} testId="notifications-table" rows=${notifications} rowKey=${(n) => `${n.ts}|${n.fingerprint}|${n.target}`} empty="No notification sent yet." columns=${[
    { label: 'Time (UTC)', value: (n) => fmtTime(n.ts) },
    { label: 'Rule', value: (n) => n.rule },
    { label: 'Agent', value: (n) => n.agent || '–' },
    { label: 'Status', value: (n) => `${n.status}${n.repeat ? ' (repeat)' : ''}` },
    { label: 'Target', value: (n) => `${n.target} (${n.target_type})` },
    { label: 'Delivery', value: (n) => html`<span class=${`dl dl-${n.delivery}`}>${n.delivery}</span>${n.error ? html` <span class="muted small">${n.error}</span>` : null}` },
  ]} />`;
}

export function AlertsView({ range }) {
  const state = useApi('api/v1/alerts', { limit: 50 }, 'alerts');
  return html`<${Async} state=${state} what="alerts">${(data) => html`<div data-ready="alerts">
    <${Section} title="Alert states" aside=${html`<span class="muted">rules from ${data.source}, evaluated every ${data.interval_ms / 1000} s</span>`}>
      ${data.last_evaluation ? html`<${KeyValues} object=${{ ...data.last_evaluation, at: `${fmtTime(data.last_evaluation.at)} UTC` }} labels=${{ at: 'last evaluation', duration_ms: 'took (ms)', firing: 'firing', pending: 'pending', notifications: 'notifications' }} />` : null}
      ${data.last_evaluation?.failures.length ? html`<div class="error">${data.last_evaluation.failures.map((f) => html`<div>${f.rule}: ${f.error}</div>`)}</div>` : null}
      <${States} alerts=${data.alerts} range=${range} />
    <//>
    <${Section} title="Recent notifications"><${Notifications} notifications=${data.notifications} /><//>
    <${Section} title="Rules">
      <${Table} testId="rules" rows=${data.rules} rowKey=${(r) => r.name} columns=${[
        { label: 'Name', value: (r) => r.name },
        { label: 'Condition', value: (r) => html`<code>${r.condition}</code>` },
        { label: 'For', num: true, value: (r) => `${r.for_ms / 1000} s` },
        { label: 'Severity', value: (r) => r.severity },
        { label: 'Notify', value: (r) => r.notify.join(', ') || '–' },
      ]} />
    <//>
  </div>`}<//>`;
}
