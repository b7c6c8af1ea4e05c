// A read command in a folder with no store and no running serve says so in Warden's words, and
// what to run, instead of ClickHouse's "Code: 60 … Unknown table expression identifier"; and it
// creates nothing. Through the real `warden` process, as a new user would meet it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WARDEN_BIN } from '../../helpers/processes.js';

const cwd = mkdtempSync(join(tmpdir(), 'warden-empty-'));
after(() => rmSync(cwd, { recursive: true, force: true }));
const NOTHING_LISTENING = 'http://127.0.0.1:9';
const POLICY = join(cwd, 'policy.json');
writeFileSync(POLICY, JSON.stringify({ version: '1', default: 'allow', tools: {} }));

function warden(args: string[]) {
  const env = { ...process.env, WARDEN_STORE: '', CLICKHOUSE_URL: '', WARDEN_API_TOKEN: '' };
  return spawnSync(process.execPath, [resolve(WARDEN_BIN), ...args, '--api', NOTHING_LISTENING], { cwd, encoding: 'utf8', env, timeout: 120_000 });
}

function assertWardenWords(stderr: string, pattern: RegExp): void {
  assert.match(stderr, pattern);
  assert.match(stderr, /hint: .*`warden serve`.*`warden demo`/);
  assert.doesNotMatch(stderr, /Code: \d+|Unknown table|UNKNOWN_TABLE|unexpected error/);
}

test('suggest and simulate with no store here: "no Warden store at .warden/data", what to run, and nothing created', () => {
  for (const args of [['suggest', '--since', '7d'], ['simulate', '--policy', POLICY]]) {
    const r = warden(args);
    assert.equal(r.status, 1, `${args[0]}: ${r.stderr}`);
    assertWardenWords(r.stderr, /^warden: no Warden store at \.warden\/data: nothing has been recorded here$/m);
    assert.equal(existsSync(join(cwd, '.warden')), false, `${args[0]} created a store`);
  }
});

test('a directory that holds no Warden tables, and a store with no calls in range, are said as such', () => {
  mkdirSync(join(cwd, 'not-a-store'));
  const r = warden(['suggest', '--store', 'not-a-store']);
  assert.equal(r.status, 1, r.stderr);
  assertWardenWords(r.stderr, /^warden: the store at .*not-a-store has no Warden tables in database warden: nothing has been recorded there$/m);
  const migrated = spawnSync(process.execPath, [resolve(WARDEN_BIN), 'migrate', '--store', 'empty'], { cwd, encoding: 'utf8', timeout: 120_000 });
  assert.equal(migrated.status, 0, migrated.stderr);
  const suggest = warden(['suggest', '--store', 'empty', '--since', '1d']);
  assert.equal(suggest.status, 1, suggest.stderr);
  assert.equal(suggest.stdout, '', 'no deny-everything policy is printed');
  assert.match(suggest.stderr, /^warden: no recorded calls from \S+ to \S+: there is nothing to learn a policy from$/m);
  const simulate = warden(['simulate', '--store', 'empty', '--policy', POLICY]);
  assert.equal(simulate.status, 0, simulate.stderr);
  assert.match(simulate.stdout, /^note: no recorded calls in this range; .*`warden serve`/m);
});
