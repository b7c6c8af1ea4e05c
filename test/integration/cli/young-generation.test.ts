// The proxy holds V8's young generation at 16 MiB under sustained allocation; without the
// hold the same load grows it further. Each case runs in its own process: the hold is process-wide.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

// Allocation in event-loop turns, as a proxy's calls arrive: some of it survives a scavenge.
const LOAD = `
  const { getHeapSpaceStatistics } = await import('node:v8');
  if (process.argv.includes('--hold')) (await import('./src/cli/young-generation.ts')).holdYoungGeneration();
  let live = [];
  for (let turn = 0; turn < 200; turn++) {
    for (let i = 0; i < 40000; i++) { live.push({ i, s: 'x' + i }); if (live.length > 150000) live = []; }
    await new Promise((r) => setImmediate(r));
  }
  console.log(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
`;

function youngGenerationAfterLoad(hold: boolean): number {
  const args = ['--import', 'tsx', '--input-type=module', '-e', LOAD, ...(hold ? ['--', '--hold'] : [])];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stdout.trim());
}

test('holdYoungGeneration keeps the young generation at 16 MiB where V8 would double it', () => {
  const MiB = 1024 * 1024;
  const free = youngGenerationAfterLoad(false);
  const held = youngGenerationAfterLoad(true);
  assert.ok(free > 16 * MiB, `without the hold the load grows it (${free / MiB} MiB)`);
  assert.ok(held <= 16 * MiB, `held at ${held / MiB} MiB`);
  assert.ok(held >= 8 * MiB, `still allowed to reach its working size (${held / MiB} MiB)`);
});
