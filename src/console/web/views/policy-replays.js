// The suggested policy's replays, asked for after the policy is on screen (learning alone is
// quick; replaying every call is what takes time on a big store): the backtest (the policy
// over the history it learned from) and the forward test (learned on the earlier part of the
// range, replayed over the later part it never saw).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { useApi } from '../api.js';
import { ErrorBox, Section, Table } from '../components.js';
import { fmtDuration, fmtInt, fmtNum, fmtTime } from '../format.js';
import { SAMPLE_COLUMNS, SimulationResult } from './simulation.js';

/** A visible "still computing" line with the time it has taken so far. */
function Computing({ what }) {
  const [started] = useState(() => Date.now());
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return html`<p class="muted computing" aria-busy="true" data-testid="computing">Computing ${what}… ${fmtDuration(Date.now() - started)}</p>`;
}

const pct = (share) => (typeof share === 'number' ? `${fmtNum(share * 100)}%` : '–');
const span = (r) => `${fmtTime(r.from)} → ${fmtTime(r.to)}`;

function ForwardTest({ result }) {
  const rows = result.by_agent_tool.filter((r) => r.normal_refused > 0 || r.runaway_calls > 0)
    .sort((a, b) => b.normal_refused - a.normal_refused || b.runaway_calls - a.runaway_calls);
  return html`<div data-testid="forward-test">
    <p class="muted">Learned on ${span(result.learned_on)}, replayed on ${span(result.replayed_on)} (UTC): ${fmtInt(result.calls)} calls it never saw.</p>
    <div class="verdicts">
      <div class="verdict" data-testid="forward-normal">
        <h4>Normal calls refused</h4>
        <p class=${`big ${result.normal.refused > 0 ? 'bad' : 'good'}`}>${pct(result.normal.refused_share)}</p>
        <p class="small muted">${fmtInt(result.normal.refused)} of ${fmtInt(result.normal.calls)} (should be none)</p>
      </div>
      <div class="verdict" data-testid="forward-runaway">
        <h4>Runaway excess refused</h4>
        <p class=${`big ${result.runaway_excess.calls === 0 ? '' : result.runaway_excess.refused_share >= 0.8 ? 'good' : 'bad'}`}>${pct(result.runaway_excess.refused_share)}</p>
        <p class="small muted">${result.runaway_excess.calls ? `${fmtInt(result.runaway_excess.refused)} of ${fmtInt(result.runaway_excess.calls)} calls in flagged windows (should be most)` : 'no flagged window in the replayed part'}</p>
      </div>
    </div>
    <p class="muted small">${result.note}</p>
    <h4>Normal calls it would refuse (examples)</h4>
    <${Table} testId="forward-examples" rows=${result.normal.examples} rowKey=${(r) => r.span_id} empty="None: every normal call passes." columns=${SAMPLE_COLUMNS} />
    <h4>By agent and tool</h4>
    <${Table} testId="forward-by-agent-tool" rows=${rows} rowKey=${(r) => `${r.agent}\u0000${r.tool}`} empty="No refusal and no flagged traffic in the replayed part." columns=${[
      { label: 'Agent', value: (r) => r.agent },
      { label: 'Tool', value: (r) => r.tool },
      { label: 'Calls', num: true, value: (r) => fmtInt(r.calls) },
      { label: 'Normal refused', num: true, value: (r) => fmtInt(r.normal_refused) },
      { label: 'Runaway calls', num: true, value: (r) => fmtInt(r.runaway_calls) },
      { label: 'Runaway refused', num: true, value: (r) => fmtInt(r.runaway_refused) },
    ]} />
  </div>`;
}

/**
 * Second request: the same suggestion with its replays, over the first answer's absolute
 * range (so "now" does not move between the two and the policy replayed is the one shown).
 */
export function PolicyReplays({ suggestion, headroom, holdout }) {
  const params = { from: suggestion.range.from, to: suggestion.range.to, headroom, holdout, backtest: 'true' };
  const state = useApi('api/v1/policy/suggested', params, JSON.stringify(params));
  const data = state.data;
  const moved = data && JSON.stringify(data.policy) !== JSON.stringify(suggestion.policy);
  const pending = (what) => (state.error ? html`<${ErrorBox} error=${state.error} />` : html`<${Computing} what=${what} />`);
  return html`
    ${moved ? html`<p class="note" data-testid="policy-moved">Calls arrived in this range after the policy above was learned; the replays below are of the policy learned again with them.</p>` : null}
    <${Section} title="Backtest (the suggestion replayed over the same history)">
      ${!data ? pending('the backtest (every call in the range replayed)') : data.backtest ? html`<div data-ready="backtest"><${SimulationResult} result=${data.backtest} /></div>` : html`<p class="muted">No backtest.</p>`}
    <//>
    <${Section} title="Forward test (learned on the earlier part, replayed on the later part)">
      ${!data ? pending('the forward test') : data.forward_test ? html`<div data-ready="forward-test"><${ForwardTest} result=${data.forward_test} /></div>`
        : html`<p class="muted" data-ready="forward-test">No forward test: ${'forward_test' in data ? 'the range is too short to hold part of it out (or holdout is none).' : 'this serve does not report one.'}</p>`}
    <//>`;
}
