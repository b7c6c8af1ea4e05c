// Property tests over long seeded random call sequences.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy, isEnforced, PolicyEngine, policyToJson, ReloadablePolicy, type CompiledLimit, type CompiledPolicy, type Decision, type ToolCall } from '../../../src/policy/index.js';
import { PROPERTY_POLICY, randomCalls } from '../../helpers/random-calls.js';

const SEEDS = [1, 7, 42, 2026, 99991];
const CALLS = 20_000;

function compiled(doc: unknown): CompiledPolicy {
  const r = compilePolicy(doc);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.error));
  return r.value;
}

function run(policy: CompiledPolicy, calls: ToolCall[]): Decision[] {
  const engine = new PolicyEngine(policy);
  return calls.map((c) => engine.decide(c));
}

test('audit mode makes, call for call, the decisions enforce mode makes', () => {
  const audit = compiled({ ...PROPERTY_POLICY, mode: 'audit' });
  const enforce = compiled({ ...PROPERTY_POLICY, mode: 'enforce' });
  assert.notEqual(audit.hash, enforce.hash);
  for (const seed of SEEDS) {
    const calls = randomCalls(seed, CALLS);
    const a = run(audit, calls);
    const e = run(enforce, calls);
    assert.deepEqual(a, e, `seed ${seed}`);
    const kinds = new Set(a.map((d) => d.decision));
    assert.deepEqual([...kinds].sort(), ['allow', 'approval_required', 'deny', 'rate_limited'], `seed ${seed} exercises every outcome`);
    // Audit lets everything through but reports exactly what enforce blocks.
    const blockedInEnforce = e.filter((d) => isEnforced(d.decision, 'enforce') && d.decision !== 'allow').length;
    const wouldBlockInAudit = a.filter((d) => !isEnforced(d.decision, 'audit')).length;
    assert.equal(wouldBlockInAudit, blockedInEnforce);
  }
});

test('replaying the same calls gives the same decisions, with or without a hot reload midway', () => {
  const policy = compiled(PROPERTY_POLICY);
  for (const seed of SEEDS) {
    const calls = randomCalls(seed, CALLS);
    const first = run(policy, calls);
    assert.deepEqual(run(policy, calls), first, `seed ${seed}: second replay`);
    const engine = new PolicyEngine(policy);
    const reloadable = new ReloadablePolicy(policy, { engine });
    const reloaded = calls.map((c, i) => {
      if (i === CALLS / 2) {
        // Same rules, different text (pretty-printed, with $schema): counters must carry over.
        const r = reloadable.tryReload(policyToJson({ $schema: './policy.schema.json', ...policy.source }));
        assert.ok(r.ok && r.value.changed === false);
        const r2 = reloadable.tryReload(JSON.stringify({ ...policy.source, description: 'reloaded' }));
        assert.ok(r2.ok && r2.value.changed === true);
      }
      return engine.decide(c);
    });
    assert.deepEqual(reloaded, first, `seed ${seed}: reload keeps counters`);
  }
});

/** An independent sliding-log oracle: admitted timestamps per counter, counted by brute force. */
function counterKey(limit: CompiledLimit, call: ToolCall): string {
  if (limit.scope === 'grant') return `${limit.space}|agent:${call.agent}`;
  if (limit.scope === 'session') return call.session === undefined ? `${limit.space}|agent:${call.agent}` : `${limit.space}|session:${call.session}`;
  return `${limit.space}|global`;
}

function countIn(times: number[], from: number, to: number): number {
  let n = 0;
  for (const t of times) if (t > from && t <= to) n++;
  return n;
}

test('a limit of N never admits N+1 calls in any rolling window, and refuses only when N are in it', () => {
  const policy = compiled(PROPERTY_POLICY);
  for (const seed of SEEDS) {
    const calls = randomCalls(seed, CALLS);
    const decisions = run(policy, calls);
    const admitted = new Map<string, { limit: CompiledLimit; times: number[] }>();
    let limitedCalls = 0;
    calls.forEach((call, i) => {
      const d = decisions[i] as Decision;
      if (d.decision !== 'allow' && d.decision !== 'rate_limited') return;
      const view = policy.grants.get(call.agent) ?? policy.base;
      const limits = view.tools.get(call.tool)?.limits ?? view.allTools.limits;
      const state = limits.map((limit) => {
        const key = counterKey(limit, call);
        let entry = admitted.get(key);
        if (!entry) admitted.set(key, (entry = { limit, times: [] }));
        return { limit, entry, inWindow: countIn(entry.times, call.tsMs - limit.windowMs, call.tsMs) };
      });
      const full = state.find((s) => s.inWindow >= s.limit.max);
      if (full) {
        limitedCalls++;
        assert.equal(d.decision, 'rate_limited', `seed ${seed} call ${i}: oracle says ${full.limit.rule} is full`);
        assert.equal(d.rule, full.limit.rule);
        return;
      }
      assert.equal(d.decision, 'allow', `seed ${seed} call ${i}: ${d.rule} refused with room left`);
      for (const s of state) s.entry.times.push(call.tsMs);
    });
    assert.ok(limitedCalls > 100, `seed ${seed}: only ${limitedCalls} rate-limited calls`);
    // Brute force over every admitted call as the right edge of a window.
    for (const { limit, times } of admitted.values()) {
      for (const t of times) assert.ok(countIn(times, t - limit.windowMs, t) <= limit.max, `${limit.rule}: more than ${limit.max} in a window ending ${t}`);
    }
  }
});
