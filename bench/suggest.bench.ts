// Suggest and simulate: (1) the forward test on a labelled 10-day workload, learned on days
// 1–7 and replayed on days 8–10, across headrooms (how the default was chosen); (2) latency
// (p50 of 5) and peak query memory of suggest and simulate over N calls in two shapes side by
// side, few sessions and a busy organisation, under `warden serve`'s default memory budget.
// Run: node --import tsx bench/suggest.bench.ts [N]   (N defaults to 10,000,000)
// The N-call stores are built once in WARDEN_BENCH_STORE (default .tmp/bench-store, ignored by
// git) and reused by later runs; WARDEN_BENCH_RUNS changes the runs per operation (default 5).
import { mkdirSync } from 'node:fs';
import { analyticsContext, computeRates, listAnomalies, simulatePolicy, suggestPolicy, type AnalyticsContext, type SuggestResult } from '../src/analytics/index.js';
import { DEFAULT_ENGINE_MEMORY, parseByteSize } from '../src/config/index.js';
import { ManualClock } from '../src/core/index.js';
import { PolicyEngine, compilePolicy, type PolicyDocument } from '../src/policy/index.js';
import { ChdbDriver, Tables, embeddedMemoryBudget, migrate, qualified } from '../src/storage/index.js';
import { planBusyOrg, writeBusyOrg } from '../examples/workload/busy-org.js';
import { FEW_SESSIONS_DAYS, FEW_SESSIONS_TOOLS, writeFewSessions } from '../examples/workload/few-sessions.js';
import { DAY_MS, type Workload } from '../examples/workload/generate.js';
import { generateSeasonalWorkload } from '../examples/workload/seasonal.js';
import { foldClosedDays } from './closed-days.js';
import { FIXED_DATE_RETENTION_DAYS, insertWorkloadDirect } from '../examples/workload/writers.js';

const N = Number(process.argv[2] ?? process.env.WARDEN_BENCH_CALLS ?? 10_000_000);
const RUNS = Number(process.env.WARDEN_BENCH_RUNS ?? 5);
const DIR = process.env.WARDEN_BENCH_STORE ?? '.tmp/bench-store';
const END_MS = Date.parse('2026-11-20T00:00:00Z');
/**
 * The engine and each analytics query get what `warden serve` gives them under its default
 * budget (caches included: chDB sets the engine once per process, and a 4× engine for loading
 * used to give the measured queries 4× serve's mark and index caches as well).
 */
const budget = embeddedMemoryBudget(parseByteSize(DEFAULT_ENGINE_MEMORY));
mkdirSync(DIR, { recursive: true });
const open = async (database: string, settings: Record<string, number> = budget.query) => {
  const store = await ChdbDriver.open({ path: DIR, database, engineSettings: budget.engine, settings });
  await migrate(store, { ttlDays: FIXED_DATE_RETENTION_DAYS });
  return store;
};
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const pct = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(2)} %`);

/** Samples the largest peak_memory_usage of running queries (system.processes) from a second connection: a lower bound of the peak. */
class PeakMemory {
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly probe: ChdbDriver) {}

  start(): void {
    this.peak = 0;
    const tick = async () => {
      const [row] = await this.probe.query<{ m: number }>("SELECT max(peak_memory_usage) AS m FROM system.processes WHERE query NOT LIKE '%system.processes%'").catch(() => []);
      this.peak = Math.max(this.peak, Number(row?.m ?? 0));
      if (this.timer) this.timer = setTimeout(tick, 20);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): number {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.peak;
  }
}

interface Measured {
  p50: number;
  runs: number[];
  peak: number;
}

async function measure(memory: PeakMemory, fn: () => Promise<unknown>): Promise<Measured> {
  const runs: number[] = [];
  let peak = 0;
  for (let i = 0; i < RUNS; i++) {
    memory.start();
    const t = performance.now();
    await fn();
    runs.push(performance.now() - t);
    peak = Math.max(peak, memory.stop());
  }
  return { p50: [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)] as number, runs, peak };
}

/** The labels' verdict on a policy over [fromMs, toMs): normal calls refused, labelled runaway excess refused. */
function judge(w: Workload, policy: PolicyDocument, fromMs: number, toMs = w.endMs): { normal: number; normalRefused: number; excess: number; excessRefused: number } {
  const compiled = compilePolicy(policy);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  const engine = new PolicyEngine(compiled.value);
  const runaway = new Set(w.labels.flatMap((l) => l.spanIds));
  const excess = new Set(w.labels.flatMap((l) => l.excessSpanIds));
  const v = { normal: 0, normalRefused: 0, excess: excess.size, excessRefused: 0 };
  for (const c of w.calls) {
    if (c.tsMs < fromMs || c.tsMs >= toMs) continue;
    const refused = engine.decide({ tsMs: c.tsMs, agent: c.agent, tool: c.tool, session: c.session }).decision !== 'allow';
    if (!runaway.has(c.spanId)) { v.normal++; if (refused) v.normalRefused++; }
    if (excess.has(c.spanId) && refused) v.excessRefused++;
  }
  return v;
}

async function forwardQuality(): Promise<void> {
  const headrooms = [1, 1.1, 1.25, 1.5, 2, 3];
  const seeds = [7, 8, 9];
  const sums = headrooms.map(() => ({ apiNormal: 0, apiNormalRefused: 0, apiRunaway: 0, apiRunawayRefused: 0, normal: 0, normalRefused: 0, excess: 0, excessRefused: 0, inSample: 0 }));
  for (const seed of seeds) {
    const store = await open(`bench_forward_${seed}`);
    await store.command(`TRUNCATE TABLE ${qualified(store.database, Tables.OTEL_TRACES)}`);
    await store.command(`TRUNCATE TABLE ${qualified(store.database, Tables.TOOL_CALLS)}`);
    const w = generateSeasonalWorkload({ seed });
    await insertWorkloadDirect(store, w);
    const ctx = analyticsContext(store, undefined, new ManualClock(w.endMs));
    for (const [i, headroom] of headrooms.entries()) {
      const r: SuggestResult = await suggestPolicy(ctx, { fromMs: w.startMs, toMs: w.endMs }, { headroom, holdout: '3d' });
      const f = r.forward_test;
      if (!f) throw new Error('no forward test');
      const v = judge(w, f.policy, Date.parse(f.replayed_on.from));
      const s = sums[i] as (typeof sums)[number];
      s.apiNormal += f.normal.calls; s.apiNormalRefused += f.normal.refused; s.apiRunaway += f.runaway_excess.calls; s.apiRunawayRefused += f.runaway_excess.refused;
      s.normal += v.normal; s.normalRefused += v.normalRefused; s.excess += v.excess; s.excessRefused += v.excessRefused;
      s.inSample += judge(w, f.policy, w.startMs, Date.parse(f.replayed_on.from)).normalRefused;
    }
    await store.close();
  }
  console.log(`### Forward test: learned on days 1–7, replayed on days 8–10 (seasonal workload, seeds ${seeds.join(', ')}, summed)\n`);
  console.log('| headroom | normal calls refused (labels) | runaway excess refused (labels) | forward_test: normal refused | forward_test: runaway excess refused | the same policy in-sample (days 1–7): normal calls refused |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  headrooms.forEach((h, i) => {
    const s = sums[i] as (typeof sums)[number];
    console.log(`| ${h} | ${s.normalRefused} of ${s.normal} (${pct(s.normalRefused, s.normal)}) | ${s.excessRefused} of ${s.excess} (${pct(s.excessRefused, s.excess)}) | ${s.apiNormalRefused} of ${s.apiNormal} | ${s.apiRunawayRefused} of ${s.apiRunaway} (${pct(s.apiRunawayRefused, s.apiRunaway)}) | ${s.inSample} |`);
  });
  console.log('');
}

interface Shape {
  key: string;
  name: string;
  database: string;
  load: (store: ChdbDriver) => Promise<unknown>;
}

const SHAPES: Shape[] = [
  { key: 'few', name: 'few sessions', database: `bench_few_${N}`, load: (store) => writeFewSessions(store, N, END_MS) },
  { key: 'busy', name: 'busy organisation', database: `bench_busy_${N}`, load: (store) => writeBusyOrg(store, planBusyOrg({ calls: N, endMs: END_MS, days: FEW_SESSIONS_DAYS })) },
];

async function latencyOf(shape: Shape, probe: PeakMemory): Promise<Array<[string, string, Measured | string]>> {
  const loader = await open(shape.database, {});
  const [row] = await loader.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(loader.database, Tables.TOOL_CALLS)}`);
  if (Number(row?.n ?? 0) < N) {
    const t = performance.now();
    await shape.load(loader);
    console.log(`(${shape.name}: ${N.toLocaleString('en')} calls loaded in ${((performance.now() - t) / 1000).toFixed(0)} s into ${DIR}, reused by later runs)\n`);
  }
  await foldClosedDays(loader, END_MS);
  await loader.close();
  const store = await open(shape.database);
  const ctx: AnalyticsContext = analyticsContext(store, undefined, new ManualClock(END_MS));
  const week = { fromMs: END_MS - 7 * DAY_MS, toMs: END_MS };
  const simDays = Math.max(1, Math.round(1_000_000 / (N / FEW_SESSIONS_DAYS)));
  const simRange = { fromMs: END_MS - simDays * DAY_MS, toMs: END_MS };
  const policy = { version: '1', default: 'deny', tools: Object.fromEntries(FEW_SESSIONS_TOOLS.map((t) => [t, { limits: [{ counter: `${t}_pm`, window: 'minute', max: 3 }] }])) };
  const out: Array<[string, string, Measured | string]> = [];
  const attempt = async (op: string, range: string, fn: () => Promise<unknown>) => {
    try {
      out.push([op, range, await measure(probe, fn)]);
    } catch (e) {
      out.push([op, range, `fails: ${(e as Error).message.slice(0, 120)}`]);
    }
  };
  const day = { fromMs: END_MS - DAY_MS, toMs: END_MS };
  await attempt('rates (window 60 s)', 'last 24 h', () => computeRates(ctx, day, 60));
  await attempt('anomalies (7 detectors, ranked and capped)', 'last 24 h (+7 d baseline)', () => listAnomalies(ctx, day));
  await attempt('suggest, policy only (suggested.json)', 'last 7 d', () => suggestPolicy(ctx, week, { backtest: false }));
  await attempt('suggest + backtest + forward test', 'last 7 d (holdout 1.4 d)', () => suggestPolicy(ctx, week, {}));
  let simCalls = 0;
  await attempt('simulate', `last ${simDays} d`, async () => { simCalls = (await simulatePolicy(ctx, policy, simRange)).summary.calls; });
  const sim = out[out.length - 1];
  if (sim) sim[0] = `simulate (${simCalls.toLocaleString('en')} calls)`;
  await store.close();
  return out;
}

async function latency(): Promise<void> {
  const probeStore = await ChdbDriver.open({ path: DIR, database: 'default' });
  const probe = new PeakMemory(probeStore);
  const results: Array<Array<[string, string, Measured | string]>> = [];
  const shapes = (process.env.WARDEN_BENCH_SHAPES ?? 'few,busy').split(',');
  for (const shape of SHAPES) results.push(shapes.includes(shape.key) ? await latencyOf(shape, probe) : []);
  await probeStore.close();
  const cell = (m: Measured | string | undefined) => (typeof m === 'string' || !m ? `${m ?? '—'} | —` : `${m.p50.toFixed(0)} (${m.runs.map((x) => x.toFixed(0)).join(', ')}) | ${mib(m.peak)}`);
  console.log(`### Suggest and simulate over ${N.toLocaleString('en')} calls, two shapes side by side (embedded chDB, serve's default ${DEFAULT_ENGINE_MEMORY} engine budget: ${mib(budget.query.max_memory_usage ?? 0)} MiB per query)\n`);
  console.log(`| operation | range | few sessions: p50 ms (runs) | peak MiB | busy organisation: p50 ms (runs) | peak MiB | target |`);
  console.log('|---|---|---:|---:|---:|---:|---:|');
  const targets = ['≤ 300', '≤ 1000', '≤ 2000', '—', '≤ 5000'];
  const rows = Math.max(...results.map((r) => r.length));
  for (let i = 0; i < rows; i++) {
    const few = results[0]?.[i];
    const busy = results[1]?.[i];
    const [op, range] = few ?? busy ?? ['', ''];
    console.log(`| ${op}${few && busy && busy[0] !== op ? ` / ${busy[0].replace(/^simulate /, '')}` : ''} | ${range} | ${cell(few?.[2])} | ${cell(busy?.[2])} | ${targets[i] ?? '—'} |`);
  }
  console.log('\nPeak memory: the largest peak_memory_usage of the running queries in system.processes, sampled every 20 ms from a second connection (a lower bound; chDB has no system.query_log).\n');
}

// WARDEN_BENCH_PARTS: "forward", "latency" or both (default); WARDEN_BENCH_SHAPES: "few", "busy" or both.
const parts = (process.env.WARDEN_BENCH_PARTS ?? 'forward,latency').split(',');
if (parts.includes('forward')) await forwardQuality();
if (parts.includes('latency')) await latency();
