import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Tracer } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Spans from the real SDK, covering every field and value shape OTLP's trace message has:
 * `spans()` gives every finished span, and `alsoTo` processors see them too.
 */
export function sdkSpans(serviceName: string, alsoTo: SpanProcessor[] = []): { tracers: Tracer[]; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.instance.id': 'ünïcode-1', 'host.cpus': 2 }),
    spanProcessors: [new SimpleSpanProcessor(exporter), ...alsoTo],
  });
  const tracers = [provider.getTracer('warden', '1.2.3'), provider.getTracer('other-scope')];
  return { tracers, spans: () => exporter.getFinishedSpans() };
}

export function fillSpans(tracers: Tracer[], count: number): void {
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
