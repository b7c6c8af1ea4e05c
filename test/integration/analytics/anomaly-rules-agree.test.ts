// One definition per SQL-decided anomaly rule: the API (/api/v1/anomalies through a running
// serve), the alert loop (evaluateRules with the real detectors) and the dashboards' anomaly
// panel (the generated overview's rawSql through the Grafana macro emulator) are run on one
// labelled store and must report the same lifecycle violations and deny storms. The store has
// the cases the three used to disagree on: a non-lifecycle `*_open` tool called twice, a burst
// of audit-mode would-denies, and a slow retry storm (12 refusals over 4 minutes).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../../src/config/index.js';
import { analyticsContext } from '../../../src/analytics/index.js';
import { analyticsAnomalySource } from '../../../src/alerts/anomaly-source.js';
import { DEFAULT_ALERT_RULES, evaluateRules, parseAlertsText } from '../../../src/alerts/index.js';
import { generateArtifacts } from '../../../src/dashboards/index.js';
import { ALL_VALUE, dashboardQueries, expandBackendMacros, interpolateFrontend, type VariableStates } from '../../helpers/grafana/index.js';
import { ManualClock } from '../../../src/core/index.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { Builder, DAY_MS, prng, type GeneratedCall } from '../../../examples/workload/generate.js';
import { planBusyOrg, writeBusyOrg, type BusyOrg } from '../../../examples/workload/busy-org.js';
import { insertWorkloadDirect } from '../../../examples/workload/writers.js';

const END = Date.parse('2026-11-20T00:00:00Z');
let serve: RunningServe;
let org: BusyOrg;

/** The old definitions' disagreements, plus a storm in the last minute for the metric rule. */
function edgeCases(): GeneratedCall[] {
  const b = new Builder(prng(99), 99);
  const t0 = END - 3 * 3_600_000;
  b.call(t0, 'browser', 'browser-s1', 'file_open');
  b.call(t0 + 5_000, 'browser', 'browser-s1', 'file_open');
  for (let i = 0; i < 15; i++) b.call(t0 + i * 2_000, 'auditor', 'auditor-s1', 'forget', { decision: 'deny', enforced: false, mode: 'audit' });
  for (let i = 0; i < 12; i++) b.call(t0 + i * 20_000, 'slow-retrier', 'slow-s1', 'doctor', { decision: 'deny', enforced: true, mode: 'enforce' });
  for (let i = 0; i < 14; i++) b.call(END - 50_000 + i * 3_000, 'late-stormer', 'late-s1', 'correct', { decision: 'rate_limited', enforced: true, mode: 'enforce' });
  return b.calls;
}

before(async () => {
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('agree') }, {});
  serve = await startServe({ config });
  org = planBusyOrg({ seed: 5, calls: 40_000, days: 2, endMs: END, episodesPerType: 2 });
  await writeBusyOrg(serve.ingestStore, org);
  await insertWorkloadDirect(serve.ingestStore, { startMs: org.startMs, endMs: END, calls: edgeCases(), labels: [], normalAgents: [], offeredTools: [] });
});

after(async () => {
  await serve?.close();
});

interface Flag { type: string; agent: string; tool: string; severity: string; observed: number; threshold: number; calls: number; sessions: number; start: number; end: number }
const key = (f: Flag) => JSON.stringify([f.type, f.agent, f.tool, f.severity, f.observed, f.threshold, f.calls, f.sessions, f.start, f.end]);

async function apiFlags(fromMs: number, toMs: number): Promise<Flag[]> {
  const url = new URL(`/api/v1/anomalies?type=lifecycle_violation,deny_storm&limit=10000&from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`, serve.url);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { anomalies: Array<Omit<Flag, 'start' | 'end'> & { start: string; end: string }>; truncated: boolean };
  assert.equal(body.truncated, false);
  return body.anomalies.map((a) => ({ ...a, sessions: a.sessions ?? 0, start: Date.parse(a.start), end: Date.parse(a.end) }));
}

async function panelFlags(fromMs: number, toMs: number): Promise<Flag[]> {
  const board = JSON.parse(generateArtifacts({ database: serve.queryStore.database, alertRules: DEFAULT_ALERT_RULES }).get('overview.json') as string) as object;
  const panel = dashboardQueries(board).find((q) => q.panel === 'Anomalies (SQL-detectable)');
  assert.ok(panel);
  const vars: VariableStates = Object.fromEntries(['agent', 'tool', 'upstream', 'risk', 'decision'].map((n) => [n, { value: [ALL_VALUE], options: [] }]));
  const sql = expandBackendMacros(interpolateFrontend(panel.rawSql, vars), { from: new Date(fromMs), to: new Date(toMs), intervalMs: 60_000 });
  const rows = await serve.queryStore.query<Omit<Flag, 'start' | 'end'> & { start: string; end: string }>(sql);
  assert.ok(rows.length < 200, 'the panel is not capped on this store');
  return rows.map((r) => ({
    type: r.type, agent: r.agent, tool: r.tool, severity: r.severity, observed: Number(r.observed), threshold: Number(r.threshold),
    calls: Number(r.calls), sessions: Number(r.sessions), start: Date.parse(r.start), end: Date.parse(r.end),
  }));
}

test('API and dashboard panel report the same lifecycle violations and deny storms, severity, counts and times included', async () => {
  const from = END - DAY_MS;
  const api = await apiFlags(from, END);
  const panel = await panelFlags(from, END);
  assert.deepEqual(panel.map(key).sort(), api.map(key).sort());
  const types = new Set(api.map((f) => f.type));
  assert.deepEqual([...types].sort(), ['deny_storm', 'lifecycle_violation']);
  // The old definitions' disagreements are decided one way, everywhere.
  assert.ok(!api.some((f) => f.agent === 'browser'), 'file_open is not a lifecycle tool');
  assert.ok(!api.some((f) => f.agent === 'auditor'), 'audit-mode would-denies are not a storm (the agent never saw them)');
  assert.ok(!api.some((f) => f.agent === 'slow-retrier'), '12 refusals over 4 minutes never reach 10 within 60 s');
  for (const l of org.labels.filter((x) => x.expected === 'deny_storm' || x.kind === 'double_start')) {
    assert.ok(api.some((f) => f.type === l.expected && f.agent === l.agent && f.start <= l.endMs && f.end >= l.startMs), `${l.kind} ${l.agent} found`);
  }
});

test('the alert loop fires for exactly the agents and tools the API flags', async () => {
  const within = 6 * 3_600_000;
  const rules = parseAlertsText(`
rules:
  - { name: lifecycle, when: { anomaly: [lifecycle_violation], severity_at_least: low, within: 6h, per_tool: true } }
  - { name: storms, when: { anomaly: [deny_storm], severity_at_least: low, within: 6h, per_tool: true } }
  - { name: deny-storm, when: { deny_storm: true } }
`);
  assert.ok(rules.ok);
  const ctx = analyticsContext(serve.queryStore, undefined, new ManualClock(END));
  const result = await evaluateRules(serve.queryStore, rules.value.rules, analyticsAnomalySource(ctx), END);
  assert.deepEqual(result.failures, []);
  const fired = (rule: string) => result.observations.filter((o) => o.rule === rule).map((o) => `${o.agent}/${o.tool}`).sort();
  const flagged = async (type: string, fromMs: number) =>
    [...new Set((await apiFlags(fromMs, END)).filter((f) => f.type === type).map((f) => `${f.agent}/${f.tool}`))].sort();
  assert.deepEqual(fired('lifecycle'), await flagged('lifecycle_violation', END - within));
  assert.deepEqual(fired('storms'), await flagged('deny_storm', END - within));
  // The metric form is the same rule over its own window (the last 60 s).
  assert.deepEqual(fired('deny-storm'), await flagged('deny_storm', END - 60_000));
  assert.deepEqual(fired('deny-storm'), ['late-stormer/correct']);
  assert.ok(fired('lifecycle').length > 10, 'the buggy framework is flagged per agent');
});

test('a store where every session misbehaves yields a ranked, capped answer with per-type counts', async () => {
  const res = await fetch(new URL(`/api/v1/anomalies?from=${new Date(END - DAY_MS).toISOString()}&to=${new Date(END).toISOString()}&limit=5`, serve.url));
  assert.equal(res.status, 200);
  const body = (await res.json()) as { anomalies: Array<{ severity: string; observed: number; threshold: number; type: string }>; counts: Record<string, number>; total: number; truncated: boolean };
  assert.equal(body.anomalies.length, 5);
  assert.equal(body.truncated, true);
  assert.equal(body.total, Object.values(body.counts).reduce((a, b) => a + b, 0));
  assert.ok((body.counts.lifecycle_violation ?? 0) > 10 && (body.counts.deny_storm ?? 0) >= 2, JSON.stringify(body.counts));
  const rank = (s: string) => ['low', 'medium', 'high', 'critical'].indexOf(s);
  for (let i = 1; i < body.anomalies.length; i++) {
    const [a, b] = [body.anomalies[i - 1], body.anomalies[i]] as [(typeof body.anomalies)[number], (typeof body.anomalies)[number]];
    assert.ok(rank(a.severity) > rank(b.severity) || (rank(a.severity) === rank(b.severity) && a.observed / a.threshold >= b.observed / b.threshold), 'ranked');
  }
  assert.equal(body.anomalies[0]?.severity, 'critical');
  const bad = await fetch(new URL('/api/v1/anomalies?limit=0', serve.url));
  assert.equal(bad.status, 400);
});
