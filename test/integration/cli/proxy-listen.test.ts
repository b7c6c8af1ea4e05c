import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('warden proxy refuses a non-loopback --listen without a tokens file', () => {
  const run = spawnSync(process.execPath, ['src/cli/bin.js', 'proxy', '--listen', '0.0.0.0:0', '--otlp', 'http://127.0.0.1:9', '--spool', '/tmp/warden-listen-refused',
    '--', process.execPath, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /warden: listening on 0\.0\.0\.0 \(not loopback\) requires --tokens/);
  assert.match(run.stderr, /hint: map each agent to the sha256 of its bearer token/);
});
