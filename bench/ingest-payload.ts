// OTLP protobuf request bodies for the ingest benchmark, made by the real OTel SDK
// (BasicTracerProvider + the SDK's protobuf serialiser), with Warden's span contract
// attributes (~22 per span). Span ids can be rewritten per round so every send is new.
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

export interface Template {
  bodies: string[]; // base64
  spanIdOffsets: number[][];
}

const TOOLS = ['load_context', 'session_close', 'search_nodes', 'create_entities', 'read_graph', 'delete_entities'];
const DECISIONS = ['allow', 'allow', 'allow', 'deny', 'rate_limited'];

/** Body `b`'s spans: `spansPerBody` tools/call spans of the real SDK with Warden's span contract. */
export async function makeSpans(b: number, spansPerBody: number): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'warden-proxy', 'service.version': '0.1.0', 'host.name': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('warden', '0.1.0');
  for (let i = 0; i < spansPerBody; i++) {
    const tool = TOOLS[(b + i) % TOOLS.length] as string;
    const decision = DECISIONS[i % DECISIONS.length] as string;
    tracer.startSpan(`tools/call ${tool}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'mcp.method.name': 'tools/call', 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool,
        'gen_ai.agent.id': `agent-${(b * 7 + i) % 20}`, 'mcp.session.id': `session-${b}-${i % 16}`,
        'jsonrpc.request.id': String(i), 'mcp.protocol.version': '2025-11-25', 'network.transport': 'pipe',
        'warden.decision': decision, 'warden.enforced': decision === 'allow', 'warden.mode': 'audit',
        'warden.rule': decision === 'allow' ? '' : `tools.${tool}.limits[0]`, 'warden.reason': decision === 'allow' ? '' : 'limit of 30 per minute reached',
        'warden.policy.hash': 'f'.repeat(64), 'warden.tool.risk': 'write', 'warden.args.hash': (i * 2654435761 % 4294967296).toString(16).padStart(64, '0'),
        'warden.args.bytes': 40 + (i % 300), 'warden.limit.counter': `${tool}_rate`, 'warden.limit.count': i % 30,
        'warden.limit.max': 30, 'warden.limit.window_s': 60, 'warden.upstream': 'memory-server',
      },
    }).end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export async function makeTemplate(bodyCount: number, spansPerBody: number): Promise<Template> {
  const template: Template = { bodies: [], spanIdOffsets: [] };
  for (let b = 0; b < bodyCount; b++) {
    const spans = await makeSpans(b, spansPerBody);
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
    let from = 0;
    const offsets = spans.map((s) => {
      const at = body.indexOf(Buffer.from(s.spanContext().spanId, 'hex'), from);
      if (at < 0) throw new Error('span id not found in body');
      from = at + 8;
      return at;
    });
    template.bodies.push(body.toString('base64'));
    template.spanIdOffsets.push(offsets);
  }
  return template;
}

/** Body `index` with span ids unique to (`round`, index, position). */
export function patchedBody(bodies: Buffer[], template: Template, index: number, round: number): Buffer {
  const body = Buffer.from(bodies[index] as Buffer);
  (template.spanIdOffsets[index] as number[]).forEach((offset, i) => {
    body.writeUInt32BE(round + 1, offset);
    body.writeUInt32BE(index * 65536 + i, offset + 4);
  });
  return body;
}
