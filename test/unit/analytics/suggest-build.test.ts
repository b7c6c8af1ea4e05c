import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SUGGEST_OPTIONS, buildSuggestedPolicy, diffPolicies, limitFor, stripArgRules, dependsOnArgs, type ToolUsage } from '../../../src/analytics/index.js';
import { compilePolicy, type PolicyDocument } from '../../../src/policy/index.js';

const DAY = 86_400_000;
const to = Date.parse('2026-11-20T00:00:00Z');
function usage(agent: string, tool: string, peak: number, calls = 500, risk = 'write'): ToolUsage {
  return { agent, tool, calls, excluded: 0, daysSeen: 7, firstMs: to - 7 * DAY, lastMs: to - DAY, risk, peak, p99: peak, peakMs: to - 3 * DAY };
}

test('limits: peak × headroom rounded up; floors for rare tools shrink with risk', () => {
  const o = DEFAULT_SUGGEST_OPTIONS;
  assert.equal(limitFor(4, 500, 7, 'read', o), 6);
  assert.equal(limitFor(1, 500, 7, 'write', o), 2);
  for (const peak of [1, 3, 10, 40]) {
    for (const calls of [3, 500]) {
      const read = limitFor(peak, calls, 7, 'read', o);
      const write = limitFor(peak, calls, 7, 'write', o);
      const destructive = limitFor(peak, calls, 7, 'destructive', o);
      assert.ok(write <= read && destructive <= write, `peak ${peak} calls ${calls}: ${read}/${write}/${destructive}`);
    }
  }
});

test('the suggested policy: default deny, used tools only, hide the unused, grants for an outlier agent', () => {
  const { policy, rules } = buildSuggestedPolicy({
    usage: [usage('a', 'session_close', 1), usage('b', 'session_close', 2), usage('c', 'session_close', 1), usage('batch', 'session_close', 40), usage('a', 'load_context', 4, 500, 'read')],
    offered: [{ upstream: 'tr', tool: 'forget', risk: 'destructive' }, { upstream: 'tr', tool: 'load_context', risk: 'read' }],
    newTools: new Set(),
    toMs: to,
  }, DEFAULT_SUGGEST_OPTIONS);
  assert.equal(policy.default, 'deny');
  assert.deepEqual(policy.hide, ['forget']);
  assert.equal(policy.tools?.session_close?.limits?.[0]?.max, 3);
  assert.equal(policy.grants?.batch?.tools?.session_close?.limits?.[0]?.max, 60);
  assert.ok(compilePolicy(policy).ok);
  const rule = rules.find((r) => r.path === 'tools.session_close.limits[0]');
  assert.equal(rule?.evidence?.observed_max, 2);
  assert.equal(rule?.stable, true);
});

test('diff against the current policy classifies each rule', () => {
  const current: PolicyDocument = {
    version: '1', default: 'allow', hide: ['sync'],
    tools: { a: { limits: [{ counter: 'x', window: 'minute', max: 30 }] }, b: { rate_limit: { max: 1, window: 60 } }, gone: {} },
  };
  const next: PolicyDocument = {
    version: '1', default: 'deny', hide: ['forget'],
    tools: { a: { limits: [{ counter: 'x', window: 'minute', max: 5 }] }, b: { limits: [{ counter: 'y', window: 'hour', max: 600 }] }, c: {} },
  };
  const byPath = Object.fromEntries(diffPolicies(current, next).map((e) => [e.path, e.change]));
  assert.deepEqual(byPath, {
    default: 'tighter', 'hide.forget': 'tighter', 'hide.sync': 'looser',
    'tools.a.limits[0]': 'tighter', 'tools.b.limits[0]': 'looser', 'tools.c': 'new', 'tools.gone': 'removed',
  });
});

test('argument rules are stripped for replay and remembered per agent and tool', () => {
  const doc: PolicyDocument = {
    version: '1', default: 'allow',
    tools: { x: { require: [{ path: 'args.id', op: 'exists' }, { path: 'agent', op: 'eq', value: 'a' }] }, y: {} },
    grants: { g: { tools: { y: { args: { type: 'object' } } } } },
  };
  const { doc: stripped, index } = stripArgRules(doc);
  assert.deepEqual(stripped.tools?.x?.require, [{ path: 'agent', op: 'eq', value: 'a' }]);
  assert.equal(stripped.grants?.g?.tools?.y?.args, undefined);
  assert.ok(compilePolicy(stripped).ok);
  assert.equal(dependsOnArgs(index, 'other', 'x'), true);
  assert.equal(dependsOnArgs(index, 'other', 'y'), false);
  assert.equal(dependsOnArgs(index, 'g', 'y'), true);
  assert.equal(dependsOnArgs(index, 'g', 'x'), true);
});
