// A freshly started proxy's first calls (bench/proxy.bench.ts, sections "fresh" and "paced").
// Most agent sessions are short, so the calls a proxy answers while V8 is still compiling it
// matter. Every run starts every side as a new process: the example server directly, through a
// byte-copying relay, and through `warden proxy` (plus any variants: V8 flags, environment).
//  - fresh: BENCH_FRESH_CALLS back-to-back calls per side, BENCH_FRESH_RUNS times, sides in a
//    rotating order;
//  - paced: all sides started together, then 10 calls/s each for BENCH_PACE_S seconds (calls
//    staggered between the sides), BENCH_PACED_RUNS times.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { setTimeout as sleep } from 'node:timers/promises';

const RUNS = Number(process.env.BENCH_FRESH_RUNS ?? 5);
const CALLS = Number(process.env.BENCH_FRESH_CALLS ?? 1000);
const PACED_RUNS = Number(process.env.BENCH_PACED_RUNS ?? 2);
const PACE_S = Number(process.env.BENCH_PACE_S ?? 60);
const PACE_HZ = 10;
/** Between the tool list and the first call: an agent's model reads the tools first (0: call at once). */
const FIRST_CALL_AFTER_MS = Number(process.env.BENCH_FIRST_CALL_AFTER_MS ?? 0);

/**
 * A process that only copies bytes between the agent and a spawned server: the floor for any
 * stdio proxy written in Node on this machine (two more pipe hops and process wake-ups).
 */
export const NULL_RELAY = `const { spawn } = require('node:child_process');
const [cmd, ...args] = process.argv.slice(1);
const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.on('exit', () => process.exit(0));`;

interface Side {
  name: string;
  command: string[];
  env: Record<string, string>;
  warden: boolean;
}

interface Started {
  client: Client;
  /** Spawn to the initialize answer (the MCP handshake), ms. */
  connectMs: number;
}

type WardenArgs = (otlp: string, extra: string[]) => string[];

/** BENCH_FRESH_VARIANTS="label:--v8-flag NAME=value;label2:…": more warden sides, with node flags and environment. */
function sidesFor(otlp: string, wardenArgs: WardenArgs, example: string[]): Side[] {
  const warden = (name: string, flags: string[], env: Record<string, string>): Side => ({
    name, command: [process.execPath, ...flags, ...wardenArgs(otlp, ['--', ...example])], env, warden: true,
  });
  const sides: Side[] = [
    { name: 'direct', command: example, env: {}, warden: false },
    { name: 'byte relay', command: [process.execPath, '-e', NULL_RELAY, ...example], env: {}, warden: false },
    warden('warden proxy', [], {}),
  ];
  for (const spec of (process.env.BENCH_FRESH_VARIANTS ?? '').split(';').filter(Boolean)) {
    const [label, rest = ''] = spec.split(/:(.*)/s);
    const words = rest.split(/\s+/).filter(Boolean);
    const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split(/=(.*)/s).slice(0, 2)));
    sides.push(warden(`warden proxy, ${label}`, words.filter((w) => w.startsWith('--')), env));
  }
  return sides;
}

async function start(side: Side): Promise<Started> {
  const t0 = performance.now();
  const env = { ...(process.env as Record<string, string>), WARDEN_LOG_LEVEL: 'warn', ...side.env };
  const transport = new StdioClientTransport({ command: side.command[0] as string, args: side.command.slice(1), env, stderr: 'inherit' });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  const connectMs = performance.now() - t0;
  await client.listTools();
  if (FIRST_CALL_AFTER_MS > 0) await sleep(FIRST_CALL_AFTER_MS);
  return { client, connectMs };
}

const call = (client: Client) => client.callTool({ name: 'task_list', arguments: { project: 'warden' } });

async function timed(client: Client): Promise<number> {
  const t0 = process.hrtime.bigint();
  await call(client);
  return Number(process.hrtime.bigint() - t0) / 1000;
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Result {
  samples: number[];
  connects: number[];
  runP99: number[];
}

async function freshRuns(sides: Side[]): Promise<Map<string, Result>> {
  const results = new Map(sides.map((s) => [s.name, { samples: [], connects: [], runP99: [] } as Result]));
  // One discarded run warms this (the agent's) process, so no side pays for the client's own JIT.
  const warm = await start(sides[0] as Side);
  for (let i = 0; i < CALLS; i++) await call(warm.client);
  await warm.client.close();
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(run + k) % sides.length] as Side;
      const result = results.get(side.name) as Result;
      const { client, connectMs } = await start(side);
      const samples: number[] = [];
      for (let i = 0; i < CALLS; i++) samples.push(await timed(client));
      await client.close();
      result.samples.push(...samples);
      result.connects.push(connectMs);
      result.runP99.push(pct(samples, 99));
    }
  }
  return results;
}

async function pacedRuns(sides: Side[]): Promise<Map<string, Result>> {
  const results = new Map(sides.map((s) => [s.name, { samples: [], connects: [], runP99: [] } as Result]));
  const periodMs = 1000 / PACE_HZ;
  for (let run = 0; run < PACED_RUNS; run++) {
    const started = await Promise.all(sides.map(start));
    const perRun = sides.map(() => [] as number[]);
    const t0 = performance.now();
    const loops = sides.map(async (_, k) => {
      // Side k calls at t0 + k·period/n + i·period: the sides never call at the same moment.
      for (let i = 0; i < PACE_S * PACE_HZ; i++) {
        const due = t0 + (k * periodMs) / sides.length + i * periodMs;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        perRun[k]?.push(await timed((started[k] as Started).client));
      }
    });
    await Promise.all(loops);
    for (const [k, side] of sides.entries()) {
      const result = results.get(side.name) as Result;
      result.samples.push(...(perRun[k] as number[]));
      result.connects.push((started[k] as Started).connectMs);
      result.runP99.push(pct(perRun[k] as number[], 99));
    }
    await Promise.all(started.map((s) => s.client.close()));
  }
  return results;
}

const us = (v: number) => `${v.toFixed(0)} µs`;

function table(results: Map<string, Result>, sides: Side[]): string[] {
  const base = (name: string, p: number) => pct(results.get(name)?.samples ?? [], p);
  const rows = sides.map((side) => {
    const r = results.get(side.name) as Result;
    const [p50, p99] = [pct(r.samples, 50), pct(r.samples, 99)];
    const overRelay = side.warden ? `${us(p50 - base('byte relay', 50))} / ${us(p99 - base('byte relay', 99))}` : '';
    const overDirect = side.name === 'direct' ? '' : `${us(p50 - base('direct', 50))} / ${us(p99 - base('direct', 99))}`;
    const runs = r.runP99.map((v) => (v / 1000).toFixed(2)).join(', ');
    return `| ${side.name} | ${pct(r.connects, 50).toFixed(0)} ms | ${us(p50)} | ${us(p99)} | ${overDirect} | ${overRelay} | ${runs} |`;
  });
  return [
    '| side | start → initialize answered (median) | p50 | p99 | added vs direct p50 / p99 | added vs byte relay p50 / p99 | p99 of each run (ms) |',
    '|---|---|---|---|---|---|---|',
    ...rows, '',
  ];
}

export async function freshSections(otlp: string, wardenArgs: WardenArgs, example: string[], which: { fresh: boolean; paced: boolean }): Promise<string[]> {
  const sides = sidesFor(otlp, wardenArgs, example);
  const out: string[] = [];
  if (which.fresh) {
    const pause = FIRST_CALL_AFTER_MS > 0 ? `, the first ${FIRST_CALL_AFTER_MS} ms after the tool list` : '';
    out.push(`### a fresh process's first ${CALLS} calls, back to back${pause} (${RUNS} runs per side, each a new process)`, '');
    out.push(...table(await freshRuns(sides), sides));
  }
  if (which.paced) {
    out.push(`### a fresh process at ${PACE_HZ} calls/s for ${PACE_S} s (${PACED_RUNS} runs, all sides at once, calls staggered)`, '');
    out.push(...table(await pacedRuns(sides), sides));
  }
  return out;
}
