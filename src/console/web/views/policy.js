// Policy: the suggested policy and its diff against the current one (when given) first, from a
// request without replays; then its backtest and forward test (policy-replays.js), and the file
// as a download.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { request, useApi } from '../api.js';
import { Async, ErrorBox, KeyValues, Section, Table } from '../components.js';
import { headroomOf, suggestionRequest } from '../first-requests.js';
import { fmtValue } from '../format.js';
import { navigate } from '../route.js';
import { getCurrentPolicyText, setCurrentPolicyText } from '../policy-doc.js';
import { PolicyInput } from './policy-input.js';
import { PolicyReplays } from './policy-replays.js';

/** Saves the policy file the API serves (so the download is byte for byte what the API gives). */
async function download(params, setError) {
  try {
    const text = await request('api/v1/policy/suggested.json', { params, as: 'text' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    link.download = 'policy.json';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (e) {
    setError(e);
  }
}

function Diff({ diff }) {
  const changed = diff.entries.filter((e) => e.change !== 'unchanged');
  const against = diff.against === 'request' ? 'your current policy' : 'no policy (allow everything): give the current policy above to diff against it';
  return html`<p class="muted">Against ${against}.${diff.recorded_policy_hash ? html` Proxies recorded policy <code>${diff.recorded_policy_hash.slice(0, 12)}</code>.` : null}</p>
    <${KeyValues} object=${diff.counts} />
    <${Table} testId="diff-table" rows=${changed} rowKey=${(e) => e.path} empty="No difference." columns=${[
      { label: 'Path', value: (e) => html`<code>${e.path}</code>` },
      { label: 'Change', value: (e) => html`<span class=${`chg chg-${e.change}`}>${e.change}</span>` },
      { label: 'Before', value: (e) => html`<code>${fmtValue(e.before)}</code>` },
      { label: 'After', value: (e) => html`<code>${fmtValue(e.after)}</code>` },
    ]} />`;
}

const evidenceText = (evidence) =>
  evidence && typeof evidence === 'object' ? Object.entries(evidence).map(([k, v]) => `${k.replaceAll('_', ' ')} ${fmtValue(v)}`).join(' · ') : fmtValue(evidence);

function Rules({ rules }) {
  return html`<${Table} testId="rules-table" rows=${rules} rowKey=${(r) => r.path} columns=${[
    { label: 'Path', value: (r) => html`<code>${r.path}</code>` },
    { label: 'Change', value: (r) => r.change },
    { label: 'Confidence', value: (r) => (r.confidence ? `${r.confidence.level} (${fmtValue(r.confidence.score)})` : '–') },
    { label: 'Evidence', value: (r) => html`<span class="small">${evidenceText(r.evidence)}</span>` },
  ]} />`;
}

function Suggestion({ data, params, holdout }) {
  const [error, setError] = useState(undefined);
  return html`<div data-ready="policy">
    <${Section} title="Suggested policy" aside=${html`<button data-testid="download" onClick=${() => download(params, setError)}>Download policy.json</button>`}>
      <${ErrorBox} error=${error} />
      <p class="muted">Learned from ${data.range.from} to ${data.range.to}; ${data.excluded.calls} calls of ${data.excluded.anomalies} anomalies left out of learning.</p>
      <pre class="code" data-testid="policy-json">${JSON.stringify(data.policy, null, 2)}</pre>
    <//>
    <${Section} title="Diff"><${Diff} diff=${data.diff} /><//>
    <${PolicyReplays} suggestion=${data} headroom=${params.headroom} holdout=${holdout} />
    <${Section} title="Rules and evidence"><${Rules} rules=${data.rules} /><//>
  </div>`;
}

export function PolicyView({ route, range }) {
  const headroom = headroomOf(route.query);
  const holdout = route.query.holdout || undefined;
  const [current, setCurrent] = useState(getCurrentPolicyText());
  const params = { ...range, headroom };
  // The policy and its diff without the replays: on a big store those take most of the time.
  const body = current ? { ...params, headroom: Number(headroom), current, backtest: false } : undefined;
  const state = useApi(...suggestionRequest(route.query, range), JSON.stringify([params, current]), body);
  const saveCurrent = (text) => {
    setCurrentPolicyText(text);
    setCurrent(getCurrentPolicyText());
  };
  return html`<${Section} title="Learn a policy">
      <div class="filters">
        <label>headroom × <input type="number" min="1" max="100" step="0.1" value=${headroom} onChange=${(e) => navigate(route, { headroom: e.currentTarget.value })} /></label>
        <label title="the later part of the range the forward test replays: a share (20%) or a duration (8h, 2d); default the last 20 %, at least a day when the range allows">forward-test holdout <input size="6" placeholder="20%" value=${holdout ?? ''} onChange=${(e) => navigate(route, { holdout: e.currentTarget.value.trim() })} /></label>
        <span class="muted">Suggest learns best from a week or more: <a href=${`#/policy?from=-7d&to=now&headroom=${headroom}`}>last 7 days</a>.</span>
      </div>
      <${PolicyInput} label="Current policy (optional, JSON or YAML; kept for this tab)" text=${current} onSubmit=${saveCurrent} submitLabel="Diff against it" clearable />
    <//>
    <${Async} state=${state} what="the suggested policy">${(data) => html`<${Suggestion} data=${data} params=${params} holdout=${holdout} />`}<//>`;
}
