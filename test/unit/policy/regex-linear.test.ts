// Policy regexes run with RE2 semantics: a hostile argument cannot stall the proxy's event loop,
// and a value too long to match fails closed (deny_if matches, require and args patterns fail).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_REGEX_INPUT_CHARS } from '../../../src/policy/conditions.js';
import { PolicyEngine, parsePolicyText, type CompiledPolicy } from '../../../src/policy/index.js';

function engineFor(policy: unknown): PolicyEngine {
  const r = parsePolicyText(JSON.stringify(policy));
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.error));
  return new PolicyEngine(r.value as CompiledPolicy);
}

const decide = (engine: PolicyEngine, tool: string, args: unknown) => engine.decide({ tsMs: 0, agent: 'a', tool, args });

test('a catastrophic-backtracking pattern decides in linear time (a backtracking engine never returns)', () => {
  const engine = engineFor({ version: '1', default: 'allow', tools: { t: { deny_if: [{ path: 'args.q', op: 'regex', value: '^(a+)+$' }] } } });
  const started = performance.now();
  assert.equal(decide(engine, 't', { q: `${'a'.repeat(5_000)}!` }).decision, 'allow');
  assert.equal(decide(engine, 't', { q: 'aaaa' }).decision, 'deny');
  assert.ok(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
});

test('(?i) and RE2 syntax work; lookaround and backreferences are refused by policy check', () => {
  const engine = engineFor({ version: '1', default: 'allow', tools: { t: { deny_if: [{ path: 'args.q', op: 'regex', value: '(?i)drop.*table' }] } } });
  assert.equal(decide(engine, 't', { q: 'please DROP the Table' }).decision, 'deny');
  assert.equal(decide(engine, 't', { q: `${'drop '.repeat(12_000)}` }).decision, 'allow');
  for (const bad of ['(?=x)', '(a)\\1']) {
    const r = parsePolicyText(JSON.stringify({ version: '1', tools: { t: { deny_if: [{ path: 'args.q', op: 'regex', value: bad }] } } }));
    assert.ok(!r.ok);
    assert.ok(r.error.some((p) => p.path === 'tools.t.deny_if[0].value' && /error parsing regexp/.test(p.message)), JSON.stringify(r.error));
  }
});

test(`a value over ${MAX_REGEX_INPUT_CHARS} characters fails closed: deny_if denies, require and args patterns refuse`, () => {
  const engine = engineFor({
    version: '1',
    default: 'allow',
    tools: {
      deny: { deny_if: [{ path: 'args.q', op: 'regex', value: 'drop' }] },
      need: { require: [{ path: 'args.q', op: 'regex', value: '^ok' }] },
      shape: { args: { type: 'object', properties: { q: { type: 'string', pattern: '^ok' } } } },
    },
  });
  const long = `ok${'x'.repeat(MAX_REGEX_INPUT_CHARS)}`;
  assert.equal(decide(engine, 'deny', { q: long }).decision, 'deny', 'padding cannot hide a deny_if match');
  assert.equal(decide(engine, 'need', { q: long }).decision, 'deny');
  assert.equal(decide(engine, 'shape', { q: long }).decision, 'invalid_arguments');
  assert.equal(decide(engine, 'deny', { q: 'x'.repeat(100) }).decision, 'allow');
  assert.equal(decide(engine, 'need', { q: 'ok'.padEnd(100, 'x') }).decision, 'allow');
});

test('an approve tool\'s decision says who decides it (approver), default operator', () => {
  const engine = engineFor({ version: '1', default: 'allow', tools: { a: { action: 'approve', approver: 'user' }, b: { action: 'approve' } } });
  assert.equal(decide(engine, 'a', {}).approver, 'user');
  assert.equal(decide(engine, 'b', {}).approver, 'operator');
});
