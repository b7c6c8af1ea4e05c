import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Rows of the table that follows `heading` in the demo's report, as cell arrays. */
function tableAfter(output: string, heading: string): string[][] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(start >= 0, `no "${heading}" section in:\n${output}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('  ')) break;
    rows.push(line.trim().split(/\s{2,}/));
  }
  return rows;
}

test('npm start runs the demo: the runaway is flagged, alerted on, and refused by the suggested policy', { timeout: 180_000 }, () => {
  const run = spawnSync('npm', ['start', '--silent'], { encoding: 'utf8', timeout: 170_000, env: { ...process.env, CLICKHOUSE_URL: '' } });
  assert.equal(run.status, 0, `npm start failed:\n${run.stdout}\n${run.stderr}`);
  const out = run.stdout;

  // Every live agent's calls reached the store through warden proxy and OTLP.
  const agents = new Map(tableAfter(out, 'Agents').map((r) => [r[0], r.slice(1).map(Number)]));
  assert.deepEqual([...agents.keys()].sort(), ['nightly-batch', 'researcher', 'runaway', 'writer']);
  assert.equal(agents.get('runaway')?.[0], 301, 'session_start + 300 session_close');
  assert.ok((agents.get('runaway')?.[1] ?? 0) >= 250, 'the starter policy would refuse most of the runaway loop in audit mode');
  for (const normal of ['nightly-batch', 'researcher', 'writer']) assert.equal(agents.get(normal)?.[1], 0, `${normal} would be refused`);

  // Flagged with an explanation, and alerted on.
  assert.match(out, /\[(high|critical)\] lifecycle_violation {2}agent=runaway tool=session_close/);
  assert.match(out, /\[(high|critical)\] bulk_write_burst {2}agent=runaway tool=session_close/, "a burst of hundreds a minute is at least high");
  assert.doesNotMatch(out, /agent=(researcher|writer|nightly-batch)/, 'a normal agent was flagged');
  assert.match(out, /FIRED runaway-writes: delivered to the demo webhook/);

  // The suggested policy refuses the runaway's excess and none of the normal agents' calls.
  const backtest = new Map(tableAfter(out, 'Backtest').map((r) => [r[0], { calls: Number(r[1]), refused: Number(r[2]) }]));
  const runaway = backtest.get('runaway');
  assert.ok(runaway && runaway.refused >= runaway.calls - 10, `runaway refused ${runaway?.refused} of ${runaway?.calls}`);
  for (const normal of ['nightly-batch', 'researcher', 'writer']) assert.equal(backtest.get(normal)?.refused, 0, `${normal} refused`);

  // Judged on the traffic it did not learn from: the runaway (live, after the split) is refused, normal agents are not.
  const forward = new Map(tableAfter(out, 'Forward test').map((r) => [r[0], r.slice(1).map(Number)]));
  const [, , excess = 0, excessRefused = 0] = forward.get('runaway') ?? [];
  assert.ok(excess >= 290 && excessRefused >= excess - 10, `runaway excess refused ${excessRefused} of ${excess}`);
  for (const normal of ['nightly-batch', 'researcher', 'writer']) {
    assert.ok((forward.get(normal)?.[0] ?? 0) > 0, `${normal} has replayed calls`);
    assert.equal(forward.get(normal)?.[1], 0, `${normal} refused in the forward test`);
  }
  assert.match(out, /Normal calls refused: 0 of \d+ \(0\.00 %\); runaway excess refused: \d+ of \d+/);

  // It says where the console was (stopped at the end without --keep).
  assert.match(out, /console: +http:\/\/127\.0\.0\.1:\d+\/ +\[stopped; run with --keep/);

  // The file it wrote is a valid policy that `warden policy check` accepts.
  const file = /suggested policy: (\S+)/.exec(out)?.[1];
  assert.ok(file, 'the report names the policy file');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).default, 'deny');
  const check = spawnSync(process.execPath, ['src/cli/bin.js', 'policy', 'check', file], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});
