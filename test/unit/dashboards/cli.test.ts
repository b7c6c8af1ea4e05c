import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';

async function quietly(argv: string[]): Promise<number> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    process.exitCode = undefined;
    return await main(argv);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
}

test('warden dashboards writes the files; --check passes on them and fails after an edit or removal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-dash-'));
  try {
    assert.equal(await quietly(['dashboards', '--check', '--out', dir]), 1, 'nothing written yet');
    assert.equal(await quietly(['dashboards', '--out', dir]), 0);
    assert.equal(await quietly(['dashboards', '--check', '--out', dir]), 0);
    const overview = join(dir, 'overview.json');
    const board = JSON.parse(readFileSync(overview, 'utf8')) as { title: string };
    writeFileSync(overview, JSON.stringify({ ...board, title: 'edited by hand' }, null, 2) + '\n');
    assert.equal(await quietly(['dashboards', '--check', '--out', dir]), 1);
    assert.equal(await quietly(['dashboards', '--out', dir, '--database', 'analytics']), 0);
    assert.match(readFileSync(overview, 'utf8'), /FROM analytics\.tool_calls_1m/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
