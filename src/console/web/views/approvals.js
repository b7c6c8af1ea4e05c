// Approvals: the place for calls waiting on a human (design.md "Approvals"). The view shows
// in the navigation only when this serve's API document lists /api/v1/approvals; until that
// API lands it lists what the endpoint returns, read-only. Deciding (approve/deny) goes here.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { request, useApi } from '../api.js';
import { Async, Section, Table } from '../components.js';
import { fmtValue } from '../format.js';

export const APPROVALS_PATH = '/api/v1/approvals';

/** Whether this serve has the approvals API (asked once per token change). */
export function useApprovalsAvailable(generation) {
  const [available, setAvailable] = useState(false);
  useEffect(() => {
    request('openapi.json').then((doc) => setAvailable(Boolean(doc?.paths?.[APPROVALS_PATH])), () => setAvailable(false));
  }, [generation]);
  return available;
}

export function ApprovalsView() {
  const state = useApi('api/v1/approvals', {}, 'approvals');
  return html`<${Section} title="Approvals">
    <${Async} state=${state} what="approvals">${(data) => {
      const rows = Array.isArray(data) ? data : data.approvals ?? [];
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 8);
      return html`<div data-ready="approvals"><${Table} testId="approvals-table" rows=${rows} empty="No call is waiting for approval."
        columns=${keys.map((k) => ({ label: k, value: (r) => fmtValue(r[k]) }))} /></div>`;
    }}<//>
  <//>`;
}
