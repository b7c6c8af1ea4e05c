// Dashboards benchmark: generating the artefacts, and what Grafana's refresh of each dashboard
// costs on chDB with a realistic workload (the seeded generator, copied under N agent name
// sets); side by side, the "Calls/s by agent" panel on the per-minute rollup vs raw tool_calls.
// Run: node --import tsx bench/dashboards.bench.ts   (WARDEN_BENCH_COPIES, default 100)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ALERT_RULES } from '../src/alerts/parse.js';
import { generateArtifacts } from '../src/dashboards/index.js';
import { ALL_VALUE, dashboardQueries, expandBackendMacros, interpolateFrontend, variableQueries, type VariableStates } from '../test/helpers/grafana/index.js';
import { ChdbDriver, Tables, migrate, type StoreDriver } from '../src/storage/index.js';
import { generateWorkload } from '../examples/workload/generate.js';
import { otelRows } from '../examples/workload/writers.js';

const COPIES = Number(process.env.WARDEN_BENCH_COPIES ?? 100);
const RUNS = 5;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

type Row = { TraceId: string; SpanId: string; SpanAttributes: Record<string, string> };

async function fill(store: StoreDriver): Promise<{ rows: number; endMs: number }> {
  const w = generateWorkload({ seed: 11, days: 14 });
  const base = otelRows(w) as Row[];
  let rows = 0;
  for (let k = 0; k < COPIES; k++) {
    const suffix = k.toString(16).padStart(4, '0');
    const copy = base.map((r) => {
      const agent = r.SpanAttributes['gen_ai.agent.id'];
      return {
        ...r,
        TraceId: r.TraceId.slice(0, 28) + suffix,
        SpanId: r.SpanId.slice(0, 12) + suffix,
        SpanAttributes: agent ? { ...r.SpanAttributes, 'gen_ai.agent.id': `${agent}-${k}` } : r.SpanAttributes,
      };
    });
    await store.insertJsonEachRow(Tables.OTEL_TRACES, copy);
    rows += copy.length;
  }
  return { rows, endMs: w.endMs };
}

async function resolve(store: StoreDriver, board: object, render: (sql: string, v: VariableStates) => string): Promise<VariableStates> {
  const vars: VariableStates = {};
  for (const v of variableQueries(board)) {
    const options = (await store.query<Record<string, string>>(render(v.rawSql, vars))).map((r) => Object.values(r)[0] as string);
    vars[v.name] = { value: v.includeAll ? [ALL_VALUE] : (options[0] as string), options };
  }
  return vars;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-dash-'));
  const store = await ChdbDriver.open({ path: dir, database: 'warden' });
  try {
    await migrate(store);
    const loadMs = await timed(async () => undefined);
    const t0 = performance.now();
    const { rows, endMs } = await fill(store);
    const fillMs = performance.now() - t0 + loadMs;
    const ctx = { from: new Date(endMs - 7 * 86_400_000), to: new Date(endMs), intervalMs: 600_000 };
    const render = (sql: string, v: VariableStates) => expandBackendMacros(interpolateFrontend(sql, v), ctx);

    const genTimes: number[] = [];
    let artifacts = generateArtifacts({ alertRules: DEFAULT_ALERT_RULES });
    for (let i = 0; i < 20; i++) genTimes.push(await timed(() => { artifacts = generateArtifacts({ alertRules: DEFAULT_ALERT_RULES }); }));

    console.log(`\n${rows.toLocaleString('en')} spans (${COPIES} copies of a 14-day workload) inserted in ${(fillMs / 1000).toFixed(1)} s; range: last 7 days, interval 10 min\n`);
    console.log('| dashboard | panel queries | full refresh, median of 5 (ms) | slowest panel (ms) |');
    console.log('|---|---:|---:|---:|');
    for (const file of ['overview.json', 'agent.json', 'rollout.json']) {
      const board = JSON.parse(artifacts.get(file) as string) as object;
      const vars = await resolve(store, board, render);
      const queries = dashboardQueries(board).map((q) => ({ key: `${q.panel}/${q.refId}`, sql: render(q.rawSql, vars) }));
      const totals: number[] = [];
      const perPanel = new Map<string, number[]>();
      for (let r = 0; r < RUNS; r++) {
        let total = 0;
        for (const q of queries) {
          const ms = await timed(() => store.query(q.sql));
          total += ms;
          perPanel.set(q.key, [...(perPanel.get(q.key) ?? []), ms]);
        }
        totals.push(total);
      }
      const slowest = [...perPanel.entries()].map(([k, v]) => [k, median(v)] as const).sort((a, b) => b[1] - a[1])[0] as readonly [string, number];
      console.log(`| ${file} | ${queries.length} | ${median(totals).toFixed(0)} | ${slowest[1].toFixed(0)} (${slowest[0]}) |`);
    }

    const variants = {
      'tool_calls_1m (rollup, as shipped)': 'SELECT $__timeInterval(minute) AS time, agent, uniqExactMerge(calls) / greatest($__interval_s, 60) AS calls_per_s FROM warden.tool_calls_1m WHERE $__timeFilter(minute) GROUP BY time, agent ORDER BY time',
      'tool_calls FINAL (raw, exact)': 'SELECT $__timeInterval(ts) AS time, agent, count() / $__interval_s AS calls_per_s FROM warden.tool_calls FINAL WHERE $__timeFilter(ts) GROUP BY time, agent ORDER BY time',
      'tool_calls without FINAL (raw, may double-count)': 'SELECT $__timeInterval(ts) AS time, agent, count() / $__interval_s AS calls_per_s FROM warden.tool_calls WHERE $__timeFilter(ts) GROUP BY time, agent ORDER BY time',
    };
    console.log('\n| "Calls/s by agent" read from | median of 7 (ms) |');
    console.log('|---|---:|');
    for (const [name, sql] of Object.entries(variants)) {
      const expanded = render(sql, {});
      const times: number[] = [];
      for (let i = 0; i < 7; i++) times.push(await timed(() => store.query(expanded)));
      console.log(`| ${name} | ${median(times).toFixed(1)} |`);
    }
    console.log(`\n| generateArtifacts (3 dashboards + 3 provisioning files) | median of 20: ${median(genTimes).toFixed(1)} ms |`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
