// Secrets come from a file or the environment, never only argv (design "Trust rules" 5): every
// secret flag has a `--…-file` twin; the file's surrounding whitespace is not part of the secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProxyConfig, resolveServeConfig, resolveStoreConfig } from '../../../src/config/index.js';
import { isWardenError } from '../../../src/core/index.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-secrets-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};

test('serve: --api-token-file, else WARDEN_API_TOKEN; not both flag and file; unreadable or empty files are config errors', () => {
  const token = file('token', '  s3cret-from-file\n');
  assert.equal(resolveServeConfig({ listen: '0.0.0.0:4318', apiTokenFile: token }, {}).apiToken, 's3cret-from-file');
  assert.equal(resolveServeConfig({ listen: '0.0.0.0:4318', apiTokenFile: token }, { WARDEN_API_TOKEN: 'env' }).apiToken, 's3cret-from-file');
  assert.equal(resolveServeConfig({ listen: '0.0.0.0:4318' }, { WARDEN_API_TOKEN: 'env' }).apiToken, 'env');
  const refused = (flags: Parameters<typeof resolveServeConfig>[0], pattern: RegExp) =>
    assert.throws(() => resolveServeConfig(flags, {}), (e: unknown) => isWardenError(e, 'WARDEN_CONFIG_INVALID') && pattern.test(e.message));
  refused({ apiToken: 'x', apiTokenFile: token }, /^give --api-token or --api-token-file, not both$/);
  refused({ apiTokenFile: join(dir, 'missing') }, /^--api-token-file .*missing: cannot read: ENOENT/);
  refused({ apiTokenFile: file('empty', '\n\n') }, /^--api-token-file .*empty: the file is empty$/);
  assert.throws(() => resolveServeConfig({ listen: '0.0.0.0:4318' }, {}), /requires an API token/);
});

test('proxy --bearer-file and store --clickhouse-password-file', () => {
  const bearer = file('bearer', 'up-token\n');
  const proxy = resolveProxyConfig({ upstreamUrl: 'http://127.0.0.1:9/mcp', bearerFile: bearer }, [], {});
  assert.deepEqual(proxy.upstream.kind === 'http' ? proxy.upstream.headers : undefined, { Authorization: 'Bearer up-token' });
  assert.throws(() => resolveProxyConfig({ upstreamUrl: 'http://127.0.0.1:9/mcp', bearer: 'x', bearerFile: bearer }, [], {}), /give --bearer or --bearer-file, not both/);
  const password = file('password', 'pw\n');
  const store = resolveStoreConfig({ clickhouseUrl: 'http://127.0.0.1:8123', clickhousePasswordFile: password }, { CLICKHOUSE_PASSWORD: 'env' });
  assert.equal(store.kind === 'server' ? store.password : undefined, 'pw');
  assert.throws(() => resolveStoreConfig({ clickhouseUrl: 'http://127.0.0.1:8123', clickhousePasswordFile: join(dir, 'nope') }, {}), /--clickhouse-password-file .*nope: cannot read/);
});
