// `GET /api/v1/agents/:agent/sessions` against a brute-force count over the generated calls:
// a labelled workload plus audit-mode refusals, calls without a session id, redelivered spans
// and an agent whose name is SQL and path syntax. Every request goes through the real app.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../../src/config/index.js';
import { Tables, qualified } from '../../../src/storage/index.js';
import { Builder, DAY_MS, generateWorkload, prng, type GeneratedCall, type Workload } from '../../../examples/workload/generate.js';
import { insertWorkloadDirect } from '../../../examples/workload/writers.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { eventually } from '../../helpers/eventually.js';

const HOSTILE = "o'brien/../x' OR 1=1 --";
let serve: RunningServe;
let w: Workload;
const iso = (ms: number) => new Date(ms).toISOString();

interface Session { session: string; calls: number; tools: number; refused: number; denied: number; would_deny: number; errors: number; first_seen: string; last_seen: string }

async function sessions(agent: string, query: string): Promise<{ status: number; body: any }> {
  const res = await serve.app.inject({ method: 'GET', url: `/api/v1/agents/${encodeURIComponent(agent)}/sessions?${query}` });
  return { status: res.statusCode, body: res.json() };
}

/** The same summary computed over the generated calls in JS. */
function bruteForce(agent: string, fromMs: number, toMs: number): Session[] {
  const by = new Map<string, GeneratedCall[]>();
  for (const c of w.calls) if (c.agent === agent && c.tsMs >= fromMs && c.tsMs < toMs) by.set(c.session, [...(by.get(c.session) ?? []), c]);
  return [...by].map(([session, calls]) => {
    const refused = calls.filter((c) => c.decision !== 'allow');
    return {
      session, calls: calls.length, tools: new Set(calls.map((c) => c.tool)).size,
      refused: refused.length, denied: refused.filter((c) => c.enforced).length, would_deny: refused.filter((c) => !c.enforced).length,
      errors: calls.filter((c) => c.isError).length,
      first_seen: iso(Math.min(...calls.map((c) => c.tsMs))), last_seen: iso(Math.max(...calls.map((c) => c.tsMs))),
    };
  });
}

before(async () => {
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('sess'), flushInterval: '100ms' }, {});
  serve = await startServe({ config });
  w = generateWorkload({ seed: 7, days: 3, endMs: Math.floor(Date.now() / 60_000) * 60_000 });
  // More shapes than the workload has: audit-mode refusals, calls with no session, a hostile name.
  const b = new Builder(prng(99), 99);
  const t = w.endMs - 3_600_000;
  for (let i = 0; i < 12; i++) b.call(t + i * 1_000, 'cursor', 'cursor-audited', 'forget', { decision: 'deny', enforced: false, mode: 'audit' });
  for (let i = 0; i < 5; i++) b.call(t + i * 2_000, 'cursor', '', 'load_context');
  for (let i = 0; i < 4; i++) b.call(t + i * 3_000, HOSTILE, `s-${i % 2}`, 'sync', { isError: i === 0 });
  w.calls.push(...b.calls);
  await insertWorkloadDirect(serve.ingestStore, w);
  // Redelivery: the last 300 calls (the added ones among them) arrive twice and must count once.
  await insertWorkloadDirect(serve.ingestStore, { ...w, calls: w.calls.slice(-300) });
  const table = qualified(serve.queryStore.database, Tables.TOOL_CALLS);
  await eventually('the calls in tool_calls', async () => (await serve.queryStore.query<{ n: number }>(`SELECT count() AS n FROM ${table} FINAL`))[0]?.n === w.calls.length, { intervalMs: 50 });
});

after(async () => {
  await serve?.close();
});

test('every session of an agent, equal to a brute-force count, busiest first', async () => {
  const [fromMs, toMs] = [w.endMs - 2 * DAY_MS, w.endMs];
  for (const agent of ['cursor', 'claude-desktop', 'ci-bot', HOSTILE]) {
    const res = await sessions(agent, `from=${iso(fromMs)}&to=${iso(toMs)}&limit=1000`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const expected = bruteForce(agent, fromMs, toMs).sort((a, b) => b.calls - a.calls || b.last_seen.localeCompare(a.last_seen) || a.session.localeCompare(b.session));
    assert.deepEqual(res.body.sessions, expected, agent);
    assert.equal(res.body.total, expected.length);
    assert.equal(res.body.truncated, false);
  }
  const cursor = (await sessions('cursor', `from=${iso(fromMs)}&to=${iso(toMs)}&limit=1000`)).body.sessions as Session[];
  assert.equal(cursor[0]?.calls, 402, 'the session_close storm is the busiest session');
  const audited = cursor.find((s) => s.session === 'cursor-audited');
  assert.deepEqual([audited?.refused, audited?.denied, audited?.would_deny], [12, 0, 12], 'audit-mode refusals are would_deny');
  assert.equal(cursor.find((s) => s.session === '')?.calls, 5, 'calls without a session id are one row');
});

test('limit caps the list and says so; sort ranks by refusals or recency', async () => {
  const range = `from=${iso(w.endMs - 2 * DAY_MS)}&to=${iso(w.endMs)}`;
  const all = bruteForce('cursor', w.endMs - 2 * DAY_MS, w.endMs);
  const top = await sessions('cursor', `${range}&limit=3`);
  assert.equal(top.body.sessions.length, 3);
  assert.deepEqual([top.body.total, top.body.truncated], [all.length, true]);
  const refused = await sessions('cursor', `${range}&limit=1&sort=refused`);
  assert.equal(refused.body.sessions[0].session, 'cursor-audited');
  const recent = await sessions('cursor', `${range}&limit=1&sort=recent`);
  const newest = all.reduce((a, b) => (b.last_seen > a.last_seen ? b : a));
  assert.equal(recent.body.sessions[0].last_seen, newest.last_seen);
});

test('the range bounds the sessions; an agent with calls but none in range has an empty list', async () => {
  const res = await sessions('ci-bot', `from=${iso(w.endMs - 60_000)}&to=${iso(w.endMs)}`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { sessions: [], total: 0, truncated: false });
});

test('bad input: 404 for an agent never recorded, 400 naming the field otherwise', async () => {
  const unknown = await sessions("cursor' OR '1'='1", 'from=-30d');
  assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
  assert.match(unknown.body.error.message, /^agent: unknown agent/);
  for (const [query, field] of [['limit=0', /limit/], ['limit=1001', /limit/], ['sort=agent', /sort/], ['from=yesterday', /from/], ['from=-1h&to=-2h', /from/]] as const) {
    const res = await sessions('cursor', query);
    assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error.message, field, query);
  }
});
