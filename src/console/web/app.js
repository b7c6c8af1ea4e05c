// The console's shell: navigation, time range, token prompt, and the view for the route.
// To change a view, edit its file under views/; reload the page (no build step).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { getToken, onUnauthorized, setToken } from './api.js';
import { navigate, rangeOf, routeHref, useRoute } from './route.js';
import { RangePicker } from './range-picker.js';
import { AgentsView } from './views/agents.js';
import { AgentView } from './views/agent.js';
import { AnomaliesView } from './views/anomalies.js';
import { PolicyView } from './views/policy.js';
import { SimulateView } from './views/simulate.js';
import { AlertsView } from './views/alerts.js';
import { ApprovalsView } from './views/approvals.js';

const VIEWS = {
  agents: { title: 'Agents', component: AgentsView },
  agent: { title: 'Agent', component: AgentView, hidden: true },
  anomalies: { title: 'Anomalies', component: AnomaliesView },
  policy: { title: 'Policy', component: PolicyView },
  simulate: { title: 'Simulate', component: SimulateView },
  approvals: { title: 'Approvals', component: ApprovalsView },
  alerts: { title: 'Alerts', component: AlertsView },
};

function TokenPrompt({ onDone }) {
  const [value, setValue] = useState('');
  const submit = (e) => {
    e.preventDefault();
    setToken(value.trim());
    onDone();
  };
  return html`<form class="card token" onSubmit=${submit} data-testid="token-form">
    <h2>API token</h2>
    <p>This <code>warden serve</code> requires a bearer token (<code>--api-token</code>). It is kept for this browser tab only.</p>
    ${getToken() ? html`<p class="error" role="alert">The token was refused; check it and try again.</p>` : null}
    <input type="password" name="token" autocomplete="off" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} aria-label="API token" autofocus />
    <button type="submit">Continue</button>
  </form>`;
}

function Nav({ route }) {
  const range = { from: route.query.from, to: route.query.to };
  const current = route.view === 'agent' ? 'agents' : route.view;
  return html`<nav class="nav">
    <a class="brand" href=${routeHref('agents', undefined, range)}>Warden</a>
    ${Object.entries(VIEWS)
      .filter(([, v]) => !v.hidden)
      .map(([name, v]) => html`<a href=${routeHref(name, undefined, range)} class=${current === name ? 'active' : ''} aria-current=${current === name ? 'page' : undefined}>${v.title}</a>`)}
  </nav>`;
}

function App() {
  const route = useRoute();
  const [needToken, setNeedToken] = useState(false);
  const [generation, setGeneration] = useState(0);
  useEffect(() => onUnauthorized(() => setNeedToken(true)), []);
  const view = VIEWS[route.view] ?? VIEWS.agents;
  const range = rangeOf(route.query);
  useEffect(() => {
    document.title = `${view.title}${route.arg ? ` ${route.arg}` : ''} · Warden`;
  }, [view, route.arg]);
  if (needToken) {
    return html`<main class="page"><${TokenPrompt} onDone=${() => { setNeedToken(false); setGeneration((g) => g + 1); }} /></main>`;
  }
  const View = view.component;
  return html`<div class="layout">
    <header class="top">
      <${Nav} route=${route} />
      <${RangePicker} key=${range.from + '|' + range.to} range=${range} onChange=${(r) => navigate(route, r)} />
    </header>
    <main class="page" key=${generation} data-route=${location.hash}>
      <${View} route=${route} range=${range} />
    </main>
  </div>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the static "Loading…" line
render(html`<${App} />`, root);
