// Ingest benchmark: OTLP protobuf → rows visible in tool_calls, against the ceiling of
// inserting the same rows straight into the same chDB tables (views attached) as
// JSONEachRow, side by side; receiver RSS under sustained load; cold `warden serve` to ready.
// Usage: node --import tsx bench/ingest.bench.ts [--spans 102400] [--rss-seconds 30] [--concurrency 4]
//        [--only throughput|rss|cold|replay] (several --only may be given; default all four)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveServeConfig } from '../src/config/index.js';
import { startServe } from '../src/cli/serve-runner.js';
import { BatchWriter, OtlpReceiver, decodeOtlpTraces } from '../src/ingest/index.js';
import { buildApp } from '../src/api/index.js';
import { ChdbDriver, migrate, qualified, type StoreDriver } from '../src/storage/index.js';
import { makeTemplate, patchedBody } from './ingest-payload.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const SPANS_PER_BODY = 512;
const TOTAL = Math.ceil(option('--spans', 102_400) / SPANS_PER_BODY) * SPANS_PER_BODY;
const RSS_SECONDS = option('--rss-seconds', 30);
const CONCURRENCY = option('--concurrency', 4);
const BATCH_BYTES = 32 * 1024 * 1024;
const only = argv.flatMap((a, i) => (argv[i - 1] === '--only' ? [a] : []));
const part = (name: string) => only.length === 0 || only.includes(name);

const SENDER = fileURLToPath(new URL('./ingest-sender.ts', import.meta.url));
const WARDEN_BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'warden-bench-ingest-'));
const templatePath = join(work, 'template.json');
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

async function countToolCalls(store: StoreDriver): Promise<number> {
  const [row] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${qualified(store.database, 'tool_calls')} FINAL`);
  return row?.n ?? 0;
}

/** Decode + serialise alone (the receiver's CPU work per span). */
function decodeRate(bodies: Buffer[]): { decode: number; decodeAndSerialise: number } {
  let t = performance.now();
  let spans = 0;
  for (const body of bodies) {
    const r = decodeOtlpTraces(body, 'application/x-protobuf');
    if (r.ok) spans += r.value.rows.length;
  }
  const decode = rate(spans, performance.now() - t);
  t = performance.now();
  for (const body of bodies) {
    const r = decodeOtlpTraces(body, 'application/x-protobuf');
    if (r.ok) for (const row of r.value.rows) JSON.stringify(row);
  }
  return { decode, decodeAndSerialise: rate(spans, performance.now() - t) };
}

/** The ceiling: the same rows, pre-serialised, inserted in 32 MiB JSONEachRow batches. */
async function ceiling(bodies: Buffer[]): Promise<{ spansPerS: number; ms: number }> {
  const chunks: string[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const r = decodeOtlpTraces(body, 'application/x-protobuf');
    if (!r.ok) throw new Error(r.error);
    for (const row of r.value.rows) {
      const line = JSON.stringify(row);
      if (bytes + line.length > BATCH_BYTES) {
        chunks.push(current.join('\n'));
        current = [];
        bytes = 0;
      }
      current.push(line);
      bytes += line.length + 1;
    }
  }
  chunks.push(current.join('\n'));
  const store = await ChdbDriver.open({ path: join(work, 'data'), database: 'ceiling' });
  await migrate(store);
  const t = performance.now();
  for (const chunk of chunks) await store.insertJsonEachRow('otel_traces', chunk);
  const visible = await countToolCalls(store);
  const ms = performance.now() - t;
  await store.close();
  if (visible !== TOTAL) throw new Error(`ceiling: ${visible} rows, expected ${TOTAL}`);
  return { spansPerS: rate(TOTAL, ms), ms };
}

interface SenderResult { spans: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number }

function runSender(url: string, extra: string[], onStart: () => void): { child: ChildProcess; result: Promise<SenderResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', SENDER, templatePath, `${url}/v1/traces`, '--concurrency', String(CONCURRENCY), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const result = new Promise<SenderResult>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('start\n')) {
        out = out.slice(6);
        onStart();
      }
    });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as SenderResult) : reject(new Error(`sender exited ${code}`))));
  });
  return { child, result };
}

interface ReceiverRun { spansPerS: number; ms: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number; fsyncs: number; fsyncMs: number }

/** The receiver in-process on the same chDB directory, fed over HTTP by a separate process: 200 once fsynced in the WAL. */
async function receiver(): Promise<ReceiverRun> {
  const config = resolveServeConfig({ listen: '127.0.0.1:0', store: join(work, 'data'), clickhouseDatabase: 'receiver' }, {});
  const serve = await startServe({ config });
  let t0 = 0;
  const { result } = runSender(serve.url, ['--spans', String(TOTAL)], () => (t0 = performance.now()));
  const sent = await result;
  await serve.writer.flush();
  const visible = await countToolCalls(serve.queryStore);
  const ms = performance.now() - t0;
  const { fsyncs, fsyncMs } = serve.wal;
  await serve.close();
  if (visible !== TOTAL) throw new Error(`receiver: ${visible} rows, expected ${TOTAL}`);
  return { ...sent, spansPerS: rate(TOTAL, ms), ms, fsyncs, fsyncMs };
}

/** The design before the WAL, for comparison: 200 as soon as the rows are in the in-memory queue. */
async function receiverAckOnQueue(): Promise<ReceiverRun> {
  const store = await ChdbDriver.open({ path: join(work, 'data'), database: 'queue_ack' });
  await migrate(store);
  const receiverNoWal = new OtlpReceiver(new BatchWriter(store));
  const app = buildApp({ config: { maxBodyBytes: 64 * 1024 * 1024 }, ingest: receiverNoWal, store });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  let t0 = 0;
  const { result } = runSender(`http://127.0.0.1:${port}`, ['--spans', String(TOTAL)], () => (t0 = performance.now()));
  const sent = await result;
  await receiverNoWal.writer.flush();
  const visible = await countToolCalls(store);
  const ms = performance.now() - t0;
  await app.close();
  await receiverNoWal.writer.close();
  await store.close();
  if (visible !== TOTAL) throw new Error(`ack-on-queue: ${visible} rows, expected ${TOTAL}`);
  return { ...sent, spansPerS: rate(TOTAL, ms), ms, fsyncs: 0, fsyncMs: 0 };
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

async function startServeChild(store: string, flags: string[] = []): Promise<{ child: ChildProcess; url: string; readyMs: number }> {
  const started = performance.now();
  // WARDEN_BENCH_SERVE_FLAGS adds serve flags, e.g. "--alert-interval 1d" to measure ingest without the alert loop.
  const extra = [...(process.env.WARDEN_BENCH_SERVE_FLAGS ?? '').split(' ').filter(Boolean), ...flags];
  const child = spawn(process.execPath, [WARDEN_BIN, 'serve', '--store', store, '--listen', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    await sleep(10);
  }
  return { child, url, readyMs: performance.now() - started };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Sample { atS: number; rss: number; heap: number; queue: number }

async function sample(pid: number, url: string, startedMs: number): Promise<Sample> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { atS: Math.round((performance.now() - startedMs) / 1000), rss: rssMiB(pid), heap: Math.round(value('nodejs_heap_size_used_bytes') / 1048576), queue: value('warden_ingest_queue_rows') };
}

interface AlertEvaluation { duration_ms: number; failures: Array<{ rule: string; error: string }> }

/** The alert loop's last evaluation, as GET /api/v1/alerts reports it. */
async function lastEvaluation(url: string): Promise<AlertEvaluation | undefined> {
  const body = await fetch(`${url}/api/v1/alerts`).then((r) => r.json() as Promise<{ last_evaluation: AlertEvaluation | null }>, () => undefined);
  return body?.last_evaluation ?? undefined;
}

interface Sustained { first: Sample; last: Sample; maxRss: number; maxSettledRss: number; spansPerS: number; statuses: Record<string, number>; samples: Sample[]; evaluation: AlertEvaluation | undefined }

/** A `warden serve` child under sustained load; RSS and heap sampled once a second. */
async function sustained(store: string): Promise<Sustained> {
  const { child, url } = await startServeChild(store);
  const samples: Sample[] = [];
  const startedMs = performance.now();
  const timer = setInterval(() => void sample(child.pid as number, url, startedMs).then((s) => samples.push(s)), 1000);
  const { result } = runSender(url, ['--seconds', String(RSS_SECONDS)], () => {});
  const { spans, statuses } = await result;
  clearInterval(timer);
  const evaluation = await lastEvaluation(url);
  await stopChild(child);
  // The first samples are start-up (chDB's engine and caches filling); "after warm-up" skips 10 %.
  const settled = samples.slice(Math.max(1, Math.floor(samples.length / 10)));
  const empty = { atS: 0, rss: 0, heap: 0, queue: 0 };
  const maxRss = Math.max(...samples.map((x) => x.rss));
  return { first: settled[0] ?? empty, last: samples.at(-1) ?? empty, maxRss, maxSettledRss: Math.max(...settled.map((x) => x.rss)), spansPerS: Math.round(spans / RSS_SECONDS), statuses, samples, evaluation };
}

/** One sample per 30 s (the one nearest each mark), so a reader sees whether RSS levels off. */
function everyThirtySeconds(samples: Sample[]): Sample[] {
  const marks: Sample[] = [];
  for (let at = 30; at <= RSS_SECONDS + 1; at += 30) {
    const near = samples.reduce<Sample | undefined>((best, x) => (!best || Math.abs(x.atS - at) < Math.abs(best.atS - at) ? x : best), undefined);
    if (near && !marks.includes(near)) marks.push(near);
  }
  return marks;
}

const template = await makeTemplate(TOTAL / SPANS_PER_BODY, SPANS_PER_BODY);
writeFileSync(templatePath, JSON.stringify(template));
const raw = template.bodies.map((b) => Buffer.from(b, 'base64'));
const bodies = raw.map((_, i) => patchedBody(raw, template, i, 0));

if (part('throughput')) {
  const decoded = decodeRate(bodies);
  const ceil = await ceiling(bodies);
  const recv = await receiver();
  const queued = await receiverAckOnQueue();
  const bodyKiB = Math.round(raw.reduce((n, b) => n + b.length, 0) / raw.length / 1024);
  console.log(`\n${TOTAL} spans in ${raw.length} OTLP protobuf requests of ${SPANS_PER_BODY} spans (~22 attributes each, ${bodyKiB} KiB), ${CONCURRENCY} in flight\n`);
  console.log('| path | spans/s | time (ms) | vs ceiling | request p50 / p99 (ms) |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| ceiling: same rows as JSONEachRow straight into otel_traces (views attached), 32 MiB batches | ${ceil.spansPerS} | ${Math.round(ceil.ms)} | 1.00× | |`);
  const row = (name: string, r: ReceiverRun) => `| ${name} | ${r.spansPerS} | ${Math.round(r.ms)} | ${(r.spansPerS / ceil.spansPerS).toFixed(2)}× | ${r.p50Ms} / ${r.p99Ms} |`;
  console.log(row('warden serve: OTLP/HTTP protobuf → rows visible in tool_calls; 200 once fsynced in the WAL', recv));
  console.log(row('the same, 200 once in the in-memory queue (the design before the WAL; loses acknowledged rows on a crash)', queued));
  console.log(`| decode only (protobuf → rows), one core | ${decoded.decode} | | | |`);
  console.log(`| decode + JSONEachRow serialise, one core | ${decoded.decodeAndSerialise} | | | |`);
  const requests = TOTAL / SPANS_PER_BODY;
  console.log(`\nWAL: ${recv.fsyncs} fsyncs for ${requests} requests (${(requests / Math.max(1, recv.fsyncs)).toFixed(2)} requests per fsync, group commit), ` +
    `${(recv.fsyncMs / Math.max(1, recv.fsyncs)).toFixed(2)} ms per fsync, ${Math.round(recv.fsyncMs)} ms in all`);
  console.log(`receiver replies during the throughput runs: WAL ${JSON.stringify(recv.statuses)}, queue-ack ${JSON.stringify(queued.statuses)}`);
}
if (part('rss')) {
  const rss = await sustained(join(work, 'serve'));
  console.log(`\n| sustained load (${RSS_SECONDS} s, child \`warden serve\`) | value |`);
  console.log('|---|---:|');
  console.log(`| spans/s sent and accepted | ${rss.spansPerS} |`);
  console.log(`| replies | ${JSON.stringify(rss.statuses)} |`);
  console.log(`| RSS after warm-up / at end / max (MiB) | ${rss.first.rss} / ${rss.last.rss} / ${rss.maxRss} (after warm-up: ${rss.maxSettledRss}) |`);
  console.log(`| V8 heap used after warm-up / at end (MiB) | ${rss.first.heap} / ${rss.last.heap} |`);
  console.log(`| write queue after warm-up / at end (rows) | ${rss.first.queue} / ${rss.last.queue} |`);
  const evaluation = rss.evaluation ? `${rss.evaluation.duration_ms} ms, ${rss.evaluation.failures.length} rule failure(s)${rss.evaluation.failures.map((f) => `; ${f.rule}: ${f.error.slice(0, 80)}`).join('')}` : 'none';
  console.log(`| last alert evaluation | ${evaluation} |`);
  console.log(`\nRSS / V8 heap used (MiB) every 30 s: ${everyThirtySeconds(rss.samples).map((x) => `${x.atS} s ${x.rss} / ${x.heap}`).join(', ')}`);
}
if (part('cold')) {
  // An existing store: the one the sustained run filled, or a freshly migrated one.
  const cold: number[] = [];
  for (let i = 0; i < 4; i++) {
    const { child, readyMs } = await startServeChild(join(work, 'serve'));
    if (i > 0 || part('rss')) cold.push(Math.round(readyMs));
    await stopChild(child);
  }
  console.log(`\n| cold \`warden serve\` → /readyz 200 on an existing store | ms |`);
  console.log('|---|---:|');
  console.log(`| runs | ${cold.join(', ')} |`);
  console.log(`| median | ${[...cold].sort((a, b) => a - b)[Math.floor(cold.length / 2)]} |`);
}
if (part('replay')) {
  // A serve SIGKILLed with acknowledged rows only in its WAL (no timed flush; inserts only at the
  // 32 MiB batch size), restarted on the same store: time to /readyz 200 includes the replay.
  const store = join(work, 'replay');
  const first = await startServeChild(store, ['--flush-interval', '1h', '--batch-rows', String(TOTAL + 1)]);
  await runSender(first.url, ['--spans', String(TOTAL)], () => {}).result;
  const before = await fetch(`${first.url}/metrics`).then((r) => r.text());
  const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const exited = new Promise((resolve) => first.child.once('exit', resolve));
  first.child.kill('SIGKILL');
  await exited;
  const again = await startServeChild(store);
  const after = await fetch(`${again.url}/metrics`).then((r) => r.text());
  await stopChild(again.child);
  const plain = await startServeChild(store);
  await stopChild(plain.child);
  console.log(`\n| SIGKILL with rows only in the WAL, restart → /readyz 200 | value |`);
  console.log('|---|---:|');
  console.log(`| rows acknowledged and unwritten at the kill / WAL bytes | ${value(before, 'warden_ingest_queue_rows')} / ${value(before, 'warden_wal_bytes')} |`);
  console.log(`| rows written by the restarted serve before ready | ${value(after, 'warden_ingest_rows_written_total')} |`);
  console.log(`| restart → ready with the replay (ms) | ${Math.round(again.readyMs)} |`);
  console.log(`| the next restart, empty WAL (ms) | ${Math.round(plain.readyMs)} |`);
}
rmSync(work, { recursive: true, force: true });
