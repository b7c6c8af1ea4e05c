// `warden suggest` / `warden simulate`: through a running serve (--api), and directly on the
// store when nothing answers; the suggested file passes `warden policy check` unchanged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { startServe, type RunningServe } from '../../../src/cli/serve-runner.js';
import { resolveServeConfig } from '../../../src/config/index.js';
import { ChdbDriver, migrate } from '../../../src/storage/index.js';
import { testDataDir, uniqueDatabase } from '../../helpers/store.js';
import { eventually } from '../../helpers/eventually.js';
import { generateWorkload, type Workload } from '../../../examples/workload/generate.js';
import { insertWorkloadDirect, postWorkloadOtlp } from '../../../examples/workload/writers.js';

let serve: RunningServe;
let w: Workload;
const dir = mkdtempSync(join(tmpdir(), 'warden-cli-an-'));
const NOTHING_LISTENING = 'http://127.0.0.1:9';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    process.exitCode = undefined;
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
    process.exitCode = undefined;
  }
}

before(async () => {
  w = generateWorkload({ seed: 5, endMs: Math.floor(Date.now() / 60_000) * 60_000, days: 4 });
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: testDataDir(), clickhouseDatabase: uniqueDatabase('cli'), flushInterval: '100ms' }, {});
  serve = await startServe({ config });
  await postWorkloadOtlp(serve.url, w);
  await serve.writer.flush();
});

after(async () => {
  await serve?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('suggest through a running serve, then policy check and simulate on the file', async () => {
  let result: { code: number; stdout: string; stderr: string } | undefined;
  // Point the store flags at an empty database: only the API path can see the workload.
  const suggest = async () => (result = await run(['suggest', '--api', serve.url, '--since', '5d', '--json', '--clickhouse-database', uniqueDatabase('unused')]));
  await eventually('a suggestion covering six tools', async () => {
    const r = await suggest();
    return r.code === 0 && Object.keys(JSON.parse(r.stdout).policy.tools ?? {}).length >= 6;
  }, { timeoutMs: 20_000, intervalMs: 100, detail: () => result?.stderr ?? '' });
  assert.ok(result);
  assert.equal(result.code, 0, result.stderr);
  const body = JSON.parse(result.stdout);
  assert.ok(body.policy.tools.session_close.limits[0].max < 30, 'tighter than the class default');
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify(body.policy, null, 2));
  const check = await run(['policy', 'check', file]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /^ok: policy\.json/);
  const sim = await run(['simulate', '--policy', file, '--since', '5d', '--api', serve.url]);
  assert.equal(sim.code, 0, sim.stderr);
  assert.match(sim.stdout, /calls replayed/);
  assert.match(sim.stdout, /cursor\tsession_close\t\d+\t\d+\t0\t\d{3}/, 'the storm is rate limited');
});

test('without a serve, suggest opens the store directly and writes --out', async () => {
  const database = uniqueDatabase('direct');
  const store = await ChdbDriver.open({ path: testDataDir(), database });
  await migrate(store);
  await insertWorkloadDirect(store, w);
  await store.close();
  const out = join(dir, 'direct.json');
  const res = await run(['suggest', '--api', NOTHING_LISTENING, '--store', testDataDir(), '--clickhouse-database', database, '--since', '5d', '--out', out]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stderr, /suggested policy from .* written to/);
  assert.match(res.stderr, /backtest: \d+ calls replayed/);
  const policy = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(policy.default, 'deny');
  assert.deepEqual(policy.hide, ['doctor', 'forget', 'sync']);
  const bad = await run(['simulate', '--policy', join(dir, 'missing.json'), '--api', NOTHING_LISTENING]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^warden: cannot read candidate policy/);
});
