// Added latency of `warden proxy` per tools/call (a fresh proxy's first calls, and at steady
// state), its HTTP front against mcp-proxy, and a sustained-rate run. Everything is measured
// side by side in one run, with warden as installed (dist/, built first):
//   node --import tsx bench/proxy.bench.ts
// Knobs: BENCH_CALLS (sequential calls per side, default 20000), BENCH_WARMUP (10000), BENCH_RATE (calls/s, 2000),
// BENCH_SUSTAIN_S (seconds, 60), BENCH_FRESH_RUNS (fresh processes per side, 5), BENCH_FRESH_CALLS (1000),
// BENCH_PACE_S (seconds at 10 calls/s, 60), BENCH_PACED_RUNS (2), BENCH_FIRST_CALL_AFTER_MS (pause after the tool list, 0), BENCH_FRESH_VARIANTS (extra warden sides, e.g.
// "sparkplug=--always-sparkplug;nowarm=env:WARDEN_PROXY_WARMUP=0"), BENCH_ONLY (comma list of
// fresh, paced, stdio, http, sustained; default all).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../test/helpers/processes.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { NULL_RELAY, freshSections } from './proxy-fresh.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 20000);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SUSTAIN_S = Number(process.env.BENCH_SUSTAIN_S ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10000);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'fresh,paced,stdio,http,sustained').split(','));
// The example server as built (plain JavaScript, no loader), like most MCP servers.
const EXAMPLE = [process.execPath, 'dist/examples/total-recall-server.js'];
const WARDEN_BIN = 'dist/src/cli/bin.js';
const work = mkdtempSync(join(tmpdir(), 'warden-bench-'));
const children: ChildProcess[] = [];

// A policy that exercises the engine on every call: a per-tool limit and an all_tools limit with headroom.
const policyFile = join(work, 'policy.json');
writeFileSync(policyFile, JSON.stringify({
  version: '1', default: 'allow', mode: 'enforce', hide: ['forget'],
  all_tools: { limits: [{ counter: 'all', window: 'second', max: 1_000_000 }] },
  tools: { task_list: { limits: [{ counter: 'tasks', window: 'minute', max: 100_000_000 }] }, doctor: { action: 'deny', reason: 'operators only' } },
}));

// The HTTP front in enforce mode needs a bearer token mapped to an agent.
const tokensFile = join(work, 'tokens.json');
const BENCH_TOKEN = 'bench-token';
writeFileSync(tokensFile, JSON.stringify({ agents: { bench: { token_sha256: createHash('sha256').update(BENCH_TOKEN).digest('hex') } } }));


/** An OTLP endpoint in its own process, so span export costs nothing in the measuring process. */
async function startOtlpSink(): Promise<string> {
  const port = await freePort();
  const code = `require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>s.writeHead(200,{'content-type':'application/x-protobuf'}).end())}).listen(${port},'127.0.0.1',()=>console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise((r) => child.stdout?.once('data', r));
  return `http://127.0.0.1:${port}`;
}

function wardenArgs(otlp: string, extra: string[]): string[] {
  return [WARDEN_BIN, 'proxy', '--policy', policyFile, '--agent', 'bench', '--otlp', otlp, '--spool', join(work, 'spool'), ...extra];
}

async function stdioClient(command: string[], env: Record<string, string> = {}): Promise<{ client: Client; pid: number }> {
  const transport = new StdioClientTransport({ command: command[0] as string, args: command.slice(1), env: { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'warn', ...env }, stderr: 'inherit' });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  await client.listTools();
  return { client, pid: transport.pid as number };
}

async function httpClient(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
  await client.connect(new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined));
  await client.listTools();
  return client;
}

async function spawnListening(command: string[], pattern: RegExp): Promise<void> {
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_LOG_LEVEL: 'info' } });
  children.push(child);
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} from ${command.join(' ')}:\n${seen}`)), 20_000);
    const onData = (c: Buffer) => {
      seen += c.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

const call = (client: Client) => client.callTool({ name: 'task_list', arguments: { project: 'warden' } });

/** Times `count` sequential calls. */
async function timedCalls(client: Client, count: number, into: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await call(client);
    into.push(Number(process.hrtime.bigint() - start) / 1000);
  }
}

interface Samples {
  /** Steady state: after the warm-up, in alternating blocks. */
  steady: Record<string, number[]>;
  /** The warm-up calls: each side's first calls after it started, while V8 is still compiling its hot code. */
  warmup: Record<string, number[]>;
}

/**
 * Sequential calls, alternating blocks between the sides so drift hits all of them equally,
 * after WARMUP calls on each side: V8 takes several thousand calls (about a second) to finish
 * compiling a proxy's hot paths on its background threads, which compete for the same two
 * cores; the warm-up calls are timed too and reported on their own.
 */
async function interleaved(sides: Record<string, Client>, calls: number, warmup = WARMUP, block = 250): Promise<Samples> {
  const samples: Record<string, number[]> = {};
  const warm: Record<string, number[]> = {};
  for (const [name, client] of Object.entries(sides)) {
    samples[name] = [];
    await timedCalls(client, warmup, (warm[name] = []));
  }
  for (let done = 0; done < calls; done += block) {
    for (const [name, client] of Object.entries(sides)) await timedCalls(client, block, samples[name] as number[]);
  }
  return { steady: samples, warmup: warm };
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const us = (v: number) => `${v.toFixed(0)} µs`;

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number(line.replace(/\D+/g, '')) / 1024;
}

async function sustained(label: string, client: Client, proxyPid: number): Promise<string> {
  let issued = 0;
  let completed = 0;
  let errors = 0;
  const latencies: number[] = [];
  for (let i = 0; i < 2000; i++) await call(client);
  const rssStart = rssMiB(proxyPid);
  let rssMax = rssStart;
  const rssSamples: string[] = [];
  const started = performance.now();
  let nextSample = started + 10_000;
  const deadline = started + SUSTAIN_S * 1000;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const rss = rssMiB(proxyPid);
      rssMax = Math.max(rssMax, rss);
      if (now >= nextSample && now < deadline) {
        rssSamples.push(rss.toFixed(0));
        nextSample += 10_000;
      }
      // At the deadline exactly RATE × SUSTAIN_S calls are due (the division alone can round one short).
      const due = now >= deadline ? RATE * SUSTAIN_S : Math.floor(((now - started) / 1000) * RATE);
      for (; issued < due; issued++) {
        const t0 = performance.now();
        call(client).then(
          (r) => {
            if (r.isError) errors++;
            latencies.push((performance.now() - t0) * 1000);
          },
          () => void errors++,
        ).finally(() => {
          completed++;
          if (now >= deadline && completed === issued) {
            clearInterval(tick);
            resolve();
          }
        });
      }
      if (now >= deadline && completed === issued) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const elapsed = (performance.now() - started) / 1000;
  const rssEnd = rssMiB(proxyPid);
  return `| ${label} | ${RATE} calls/s for ${SUSTAIN_S} s | ${completed} | ${(completed / elapsed).toFixed(0)}/s | ${errors} | ${us(pct(latencies, 50))} | ${us(pct(latencies, 99))} | ${rssStart.toFixed(0)} → ${rssEnd.toFixed(0)} MiB (every 10 s: ${rssSamples.join(', ')}; max ${rssMax.toFixed(0)}) |`;
}

async function main(): Promise<void> {
  // Warden as installed: dist/, built from the sources now.
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const otlp = await startOtlpSink();
  const out: string[] = ['## proxy', ''];
  if (ONLY.has('fresh') || ONLY.has('paced')) out.push(...(await freshSections(otlp, wardenArgs, EXAMPLE, { fresh: ONLY.has('fresh'), paced: ONLY.has('paced') })));
  if (ONLY.has('stdio')) out.push(...(await stdioSection(otlp)));
  if (ONLY.has('http')) out.push(...(await httpSection(otlp)));
  if (ONLY.has('sustained')) out.push(...(await sustainedSection(otlp)));
  console.log(out.join('\n'));
}

/** stdio ↔ stdio: direct, through a byte-copying relay, and through warden proxy (policy + telemetry on). */
async function stdioSection(otlp: string): Promise<string[]> {
  const direct = await stdioClient(EXAMPLE);
  const relay = await stdioClient([process.execPath, '-e', NULL_RELAY, ...EXAMPLE]);
  const proxied = await stdioClient([process.execPath, ...wardenArgs(otlp, ['--', ...EXAMPLE])]);
  const { steady, warmup } = await interleaved({ direct: direct.client, relay: relay.client, warden: proxied.client }, CALLS);
  for (const side of [direct, relay, proxied]) await side.client.close();
  const table = (samples: Record<string, number[]>) => {
    const d50 = pct(samples.direct!, 50);
    const d99 = pct(samples.direct!, 99);
    const row = (label: string, values: number[]) => {
      const [p50, p99] = [pct(values, 50), pct(values, 99)];
      return `| ${label} | ${us(p50)} | ${us(p99)} | ${us(p50 - d50)} | ${us(p99 - d99)} |`;
    };
    return [
      '| path | p50 | p99 | added p50 | added p99 |', '|---|---|---|---|---|',
      `| direct | ${us(d50)} | ${us(d99)} | | |`,
      row('byte-copying Node relay (no parsing, no policy, no telemetry)', samples.relay!),
      row('warden proxy', samples.warden!), '',
    ];
  };
  return [
    `### stdio ↔ stdio, ${CALLS} sequential tools/call per side after ${WARMUP} warm-up calls (example server, enforce policy with limits, OTLP export on)`, '',
    ...table(steady),
    `### the same, the ${WARMUP} warm-up calls: each process's first calls after it started`, '',
    ...table(warmup),
  ];
}

/** HTTP front (Streamable HTTP → stdio example server): warden vs mcp-proxy. */
async function httpSection(otlp: string): Promise<string[]> {
  const [wardenPort, mcpProxyPort] = [await freePort(), await freePort()];
  await spawnListening([process.execPath, ...wardenArgs(otlp, ['--listen', `127.0.0.1:${wardenPort}`, '--tokens', tokensFile, '--', ...EXAMPLE])], /listening on/);
  await spawnListening([process.execPath, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs', '--host', '127.0.0.1', '--port', String(mcpProxyPort), '--server', 'stream', '--', ...EXAMPLE], /listening|started|8080|\d{4,5}/i);
  const wardenHttp = await httpClient(`http://127.0.0.1:${wardenPort}/mcp`, BENCH_TOKEN);
  const mcpProxyHttp = await httpClient(`http://127.0.0.1:${mcpProxyPort}/mcp`);
  const calls = Math.min(CALLS, 2000);
  const http = (await interleaved({ warden: wardenHttp, 'mcp-proxy': mcpProxyHttp }, calls, Math.min(WARMUP, 2000))).steady;
  await wardenHttp.close();
  await mcpProxyHttp.close();
  return [
    `### HTTP front → stdio example server, ${calls} sequential tools/call per side`, '',
    '| front | p50 | p99 | policy + telemetry |', '|---|---|---|---|',
    `| warden proxy --listen | ${us(pct(http.warden!, 50))} | ${us(pct(http.warden!, 99))} | yes |`,
    `| mcp-proxy 6.7.19 | ${us(pct(http['mcp-proxy']!, 50))} | ${us(pct(http['mcp-proxy']!, 99))} | no |`, '',
  ];
}

/** Sustained open-loop rate through one stdio proxy, as users start it (`warden proxy …`). */
async function sustainedSection(otlp: string): Promise<string[]> {
  const out = ['### sustained load through one proxy (stdio, open loop)', ''];
  out.push('| proxy process | load | calls | achieved | errors | p50 | p99 | proxy RSS start → end |', '|---|---|---|---|---|---|---|---|');
  const proxied = await stdioClient([process.execPath, ...wardenArgs(otlp, ['--', ...EXAMPLE])]);
  out.push(await sustained('`warden proxy`', proxied.client, proxied.pid), '');
  await proxied.client.close();
  return out;
}

try {
  await main();
} finally {
  for (const child of children) child.kill();
  rmSync(work, { recursive: true, force: true });
}
