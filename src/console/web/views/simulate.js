// Simulate: replay the range's recorded calls through a policy you paste or upload.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { request } from '../api.js';
import { ErrorBox, Section } from '../components.js';
import { PolicyInput } from './policy-input.js';
import { SimulationResult } from './simulation.js';

const DRAFT_KEY = 'warden.simulatePolicy';

export function SimulateView({ range }) {
  const [state, setState] = useState({ busy: false });
  const run = async (text) => {
    sessionStorage.setItem(DRAFT_KEY, text);
    if (!text.trim()) return setState({ busy: false, error: new Error('policy: paste a policy or choose a file first') });
    setState({ busy: true });
    try {
      setState({ busy: false, result: await request('api/v1/policy/simulate', { body: { ...range, policy: text } }) });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return html`<${Section} title="Simulate a policy">
      <p data-ready="simulate-form" class="muted">Replays every call recorded from ${range.from} to ${range.to} through the policy, in time order, with the proxy's engine.</p>
      <${PolicyInput} label="Policy (JSON or YAML)" text=${sessionStorage.getItem(DRAFT_KEY) ?? ''} onSubmit=${run} submitLabel="Simulate" busy=${state.busy} />
      <${ErrorBox} error=${state.error} />
    <//>
    ${state.result ? html`<${Section} title="What it would do"><div data-ready="simulate"><${SimulationResult} result=${state.result} /></div><//>` : null}`;
}
