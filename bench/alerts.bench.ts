// Alerts benchmark: time from an agent's first runaway call to the firing notification at a
// webhook, through the whole real path (proxy recorder → OTLP/HTTP protobuf → warden serve →
// batch writer → chDB → alert loop → HTTP), with the default 15 s interval and a 1 s one,
// runaway traffic starting at evenly spread phases of the evaluation cycle. Then the cost of
// one evaluation of the default rules as the store grows.
// Run: node --import tsx bench/alerts.bench.ts   (WARDEN_BENCH_ALERT_RUNS=n runs per interval)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AlertLoop, defaultAlertConfig } from '../src/alerts/index.js';
import { startServe } from '../src/cli/serve-runner.js';
import { resolveServeConfig } from '../src/config/index.js';
import { silentLogger } from '../src/core/index.js';
import { ChdbDriver, Tables, migrate } from '../src/storage/index.js';
import { createTelemetry } from '../src/telemetry/index.js';

const RUNS = Number(process.env.WARDEN_BENCH_ALERT_RUNS ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'warden-bench-alerts-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let dbCounter = 0;

async function receiver(): Promise<{ url: string; firstAt: () => number | undefined; close(): Promise<void> }> {
  let first: number | undefined;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      first ??= Date.now();
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, firstAt: () => first, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** One measurement: serve starts (first evaluation at once), traffic begins `phase` of an interval later. */
async function measure(intervalMs: number, phase: number): Promise<number> {
  const hook = await receiver();
  const alerts = join(dir, `alerts-${dbCounter}.yaml`);
  writeFileSync(alerts, `targets: { ops: { type: webhook, url: "${hook.url}" } }
rules:
  - name: runaway-writes
    when: { calls_per_minute: { above: 60 }, risk: [write, execute, destructive] }
    severity: critical
    notify: [ops]
`);
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: join(dir, 'store'), clickhouseDatabase: `bench_${++dbCounter}`, alerts, alertInterval: `${intervalMs}ms` }, {});
  const serve = await startServe({ config });
  const spool = mkdtempSync(join(dir, 'spool-'));
  const { recorder } = createTelemetry({ recordArgs: 'hash', logger: silentLogger, tracesUrl: `${serve.url}/v1/traces`, spoolDir: spool });
  await new Promise((r) => setTimeout(r, phase * intervalMs));
  const firstCall = Date.now();
  let n = 0;
  // 50 calls/s from one agent to a write tool: over 60/min after ~1.2 s.
  const timer = setInterval(() => {
    n += 1;
    recorder.toolCall(
      { agent: 'nightly-batch', upstream: 'total-recall', mode: 'audit', policyHash: 'p', sessionId: 's1' },
      { tool: 'session_close', requestId: n, args: { n }, decision: { decision: 'allow', rule: 'default', reason: '', risk: 'write' }, enforced: true },
    ).end();
  }, 20);
  const deadline = Date.now() + intervalMs + 30_000;
  while (hook.firstAt() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  clearInterval(timer);
  const fired = hook.firstAt();
  await recorder.shutdown();
  await serve.close();
  await hook.close();
  if (fired === undefined) throw new Error(`no notification within ${intervalMs + 30_000} ms`);
  return fired - firstCall;
}

function row(cells: Array<string | number>): string {
  return `| ${cells.join(' | ')} |`;
}

async function latencyTable(): Promise<void> {
  console.log('### First runaway call → firing notification (real OTLP path, spans batched 1 s, ingest flush 1 s)\n');
  console.log(row(['interval', 'runs', 'phases (fraction of interval)', 'min', 'median', 'max', 'target (interval + 5 s)', 'met']));
  console.log(row(['---', '---:', '---', '---:', '---:', '---:', '---:', '---']));
  for (const intervalMs of [1_000, 15_000]) {
    const phases = Array.from({ length: RUNS }, (_, i) => (i + 0.5) / RUNS);
    const samples: number[] = [];
    for (const p of phases) samples.push(await measure(intervalMs, p));
    const sorted = [...samples].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] as number : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
    const target = intervalMs + 5_000;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(row([s(intervalMs), RUNS, phases.map((p) => p.toFixed(3)).join(', '), s(sorted[0] as number), s(median), s(sorted.at(-1) as number), s(target), (sorted.at(-1) as number) <= target ? 'yes' : 'NO']));
  }
}

/** Spans for `agents` agents over the last `minutes`, inserted straight into otel_traces. */
function spans(count: number, agents: number, minutes: number, nowMs: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const ts = nowMs - Math.floor(Math.random() * minutes * 60_000);
    lines.push(JSON.stringify({
      Timestamp: `${BigInt(ts) * 1_000_000n}`, TraceId: randomBytes(16).toString('hex'), SpanId: randomBytes(8).toString('hex'),
      SpanName: 'tools/call t', SpanKind: 'Server', ServiceName: 'warden-proxy', Duration: 1000, StatusCode: 'Unset',
      SpanAttributes: {
        'mcp.method.name': 'tools/call', 'gen_ai.tool.name': `tool_${i % 20}`, 'gen_ai.agent.id': `agent_${i % agents}`,
        'mcp.session.id': `s${i % 500}`, 'warden.decision': i % 17 === 0 ? 'rate_limited' : 'allow', 'warden.enforced': i % 34 === 0 ? 'false' : 'true',
        'warden.mode': 'enforce', 'warden.tool.risk': i % 3 ? 'read' : 'write', 'warden.args.hash': String(i % 1000),
      },
    }));
  }
  return lines.join('\n');
}

async function evaluationTable(): Promise<void> {
  console.log('\n### One evaluation of the default rules (4 metric rules + the anomaly rule with the analytics detectors)\n');
  console.log(row(['calls in store (last 60 min)', 'metric rules only', 'all default rules']));
  console.log(row(['---:', '---:', '---:']));
  const { analyticsAnomalySource } = await import('../src/alerts/index.js');
  const { analyticsContext } = await import('../src/analytics/context.js');
  for (const count of [10_000, 100_000, 500_000]) {
    const store = await ChdbDriver.open({ path: join(dir, 'store'), database: `bench_eval_${count}`, settings: { max_execution_time: 30 } });
    await migrate(store);
    const now = Date.now();
    for (let done = 0; done < count; done += 50_000) await store.insertJsonEachRow(Tables.OTEL_TRACES, spans(Math.min(50_000, count - done), 50, 60, now));
    const defaults = defaultAlertConfig();
    const metricOnly = new AlertLoop({ store, config: { ...defaults, rules: defaults.rules.filter((r) => r.condition.kind !== 'anomaly') } });
    const all = new AlertLoop({ store, config: defaults, anomalies: analyticsAnomalySource(analyticsContext(store)) });
    const time = async (loop: AlertLoop): Promise<string> => {
      await loop.evaluateOnce(); // warm-up (and first state load)
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = await loop.evaluateOnce();
        if (s.failures.length) throw new Error(JSON.stringify(s.failures));
        runs.push(s.durationMs);
      }
      runs.sort((a, b) => a - b);
      return `${runs[2]} ms (median of 5)`;
    };
    console.log(row([count.toLocaleString('en-US'), await time(metricOnly), await time(all)]));
    await store.close();
  }
}

await latencyTable();
await evaluationTable();
