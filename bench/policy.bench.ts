// Policy engine benchmark: compiled engine vs a naive walk of the raw policy object (same run),
// and a 1,000,000-call replay through `warden policy eval` as a child process.
// Run: node --import tsx bench/policy.bench.ts   (WARDEN_BENCH_REPLAY_CALLS to change the replay size)
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compilePolicy, InMemoryCounters, PolicyEngine, type DecisionKind, type ToolCall } from '../src/policy/index.js';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const DECISIONS = 2_500_000;
const ROUNDS = 5;
const LATENCY_SAMPLES = 500_000;
const REPLAY_CALLS = Number(process.env.WARDEN_BENCH_REPLAY_CALLS ?? 1_000_000);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 30 tools, every one with a limit; a third with conditions, a sixth with an args schema. */
export function benchPolicy(): Record<string, unknown> {
  const tools: Record<string, unknown> = {};
  for (let i = 0; i < 30; i++) {
    const entry: Record<string, unknown> = { limits: [{ counter: `t${i}_rate`, window: i % 2 ? 'minute' : 10, max: 12 + (i % 10), scope: i % 5 === 0 ? 'session' : 'grant' }] };
    if (i % 3 === 0) {
      entry.deny_if = [{ path: 'args.query', op: 'regex', value: '(?i)drop\\s+table|wipe' }];
      entry.require = [{ path: 'args.id', op: 'exists' }];
    }
    if (i % 6 === 1) entry.args = { type: 'object', properties: { id: { type: 'string' }, query: { type: 'string' }, n: { type: 'integer' } } };
    if (i === 29) entry.action = 'approve';
    if (i === 28) Object.assign(entry, { action: 'deny', reason: 'operators only' });
    tools[`tool_${String(i).padStart(2, '0')}`] = entry;
  }
  return {
    version: '1',
    default: 'deny',
    hide: ['forget'],
    all_tools: { limits: [{ counter: 'all', window: 'minute', max: 600 }] },
    tools,
    grants: { batch: { tools: { tool_00: { limits: [{ counter: 'c', window: 'hour', max: 5000 }] } } } },
  };
}

export function benchCalls(n: number): ToolCall[] {
  const r = rng(42);
  const calls: ToolCall[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 33);
    const tool = k < 30 ? `tool_${String(k).padStart(2, '0')}` : k === 30 ? 'forget' : 'unlisted';
    const roll = r();
    const args = roll < 0.05 ? { id: 'x', query: 'DROP TABLE users' } : roll < 0.9 ? { id: `e${i % 97}`, query: 'select', n: 3 } : { query: 'select' };
    calls.push({ tsMs: T0 + i * 2, agent: `agent_${i % 50}`, tool, args, session: `s${i % 200}` });
  }
  return calls;
}

// ---------- the uncompiled comparison: interpret the raw object on every call ----------
type Raw = Record<string, any>;
const WINDOWS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

function naiveCondition(c: Raw, call: ToolCall): boolean {
  const parts = String(c.path).split('.');
  let v: unknown = parts[0] === 'args' ? call.args : (call as unknown as Raw)[parts[0] as string];
  for (const p of parts.slice(1)) v = v !== null && typeof v === 'object' ? (v as Raw)[p] : undefined;
  if (c.op === 'exists') return v !== undefined && v !== null;
  if (v === undefined) return false;
  if (c.op === 'regex') {
    const src = String(c.value);
    const ci = src.startsWith('(?i)');
    return new RegExp(ci ? src.slice(4) : src, ci ? 'i' : '').test(String(v));
  }
  if (c.op === 'eq') return JSON.stringify(v) === JSON.stringify(c.value);
  if (c.op === 'gt') return (v as number) > c.value;
  if (c.op === 'in') return (c.value as unknown[]).some((x) => JSON.stringify(x) === JSON.stringify(v));
  return false;
}

function naiveArgs(schema: Raw, value: unknown): boolean {
  if (schema.type === 'object' && (value === null || typeof value !== 'object' || Array.isArray(value))) return false;
  if (schema.type === 'string' && typeof value !== 'string') return false;
  if (schema.type === 'integer' && !Number.isInteger(value)) return false;
  for (const key of schema.required ?? []) if ((value as Raw)[key] === undefined) return false;
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Raw)) {
    const v = (value as Raw)[key];
    if (v !== undefined && !naiveArgs(sub as Raw, v)) return false;
  }
  return true;
}

export function naiveDecide(doc: Raw, counters: InMemoryCounters, call: ToolCall): DecisionKind {
  const grant: Raw = doc.grants?.[call.agent] ?? {};
  const view: Raw = { ...doc, ...grant, tools: { ...doc.tools, ...grant.tools } };
  const hide: string[] = view.hide ?? [];
  if (hide.includes('*') || hide.includes(call.tool)) return 'deny';
  const entry: Raw | undefined = view.tools[call.tool];
  if (!entry) {
    if (view.default === 'deny') return 'deny';
  } else {
    if (entry.action === 'deny') return 'deny';
    if ((entry.deny_if ?? []).some((c: Raw) => naiveCondition(c, call))) return 'deny';
    if (entry.args && !naiveArgs(entry.args, call.args ?? {})) return 'invalid_arguments';
    if (!(entry.require ?? []).every((c: Raw) => naiveCondition(c, call))) return 'deny';
    if (entry.action === 'approve') return 'approval_required';
  }
  const limits: Array<[Raw, string]> = [...(entry?.limits ?? []).map((l: Raw) => [l, call.tool]), ...(view.all_tools?.limits ?? []).map((l: Raw) => [l, '*'])];
  const specs = limits.map(([l, tool]) => ({
    space: `${l.scope ?? 'grant'}\u0000${tool}\u0000${l.counter}`,
    windowMs: (typeof l.window === 'number' ? l.window : (WINDOWS[l.window] as number)) * 1000,
    max: l.max as number,
  }));
  const ids = limits.map(([l]) => ((l.scope ?? 'grant') === 'grant' ? call.agent : l.scope === 'session' ? (call.session as string) : ''));
  return counters.admit(specs, ids, call.tsMs, []) === -1 ? 'allow' : 'rate_limited';
}

// ---------- measurement ----------
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

/** Cycles through the calls with a clock that keeps moving (2 ms a call), as live traffic does. */
function measure(name: string, decideRaw: (c: ToolCall) => unknown, calls: ToolCall[]): string {
  let now = T0;
  const decide = (call: ToolCall) => {
    call.tsMs = now += 2;
    return decideRaw(call);
  };
  for (let i = 0; i < 200_000; i++) decide(calls[i % calls.length] as ToolCall);
  const samples = new Float64Array(LATENCY_SAMPLES);
  const overhead = (() => {
    const o = new Float64Array(10_000);
    for (let i = 0; i < o.length; i++) {
      const s = process.hrtime.bigint();
      o[i] = Number(process.hrtime.bigint() - s);
    }
    return percentile(o.sort(), 0.5);
  })();
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const call = calls[(200_000 + i) % calls.length] as ToolCall;
    const s = process.hrtime.bigint();
    decide(call);
    samples[i] = Math.max(0, Number(process.hrtime.bigint() - s) - overhead);
  }
  samples.sort();
  // Throughput: median of several rounds, so a burst of other work on the shared machine counts once.
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < DECISIONS / ROUNDS; i++) decide(calls[i % calls.length] as ToolCall);
    rates.push(DECISIONS / ROUNDS / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  const rate = rates.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number;
  const us = (ns: number) => (ns / 1000).toFixed(2);
  return `| ${name} | ${us(percentile(samples, 0.5))} | ${us(percentile(samples, 0.99))} | ${us(percentile(samples, 0.999))} | ${Math.round(rate).toLocaleString('en-US')} |`;
}

/** Runs `warden policy eval` once with stdin from `inputPath`; returns wall seconds. */
function timeEval(policyPath: string, inputPath: string, outputPath: string): number {
  const input = openSync(inputPath, 'r');
  const output = openSync(outputPath, 'w');
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [join(import.meta.dirname, '../src/cli/bin.js'), 'policy', 'eval', '--policy', policyPath], { stdio: [input, output, 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  closeSync(input);
  closeSync(output);
  if (run.status !== 0) throw new Error(`policy eval failed: ${run.stderr.toString()}`);
  return seconds;
}

function replayBench(doc: Record<string, unknown>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'warden-policy-bench-'));
  try {
    const policyPath = join(dir, 'policy.json');
    writeFileSync(policyPath, JSON.stringify(doc));
    const callsPath = join(dir, 'calls.ndjson');
    const calls = benchCalls(REPLAY_CALLS);
    writeFileSync(callsPath, calls.map((c) => JSON.stringify({ ts: new Date(c.tsMs).toISOString(), agent: c.agent, tool: c.tool, args: c.args, session: c.session })).join('\n') + '\n');
    const emptyPath = join(dir, 'empty.ndjson');
    writeFileSync(emptyPath, '');
    const startup = [0, 1, 2].map(() => timeEval(policyPath, emptyPath, join(dir, 'out0.ndjson'))).sort()[1] as number;
    const total = timeEval(policyPath, callsPath, join(dir, 'out.ndjson'));
    const n = REPLAY_CALLS.toLocaleString('en-US');
    return [
      `| \`warden policy eval\` replay of ${n} NDJSON calls, child process, wall time | ${total.toFixed(2)} s | ${Math.round(REPLAY_CALLS / total).toLocaleString('en-US')} calls/s |`,
      `| … of which process start-up (same command, empty input; median of 3) | ${startup.toFixed(2)} s | |`,
      `| … of which evaluating the ${n} lines | ${(total - startup).toFixed(2)} s | ${Math.round(REPLAY_CALLS / (total - startup)).toLocaleString('en-US')} calls/s |`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const doc = benchPolicy();
  const compiled = compilePolicy(doc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  const calls = benchCalls(400_000);
  // Both evaluators must agree before their speed means anything.
  const check = new PolicyEngine(compiled.value);
  const naiveCounters = new InMemoryCounters();
  const mix = new Map<string, number>();
  for (const call of calls.slice(0, 100_000)) {
    const a = check.decide(call).decision;
    const b = naiveDecide(doc, naiveCounters, call);
    if (a !== b) throw new Error(`evaluators disagree on ${JSON.stringify(call)}: ${a} vs ${b}`);
    mix.set(a, (mix.get(a) ?? 0) + 1);
  }
  const engine = new PolicyEngine(compiled.value);
  const counters = new InMemoryCounters();
  console.log(`## policy engine (node ${process.version}, 30-tool policy with limits, decision mix ${[...mix].map(([k, v]) => `${k} ${Math.round(v / 1000)}%`).join(', ')})\n`);
  console.log('| evaluator | p50 µs | p99 µs | p99.9 µs | decisions/s |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(measure('compiled `PolicyEngine.decide`', (c) => engine.decide(c), calls));
  console.log(measure('naive walk of the raw policy object', (c) => naiveDecide(doc, counters, c), calls));
  if (REPLAY_CALLS <= 0) return;
  console.log('\n| replay | wall time | throughput |');
  console.log('|---|---:|---:|');
  for (const row of replayBench(doc)) console.log(row);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
