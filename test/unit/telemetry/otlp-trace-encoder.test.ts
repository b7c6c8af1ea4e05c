import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Tracer } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { encodeTraceRequest } from '../../../src/telemetry/otlp-trace-encoder.js';

/** Spans from the real SDK, covering every field and value shape OTLP's trace message has. */
function sdkSpans(serviceName: string, exporter = new InMemorySpanExporter()): { tracers: Tracer[]; spans: () => ReadableSpan[] } {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.instance.id': 'ünïcode-1', 'host.cpus': 2 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracers = [provider.getTracer('warden', '1.2.3'), provider.getTracer('other-scope')];
  return { tracers, spans: () => exporter.getFinishedSpans() };
}

function fillSpans(tracers: Tracer[], count: number): void {
  const [main, other] = tracers as [Tracer, Tracer];
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true,
    traceState: new TraceState('vendor=value,other=1'),
  });
  for (let i = 0; i < count; i++) {
    const span = main.startSpan(`tools/call tool_${i % 7}`, { kind: (i % 5) as SpanKind, startTime: [1_795_000_000 + i, 123_456_789] }, i % 3 === 0 ? remoteParent : ROOT_CONTEXT);
    span.setAttribute('mcp.method.name', 'tools/call');
    span.setAttribute('jsonrpc.request.id', String(i));
    span.setAttribute('warden.limit.count', i);
    span.setAttribute('warden.limit.max', 100_000_000);
    span.setAttribute('big.int', 2 ** 60);
    span.setAttribute('negative', -i - 1);
    span.setAttribute('ratio', i / 7 + 0.5);
    span.setAttribute('warden.enforced', i % 2 === 0);
    span.setAttribute('list.strings', ['a', 'βeta', '']);
    span.setAttribute('list.numbers', [1, 2.5, -3]);
    span.setAttribute('warden.reason', i % 4 === 0 ? 'x'.repeat(300) : 'denied by policy: 🚫 operators only');
    if (i % 2 === 0) span.addEvent('policy.reloaded', { 'warden.reload.source': 'SIGHUP', n: i }, [1_795_000_000 + i, 5]);
    if (i % 3 === 1) span.addLink({ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 }, attributes: { why: 'follows' } });
    if (i % 4 === 1) span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool_error' });
    if (i % 4 === 2) span.setStatus({ code: SpanStatusCode.OK });
    span.end([1_795_000_000 + i, 999_999_999]);
    other.startSpan('tools/list').end();
  }
}

describe('OTLP trace encoder', () => {
  it('writes the same bytes as the OTel exporter\'s own ProtobufTraceSerializer, for every field and value shape', () => {
    const first = sdkSpans('warden-proxy');
    const second = sdkSpans('another-service');
    fillSpans(first.tracers, 40);
    fillSpans(second.tracers, 3);
    const spans = [...first.spans(), ...second.spans()];
    for (const batch of [spans.slice(0, 1), spans.slice(0, 7), spans]) {
      const ours = Buffer.from(encodeTraceRequest(batch));
      const reference = Buffer.from(ProtobufTraceSerializer.serializeRequest(batch) ?? new Uint8Array());
      assert.ok(reference.length > 0);
      assert.equal(ours.toString('hex'), reference.toString('hex'), `batch of ${batch.length}`);
    }
  });

  it('keeps writing the same bytes once span attributes come from its cache, and when a key stops being cacheable', () => {
    const { tracers, spans } = sdkSpans('warden-proxy');
    fillSpans(tracers, 600); // jsonrpc.request.id takes more distinct values than the cache keeps
    const all = spans();
    for (let from = 0; from < all.length; from += 250) {
      const batch = all.slice(from, from + 250);
      assert.ok(Buffer.from(encodeTraceRequest(batch)).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!)), `batch at ${from}`);
    }
  });

  it('encodes nothing for no spans', () => {
    assert.equal(encodeTraceRequest([]).length, 0);
  });
});
