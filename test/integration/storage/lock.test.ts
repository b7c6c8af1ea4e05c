import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openTestStore, testDataDir } from '../../helpers/store.js';

test('a second process opening the same embedded store gets an error naming the lock and its holder', async () => {
  const store = await openTestStore({ migrate: false });
  try {
    const child = spawnSync(process.execPath, ['src/cli/bin.js', 'migrate', '--store', testDataDir()], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 1, child.stderr);
    assert.match(child.stderr, new RegExp(`warden: the embedded store at ${testDataDir()} is in use by another process \\(pid ${process.pid}: `));
    assert.match(child.stderr, /it holds the lock file .*\/status/);
    assert.match(child.stderr, /hint: talk to the running `warden serve`/);
  } finally {
    await store.close();
  }
});
