import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, TraceFlags } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, SamplingDecision, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../../src/core/index.js';
import { EncodingSpanProcessor, SpanBatchEncoder, type EncodedSpanSink } from '../../../src/telemetry/index.js';
import { fillSpans, sdkSpans } from '../../helpers/sdk-spans.js';

const reference = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array()).toString('hex');
const hex = (body: Uint8Array) => Buffer.from(body).toString('hex');

function collectingSink(): EncodedSpanSink & { bodies: { body: Uint8Array; spans: number }[]; flushed: number; stopped: boolean } {
  const sink = {
    bodies: [] as { body: Uint8Array; spans: number }[],
    flushed: 0,
    stopped: false,
    exportBody: (body: Uint8Array, spans: number) => void sink.bodies.push({ body, spans }),
    forceFlush: async () => void sink.flushed++,
    shutdown: async () => void (sink.stopped = true),
  };
  return sink;
}

const silent = createLogger({ level: 'silent' });

describe('SpanBatchEncoder', () => {
  it('builds, span by span, the bytes the OTel exporter\'s serializer writes for the whole batch, batch after batch', () => {
    const { tracers, spans } = sdkSpans('warden-proxy');
    fillSpans(tracers, 300);
    const main = spans().filter((s) => s.instrumentationScope.name === 'warden');
    const batch = new SpanBatchEncoder();
    for (const [from, to] of [[0, 1], [1, 120], [120, 300]] as const) {
      for (const span of main.slice(from, to)) batch.add(span);
      assert.equal(batch.count, to - from);
      assert.equal(hex(batch.finish()), reference(main.slice(from, to)), `spans ${from}..${to}`);
      assert.equal(batch.count, 0, 'finish starts a new batch');
    }
    assert.equal(batch.finish().length, 0, 'no spans, no request');
  });

  it('writes a batch of huge spans, and the batches after it, byte for byte', () => {
    const { tracers, spans } = sdkSpans('warden-proxy');
    for (let i = 0; i < 12; i++) tracers[0]?.startSpan(`tools/call big${i}`, { attributes: { 'warden.args': 'x'.repeat(100_000) } }).end();
    fillSpans(tracers, 20);
    const main = spans().filter((s) => s.instrumentationScope.name === 'warden');
    const batch = new SpanBatchEncoder();
    for (const [from, to] of [[0, 12], [12, main.length]] as const) {
      for (const span of main.slice(from, to)) batch.add(span);
      assert.equal(hex(batch.finish()), reference(main.slice(from, to)), `spans ${from}..${to}`);
    }
  });

  it('holds one resource and scope: a span of another is refused until the batch is finished', () => {
    const { tracers, spans } = sdkSpans('warden-proxy');
    fillSpans(tracers, 1); // one span of each scope
    const [first, other] = spans() as [ReadableSpan, ReadableSpan];
    const batch = new SpanBatchEncoder();
    batch.add(first);
    assert.equal(batch.accepts(other), false);
    assert.throws(() => batch.add(other), /another resource or scope/);
    assert.equal(hex(batch.finish()), reference([first]), 'the refused span left the batch as it was');
    assert.equal(batch.accepts(other), true);
  });
});

describe('EncodingSpanProcessor', () => {
  it('sends a batch when it is full, and splits batches where the scope changes; each body is what the serializer writes', async () => {
    const sink = collectingSink();
    const processor = new EncodingSpanProcessor(sink, { maxBatchSpans: 50, scheduledDelayMillis: 60_000, logger: silent });
    const { tracers, spans } = sdkSpans('warden-proxy', [processor]);
    const [main, other] = tracers;
    for (let i = 0; i < 120; i++) main?.startSpan(`tools/call t${i}`, { kind: SpanKind.SERVER }).end();
    other?.startSpan('tools/list').end();
    assert.deepEqual(sink.bodies.map((b) => b.spans), [50, 50, 20], 'two full batches, then the scope changed');
    await processor.forceFlush();
    assert.deepEqual(sink.bodies.map((b) => b.spans), [50, 50, 20, 1]);
    assert.equal(sink.flushed, 1, 'forceFlush also flushes the sink');
    const all = spans();
    let at = 0;
    for (const { body, spans: n } of sink.bodies) {
      assert.equal(hex(body), reference(all.slice(at, at + n)), `batch at ${at}`);
      at += n;
    }
  });

  it('sends a batch that is not full once its delay has passed', async () => {
    const sink = collectingSink();
    const processor = new EncodingSpanProcessor(sink, { maxBatchSpans: 512, scheduledDelayMillis: 30, logger: silent });
    const { tracers } = sdkSpans('warden-proxy', [processor]);
    tracers[0]?.startSpan('tools/call a').end();
    tracers[0]?.startSpan('tools/call b').end();
    assert.equal(sink.bodies.length, 0, 'held until the delay');
    await sleep(120);
    assert.deepEqual(sink.bodies.map((b) => b.spans), [2]);
  });

  it('skips spans that are recorded but not sampled', async () => {
    const sink = collectingSink();
    const processor = new EncodingSpanProcessor(sink, { logger: silent });
    const recordOnly = { shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => 'record-only' };
    const tracer = new BasicTracerProvider({ sampler: recordOnly, spanProcessors: [processor] }).getTracer('t');
    const span = tracer.startSpan('tools/call x');
    assert.equal(span.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
    span.end();
    await processor.forceFlush();
    assert.equal(sink.bodies.length, 0);
  });

  it('drops a span it cannot encode, says so once, and keeps the batch and later spans whole', async () => {
    const lines: string[] = [];
    const sink = collectingSink();
    const processor = new EncodingSpanProcessor(sink, { logger: createLogger({ write: (l) => void lines.push(l) }) });
    const { tracers, spans } = sdkSpans('warden-proxy', [processor]);
    tracers[0]?.startSpan('tools/call before').end();
    const [good] = spans() as [ReadableSpan];
    // A span whose attributes cannot be read: the encoder throws halfway through it.
    const broken = { ...good, name: 'broken', spanContext: () => good.spanContext(), get attributes(): never { throw new Error('unreadable'); } } as unknown as ReadableSpan;
    processor.onEnd(broken);
    processor.onEnd(broken);
    tracers[0]?.startSpan('tools/call after').end();
    await processor.shutdown();
    assert.equal(sink.stopped, true);
    assert.deepEqual(sink.bodies.map((b) => b.spans), [2]);
    assert.equal(hex(sink.bodies[0]!.body), reference(spans()));
    assert.equal(lines.filter((l) => l.includes('could not encode a span')).length, 1);
  });

  it('drops a batch it cannot finish, from its timer too, says so once, and sends the next batch whole', async () => {
    const lines: string[] = [];
    const sink = collectingSink();
    const processor = new EncodingSpanProcessor(sink, { scheduledDelayMillis: 20, logger: createLogger({ write: (l) => void lines.push(l) }) });
    const { tracers, spans } = sdkSpans('warden-proxy');
    tracers[0]?.startSpan('tools/call model').end();
    const [good] = spans() as [ReadableSpan];
    // A resource whose attributes cannot be read: the span encodes, the request around it does not.
    const brokenResource = { ...good.resource, get attributes(): never { throw new Error('unreadable resource'); } };
    const orphan = { ...good, resource: brokenResource, spanContext: () => good.spanContext() } as unknown as ReadableSpan;
    processor.onEnd(orphan);
    await sleep(80); // the timer sends it: a throw there would end the test process
    processor.onEnd(orphan);
    await processor.forceFlush();
    assert.equal(sink.bodies.length, 0);
    processor.onEnd(good);
    await processor.forceFlush();
    assert.deepEqual(sink.bodies.map((b) => hex(b.body)), [reference([good])]);
    assert.equal(lines.filter((l) => l.includes('could not encode a batch of spans')).length, 1);
  });

  it('sends what it holds on shutdown, then takes no more spans', async () => {
    const sink = collectingSink();
    const processor = new EncodingSpanProcessor(sink, { scheduledDelayMillis: 60_000, logger: silent });
    const { tracers } = sdkSpans('warden-proxy', [processor]);
    tracers[0]?.startSpan('tools/call a').end();
    await processor.shutdown();
    assert.deepEqual(sink.bodies.map((b) => b.spans), [1]);
    assert.equal(sink.stopped, true);
    tracers[0]?.startSpan('tools/call late').end();
    await processor.forceFlush();
    assert.deepEqual(sink.bodies.map((b) => b.spans), [1]);
  });
});
