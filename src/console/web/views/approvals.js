// Approvals: calls a policy holds for a person (`action: approve`). Pending ones, oldest
// first, with Approve / Deny; recent decisions; per agent and tool, how often they are
// approved and how long they wait. Refreshes every few seconds while open: a held call waits.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { request, useApi } from '../api.js';
import { Async, ErrorBox, Section, Table } from '../components.js';
import { fmtDuration, fmtInt, fmtPct, fmtTime } from '../format.js';
import { routeHref } from '../route.js';

const REFRESH_MS = 5_000;

function useTick(ms) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return tick;
}

function Decide({ approval, onDone }) {
  const [reason, setReason] = useState('');
  const [state, setState] = useState({ busy: false });
  const decide = async (decision) => {
    setState({ busy: true });
    try {
      await request(`api/v1/approvals/${encodeURIComponent(approval.id)}/decision`, { body: { decision, reason } });
      setState({ busy: false });
      onDone();
    } catch (error) {
      setState({ busy: false, error });
      onDone();
    }
  };
  return html`<div class="decide">
    <input aria-label=${`reason for ${approval.id}`} placeholder="reason (optional)" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
    <button data-testid="approve" disabled=${state.busy} onClick=${() => decide('approve')}>Approve</button>
    <button data-testid="deny" class="danger" disabled=${state.busy} onClick=${() => decide('deny')}>Deny</button>
    <${ErrorBox} error=${state.error} />
  </div>`;
}

const who = (range) => [
  { label: 'Agent', value: (a) => html`<a href=${routeHref('agent', a.agent, range)}>${a.agent}</a>` },
  { label: 'Tool', value: (a) => a.tool },
];

function Pending({ approvals, range, onDone }) {
  return html`<${Table} testId="pending-table" rows=${approvals} rowKey=${(a) => a.id} empty="No call is waiting for a decision." columns=${[
    ...who(range),
    { label: 'Why held', value: (a) => `${a.rule}${a.reason ? `: ${a.reason}` : ''}` },
    { label: 'Arguments', value: (a) => html`<code class="small">${a.args || a.args_hash || '–'}</code>` },
    { label: 'Asked (UTC)', value: (a) => fmtTime(a.created_at) },
    { label: 'Expires (UTC)', value: (a) => fmtTime(a.expires_at) },
    { label: 'Decide', value: (a) => html`<${Decide} approval=${a} onDone=${onDone} />` },
  ]} />`;
}

function Recent({ approvals, range }) {
  return html`<${Table} testId="recent-approvals" rows=${approvals} rowKey=${(a) => a.id} empty="No approval yet." columns=${[
    { label: 'Status', value: (a) => html`<span class=${`st st-${a.status}`}>${a.status}</span>` },
    ...who(range),
    { label: 'Asked (UTC)', value: (a) => fmtTime(a.created_at) },
    { label: 'Decided (UTC)', value: (a) => fmtTime(a.decided_at) },
    { label: 'By', value: (a) => a.decided_by || '–' },
    { label: 'Reason', value: (a) => a.decision_reason || '–' },
  ]} />`;
}

function Stats({ stats, range }) {
  return html`<${Table} testId="approval-stats" rows=${stats} rowKey=${(s) => `${s.agent}\u0000${s.tool}`} empty="No approval requested in this range." columns=${[
    ...who(range),
    { label: 'Requested', num: true, value: (s) => fmtInt(s.requested) },
    { label: 'Approved', num: true, value: (s) => fmtInt(s.approved) },
    { label: 'Denied', num: true, value: (s) => fmtInt(s.denied) },
    { label: 'Expired', num: true, value: (s) => fmtInt(s.expired) },
    { label: 'Approval rate', num: true, value: (s) => fmtPct(s.approved, s.approved + s.denied + s.expired) },
    { label: 'Wait p50', num: true, value: (s) => fmtDuration(s.wait_p50_ms) },
    { label: 'Wait max', num: true, value: (s) => fmtDuration(s.wait_max_ms) },
  ]} />`;
}

export function ApprovalsView({ range }) {
  const tick = useTick(REFRESH_MS);
  const [decided, setDecided] = useState(0);
  const key = `${tick}|${decided}`;
  const pending = useApi('api/v1/approvals', { status: 'pending' }, key, undefined, { keepPrevious: true });
  const recent = useApi('api/v1/approvals', { limit: 50 }, key, undefined, { keepPrevious: true });
  const stats = useApi('api/v1/approvals/stats', range, `${range.from}|${range.to}|${decided}`);
  const onDone = () => setDecided((d) => d + 1);
  return html`<${Section} title="Waiting for a decision" aside=${html`<span class="muted">refreshes every ${REFRESH_MS / 1000} s</span>`}>
      <${Async} state=${pending} what="pending approvals">${(data) => html`<div data-ready="approvals"><${Pending} approvals=${data.approvals} range=${range} onDone=${onDone} /></div>`}<//>
    <//>
    <${Section} title="Recent"><${Async} state=${recent} what="approvals">${(data) => html`<${Recent} approvals=${data.approvals.filter((a) => a.status !== 'pending')} range=${range} />`}<//><//>
    <${Section} title="By agent and tool"><${Async} state=${stats} what="approval statistics">${(data) => html`<${Stats} stats=${data.stats} range=${range} />`}<//><//>`;
}
