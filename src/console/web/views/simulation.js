// A simulation (simulate, or suggest's backtest): totals, and what would change by agent and tool.
import { html } from '../html.js';
import { KeyValues, Table } from '../components.js';
import { fmtInt, fmtTime } from '../format.js';

const REFUSALS = ['deny', 'rate_limited', 'invalid_arguments', 'approval_required'];

/** A replayed call the policy refused (simulate's samples, the forward test's examples). */
export const SAMPLE_COLUMNS = [
  { label: 'Time (UTC)', value: (r) => fmtTime(r.ts) },
  { label: 'Agent', value: (r) => r.agent },
  { label: 'Tool', value: (r) => r.tool },
  { label: 'Decision', value: (r) => r.decision },
  { label: 'Rule', value: (r) => html`<code>${r.rule}</code>` },
  { label: 'Reason', value: (r) => r.reason },
];

export function SimulationResult({ result }) {
  const s = result.summary;
  const refused = (r) => REFUSALS.reduce((n, d) => n + r[d], 0);
  const quiet = result.by_agent_tool.filter((r) => refused(r) === 0 && r.newly_allowed === 0).length;
  const rows = result.by_agent_tool.filter((r) => refused(r) > 0 || r.newly_allowed > 0).sort((a, b) => b.newly_refused - a.newly_refused || refused(b) - refused(a));
  return html`<div data-testid="simulation">
    <${KeyValues} object=${s} labels=${{ calls: 'calls replayed', changed: 'decisions changed', newly_refused: 'newly refused', newly_allowed: 'newly allowed', args_unchecked: 'argument rules not checkable' }} />
    <h4>Decisions under this policy</h4>
    <${KeyValues} object=${s.decisions} />
    <p class="muted small">${s.note}</p>
    <h4>By agent and tool: what it would refuse</h4>
    <${Table} testId="by-agent-tool" rows=${rows} rowKey=${(r) => `${r.agent}\u0000${r.tool}`} columns=${[
      { label: 'Agent', value: (r) => r.agent },
      { label: 'Tool', value: (r) => r.tool },
      { label: 'Calls', num: true, value: (r) => fmtInt(r.calls) },
      ...REFUSALS.map((d) => ({ label: d.replace('_', ' '), num: true, value: (r) => fmtInt(r[d]) })),
      { label: 'Newly refused', num: true, value: (r) => fmtInt(r.newly_refused) },
      { label: 'Newly allowed', num: true, value: (r) => fmtInt(r.newly_allowed) },
    ]} empty="It would refuse nothing in this range." />
    ${quiet ? html`<p class="muted small">${fmtInt(quiet)} agent/tool pairs where it refuses nothing and changes nothing are not listed.</p>` : null}
    <h4>First refused calls</h4>
    <${Table} testId="samples" rows=${result.samples} rowKey=${(r) => r.span_id} empty="No call would be refused." columns=${[
      ...SAMPLE_COLUMNS,
      { label: 'Recorded', value: (r) => r.actual_decision },
    ]} />
  </div>`;
}
