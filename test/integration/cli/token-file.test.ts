// The real `warden` processes take their tokens from files: serve's API token with
// --api-token-file, and a client command's with --token-file, so no token sits in argv.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WARDEN_BIN, freePort, spawnProcess } from '../../helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-token-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function warden(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [WARDEN_BIN, ...args], { encoding: 'utf8', env: { ...process.env, WARDEN_API_TOKEN: '', ...env }, timeout: 120_000 });
}

test('serve --api-token-file guards the API with the file\'s token; approvals and suggest send theirs with --token-file', async () => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'tok-from-file-7f3a\n', { mode: 0o600 });
  const port = await freePort();
  const serve = spawnProcess(process.execPath, [WARDEN_BIN, 'serve', '--listen', `127.0.0.1:${port}`, '--store', join(dir, 'store'), '--api-token-file', tokenFile], { WARDEN_API_TOKEN: '' });
  try {
    await serve.waitFor(/listening on (http:\/\/\S+)/, 90_000);
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer tok-from-file-7f3a\n'.trim() } })).status, 200);
    const anonymous = warden(['approvals', 'list', '--api', url]);
    assert.notEqual(anonymous.status, 0);
    assert.match(anonymous.stderr, /missing bearer token/);
    const listed = warden(['approvals', 'list', '--api', url, '--token-file', tokenFile, '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), []);
    const suggested = warden(['suggest', '--api', url, '--token-file', tokenFile, '--since', '1h', '--json']);
    assert.doesNotMatch(suggested.stderr, /missing bearer token|invalid API token/, 'suggest authenticated with the file\'s token');
  } finally {
    await serve.stop();
  }
});

test('serve refuses a token given twice, or a token file it cannot read, before it opens anything', () => {
  const both = warden(['serve', '--listen', '127.0.0.1:0', '--store', join(dir, 'never'), '--api-token', 'x', '--api-token-file', join(dir, 'token')]);
  assert.notEqual(both.status, 0);
  assert.match(both.stderr, /give --api-token or --api-token-file, not both/);
  const missing = warden(['serve', '--listen', '0.0.0.0:0', '--store', join(dir, 'never'), '--api-token-file', join(dir, 'absent')]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /--api-token-file .*absent: cannot read/);
});
