import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations } from '../../../src/storage/index.js';

const warden = (...args: string[]) => spawnSync(process.execPath, ['src/cli/bin.js', ...args], { encoding: 'utf8', timeout: 60_000 });

test('warden migrate applies to the embedded store once, then reports it up to date', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-migrate-'));
  try {
    const first = warden('migrate', '--store', dir);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`applied ${loadMigrations().length} migration\\(s\\) to embedded store ${dir} \\(database warden\\): 0001_otel_traces`));
    const second = warden('migrate', '--store', dir, '--retention-days', '7');
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /is up to date/);
    assert.match(second.stdout, /retention of otel_traces: 30 → 7 days/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('warden migrate --cluster: prints the cluster SQL, and refuses to apply it to an embedded store', () => {
  const printed = warden('migrate', '--cluster', 'prod', '--print');
  assert.equal(printed.status, 0, printed.stderr);
  assert.match(printed.stdout, /ENGINE = Distributed\('prod', 'warden', 'otel_traces_local', cityHash64\(TraceId\)\)/);
  assert.match(printed.stdout, /ENGINE = ReplicatedReplacingMergeTree\(\)/);
  const refused = warden('migrate', '--cluster', 'prod', '--store', '/nonexistent/never');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /warden: --cluster needs a ClickHouse server \(--clickhouse-url\)/);
});

test('warden migrate --json lists what it applied and what was already there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-migrate-json-'));
  try {
    const first = JSON.parse(warden('migrate', '--store', dir, '--json').stdout) as { applied: string[]; already_applied: string[]; store: { kind: string } };
    assert.deepEqual(first.applied, loadMigrations().map((m) => m.name));
    assert.equal(first.store.kind, 'embedded');
    const second = JSON.parse(warden('migrate', '--store', dir, '--json').stdout) as { applied: string[]; already_applied: string[] };
    assert.deepEqual(second.applied, []);
    assert.equal(second.already_applied.length, loadMigrations().length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
