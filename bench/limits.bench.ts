// Shared limits (`warden proxy --limits redis://…`), everything side by side in one run:
//   node --import tsx bench/limits.bench.ts
// 1. Added latency per tools/call: one proxy on its own counters and one with --limits against a
//    local redis-server, calls interleaved round by round against the example server (p50/p99).
// 2. Decisions/s of one process against Redis (engine + Lua script, BENCH_INFLIGHT concurrent).
// 3. The local path without --limits: today's engine against the engine as of BENCH_BASE_REF
//    (before shared limits), same policy and calls, interleaved.
// Knobs: BENCH_CALLS (per side, default 5000), BENCH_DECISIONS (20000), BENCH_INFLIGHT (32),
// BENCH_BASE_REF (default 0a6fd5a). Needs /usr/bin/redis-server (Debian package redis-server).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createLogger } from '../src/core/index.js';
import { RedisCounters } from '../src/limits/index.js';
import { compilePolicy, PolicyEngine, type CompiledPolicy, type ToolCall } from '../src/policy/index.js';
import { freePort } from '../test/helpers/processes.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 5000);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 20000);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 32);
const BASE_REF = process.env.BENCH_BASE_REF ?? '0a6fd5a';
const work = mkdtempSync(join(tmpdir(), 'warden-limits-bench-'));
const POLICY = {
  version: '1', default: 'allow', mode: 'enforce',
  all_tools: { limits: [{ counter: 'all', window: 'second', max: 1_000_000, scope: 'global' }] },
  tools: { task_list: { limits: [{ counter: 'tasks', window: 'minute', max: 100_000_000 }] } },
};

async function startRedis(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return { url: `redis://127.0.0.1:${port}`, stop: () => void child.kill('SIGKILL') };
}

async function proxyClient(extra: string[]): Promise<Client> {
  const policyFile = join(work, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(POLICY));
  const args = ['src/cli/bin.js', 'proxy', '--policy', policyFile, '--agent', 'bench', '--otlp', 'http://127.0.0.1:9', '--spool', join(work, `spool-${extra.length}`), ...extra,
    '--', process.execPath, '--import', 'tsx', 'examples/total-recall-server.ts'];
  const transport = new StdioClientTransport({ command: process.execPath, args, env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'error' }, stderr: 'inherit' });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

async function latency(redisUrl: string): Promise<void> {
  const sides = { local: await proxyClient([]), redis: await proxyClient(['--limits', redisUrl, '--limits-timeout', '1s', '--limits-fallback', 'deny']) };
  const times: Record<string, number[]> = { local: [], redis: [] };
  for (let i = 0; i < CALLS + 500; i++) {
    for (const [name, client] of Object.entries(sides)) {
      const t0 = performance.now();
      const result = await client.callTool({ name: 'task_list', arguments: {} });
      if (result.isError) throw new Error(`${name}: refused: ${JSON.stringify(result.content)}`);
      if (i >= 500) times[name]?.push(performance.now() - t0);
    }
  }
  console.log(`## Added latency per tools/call (${CALLS} calls per side, interleaved; example server over stdio)\n`);
  console.log('| proxy | p50 ms | p99 ms |\n|---|---|---|');
  for (const [name, list] of Object.entries(times)) {
    list.sort((a, b) => a - b);
    console.log(`| ${name === 'local' ? 'own counters (no --limits)' : '--limits redis://127.0.0.1'} | ${pct(list, 0.5).toFixed(3)} | ${pct(list, 0.99).toFixed(3)} |`);
  }
  await Promise.all(Object.values(sides).map((c) => c.close()));
}

function compiled(): CompiledPolicy {
  const result = compilePolicy(POLICY);
  if (!result.ok) throw new Error('bench policy invalid');
  return result.value;
}

async function throughput(redisUrl: string): Promise<void> {
  const counters = new RedisCounters({ url: redisUrl, timeoutMs: 1000, logger: createLogger({ level: 'error' }) });
  await counters.connect(2000);
  const engine = new PolicyEngine(compiled());
  const shared = { counters, name: 'redis' as const, fallback: 'deny' as const };
  let next = 0;
  let fellBack = 0;
  const worker = async () => {
    while (next < DECISIONS) {
      next++;
      const d = await engine.decideShared({ tsMs: Date.now(), agent: `agent-${next % 20}`, tool: 'task_list' }, shared);
      if (d.limitBackend !== 'redis') fellBack++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  const seconds = (performance.now() - t0) / 1000;
  console.log(`\n## Decisions/s of one process against Redis (two limits per call, ${INFLIGHT} in flight)\n`);
  console.log(`| decisions | seconds | decisions/s | not decided by Redis |\n|---|---|---|---|\n| ${DECISIONS} | ${seconds.toFixed(2)} | ${Math.round(DECISIONS / seconds)} | ${fellBack} |`);
  await counters.close();
}

/** The engine as of BASE_REF, its relative imports pointed at today's sibling modules. */
async function baseEngine(): Promise<typeof PolicyEngine> {
  const source = execFileSync('git', ['show', `${BASE_REF}:src/policy/engine.ts`]).toString();
  const policyDir = pathToFileURL(resolve('src/policy')).href;
  const coreDir = pathToFileURL(resolve('src/core')).href;
  const rewritten = source.replaceAll("from './", `from '${policyDir}/`).replaceAll("from '../core/", `from '${coreDir}/`);
  mkdirSync(join(work, 'base'), { recursive: true });
  const file = join(work, 'base', 'engine.ts');
  writeFileSync(file, rewritten);
  return ((await import(pathToFileURL(file).href)) as { PolicyEngine: typeof PolicyEngine }).PolicyEngine;
}

async function localPath(): Promise<void> {
  const engines = { [`engine at ${BASE_REF}`]: new (await baseEngine())(compiled()), 'engine now': new PolicyEngine(compiled()) };
  const calls: ToolCall[] = Array.from({ length: 1000 }, (_, i) => ({ tsMs: 0, agent: 'bench', tool: i % 2 ? 'task_list' : 'search' }));
  const best: Record<string, number> = {};
  let ts = Date.parse('2026-12-01T00:00:00Z');
  for (let round = 0; round < 20; round++) {
    for (const [name, engine] of Object.entries(engines)) {
      const t0 = performance.now();
      for (let i = 0; i < 200_000; i++) {
        const call = calls[i % 1000] as ToolCall;
        call.tsMs = ts++;
        engine.decide(call);
      }
      const ns = ((performance.now() - t0) * 1e6) / 200_000;
      if (round >= 2) best[name] = Math.min(best[name] ?? Infinity, ns);
    }
  }
  console.log('\n## The local path without --limits (decide, two limits per call, best of 18 interleaved rounds of 200,000)\n');
  console.log('| engine | ns/decision |\n|---|---|');
  for (const [name, ns] of Object.entries(best)) console.log(`| ${name} | ${ns.toFixed(1)} |`);
}

const redis = await startRedis();
try {
  await localPath();
  await throughput(redis.url);
  await latency(redis.url);
} finally {
  redis.stop();
  rmSync(work, { recursive: true, force: true });
}
