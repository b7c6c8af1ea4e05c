// The analytics API end to end: a seeded workload POSTed as OTLP protobuf to an in-process
// `warden serve`, then rates (vs brute force), anomalies (vs labels), suggest and simulate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyEngine, compilePolicy, type DecisionKind } from '../../../src/policy/index.js';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../../src/config/index.js';
import { Tables, qualified } from '../../../src/storage/index.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { DAY_MS, generateWorkload, scoreDetection, type Workload } from '../../../examples/workload/generate.js';
import { postWorkloadOtlp } from '../../../examples/workload/writers.js';
import { bruteForceRates } from './brute-force.js';
import { eventually } from '../../helpers/eventually.js';

let serve: RunningServe;
let w: Workload;
const iso = (ms: number) => new Date(ms).toISOString();

async function api<T = any>(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, serve.url), {
    method: init?.method ?? 'GET',
    ...(init?.body !== undefined ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

before(async () => {
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('an'), flushInterval: '100ms' }, {});
  serve = await startServe({ config });
  w = generateWorkload({ seed: 11, endMs: Math.floor(Date.now() / 60_000) * 60_000, days: 7 });
  await postWorkloadOtlp(serve.url, w);
  const table = qualified(serve.queryStore.database, Tables.TOOL_CALLS);
  const stored = async () => (await serve.queryStore.query<{ n: number }>(`SELECT count() AS n FROM ${table} FINAL`))[0]?.n;
  await eventually('the workload in tool_calls', async () => (await stored()) === w.calls.length, { intervalMs: 50 });
});

after(async () => {
  await serve?.close();
});

test('rates equal a brute-force rolling count over the raw calls', async () => {
  const from = w.endMs - DAY_MS;
  for (const window of [60, 600]) {
    const res = await api<{ rates: unknown[] }>(`/api/v1/rates?from=${iso(from)}&to=${iso(w.endMs)}&window=${window}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.rates, bruteForceRates(w.calls, from, w.endMs, window));
  }
  const one = await api<{ rates: Array<{ agent: string; tool: string }> }>(`/api/v1/rates?from=${iso(from)}&to=${iso(w.endMs)}&agent=cursor&tool=session_close`);
  assert.deepEqual(one.body.rates.map((r) => [r.agent, r.tool]), [['cursor', 'session_close']]);
});

test('anomalies match the labelled scenarios (recall and precision)', async () => {
  const res = await api<{ anomalies: Array<{ type: string; agent: string; start: string; end: string; sample_span_ids: string[]; method: string }> }>(
    `/api/v1/anomalies?from=${iso(w.endMs - DAY_MS)}&to=${iso(w.endMs)}`,
  );
  assert.equal(res.status, 200);
  const score = scoreDetection(res.body.anomalies, w.labels);
  assert.deepEqual(score.missed.map((l) => l.kind), []);
  assert.ok(score.precision >= 0.9, `precision ${score.precision}: ${JSON.stringify(score.falsePositives)}`);
  const labelled = new Set(w.labels.flatMap((l) => l.spanIds));
  for (const a of res.body.anomalies) {
    assert.ok(a.method.length > 0 && a.sample_span_ids.length > 0, `${a.type} explains itself`);
    assert.ok(a.sample_span_ids.some((s) => labelled.has(s)), `${a.type} samples point at labelled spans`);
  }
  const only = await api<{ anomalies: Array<{ type: string }> }>(`/api/v1/anomalies?from=${iso(w.endMs - DAY_MS)}&to=${iso(w.endMs)}&type=lifecycle_violation`);
  assert.deepEqual([...new Set(only.body.anomalies.map((a) => a.type))], ['lifecycle_violation']);
});

test('the suggested policy refuses no normal call and refuses the runaway\'s excess', async () => {
  const res = await api<any>(`/api/v1/policy/suggested?from=${iso(w.startMs)}&to=${iso(w.endMs)}&headroom=1.5`);
  assert.equal(res.status, 200);
  const compiled = compilePolicy(res.body.policy);
  assert.ok(compiled.ok, JSON.stringify(!compiled.ok && compiled.error));
  assert.deepEqual(res.body.policy.hide, ['doctor', 'forget', 'sync']);
  assert.ok(res.body.policy.grants['nightly-batch'], 'the batch agent gets its own limits');
  // Replay the generated calls through the same engine, in the store's order.
  const engine = new PolicyEngine(compiled.value);
  const counts: Record<string, number> = {};
  const refused = new Set<string>();
  for (const c of w.calls) {
    const d = engine.decide({ tsMs: c.tsMs, agent: c.agent, tool: c.tool, session: c.session });
    counts[d.decision] = (counts[d.decision] ?? 0) + 1;
    if (d.decision !== 'allow') refused.add(c.spanId);
  }
  // Normal = not in a labelled scenario nor within a minute of one for the same agent+tool.
  const nearLabel = (c: (typeof w.calls)[number]) =>
    w.labels.some((l) => l.agent === c.agent && l.tool === c.tool && c.tsMs >= l.startMs - 60_000 && c.tsMs <= l.endMs + 60_000);
  const normalRefused = w.calls.filter((c) => refused.has(c.spanId) && !nearLabel(c));
  assert.deepEqual(normalRefused.map((c) => `${c.agent}/${c.tool}@${iso(c.tsMs)}`), []);
  const storm = w.labels.find((l) => l.kind === 'session_close_storm');
  assert.ok(storm);
  const stopped = storm.excessSpanIds.filter((s) => refused.has(s)).length;
  assert.ok(stopped / storm.excessSpanIds.length >= 0.95, `refused ${stopped} of ${storm.excessSpanIds.length}`);
  // The backtest is the same replay done by the server over the stored calls.
  const decisions = res.body.backtest.summary.decisions as Record<DecisionKind, number>;
  for (const [k, v] of Object.entries(counts)) assert.equal(decisions[k as DecisionKind], v, `backtest ${k}`);
  for (const r of res.body.rules.filter((x: any) => x.path.startsWith('tools.'))) assert.ok(r.evidence.calls > 0 && r.confidence.level);
});

test('simulate counts decisions per agent+tool and reports the first refusals', async () => {
  const policy = { version: '1', default: 'allow', tools: { session_close: { limits: [{ counter: 'sc', window: 'minute', max: 3 }], require: [{ path: 'args.session_id', op: 'exists' }] } } };
  const res = await api<any>('/api/v1/policy/simulate', { method: 'POST', body: { policy, from: iso(w.endMs - DAY_MS), to: iso(w.endMs) } });
  assert.equal(res.status, 200);
  const cursor = res.body.by_agent_tool.find((r: any) => r.agent === 'cursor' && r.tool === 'session_close');
  assert.ok(cursor.rate_limited >= 390, JSON.stringify(cursor));
  assert.equal(cursor.args_unchecked, cursor.calls);
  assert.ok(res.body.samples.some((s: any) => s.agent === 'cursor' && s.decision === 'rate_limited' && s.span_id));
  assert.match(res.body.summary.note, /args_unchecked/);
  const ci = res.body.by_agent_tool.find((r: any) => r.agent === 'ci-bot' && r.tool === 'correct');
  assert.equal(ci.newly_allowed, 30, 'the rate-limited retries would pass under this policy');
});

test('bad input is a 400 naming the field', async () => {
  const cases: Array<[string, RegExp, { method?: string; body?: unknown }?]> = [
    ['/api/v1/rates?from=yesterday', /from/],
    ['/api/v1/rates?from=-1h&to=-2h', /from/],
    ['/api/v1/rates?window=0', /window/],
    ['/api/v1/rates?agent=nobody', /agent/],
    ['/api/v1/anomalies?type=bogus', /type|bogus/],
    ['/api/v1/rates/series?step=1&from=-30d', /step/],
    ['/api/v1/policy/simulate', /policy/, { method: 'POST', body: { policy: { version: '2', default: 'deny' } } }],
    ['/api/v1/policy/simulate', /policy/, { method: 'POST', body: { policy: '{not json' } }],
  ];
  for (const [path, field, init] of cases) {
    const res = await api<{ error: { code: string; message: string } }>(path, init);
    assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, field, path);
  }
});

test('agents, series and the bare policy download', async () => {
  const agents = await api<any>(`/api/v1/agents?from=${iso(w.endMs - DAY_MS)}&to=${iso(w.endMs)}`);
  const cursor = agents.body.agents.find((a: any) => a.agent === 'cursor');
  assert.ok(cursor.peak_per_minute >= 240);
  const ci = agents.body.agents.find((a: any) => a.agent === 'ci-bot');
  assert.equal(ci.denied, 30);
  const series = await api<any>(`/api/v1/rates/series?from=${iso(w.endMs - DAY_MS)}&to=${iso(w.endMs)}&agent=ci-bot&tool=correct&step=3600`);
  const total = series.body.series[0].points.reduce((n: number, p: any) => n + (p.by_decision.rate_limited ?? 0), 0);
  assert.equal(total, 30);
  const file = await fetch(new URL(`/api/v1/policy/suggested.json?from=${iso(w.startMs)}&to=${iso(w.endMs)}`, serve.url));
  assert.match(file.headers.get('content-disposition') ?? '', /attachment/);
  assert.ok(compilePolicy(JSON.parse(await file.text())).ok);
});
