// Building blocks the views share: tables, states, key/value lists, charts.
import { html } from './html.js';
import { fmtValue } from './format.js';

export const Loading = ({ what = 'data' }) => html`<p class="muted" aria-busy="true">Loading ${what}…</p>`;

export function ErrorBox({ error }) {
  if (!error) return null;
  const code = error.code ? html`<code>${error.code}</code> ` : null;
  return html`<div class="error" role="alert">${code}${error.message ?? String(error)}</div>`;
}

/** Loading, error or `children(data)`, so every view handles the three the same way. */
export function Async({ state, what, children }) {
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  if (state.data === undefined) return html`<${Loading} what=${what} />`;
  return children(state.data);
}

export const Empty = ({ children }) => html`<p class="muted empty">${children}</p>`;

/**
 * columns: [{ label, value: (row) => cell, num?: true, title? }]. Cells are text or vnodes
 * (never HTML strings). `rowKey(row)` keys rows; `empty` is shown when there are none.
 */
export function Table({ columns, rows, rowKey, empty = 'Nothing in this range.', testId }) {
  if (!rows || rows.length === 0) return html`<${Empty}>${empty}<//>`;
  return html`<div class="table-wrap"><table class="data" data-testid=${testId}>
    <thead><tr>${columns.map((c) => html`<th class=${c.num ? 'num' : ''} title=${c.title}>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((row, i) => html`<tr key=${rowKey ? rowKey(row) : i}>
      ${columns.map((c) => html`<td class=${c.num ? 'num' : ''}>${c.value(row)}</td>`)}
    </tr>`)}</tbody>
  </table></div>`;
}

/** An object's fields as a definition list; `labels` renames and orders keys. */
export function KeyValues({ object, labels }) {
  const keys = labels ? Object.keys(labels).filter((k) => k in object) : Object.keys(object);
  return html`<dl class="kv">${keys.map((k) => html`<div><dt>${labels?.[k] ?? k}</dt><dd>${fmtValue(object[k])}</dd></div>`)}</dl>`;
}

export const Section = ({ title, children, aside }) => html`<section class="card">
  <header class="card-head"><h2>${title}</h2>${aside}</header>
  ${children}
</section>`;

/** A tiny inline line chart (SVG, no library): one per table row stays cheap. */
export function Sparkline({ values, width = 120, height = 24, label }) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  return html`<svg class="spark" width=${width} height=${height} viewBox="0 0 ${width} ${height}" role="img" aria-label=${label}>
    <polyline points=${points} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`;
}
