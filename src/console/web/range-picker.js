// The time range: presets, or any from/to the API accepts (ISO-8601, epoch ms, -24h, now).
import { useState } from 'preact/hooks';
import { html } from './html.js';

export const PRESETS = [
  ['-15m', '15 min'], ['-1h', '1 hour'], ['-6h', '6 hours'], ['-24h', '24 hours'], ['-7d', '7 days'], ['-30d', '30 days'],
];

export function RangePicker({ range, onChange }) {
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const preset = range.to === 'now' && PRESETS.some(([v]) => v === range.from) ? range.from : '';
  const apply = (e) => {
    e.preventDefault();
    onChange({ from: from.trim(), to: to.trim() || 'now' });
  };
  return html`<form class="range" onSubmit=${apply} data-testid="range">
    <select aria-label="time range" value=${preset} onChange=${(e) => e.currentTarget.value && onChange({ from: e.currentTarget.value, to: 'now' })}>
      <option value="">custom</option>
      ${PRESETS.map(([v, label]) => html`<option value=${v}>last ${label}</option>`)}
    </select>
    <input aria-label="from" value=${from} onInput=${(e) => setFrom(e.currentTarget.value)} size="22" />
    <span>to</span>
    <input aria-label="to" value=${to} onInput=${(e) => setTo(e.currentTarget.value)} size="22" />
    <button type="submit">Apply</button>
  </form>`;
}
