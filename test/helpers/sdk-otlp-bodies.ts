// Real spans from the OTel JS SDK (BasicTracerProvider + InMemorySpanExporter), serialised
// with the SDK's own OTLP serialisers: the bytes every Node OTel exporter sends.
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

export async function sdkSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'warden-proxy', 'host.cores': 2 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('warden', '1.2.3');
  const parent = tracer.startSpan('tools/list', { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/list' } });
  const child = tracer.startSpan(
    'tools/call session_close',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'session_close',
        'gen_ai.agent.id': 'agent-1',
        'warden.decision': 'deny',
        'warden.enforced': true,
        'warden.args.bytes': 42,
        'warden.ratio': 1.5,
        'tags': ['a', 'b<c'],
        'counts': [1, 2, 3],
      },
      links: [{ context: parent.spanContext(), attributes: { 'link.kind': 'retry' } }],
    },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('policy.evaluated', { rule: 'tools.session_close.limits[0]' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'policy_denied' });
  child.end();
  parent.end();
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export function asProtobuf(spans: ReadableSpan[]): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
}

export function asJson(spans: ReadableSpan[]): Buffer {
  return Buffer.from(JsonTraceSerializer.serializeRequest(spans) as Uint8Array);
}

export function hrTimeNs(t: [number, number]): string {
  return (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();
}
