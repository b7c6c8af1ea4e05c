// What it costs the proxy that every export batch is on disk before it is sent (the SIGKILL
// bound): the same real OTLP bodies (SDK spans, Warden's encoder) POSTed to a sink in another
// process, side by side in one run, alternating paths in rounds:
//   send only        — the old success path: the batch lived in memory until the 2xx;
//   spool, then send — SpoolingOtlpExporter: temp file + rename before the send, unlink after;
//   … with fdatasync — the same plus an fdatasync of each file (not what ships; shown for why).
// Per batch: the time exportBody holds the event loop (what a call arriving then waits), the
// time to the 2xx (and the file removed), and the process's CPU.
//   node --import tsx bench/spool.bench.ts        (BENCH_BATCHES per path and size, default 200)
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { silentLogger } from '../src/core/index.js';
import { DiskSpool, SpanBatchEncoder, SpoolingOtlpExporter, createSpanWriter, postOtlpBody, type CallContext } from '../src/telemetry/index.js';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 200);
const ROUNDS = 4;
const SIZES = [1, 64, 512];

const sink = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => q.resume().on('end', () => s.end())).listen(0, '127.0.0.1', function () { console.log(this.address().port) })`], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) => sink.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))));
const url = `http://127.0.0.1:${port}/v1/traces`;
const work = mkdtempSync(join(process.env.BENCH_SPOOL_ROOT ?? tmpdir(), 'warden-bench-spool-'));

/** Real batch bodies: spans built by the proxy's SpanWriter on the OTel SDK, encoded as the proxy does. */
async function bodyOf(spans: number): Promise<Uint8Array> {
  const exporter = new InMemorySpanExporter();
  const { writer } = createSpanWriter({ recordArgs: 'hash', logger: silentLogger, exporter, scheduledDelayMillis: 3_600_000 });
  const ctx: CallContext = { agent: 'nightly-batch', upstream: 'total-recall', mode: 'enforce', policyHash: 'a'.repeat(64), sessionId: 'stdio-4711' };
  for (let i = 0; i < spans; i++) {
    writer.write({ kind: 'call', ctx, call: { tool: 'task_list', requestId: i, args: { project: 'warden', i }, decision: { decision: 'allow', rule: 'tools.task_list', reason: 'within limits', risk: 'read' }, enforced: true }, startTime: Date.now() - 1, endTime: Date.now() });
  }
  await writer.forceFlush();
  const batch = new SpanBatchEncoder();
  for (const span of exporter.getFinishedSpans()) batch.add(span);
  return batch.finish();
}

type Path = 'send only' | 'spool, then send' | 'spool + fdatasync, then send';
const PATHS: Path[] = ['send only', 'spool, then send', 'spool + fdatasync, then send'];

/** The batch on disk with an fdatasync, as the spool would write it if it guarded against power loss. */
function writeSynced(dir: string, name: string, body: Uint8Array): string {
  const tmp = join(dir, `.tmp-${name}`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, body);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  return join(dir, name);
}

async function measure(path: Path, body: Uint8Array, spans: number, round: number): Promise<{ blockUs: number[]; doneMs: number[]; cpuUs: number }> {
  const dir = join(work, `${path.replace(/\W+/g, '-')}-${spans}-${round}`);
  const spool = new DiskSpool(dir, 1 << 30, silentLogger);
  await spool.init();
  const exporter = new SpoolingOtlpExporter({ spool, retryIntervalMs: 60_000, logger: silentLogger, deliver: (b) => postOtlpBody(url, b) });
  const blockUs: number[] = [];
  const doneMs: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < BATCHES; i++) {
    const started = performance.now();
    let sent: Promise<unknown>;
    if (path === 'send only') sent = postOtlpBody(url, body);
    else if (path === 'spool, then send') {
      exporter.exportBody(body, spans);
      sent = exporter.forceFlush();
    } else {
      const file = writeSynced(dir, `b-${i}.otlp`, body);
      sent = postOtlpBody(url, body).then(() => rmSync(file));
    }
    blockUs.push((performance.now() - started) * 1000);
    await sent;
    doneMs.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  await exporter.shutdown();
  return { blockUs, doneMs, cpuUs: (used.user + used.system) / BATCHES };
}

const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] as number;
console.log(`## spool\n\n### every export batch on disk before it is sent: ${BATCHES} batches × ${ROUNDS} rounds per path and size, paths alternating\n`);
console.log('| batch | path | event loop held per batch, p50 / p99 | to the 2xx (file removed), p50 / p99 | CPU per batch |');
console.log('|---|---|---:|---:|---:|');
for (const spans of SIZES) {
  const body = await bodyOf(spans);
  const results = new Map<Path, { blockUs: number[]; doneMs: number[]; cpuUs: number[] }>(PATHS.map((p) => [p, { blockUs: [], doneMs: [], cpuUs: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? PATHS : [...PATHS].reverse();
    for (const path of order) {
      const r = await measure(path, body, spans, round);
      const into = results.get(path)!;
      into.blockUs.push(...r.blockUs);
      into.doneMs.push(...r.doneMs);
      into.cpuUs.push(r.cpuUs);
    }
  }
  for (const path of PATHS) {
    const r = results.get(path)!;
    console.log(`| ${spans} span${spans === 1 ? '' : 's'} (${(body.byteLength / 1024).toFixed(1)} KiB) | ${path} | ${pct(r.blockUs, 0.5).toFixed(0)} / ${pct(r.blockUs, 0.99).toFixed(0)} µs | ${pct(r.doneMs, 0.5).toFixed(2)} / ${pct(r.doneMs, 0.99).toFixed(2)} ms | ${pct(r.cpuUs, 0.5).toFixed(0)} µs |`);
  }
}
sink.kill();
rmSync(work, { recursive: true, force: true });
