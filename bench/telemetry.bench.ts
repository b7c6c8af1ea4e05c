// What one call's span costs the proxy's thread: building it with the OTel SDK (attributes,
// argument hash) and encoding it as OTLP protobuf, with the OTel exporter's own serializer
// and with Warden's encoder, side by side on the same spans.
//   node --import tsx bench/telemetry.bench.ts        (BENCH_SPANS, default 20000)
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { silentLogger } from '../src/core/index.js';
import type { Decision } from '../src/policy/types.js';
import { SpanBatchEncoder, createSpanWriter, encodeTraceRequest, type CallContext } from '../src/telemetry/index.js';

const SPANS = Number(process.env.BENCH_SPANS ?? 20_000);
const BATCH = 512; // the proxy's export batch size
const ROUNDS = 5;

const exporter = new InMemorySpanExporter();
const { writer } = createSpanWriter({ recordArgs: 'hash', logger: silentLogger, exporter, scheduledDelayMillis: 3_600_000 });
const ctx: CallContext = { agent: 'nightly-batch', upstream: 'total-recall', mode: 'enforce', policyHash: 'a'.repeat(64), sessionId: 'stdio-4711', protocolVersion: '2025-06-18', networkTransport: 'pipe' };
const decision: Decision = { decision: 'allow', rule: 'tools.task_list', reason: 'within limits', risk: 'read', limit: { counter: 'tasks', count: 12, max: 100_000, windowS: 60 } };

function build(): number {
  const started = performance.now();
  for (let i = 0; i < SPANS; i++) {
    const end = Date.now();
    writer.write({ kind: 'call', ctx, call: { tool: 'task_list', requestId: i, args: { project: 'warden', limit: i % 50 }, decision, enforced: true }, startTime: end - 0.2, endTime: end });
  }
  return performance.now() - started;
}

function encode(spans: ReadableSpan[], serialize: (batch: ReadableSpan[]) => Uint8Array | undefined): number {
  const started = performance.now();
  for (let i = 0; i < spans.length; i += BATCH) serialize(spans.slice(i, i + BATCH));
  return performance.now() - started;
}

/** The proxy's path (EncodingSpanProcessor): each span encoded as it ends, the request finished per batch. */
function encodeEach(spans: ReadableSpan[]): number {
  const batch = new SpanBatchEncoder();
  const started = performance.now();
  for (const span of spans) {
    batch.add(span);
    if (batch.count === BATCH) batch.finish();
  }
  batch.finish();
  return performance.now() - started;
}

const perSpan = (ms: number) => `${((ms * 1000) / SPANS).toFixed(2)} µs`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const rows = { build: [] as number[], reference: [] as number[], ours: [] as number[], each: [] as number[] };
let sameBytes = true;
let bytesPerSpan = 0;
for (let round = 0; round < ROUNDS; round++) {
  exporter.reset();
  rows.build.push(build());
  await writer.forceFlush();
  const spans = exporter.getFinishedSpans() as ReadableSpan[];
  // Alternate which encoder goes first, so neither always runs on a warmer heap.
  const order = round % 2 === 0 ? (['reference', 'ours', 'each'] as const) : (['each', 'ours', 'reference'] as const);
  for (const name of order) {
    if (name === 'each') rows.each.push(encodeEach(spans));
    else rows[name].push(encode(spans, name === 'ours' ? encodeTraceRequest : (batch) => ProtobufTraceSerializer.serializeRequest(batch)));
  }
  const first = spans.slice(0, BATCH);
  const ours = Buffer.from(encodeTraceRequest(first));
  sameBytes &&= ours.equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(first) ?? new Uint8Array()));
  bytesPerSpan = ours.length / first.length;
}
console.log(`## telemetry\n\n### one call's span, ${SPANS} spans, median of ${ROUNDS} rounds (batches of ${BATCH})\n`);
console.log('| step | per span |\n|---|---|');
console.log(`| build (OTel SDK span, 22 attributes, sha256 of the arguments) | ${perSpan(median(rows.build))} |`);
console.log(`| encode: OTel \`ProtobufTraceSerializer\` | ${perSpan(median(rows.reference))} |`);
console.log(`| encode: Warden \`encodeTraceRequest\` (${sameBytes ? 'byte-identical output' : 'OUTPUT DIFFERS'}, ${bytesPerSpan.toFixed(0)} B/span) | ${perSpan(median(rows.ours))} (${(median(rows.reference) / median(rows.ours)).toFixed(1)}× faster) |`);
console.log(`| encode: Warden \`SpanBatchEncoder\`, each span as it ends (the proxy's path) | ${perSpan(median(rows.each))} (${(median(rows.reference) / median(rows.each)).toFixed(1)}× faster) |`);
