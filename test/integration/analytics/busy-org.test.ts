// The busy-organisation workload (1 M calls, one store for the file) through a running
// `warden serve`: the generator's shape and labels, and detection against the labels.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../../src/config/index.js';
import { Tables, qualified, type StoreDriver } from '../../../src/storage/index.js';
import { openTestStore, testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { DAY_MS, scoreDetection } from '../../../examples/workload/generate.js';
import { BUGGY_AGENTS, BUSY_AGENTS, planBusyOrg, writeBusyOrg, type BusyOrg } from '../../../examples/workload/busy-org.js';

let serve: RunningServe;
let org: BusyOrg;
const iso = (ms: number) => new Date(ms).toISOString();
const calls = () => qualified(serve.queryStore.database, Tables.TOOL_CALLS);

async function api<T = any>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, serve.url));
  return { status: res.status, body: (await res.json()) as T };
}

before(async () => {
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('busy') }, {});
  serve = await startServe({ config });
  org = planBusyOrg({ seed: 7, calls: 1_000_000, days: 8, endMs: Date.parse('2026-11-20T00:00:00Z') });
  await writeBusyOrg(serve.ingestStore, org);
});

after(async () => {
  await serve?.close();
});

test('the busy organisation has the advertised shape', async () => {
  const [shape] = await serve.queryStore.query<{ n: number; sessions: number; agents: number; tools: number; refused: number }>(
    `SELECT count() AS n, uniqExact(agent, session) AS sessions, uniqExact(agent) AS agents, uniqExact(tool) AS tools,
       countIf(decision != 'allow' AND enforced) / count() AS refused FROM ${calls()} FINAL`);
  assert.ok(shape);
  assert.equal(shape.n, org.normalCalls + org.episodes.length);
  assert.equal(shape.agents, BUSY_AGENTS.length);
  assert.equal(shape.tools, 10);
  assert.ok(shape.sessions >= 10_000 && shape.sessions < 10_100, `${shape.sessions} sessions`);
  assert.ok(shape.refused > 0.025 && shape.refused < 0.035, `refused share ${shape.refused}`);
  const [closes] = await serve.queryStore.query<{ share: number; avg_calls: number }>(
    `SELECT countIf(c > 1) / count() AS share, avg(n) AS avg_calls FROM (
       SELECT agent, session, countIf(tool = 'session_close') AS c, count() AS n FROM ${calls()} FINAL GROUP BY agent, session)`);
  assert.ok(closes && closes.share > 0.7, `sessions closed more than once: ${closes?.share}`);
  assert.ok(closes.avg_calls > 95 && closes.avg_calls < 105, `calls per session ${closes.avg_calls}`);
});

test('every anomaly type is labelled, and the labels point at stored calls', async () => {
  const expected = new Set(org.labels.map((l) => l.expected));
  assert.deepEqual([...expected].sort(), ['bulk_write_burst', 'deny_storm', 'error_loop', 'lifecycle_violation', 'new_tool', 'rate_spike', 'repeat_loop']);
  assert.equal(org.labels.filter((l) => l.kind === 'framework_double_close').length, BUGGY_AGENTS);
  const spans = org.labels.flatMap((l) => l.spanIds);
  const [found] = await serve.queryStore.query<{ n: number }>(`SELECT count() AS n FROM ${calls()} WHERE span_id IN {spans:Array(String)}`, { params: { spans } });
  assert.equal(found?.n, spans.length);
});

test('the same seed writes the same calls; another seed does not', async () => {
  const digest = async (seed: number): Promise<string> => {
    const store: StoreDriver = await openTestStore();
    try {
      const small = planBusyOrg({ seed, calls: 20_000, days: 2, endMs: org.endMs });
      await writeBusyOrg(store, small);
      const [row] = await store.query<{ h: string }>(
        `SELECT toString(groupBitXor(cityHash64(ts, span_id, agent, session, tool, decision, args_hash, is_error))) AS h FROM ${qualified(store.database, Tables.TOOL_CALLS)}`);
      return row?.h ?? '';
    } finally {
      await store.close();
    }
  };
  const [a, b, c] = [await digest(3), await digest(3), await digest(4)];
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('anomalies over the last day find the labelled episodes (recall ≥ 0.95, precision ≥ 0.9)', async () => {
  const res = await api<{ anomalies: Array<{ type: string; agent: string; start: string; end: string }> }>(
    `/api/v1/anomalies?from=${iso(org.endMs - DAY_MS)}&to=${iso(org.endMs)}`);
  assert.equal(res.status, 200);
  const score = scoreDetection(res.body.anomalies, org.labels);
  assert.ok(score.recall >= 0.95, `recall ${score.recall}; missed ${JSON.stringify(score.missed.map((l) => [l.kind, l.agent]))}`);
  assert.ok(score.precision >= 0.9, `precision ${score.precision}: ${JSON.stringify(score.falsePositives.slice(0, 5))}`);
});
