// Learning leaves out a lifecycle session's extra calls by ranking the lifecycle tools' calls
// within their sessions; the forward test classifies replayed calls by lifecycleSessionsRule's
// sessions (ExclusionIndex). Both must name the same calls, at the edges where a rank and the
// rule could part: a first call in the reach-back before `from`, two calls at the same
// millisecond, a refused first call, a redelivered call, calls without a session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ExclusionIndex, analyticsContext, detectAnomalies, learnUsage, lifecycleSessionsSince, suggestPolicy, type Exclusions } from '../../../src/analytics/index.js';
import { ManualClock } from '../../../src/core/index.js';
import { Tables, type StoreDriver } from '../../../src/storage/index.js';
import { callRow, type CallSpec } from '../../helpers/alert-spans.js';
import { openTestStore } from '../../helpers/store.js';

const FROM = Date.parse('2026-11-25T10:00:00Z');
const RANGE = { fromMs: FROM, toMs: FROM + 3_600_000 };
const WINDOW_S = 60;
const FLAGGED: Exclusions = { lifecycle: true, minutes: [], byType: { lifecycle_violation: 1 }, flags: 1 };

interface Call extends Omit<CallSpec, 'agent'> { session: string; learnable: boolean; agent?: string }
let seq = 0;
function call(dtMs: number, tool: string, session: string, refused = false, agent = 'a1'): Call {
  seq++;
  return { tsMs: FROM + dtMs, tool, session, agent, spanId: seq.toString(16).padStart(16, '0'), learnable: !refused, ...(refused ? { decision: 'deny', mode: 'enforce' as const } : {}) };
}

const CALLS: Call[] = [
  call(-30_000, 'session_close', 'reach'), call(10_000, 'session_close', 'reach'), // first close before `from`: one in range, none extra
  call(100_000, 'session_close', 'tie'), call(100_000, 'session_close', 'tie'), // same millisecond: both from the second on
  call(200_000, 'session_close', 'refused', true), call(210_000, 'session_close', 'refused'), // a refused first close still counts as the first
  call(300_000, 'session_close', 'three'), call(310_000, 'session_close', 'three'), call(320_000, 'session_close', 'three'),
  call(290_000, 'session_start', 'three'), call(295_000, 'session_start', 'three'),
  call(305_000, 'load_context', 'three'), call(306_000, 'load_context', 'three'), // not a lifecycle tool
  call(400_000, 'session_close', ''), call(401_000, 'session_close', ''), call(402_000, 'session_close', ''), // no session: not judged
  call(600_000, 'session_close', 'all-refused', true, 'a2'), call(601_000, 'session_close', 'all-refused', true, 'a2'), // flagged, nothing to learn
];
const REDELIVERED = call(500_000, 'session_close', 'redelivered');
const EXPECTED_EXCLUDED = 2 + 1 + 2 + 1;

let store: StoreDriver;
const row = (c: Call) => callRow({ ...c, agent: c.agent ?? 'a1', risk: 'write' });

before(async () => {
  store = await openTestStore();
  await store.insertJsonEachRow(Tables.OTEL_TRACES, [...CALLS, REDELIVERED].map(row));
  await store.insertJsonEachRow(Tables.OTEL_TRACES, [row(REDELIVERED)]);
});
after(async () => store.close());

test('learning leaves out exactly the extra lifecycle calls, at every edge', async () => {
  const { usage } = await learnUsage(analyticsContext(store), RANGE, WINDOW_S, FLAGGED);
  const by = Object.fromEntries(usage.map((u) => [u.tool, { calls: u.calls, excluded: u.excluded }]));
  const learnableInRange = (tool: string) => [...CALLS, REDELIVERED].filter((c) => c.tool === tool && c.learnable && c.tsMs >= FROM).length;
  assert.deepEqual(by, {
    session_close: { calls: learnableInRange('session_close') - 5, excluded: 5 },
    session_start: { calls: learnableInRange('session_start') - 1, excluded: 1 },
    load_context: { calls: 2, excluded: 0 },
  });
  assert.equal(by.session_close!.excluded + by.session_start!.excluded, EXPECTED_EXCLUDED);
});

test('the forward test\'s index (the rule\'s sessions) names the same calls', async () => {
  const ctx = analyticsContext(store);
  const index = new ExclusionIndex(FLAGGED, await lifecycleSessionsSince(ctx, RANGE, FLAGGED, RANGE.fromMs));
  const named = [...CALLS, REDELIVERED].filter((c) => c.learnable && c.tsMs >= FROM && index.has(c.agent ?? 'a1', c.tool, c.session, c.tsMs));
  assert.equal(named.length, EXPECTED_EXCLUDED, named.map((c) => `${c.session}/${c.tool}@${c.tsMs - FROM}`).join(', '));
});

test('suggest counts lifecycle_violation\'s flags in its learning pass as the detector flags them, a pair whose extra calls were all refused included', async () => {
  const ctx = analyticsContext(store, undefined, new ManualClock(RANGE.toMs));
  const found = await detectAnomalies(ctx, RANGE, { types: ['lifecycle_violation'] });
  assert.deepEqual(found.map((a) => `${a.agent}/${a.tool}`).sort(), ['a1/session_close', 'a1/session_start', 'a2/session_close']);
  const result = await suggestPolicy(ctx, RANGE, { backtest: false });
  assert.equal(result.excluded.by_type.lifecycle_violation, found.length);
  assert.equal(result.excluded.calls, EXPECTED_EXCLUDED);
  const close = result.rules.find((r) => r.path === 'tools.session_close.limits[0]');
  assert.equal(close?.evidence?.agents, 1, 'a2 used nothing: its calls were all refused');
});
