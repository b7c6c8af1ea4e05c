// Analytics bench: detection quality on labelled scenarios, the suggested policy against
// PolicyLayer's class defaults, and latency over N recorded calls on the embedded store.
// Run: node --import tsx bench/analytics.bench.ts [N]   (N defaults to 10,000,000; e.g. 1000000 for a quick run)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyticsContext, computeRates, detectAnomalies, simulatePolicy, suggestPolicy, type AnalyticsContext } from '../src/analytics/index.js';
import { ManualClock } from '../src/core/index.js';
import { PolicyEngine, compilePolicy, type PolicyDocument } from '../src/policy/index.js';
import { ChdbDriver, migrate } from '../src/storage/index.js';
import { DAY_MS, TOOL_RISK, generateWorkload, scoreDetection, type Workload } from '../examples/workload/generate.js';
import { FIXED_DATE_RETENTION_DAYS, insertWorkloadDirect } from '../examples/workload/writers.js';
import { FEW_SESSIONS_TOOLS, writeFewSessions } from '../examples/workload/few-sessions.js';

const N = Number(process.argv[2] ?? process.env.WARDEN_BENCH_CALLS ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'warden-bench-an-'));
let dbCounter = 0;
const openDb = async () => {
  const store = await ChdbDriver.open({ path: dir, database: `bench_${++dbCounter}` });
  await migrate(store, { ttlDays: FIXED_DATE_RETENTION_DAYS });
  return store;
};
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
async function timed<T>(runs: number, fn: () => Promise<T>): Promise<{ ms: number; all: number[]; value: T }> {
  const all: number[] = [];
  let value: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    value = await fn();
    all.push(performance.now() - t);
  }
  return { ms: p50(all), all, value: value as T };
}

async function detection(): Promise<void> {
  const rows: string[] = [];
  let tp = 0, flags = 0, found = 0, labels = 0;
  for (const seed of [1, 2, 3, 4, 5]) {
    const w = generateWorkload({ seed, endMs: Date.parse('2026-11-20T00:00:00Z'), days: 7 });
    const store = await openDb();
    await insertWorkloadDirect(store, w);
    const ctx = analyticsContext(store, undefined, new ManualClock(w.endMs));
    const anomalies = await detectAnomalies(ctx, { fromMs: w.endMs - DAY_MS, toMs: w.endMs });
    const s = scoreDetection(anomalies, w.labels);
    const clean = await cleanFlags(seed);
    tp += anomalies.length - s.falsePositives.length;
    flags += anomalies.length + clean;
    found += w.labels.length - s.missed.length;
    labels += w.labels.length;
    rows.push(`| ${seed} | ${w.calls.length} | ${w.labels.length} | ${w.labels.length - s.missed.length} | ${anomalies.length} | ${s.falsePositives.length} | ${clean} |`);
    await store.close();
  }
  console.log('### Detection on labelled scenarios (last 24 h of a 7-day workload)\n');
  console.log('| seed | calls | labelled scenarios | found (expected type) | flags | flags off any label | flags on the same workload without anomalies |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  console.log(rows.join('\n'));
  console.log(`\nrecall **${(found / labels).toFixed(3)}** (target ≥ 0.95), precision **${(tp / flags).toFixed(3)}** (target ≥ 0.9; flags on clean workloads count as false positives)\n`);
}

/** The same seed without injected anomalies: every flag there is a false positive. */
async function cleanFlags(seed: number): Promise<number> {
  const w = generateWorkload({ seed, endMs: Date.parse('2026-11-20T00:00:00Z'), days: 7, scenarios: [] });
  const store = await openDb();
  await insertWorkloadDirect(store, w);
  const n = (await detectAnomalies(analyticsContext(store, undefined, new ManualClock(w.endMs)), { fromMs: w.endMs - DAY_MS, toMs: w.endMs })).length;
  await store.close();
  return n;
}

/** PolicyLayer's recommendation per class: read allow, write 30/min, execute 10/min, destructive hidden. */
function classDefaults(): PolicyDocument {
  const tools: NonNullable<PolicyDocument['tools']> = {};
  const hide: string[] = [];
  for (const [tool, risk] of Object.entries(TOOL_RISK)) {
    if (risk === 'destructive') hide.push(tool);
    else if (risk === 'write') tools[tool] = { limits: [{ counter: `${tool}_rate`, window: 'minute', max: 30, scope: 'grant' }] };
    else if (risk === 'execute') tools[tool] = { limits: [{ counter: `${tool}_rate`, window: 'minute', max: 10, scope: 'grant' }] };
    else tools[tool] = {};
  }
  return { version: '1', default: 'deny', hide, tools };
}

function replay(w: Workload, policy: PolicyDocument): { normalRefused: number; excessRefused: number; excess: number } {
  const compiled = compilePolicy(policy);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  const engine = new PolicyEngine(compiled.value);
  const near = (c: Workload['calls'][number]) => w.labels.some((l) => l.agent === c.agent && l.tool === c.tool && c.tsMs >= l.startMs - 60_000 && c.tsMs <= l.endMs + 60_000);
  const excess = new Set(w.labels.flatMap((l) => l.excessSpanIds));
  let normalRefused = 0, excessRefused = 0;
  for (const c of w.calls) {
    const refused = engine.decide({ tsMs: c.tsMs, agent: c.agent, tool: c.tool, session: c.session }).decision !== 'allow';
    if (refused && !near(c)) normalRefused++;
    if (refused && excess.has(c.spanId)) excessRefused++;
  }
  return { normalRefused, excessRefused, excess: excess.size };
}

async function policyComparison(): Promise<void> {
  const w = generateWorkload({ seed: 1, endMs: Date.parse('2026-11-20T00:00:00Z'), days: 7 });
  const store = await openDb();
  await insertWorkloadDirect(store, w);
  const suggested = (await suggestPolicy(analyticsContext(store, undefined, new ManualClock(w.endMs)), { fromMs: w.startMs, toMs: w.endMs }, { backtest: false })).policy;
  await store.close();
  const pl = classDefaults();
  console.log('### Suggested policy vs PolicyLayer class defaults (same 7-day history, seed 1)\n');
  console.log('| policy | normal calls refused | runaway excess refused (session_close storm) |');
  console.log('|---|---:|---:|');
  for (const [name, doc] of [['suggested (headroom 1.5)', suggested], ['class defaults', pl]] as const) {
    const r = replay(w, doc);
    console.log(`| ${name} | ${r.normalRefused} | ${r.excessRefused} of ${r.excess} |`);
  }
  console.log('\n| tool (risk) | suggested per-minute limit (per agent) | grants | class default |');
  console.log('|---|---:|---|---:|');
  for (const [tool, risk] of Object.entries(TOOL_RISK)) {
    const s = suggested.tools?.[tool]?.limits?.[0]?.max;
    const grants = Object.entries(suggested.grants ?? {}).filter(([, g]) => g.tools?.[tool]).map(([a, g]) => `${a}: ${g.tools?.[tool]?.limits?.[0]?.max}`).join(', ');
    const d = pl.hide?.includes(tool) ? 'hidden' : (pl.tools?.[tool]?.limits?.[0]?.max ?? 'unlimited');
    console.log(`| ${tool} (${risk}) | ${s ?? (suggested.hide?.includes(tool) ? 'hidden' : '—')} | ${grants || '—'} | ${d} |`);
  }
  console.log('');
}

const TOOLS = FEW_SESSIONS_TOOLS;

async function latency(): Promise<void> {
  const endMs = Date.parse('2026-11-20T00:00:00Z');
  const store = await openDb();
  const loadMs = await writeFewSessions(store, N, endMs);
  const ctx: AnalyticsContext = analyticsContext(store, undefined, new ManualClock(endMs));
  ctx.config.simulateMaxCalls = 20_000_000;
  const day = { fromMs: endMs - DAY_MS, toMs: endMs };
  const week = { fromMs: endMs - 7 * DAY_MS, toMs: endMs };
  const perDay = N / 30;
  const simDays = Math.max(1, Math.round(1_000_000 / perDay));
  const simRange = { fromMs: endMs - simDays * DAY_MS, toMs: endMs };
  const policy = { version: '1', default: 'deny', tools: Object.fromEntries(TOOLS.map((t) => [t, { limits: [{ counter: `${t}_pm`, window: 'minute', max: 3 }] }])) };
  const results: Array<[string, string, { ms: number; all: number[] }, string]> = [];
  results.push(['rates (window 60 s)', 'last 24 h', await timed(5, () => computeRates(ctx, day, 60)), '≤ 300']);
  results.push(['anomalies (7 detectors)', 'last 24 h (+7 d baseline)', await timed(5, () => detectAnomalies(ctx, day)), '≤ 1000']);
  results.push(['suggest (no backtest)', 'last 7 d', await timed(3, () => suggestPolicy(ctx, week, { backtest: false })), '≤ 2000']);
  const sim = await timed(3, () => simulatePolicy(ctx, policy, simRange));
  results.push([`simulate (${sim.value.summary.calls.toLocaleString('en')} calls)`, `last ${simDays} d`, sim, '≤ 5000']);
  results.push(['rates (window 60 s)', 'last 7 d', await timed(3, () => computeRates(ctx, week, 60)), '—']);
  await store.close();
  console.log(`### Latency over ${N.toLocaleString('en')} recorded calls (embedded chDB, 20 agents × 7 tools over 30 days)\n`);
  console.log(`Bulk load (INSERT … SELECT FROM numbers, through the materialized views): ${(loadMs / 1000).toFixed(0)} s.\n`);
  console.log('| operation | range | p50 (ms) | runs (ms) | target (ms) |');
  console.log('|---|---|---:|---|---:|');
  for (const [op, range, r, target] of results) console.log(`| ${op} | ${range} | ${r.ms.toFixed(0)} | ${r.all.map((x) => x.toFixed(0)).join(', ')} | ${target} |`);
  console.log('');
}

try {
  await detection();
  await policyComparison();
  await latency();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
