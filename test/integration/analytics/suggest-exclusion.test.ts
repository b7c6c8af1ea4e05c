// What suggest leaves out of learning: the flagged calls exactly, keyed by (agent, tool,
// session) for the sessions behind a lifecycle flag and by (agent, tool, minute) otherwise, while the
// same agent's normal traffic (other sessions, other minutes, other tools) is kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyticsContext, suggestPolicy, type SuggestResult } from '../../../src/analytics/index.js';
import { ManualClock, type Clock } from '../../../src/core/index.js';
import type { StoreDriver } from '../../../src/storage/index.js';
import { TOOL_RISK, type GeneratedCall, type Workload } from '../../../examples/workload/generate.js';
import { plainCall } from '../../helpers/plain-call.js';
import { insertWorkloadDirect } from '../../../examples/workload/writers.js';
import { openTestStore } from '../../helpers/store.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-18T00:00:00Z');
const SESSIONS = 250;
const BURST = 200;
let store: StoreDriver;
let result: SuggestResult;

function calls(): GeneratedCall[] {
  const out: GeneratedCall[] = [];
  const call = (tsMs: number, session: string, tool: string) =>
    out.push(plainCall(out.length + 1, { tsMs, agent: 'buggy', session, tool, risk: TOOL_RISK[tool] ?? 'write' }));
  for (let i = 0; i < SESSIONS; i++) {
    const t = T0 + 3_600_000 + i * 600_000;
    // A buggy framework: every session closes three times (flagged from the second close on)…
    call(t, `bad-${i}`, 'session_start');
    call(t + 2_000, `bad-${i}`, 'load_context');
    for (const dt of [10_000, 20_000, 40_000]) call(t + dt, `bad-${i}`, 'session_close');
    // …and, interleaved, a normal session of the same agent closing once inside that window.
    call(t + 1_000, `ok-${i}`, 'session_start');
    call(t + 5_000, `ok-${i}`, 'load_context');
    call(t + 25_000, `ok-${i}`, 'approve_suggestion');
    call(t + 30_000, `ok-${i}`, 'session_close');
  }
  // One runaway minute of approvals on day 1, in a session of its own.
  for (let i = 0; i < BURST; i++) call(T0 + 1_800_000 + i * 250, 'burst', 'approve_suggestion');
  return out.sort((a, b) => a.tsMs - b.tsMs);
}

before(async () => {
  store = await openTestStore();
  const w: Workload = { startMs: T0, endMs: T0 + 2 * DAY, calls: calls(), labels: [], normalAgents: ['buggy'], offeredTools: Object.keys(TOOL_RISK) };
  await insertWorkloadDirect(store, w);
  const clock: Clock = new ManualClock(w.endMs);
  result = await suggestPolicy(analyticsContext(store, undefined, clock), { fromMs: w.startMs, toMs: w.endMs }, { backtest: false });
});

after(async () => {
  await store?.close();
});

const evidence = (tool: string) => {
  const rule = result.rules.find((r) => r.path === `tools.${tool}.limits[0]`);
  assert.ok(rule?.evidence, `a rule for ${tool}`);
  return rule.evidence;
};

test('the flags left out are exactly the repeated closes and the burst', () => {
  // One lifecycle finding for the agent+tool (every session of the framework), whose sessions are joined by key.
  assert.equal(result.excluded.by_type.lifecycle_violation, 1);
  assert.equal(result.excluded.by_type.bulk_write_burst, 1);
  assert.equal(result.excluded.calls, 2 * SESSIONS + BURST);
});

test('a session flag excludes that session only: the same agent\'s other sessions keep their closes', () => {
  const close = evidence('session_close');
  assert.equal(close.excluded_calls, 2 * SESSIONS, 'the second and third close of each buggy session');
  assert.equal(close.calls, 2 * SESSIONS, 'the first close of each buggy session and every normal session\'s close');
  // Kept closes: the first buggy close (t+10 s) and the normal one (t+30 s) share a minute.
  assert.equal(close.observed_max, 2);
});

test('a minute flag excludes those minutes only: the agent\'s approvals elsewhere are learned', () => {
  const approve = evidence('approve_suggestion');
  assert.equal(approve.excluded_calls, BURST);
  assert.equal(approve.calls, SESSIONS);
  assert.equal(approve.observed_max, 1, 'the burst did not teach the policy its rate');
  assert.equal(evidence('load_context').excluded_calls, 0, 'other tools of the flagged agent are untouched');
  assert.equal(result.policy.tools?.approve_suggestion?.limits?.[0]?.max, 2);
});
