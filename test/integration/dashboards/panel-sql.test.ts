import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ALERT_RULES } from '../../../src/alerts/parse.js';
import type { StoreDriver } from '../../../src/storage/index.js';
import { ProvisioningFiles, generateArtifacts, traceByIdSql, tableRefs } from '../../../src/dashboards/index.js';
import { ALL_VALUE, dashboardQueries, expandBackendMacros, interpolateFrontend, variableQueries, type QueryTimeContext, type VariableStates } from '../../helpers/grafana/index.js';
import { parse } from 'yaml';
import { openTestStore } from '../../helpers/store.js';
import { RUNAWAY_AGENT, fillPanelStore, type PanelFixture } from './fixture.js';
import { EXPECTED_COLUMNS } from './expected-columns.js';

let store: StoreDriver;
let fixture: PanelFixture;
let artifacts: Map<string, string>;
let range: QueryTimeContext;

before(async () => {
  store = await openTestStore();
  fixture = await fillPanelStore(store);
  artifacts = generateArtifacts({ database: store.database, alertRules: DEFAULT_ALERT_RULES });
  range = { from: new Date(fixture.workload.endMs - 2 * 86_400_000), to: new Date(fixture.workload.endMs), intervalMs: 300_000 };
});

after(async () => {
  await store.close();
});

function board(file: string): object {
  return JSON.parse(artifacts.get(file) as string) as object;
}

/** What Grafana sends ClickHouse for `rawSql`: frontend interpolation, then the backend's macros. */
function render(rawSql: string, vars: VariableStates, ctx = range): string {
  return expandBackendMacros(interpolateFrontend(rawSql, vars), ctx);
}

/** Resolves variables in order, as Grafana does: each variable's query sees the ones before it. */
async function resolveVariables(file: string, chosen: Record<string, string>): Promise<VariableStates> {
  const vars: VariableStates = {};
  for (const v of variableQueries(board(file))) {
    const rows = await store.query<Record<string, string>>(render(v.rawSql, vars));
    const options = rows.map((r) => Object.values(r)[0] as string);
    assert.ok(options.length > 0, `${file}: variable ${v.name} has no options`);
    const pick = chosen[v.name];
    if (pick !== undefined) assert.ok(options.includes(pick), `${file}: ${v.name} lacks ${pick} (has ${options.join(', ')})`);
    vars[v.name] = { value: pick ?? (v.includeAll ? [ALL_VALUE] : (options[0] as string)), options };
  }
  return vars;
}

async function runDashboard(file: string, vars: VariableStates): Promise<Map<string, Record<string, unknown>[]>> {
  const results = new Map<string, Record<string, unknown>[]>();
  const expected = EXPECTED_COLUMNS[file] ?? {};
  for (const q of dashboardQueries(board(file))) {
    const key = `${q.panel}/${q.refId}`;
    const sql = render(q.rawSql, vars);
    assert.doesNotMatch(sql, /\$__|\$\{|\$[a-z]/, `${key}: unexpanded macro or variable in\n${sql}`);
    const rows = await store.query(sql);
    assert.ok(rows.length > 0, `${file} ${key}: no rows from\n${sql}`);
    assert.deepEqual(Object.keys(rows[0] as object), expected[key], `${file} ${key}: columns`);
    results.set(key, rows);
  }
  assert.deepEqual([...results.keys()].sort(), Object.keys(expected).sort(), `${file}: every panel query has expected columns`);
  return results;
}

test('overview: every panel query returns its columns and rows on the workload', async () => {
  const results = await runDashboard('overview.json', await resolveVariables('overview.json', {}));
  const outcomes = new Set(results.get('Decisions over time/A')?.map((r) => r.outcome));
  assert.deepEqual([...outcomes].sort(), ['allow', 'denied', 'would-deny']);
  const types = new Set(results.get('Anomalies (SQL-detectable)/A')?.map((r) => r.type));
  assert.deepEqual([...types].sort(), ['deny_storm', 'lifecycle_violation']);
  const storm = results.get('Anomalies (SQL-detectable)/A')?.find((r) => r.type === 'lifecycle_violation' && r.agent === 'cursor');
  assert.ok(storm && Number(storm.observed) >= 400, 'the session_close storm (400 closes of one session) is a lifecycle violation');
  const writers = results.get('Top agents by write calls/A') ?? [];
  assert.ok(writers.some((r) => r.agent === 'cursor' && Number(r.peak_per_minute) > 60), 'the runaway closes peak above the alert threshold');
});

test('agent drill-down: panels for one agent, with tool = All and with one tool', async () => {
  const allTools = await resolveVariables('agent.json', { agent: RUNAWAY_AGENT });
  const results = await runDashboard('agent.json', allTools);
  const limits = results.get('Per-tool rate vs policy limit/B') ?? [];
  assert.ok(limits.every((r) => r.tool === 'session_close' && Number(r.limit_per_min) === 30), 'the limit series is 30/min');
  const lifecycle = results.get('Session lifecycle/A')?.[0];
  assert.equal(lifecycle?.status, 'closed more than once');
  const oneTool = { ...allTools, tool: { value: ['session_close'], options: allTools.tool?.options ?? [] } };
  const filtered = await runDashboard('agent.json', oneTool);
  assert.ok(filtered.get('Recent calls/A')?.every((r) => r.tool === 'session_close'));
});

test('policy rollout: would-deny per agent and tool under the current policy, readiness', async () => {
  const results = await runDashboard('rollout.json', await resolveVariables('rollout.json', {}));
  const refusals = results.get('What the current policy would refuse/A') ?? [];
  assert.deepEqual(refusals.map((r) => [r.agent, r.tool, Number(r.would_deny)]), [[RUNAWAY_AGENT, 'session_close', 15]]);
  const readiness = results.get('Readiness per agent/A') ?? [];
  assert.equal(readiness.find((r) => r.agent === RUNAWAY_AGENT)?.status, 'not yet');
  assert.equal(readiness.find((r) => r.agent === 'researcher')?.status, 'ready');
  const unused = (results.get('Offered but never used/A') ?? []).map((r) => r.tool);
  assert.ok(unused.includes('forget') && unused.includes('doctor'), `unused tools: ${unused.join(', ')}`);
});

test('the trace link query returns one trace in the trace view shape', async () => {
  const sql = traceByIdSql(tableRefs(store.database), `'${fixture.runawayTraceId}'`);
  const rows = await store.query<Record<string, unknown>>(sql);
  assert.equal(rows.length, 1);
  assert.deepEqual(Object.keys(rows[0] as object), ['traceID', 'spanID', 'parentSpanID', 'serviceName', 'operationName', 'startTime', 'duration', 'tags', 'serviceTags', 'statusCode']);
  assert.ok((rows[0]?.tags as Array<{ key: string }>).some((t) => t.key === 'gen_ai.agent.id'));
});

test('provisioned alert rules run and find the runaway closes above their threshold', async () => {
  const file = parse(artifacts.get(ProvisioningFiles.ALERTING) as string) as { groups: Array<{ rules: Array<{ title: string; data: Array<{ model: { rawSql?: string; intervalMs?: number }; relativeTimeRange?: { from: number; to: number } }> }> }> };
  const rules = file.groups[0]?.rules ?? [];
  assert.ok(rules.length >= 3);
  // The cursor storm closes 240 sessions a minute; evaluate 70 s after it started.
  const label = fixture.workload.labels.find((l) => l.kind === 'session_close_storm');
  assert.ok(label);
  const evalAt = label.startMs + 70_000;
  const fired: string[] = [];
  for (const rule of rules) {
    const query = rule.data[0];
    assert.ok(query?.model.rawSql && query.relativeTimeRange);
    const ctx = { from: new Date(evalAt - query.relativeTimeRange.from * 1000), to: new Date(evalAt - query.relativeTimeRange.to * 1000), intervalMs: query.model.intervalMs ?? 1000 };
    // Alert queries run in the backend only: no frontend step, no dashboard variables.
    const rows = await store.query<{ agent: string; value: number }>(expandBackendMacros(query.model.rawSql, ctx));
    if (rows.some((r) => r.agent === 'cursor' && Number(r.value) > 60)) fired.push(rule.title);
  }
  assert.ok(fired.includes('runaway-writes'), `fired: ${fired.join(', ')}`);
});
