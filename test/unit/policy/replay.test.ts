// Line evaluation for `policy eval` and replays: parsing, splicing, timestamps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallLineEvaluator, compilePolicy, PolicyEngine, TimestampParser } from '../../../src/policy/index.js';
import { seededRandom } from '../../helpers/random-calls.js';

function evaluator(mode: 'audit' | 'enforce' = 'audit'): CallLineEvaluator {
  const policy = compilePolicy({ version: '1', default: 'deny', tools: { t: { limits: [{ counter: 'c"q', window: 'second', max: 1 }] } } });
  assert.ok(policy.ok);
  return new CallLineEvaluator(new PolicyEngine(policy.value), mode);
}

test('the fast timestamp parser agrees with Date.parse, across minute, day and year edges', () => {
  const parser = new TimestampParser();
  const rnd = seededRandom(3);
  let t = Date.parse('2026-12-31T23:58:00.000Z');
  for (let i = 0; i < 50_000; i++) {
    t += Math.floor(rnd() * 4000);
    const iso = new Date(t).toISOString();
    assert.equal(parser.parse(iso), t, iso);
  }
  for (const text of ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.5+01:00', '2026-11-25', '2026-11-25T10:00:61.000Z', '2026-11-25T10:00:0x.000Z', 'nonsense']) {
    const want = Date.parse(text);
    const got = parser.parse(text);
    assert.ok(Number.isNaN(want) ? Number.isNaN(got) : got === want, text);
  }
});

test('output is the input line with the decision spliced in, formatting kept', () => {
  const e = evaluator();
  const line = '{ "ts": 1000, "agent": "a", "tool": "t", "extra": [1, 2] }';
  const r = e.evaluate(line);
  assert.ok(r.ok);
  assert.ok(r.output.startsWith('{ "ts": 1000, "agent": "a", "tool": "t", "extra": [1, 2] ,"decision":"allow"'), r.output);
  assert.deepEqual(JSON.parse(r.output).limit, { counter: 'c"q', count: 1, max: 1, windowS: 1 });
});

test('an input that already has decision fields is re-serialised, not given duplicate keys', () => {
  const e = evaluator('enforce');
  const r = e.evaluate('{"ts":1000,"agent":"a","tool":"x","decision":"allow","rule":"old","enforced":false}');
  assert.ok(r.ok);
  assert.equal(r.output.match(/"decision"/g)?.length, 1);
  const out = JSON.parse(r.output) as Record<string, unknown>;
  assert.equal(out.decision, 'deny');
  assert.equal(out.rule, 'default');
  assert.equal(out.enforced, true);
  assert.deepEqual(e.counts, { allow: 0, deny: 1, rate_limited: 0, invalid_arguments: 0, approval_required: 0 });
});

test('bad lines say what is wrong', () => {
  const e = evaluator();
  const bad = (line: string) => {
    const r = e.evaluate(line);
    assert.equal(r.ok, false, line);
    return r.ok ? '' : r.error;
  };
  assert.match(bad('{"ts":1'), /^not valid JSON/);
  assert.equal(bad('[1]'), 'expected a JSON object');
  assert.equal(bad('{"ts":1,"agent":"a"}'), 'missing "tool" (a non-empty string)');
  assert.equal(bad('{"ts":1,"tool":"t"}'), 'missing "agent" (a string)');
  assert.equal(bad('{"agent":"a","tool":"t"}'), 'missing "ts" (ISO-8601 text or epoch milliseconds)');
  assert.equal(bad('{"ts":"soon","agent":"a","tool":"t"}'), '"ts" is not a valid time: "soon"');
  assert.equal(bad('{"ts":1,"agent":"a","tool":"t","session":5}'), '"session" must be a string');
});
