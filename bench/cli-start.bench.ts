// Cold start of the `warden` CLI three ways, side by side in one run (each measurement a new
// process, the ways interleaved so drift hits them alike):
//   - dist: the build in dist/ (`npm run build`, run by `npm ci`), what the bin runs when installed;
//   - compiled cache: `node src/cli/bin.js` from the sources, compiled once by esbuild into
//     node_modules/.cache/warden (the development path; the cache is built before measuring);
//   - tsx: `WARDEN_RUNTIME=tsx node src/cli/bin.js`, the sources through tsx's loader.
// Commands: `--version`, `policy check` of the example policy, and `proxy` (example server
// upstream) until it answers the agent's initialize.
//   node --import tsx bench/cli-start.bench.ts      knobs: BENCH_START_RUNS (10)
import { spawn, spawnSync } from 'node:child_process';
import { tempDir } from '../test/helpers/temp.js';

const RUNS = Number(process.env.BENCH_START_RUNS ?? 10);
const SERVER = [process.execPath, 'dist/examples/total-recall-server.js'];
const INITIALIZE = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}\n';

const WAYS: Record<string, { bin: string; env: Record<string, string> }> = {
  dist: { bin: 'dist/src/cli/bin.js', env: {} },
  'compiled cache': { bin: 'src/cli/bin.js', env: {} },
  tsx: { bin: 'src/cli/bin.js', env: { WARDEN_RUNTIME: 'tsx' } },
};

function timedRun(bin: string, args: string[], env: Record<string, string>): number {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${bin} ${args.join(' ')}: ${run.stderr}`);
  return performance.now() - t0;
}

/** Spawn → the proxy's first line on stdout (its answer to initialize, which needs the server up). */
function proxyFirstAnswer(bin: string, env: Record<string, string>, spool: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'proxy', '--otlp', 'http://127.0.0.1:9', '--spool', spool, '--', ...SERVER], {
    env: { ...process.env, WARDEN_LOG_LEVEL: 'error', ...env }, stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.write(INITIALIZE);
  return new Promise((resolve) => {
    child.stdout.once('data', () => {
      const ms = performance.now() - t0;
      child.stdin.end();
      child.once('exit', () => resolve(ms));
    });
  });
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  if (spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  timedRun('src/cli/bin.js', ['--version'], {}); // builds the compiled cache
  const spool = tempDir('bench-start');
  const samples: Record<string, Record<string, number[]>> = {};
  for (let run = 0; run < RUNS; run++) {
    for (const [way, { bin, env }] of Object.entries(WAYS)) {
      const s = (samples[way] ??= { version: [], check: [], proxy: [] });
      s.version?.push(timedRun(bin, ['--version'], env));
      s.check?.push(timedRun(bin, ['policy', 'check', 'examples/compose/policy.json'], env));
      s.proxy?.push(await proxyFirstAnswer(bin, env, spool));
    }
  }
  const cell = (v: number[]) => `${pct(v, 50).toFixed(0)} ms (p90 ${pct(v, 90).toFixed(0)})`;
  console.log(['## cli start', '', `${RUNS} cold starts each, interleaved; median (p90) wall time`, '',
    '| runs from | `warden --version` | `warden policy check` | `warden proxy` → initialize answered |', '|---|---|---|---|',
    ...Object.entries(samples).map(([way, s]) => `| ${way} | ${cell(s.version ?? [])} | ${cell(s.check ?? [])} | ${cell(s.proxy ?? [])} |`), ''].join('\n'));
}

await main();
