// The engine's API beyond single decisions: reload, serialisation, schema, counters, risk.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  classifyRisk,
  compilePolicy,
  InMemoryCounters,
  parsePolicyText,
  PolicyEngine,
  policyJsonSchemaText,
  policyToJson,
  ReloadablePolicy,
  type CompiledPolicy,
} from '../../../src/policy/index.js';
import { canonicalJson, sha256Hex } from '../../../src/core/hash.js';

const ROOT = join(import.meta.dirname, '../../..');
const T0 = Date.parse('2026-11-25T10:00:00.000Z');

function load(text: string): CompiledPolicy {
  const r = parsePolicyText(text);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.error));
  return r.value;
}

const LIMITED = JSON.stringify({
  version: '1',
  default: 'deny',
  tools: { t: { limits: [{ counter: 'c', window: 'minute', max: 1 }] } },
});

test('a bad reload keeps the last good policy and returns every problem', () => {
  const engine = new PolicyEngine(load(LIMITED));
  const reloadable = new ReloadablePolicy(engine.policy, { engine });
  const changes: string[] = [];
  reloadable.onChange((p) => changes.push(p.hash));
  const before = reloadable.current.hash;
  const bad = reloadable.tryReload('{"version":"1","default":"deny","tools":{"t":{"limits":[{"counter":"c","window":"minute","max":-1}]}},"x":1}');
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.deepEqual(bad.error.map((p) => p.path), ['tools.t.limits[0].max', 'x']);
  assert.equal(reloadable.current.hash, before);
  assert.equal(engine.policy.hash, before);
  assert.equal(reloadable.lastProblems.length, 2);
  assert.deepEqual(changes, []);
  assert.equal(engine.decide({ tsMs: T0, agent: 'a', tool: 't' }).decision, 'allow');
});

test('a good reload applies to the next call and keeps the counters', () => {
  const engine = new PolicyEngine(load(LIMITED));
  const reloadable = new ReloadablePolicy(engine.policy, { engine });
  assert.equal(engine.decide({ tsMs: T0, agent: 'a', tool: 't' }).decision, 'allow');
  const next = reloadable.tryReload('version: "1"\ndefault: deny\ntools:\n  t: { limits: [ { counter: c, window: minute, max: 1 } ] }\n  u: {}\n');
  assert.ok(next.ok && next.value.changed);
  assert.equal(reloadable.lastProblems.length, 0);
  assert.equal(engine.decide({ tsMs: T0 + 1, agent: 'a', tool: 'u' }).decision, 'allow');
  // The reload must not have reset the counter: gaming a limit by touching the file does not work.
  assert.equal(engine.decide({ tsMs: T0 + 2, agent: 'a', tool: 't' }).decision, 'rate_limited');
  // Raising the max applies at once, against the same log.
  assert.ok(reloadable.tryReload(LIMITED.replace('"max":1', '"max":2')).ok);
  assert.equal(engine.decide({ tsMs: T0 + 3, agent: 'a', tool: 't' }).decision, 'allow');
  assert.equal(engine.decide({ tsMs: T0 + 4, agent: 'a', tool: 't' }).decision, 'rate_limited');
});

test('policyToJson is canonical and loads back unchanged', () => {
  const doc = {
    version: '1',
    default: 'deny',
    tools: {
      zeta: { limits: [{ scope: 'global', max: 3, window: 'hour', counter: 'z' }], reason: 'r', action: 'allow' },
      alpha: { args: { type: 'object', properties: { b: { type: 'string' }, a: { type: 'integer' } } } },
      mid: { deny_if: [{ value: { y: 1, x: 2 }, op: 'eq', path: 'args.o' }] },
    },
    grants: { g: { tools: { alpha: {} } } },
    mode: 'audit',
  };
  const compiled = compilePolicy(doc);
  assert.ok(compiled.ok);
  const out = policyToJson(compiled.value.source);
  const again = compilePolicy(JSON.parse(out));
  assert.ok(again.ok);
  assert.deepEqual(again.value.source, compiled.value.source);
  assert.equal(again.value.hash, compiled.value.hash);
  assert.equal(policyToJson(again.value.source), out, 'stable text');
  assert.ok(out.indexOf('"alpha"') < out.indexOf('"mid"') && out.indexOf('"mid"') < out.indexOf('"zeta"'), 'tools sorted by name');
  assert.ok(out.indexOf('"version"') < out.indexOf('"default"') && out.indexOf('"default"') < out.indexOf('"mode"'));
  assert.match(out, /"counter": "z",\n\s+"window": "hour",\n\s+"max": 3,\n\s+"scope": "global"/);
});

test('the hash is sha256 of the canonical policy and ignores $schema and formatting', () => {
  const a = load('{"version":"1","default":"allow","tools":{"x":{}}}');
  const b = load('$schema: ./policy.schema.json\ntools:\n  x: {}\ndefault: allow\nversion: "1"\n');
  assert.equal(a.hash, b.hash);
  assert.equal(a.hash, sha256Hex(canonicalJson({ version: '1', default: 'allow', tools: { x: {} } })));
  assert.notEqual(a.hash, load('{"version":"1","default":"deny","tools":{"x":{}}}').hash);
});

test('the committed policy.schema.json is what the zod schema generates', () => {
  assert.equal(readFileSync(join(ROOT, 'policy.schema.json'), 'utf8'), policyJsonSchemaText());
  const schema = JSON.parse(policyJsonSchemaText()) as { properties: Record<string, unknown>; additionalProperties: boolean; required: string[] };
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ['version', 'default']);
  for (const key of ['$schema', 'version', 'default', 'mode', 'hide', 'all_tools', 'tools', 'grants']) assert.ok(key in schema.properties, key);
});

test('memory per counter is bounded by the limit, and idle counters are swept', () => {
  const counters = new InMemoryCounters();
  const engine = new PolicyEngine(load(LIMITED.replace('"max":1', '"max":5')), { counters });
  for (let i = 0; i < 10_000; i++) engine.decide({ tsMs: T0 + i * 100, agent: `a${i % 3}`, tool: 't' });
  assert.equal(counters.size, 3);
  assert.ok(counters.entries <= 15, `${counters.entries} entries`);
  counters.sweep(T0 + 10_000 * 100 + 60_000);
  assert.equal(counters.size, 0);
});

test('a generous limit costs memory for the calls it holds, not for its max', () => {
  const counters = new InMemoryCounters();
  const engine = new PolicyEngine(load(LIMITED.replace('"max":1', '"max":100000000')), { counters });
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 1_000; i++) assert.equal(engine.decide({ tsMs: T0 + i, agent: `a${i % 50}`, tool: 't' }).decision, 'allow');
  // 50 counters × 100 million slots would reserve 40 GB up front; 20 calls each need a few hundred bytes.
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 1024 * 1024, `${grown} bytes of counter storage`);
  assert.equal(counters.entries, 1_000);
});

test('risk from annotations: read-only → read, destructive → destructive, else write', () => {
  assert.equal(classifyRisk(undefined), 'write');
  assert.equal(classifyRisk({}), 'write');
  assert.equal(classifyRisk({ readOnlyHint: true, idempotentHint: true }), 'read');
  assert.equal(classifyRisk({ destructiveHint: true }), 'destructive');
  assert.equal(classifyRisk({ readOnlyHint: false, destructiveHint: false, openWorldHint: true }), 'write');
  // server-everything marks some toggles read-only *and* destructive: read-only wins, since it cannot modify.
  assert.equal(classifyRisk({ readOnlyHint: true, destructiveHint: true }), 'read');
});

test('a call without arguments validates as an empty object', () => {
  const engine = new PolicyEngine(load('{"version":"1","default":"deny","tools":{"t":{"args":{"type":"object","properties":{"a":{"type":"string"}}}}}}'));
  assert.equal(engine.decide({ tsMs: T0, agent: 'a', tool: 't' }).decision, 'allow');
});
