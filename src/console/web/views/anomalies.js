// Anomalies: ranked by severity, then by how far past its threshold each one is, with the
// detector's explanation, observed vs baseline and threshold, and the sample calls' span ids.
import { html } from '../html.js';
import { useApi } from '../api.js';
import { Async, Empty, Section } from '../components.js';
import { anomaliesRequest } from '../first-requests.js';
import { fmtDuration, fmtInt, fmtNum, fmtTime } from '../format.js';
import { navigate, routeHref } from '../route.js';

export const SEVERITY_RANK = { critical: 4, high: 3, medium: 2, low: 1 };
const excess = (a) => (a.threshold > 0 ? a.observed / a.threshold : a.observed);

export const rankAnomalies = (list) =>
  [...list].sort((a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) || excess(b) - excess(a));

/** observed, baseline and threshold on one scale, so "how far past" reads at a glance. */
function Evidence({ a }) {
  const top = Math.max(a.observed, a.threshold, a.baseline, 1e-9);
  const bar = (label, value, cls) => html`<div class="ev-row"><span class="ev-label">${label}</span>
    <span class="ev-track"><span class=${`ev-bar ${cls}`} style=${{ width: `${Math.max(0.5, (100 * value) / top)}%` }}></span></span>
    <span class="num">${fmtNum(value)}</span></div>`;
  return html`<div class="evidence">${bar('observed', a.observed, 'obs')}${bar('threshold', a.threshold, 'thr')}${bar('baseline', a.baseline, 'base')}</div>`;
}

function AnomalyCard({ a, range }) {
  return html`<article class="card anomaly" data-testid="anomaly" data-type=${a.type} data-agent=${a.agent}>
    <header class="card-head">
      <h3><span class=${`sev sev-${a.severity}`}>${a.severity}</span> ${a.type}</h3>
      <span class="muted">${fmtTime(a.start)} → ${fmtTime(a.end)} (${fmtDuration(Date.parse(a.end) - Date.parse(a.start))})</span>
    </header>
    <p class="who">agent <a class="name" href=${routeHref('agent', a.agent, range)}>${a.agent}</a> · tool <span class="name">${a.tool}</span>${a.session ? html` · session <span class="name">${a.session}</span>` : null} · ${fmtInt(a.calls)} calls</p>
    <p class="explanation">${a.explanation}</p>
    <${Evidence} a=${a} />
    <p class="muted small">method: ${a.method}</p>
    ${a.sample_span_ids.length ? html`<details><summary>${a.sample_span_ids.length} sample calls (span ids)</summary>
      <ul class="spans">${a.sample_span_ids.map((id) => html`<li><code>${id}</code></li>`)}</ul></details>` : null}
  </article>`;
}

function Filters({ route }) {
  const q = route.query;
  return html`<div class="filters">
    <label>min severity <select value=${q.severity ?? ''} onChange=${(e) => navigate(route, { severity: e.currentTarget.value })}>
      <option value="">any</option>${Object.keys(SEVERITY_RANK).reverse().map((s) => html`<option value=${s}>${s}</option>`)}
    </select></label>
    ${q.agent ? html`<span>agent <span class="name">${q.agent}</span> <a href=${routeHref('anomalies', undefined, { ...q, agent: '' })}>(all agents)</a></span>` : null}
  </div>`;
}

export function AnomaliesView({ route, range }) {
  const q = route.query;
  const [path, params] = anomaliesRequest(q, range);
  const state = useApi(path, params, JSON.stringify(params));
  return html`<${Section} title="Anomalies" aside=${html`<${Filters} route=${route} />`}>
    <${Async} state=${state} what="anomalies">${(data) => html`<div data-ready="anomalies">
      ${data.anomalies.length === 0 ? html`<${Empty}>No anomaly in this range.<//>` : rankAnomalies(data.anomalies).map((a) => html`<${AnomalyCard} key=${a.id} a=${a} range=${range} />`)}
    </div>`}<//>
  <//>`;
}
