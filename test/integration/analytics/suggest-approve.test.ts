// suggest proposes `approve` for a risky tool that is rarely and irregularly used — and only
// for that: a destructive tool used every day keeps a limit, a rarely used write tool too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyticsContext, suggestPolicy, type SuggestResult } from '../../../src/analytics/index.js';
import { ManualClock } from '../../../src/core/index.js';
import { PolicyEngine, compilePolicy } from '../../../src/policy/index.js';
import type { StoreDriver } from '../../../src/storage/index.js';
import type { GeneratedCall, Workload } from '../../../examples/workload/generate.js';
import { plainCall } from '../../helpers/plain-call.js';
import { insertWorkloadDirect } from '../../../examples/workload/writers.js';
import { openTestStore } from '../../helpers/store.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-10T00:00:00Z');
const RISK: Record<string, string> = { load_context: 'read', forget: 'destructive', purge_cache: 'destructive', export_knowledge: 'write', refund: 'financial' };
let store: StoreDriver;
let result: SuggestResult;

function calls(): GeneratedCall[] {
  const out: GeneratedCall[] = [];
  const call = (tsMs: number, agent: string, tool: string) =>
    out.push(plainCall(out.length + 1, { tsMs, agent, session: `${agent}-${Math.floor((tsMs - T0) / DAY)}`, tool, risk: RISK[tool] ?? 'write' }));
  for (let d = 0; d < 7; d++) {
    for (let i = 0; i < 40; i++) call(T0 + d * DAY + 9 * 3_600_000 + i * 60_000, 'assistant', 'load_context');
    // A cache janitor purges every day: destructive, but regular.
    for (let i = 0; i < 6; i++) call(T0 + d * DAY + 3 * 3_600_000 + i * 600_000, 'janitor', 'purge_cache');
  }
  // forget: three calls on one afternoon in a week; refund: twice, on two days; export: rare, but only a write.
  for (const dt of [0, 90_000, 400_000]) call(T0 + 3 * DAY + 15 * 3_600_000 + dt, 'assistant', 'forget');
  call(T0 + 1 * DAY + 11 * 3_600_000, 'assistant', 'refund');
  call(T0 + 5 * DAY + 16 * 3_600_000, 'assistant', 'refund');
  for (const d of [2, 6]) call(T0 + d * DAY + 10 * 3_600_000, 'assistant', 'export_knowledge');
  return out.sort((a, b) => a.tsMs - b.tsMs);
}

before(async () => {
  store = await openTestStore();
  const w: Workload = { startMs: T0, endMs: T0 + 7 * DAY, calls: calls(), labels: [], normalAgents: ['assistant', 'janitor'], offeredTools: Object.keys(RISK) };
  await insertWorkloadDirect(store, w);
  result = await suggestPolicy(analyticsContext(store, undefined, new ManualClock(w.endMs)), { fromMs: w.startMs, toMs: w.endMs }, { backtest: false });
});

after(async () => {
  await store?.close();
});

test('a destructive or financial tool used rarely and irregularly is proposed for an operator\'s approval, with its evidence', () => {
  for (const [tool, n, days] of [['forget', 3, 1], ['refund', 2, 2]] as const) {
    assert.equal(result.policy.tools?.[tool]?.action, 'approve', tool);
    assert.equal(result.policy.tools?.[tool]?.approver, 'operator', tool);
    const rule = result.rules.find((r) => r.path === `tools.${tool}.action`);
    assert.ok(rule, `a rule explains ${tool}`);
    assert.equal(rule.evidence?.calls, n);
    assert.equal(rule.evidence?.days_seen, days);
    assert.match(rule.change, /approval/);
  }
});

test('a regularly used destructive tool keeps a limit, and a rarely used write tool is not held', () => {
  assert.equal(result.policy.tools?.purge_cache?.action, undefined);
  assert.ok((result.policy.tools?.purge_cache?.limits?.[0]?.max ?? 0) >= 1);
  assert.equal(result.policy.tools?.export_knowledge?.action, undefined);
  assert.equal(result.policy.tools?.load_context?.action, undefined);
});

test('the proposed policy compiles and holds such a call for approval in the engine', () => {
  const compiled = compilePolicy(result.policy);
  assert.ok(compiled.ok);
  const engine = new PolicyEngine(compiled.value);
  const d = engine.decide({ agent: 'assistant', tool: 'forget', args: {}, tsMs: T0 + 8 * DAY });
  assert.equal(d.decision, 'approval_required');
});
