import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { canonicalJson, sha256Hex } from '../../../src/core/index.js';
import { argsAttributes, redactSecrets, REDACTED, REDACTED_EMAIL } from '../../../src/telemetry/index.js';

const args = { b: 1, a: { password: 'hunter2', note: 'mail ada@example.com today' }, token: 'x' };

describe('argument recording', () => {
  it('hash (default): sha256 of key-sorted JSON and its size, no content', () => {
    const attrs = argsAttributes('hash', args);
    const canonical = canonicalJson(args);
    assert.deepEqual(attrs, { 'warden.args.bytes': Buffer.byteLength(canonical), 'warden.args.hash': sha256Hex(canonical) });
    assert.equal(argsAttributes('hash', { a: { password: 'hunter2', note: 'mail ada@example.com today' }, token: 'x', b: 1 })['warden.args.hash'], attrs['warden.args.hash']);
  });

  it('none keeps only the size; full keeps the arguments as they came', () => {
    assert.deepEqual(Object.keys(argsAttributes('none', args)), ['warden.args.bytes']);
    assert.equal(argsAttributes('full', args)['warden.args'], canonicalJson(args));
    assert.deepEqual(argsAttributes('hash', undefined), { 'warden.args.bytes': 2, 'warden.args.hash': sha256Hex('{}') });
  });

  it('redacted masks secret keys and secret-looking values before they leave the process', () => {
    const recorded = JSON.parse(String(argsAttributes('redacted', args)['warden.args'])) as unknown;
    assert.deepEqual(recorded, { a: { note: `mail ${REDACTED_EMAIL} today`, password: REDACTED }, b: 1, token: REDACTED });
    const shapes = redactSecrets({
      header: 'Bearer abcdefghijklmnop',
      jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      openai: 'sk-proj-abcdefghijklmnopqrstuv',
      github: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      aws: 'AKIAIOSFODNN7EXAMPLE',
      hex: 'a'.repeat(20) + '0123456789abcdef0123',
      b64: 'dGhpcyBpcyBhIHNlY3JldCBrZXkgdmFsdWUgMTIzNDU2',
      list: ['plain words stay', 'ops@corp.io'],
      api_key: 12345,
      Authorization: 'whatever',
      'x-api-key': 'k',
      session_id: 's-1234',
      path: '/home/ada/projects/warden/src/proxy/relay.ts',
    });
    assert.deepEqual(shapes, {
      header: REDACTED, jwt: REDACTED, openai: REDACTED, github: REDACTED, aws: REDACTED, hex: REDACTED, b64: REDACTED,
      list: ['plain words stay', REDACTED_EMAIL],
      api_key: REDACTED, Authorization: REDACTED, 'x-api-key': REDACTED,
      session_id: 's-1234', path: '/home/ada/projects/warden/src/proxy/relay.ts',
    });
  });
});

test('redaction takes linear time on hostile text (a backtracking e-mail pattern was quadratic)', () => {
  const hostile = { note: `${'a'.repeat(200_000)}@`, other: `${'x.'.repeat(50_000)}@y` };
  const started = performance.now();
  const out = redactSecrets(hostile) as Record<string, string>;
  assert.ok(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
  assert.equal(out.note, hostile.note, 'no address in it: unchanged');
  assert.equal(redactSecrets('reach me at a.b+c@d-e.example.org or x@y.io'), `reach me at ${REDACTED_EMAIL} or ${REDACTED_EMAIL}`);
});

test('a keyed argument hash: the same per key, unlike plain sha256, so a guessed value cannot be confirmed without the key', async () => {
  const { createHmac } = await import('node:crypto');
  const { resolveProxyConfig } = await import('../../../src/config/index.js');
  const args = { path: '/home/ada/secret-plan.txt' };
  const plain = argsAttributes('hash', args);
  const key = Buffer.from('0123456789abcdef0123456789abcdef');
  const keyed = argsAttributes('hash', args, {}, key);
  assert.equal(keyed['warden.args.hash'], createHmac('sha256', key).update(canonicalJson(args)).digest('hex'));
  assert.notEqual(keyed['warden.args.hash'], plain['warden.args.hash']);
  assert.equal(keyed['warden.args.hash_alg'], 'hmac-sha256');
  assert.equal(plain['warden.args.hash_alg'], undefined);
  assert.equal(argsAttributes('hash', { ...args }, {}, key)['warden.args.hash'], keyed['warden.args.hash'], 'repeats stay visible');
  assert.deepEqual(resolveProxyConfig({}, ['x'], { WARDEN_ARGS_HASH_KEY: key.toString() }).argsHashKey, key);
  assert.throws(() => resolveProxyConfig({}, ['x'], { WARDEN_ARGS_HASH_KEY: 'short' }), /at least 16 bytes/);
});
