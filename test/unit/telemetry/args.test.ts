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
  assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  assert.equal(out.note, hostile.note, 'no address in it: unchanged');
  assert.equal(redactSecrets('reach me at a.b+c@d-e.example.org or x@y.io'), `reach me at ${REDACTED_EMAIL} or ${REDACTED_EMAIL}`);
});
