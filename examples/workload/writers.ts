/**
 * Writes a generated workload into a store: through the real OTLP/HTTP path (protobuf via
 * @opentelemetry/otlp-transformer, POSTed to a running `warden serve`), or as rows in the
 * OTel Collector ClickHouse exporter's `otel_traces` layout (what a Collector would write).
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Tables, type StoreDriver } from '../../src/storage/index.js';
import { TOOL_RISK, UPSTREAM, type GeneratedCall, type Workload } from './generate.js';

const SERVICE = 'warden-proxy';

/**
 * Retention for stores that hold workloads at fixed dates (tests, reused bench stores): the
 * default 30-day TTL would drop their older days a month on (ClickHouse applies TTL in
 * background merges), so results would change with the calendar alone.
 */
export const FIXED_DATE_RETENTION_DAYS = 3_650; // ten years: a DateTime TTL past 2106 would wrap into the past

function callAttributes(c: GeneratedCall): Record<string, string> {
  const attrs: Record<string, string> = {
    'mcp.method.name': 'tools/call',
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': c.tool,
    'gen_ai.agent.id': c.agent,
    'warden.decision': c.decision,
    'warden.enforced': String(c.enforced),
    'warden.mode': c.mode,
    'warden.tool.risk': c.risk,
    'warden.args.hash': c.argsHash,
    'warden.args.bytes': '64',
    'warden.upstream': UPSTREAM,
  };
  if (c.session) attrs['mcp.session.id'] = c.session;
  if (c.isError) attrs['error.type'] = 'tool_error';
  if (c.decision !== 'allow') {
    attrs['warden.rule'] = `tools.${c.tool}.limits[0]`;
    attrs['warden.reason'] = 'rate limit reached';
    if (c.enforced) attrs['error.type'] = 'policy_denied';
  }
  return attrs;
}

function toolsListAttributes(): Record<string, string> {
  const tools = Object.entries(TOOL_RISK).map(([name, risk]) => ({ name, risk, annotations: { readOnlyHint: risk === 'read', destructiveHint: risk === 'destructive' } }));
  return { 'mcp.method.name': 'tools/list', 'warden.upstream': UPSTREAM, 'warden.tools': JSON.stringify(tools) };
}

function nsString(ms: number): string {
  return `${Math.round(ms)}000000`;
}

/** Rows in the Collector's otel_traces layout, including one tools/list span for the inventory. */
export function otelRows(w: Workload): object[] {
  const rows: object[] = w.calls.map((c) => ({
    Timestamp: nsString(c.tsMs), TraceId: c.traceId, SpanId: c.spanId, SpanName: `tools/call ${c.tool}`, SpanKind: 'Server',
    ServiceName: SERVICE, ResourceAttributes: { 'service.name': SERVICE }, ScopeName: 'warden',
    SpanAttributes: callAttributes(c), Duration: c.durationMs * 1_000_000, StatusCode: c.isError || (c.decision !== 'allow' && c.enforced) ? 'Error' : 'Unset',
  }));
  rows.push({
    Timestamp: nsString(w.startMs), TraceId: 'f'.repeat(32), SpanId: 'e'.repeat(16), SpanName: 'tools/list', SpanKind: 'Server',
    ServiceName: SERVICE, ResourceAttributes: { 'service.name': SERVICE }, ScopeName: 'warden', SpanAttributes: toolsListAttributes(), Duration: 1_000_000, StatusCode: 'Unset',
  });
  return rows;
}

/** Direct rows into otel_traces (the Collector's path); the materialized views fill tool_calls. */
export async function insertWorkloadDirect(store: StoreDriver, w: Workload, chunk = 20_000): Promise<void> {
  const rows = otelRows(w);
  for (let i = 0; i < rows.length; i += chunk) await store.insertJsonEachRow(Tables.OTEL_TRACES, rows.slice(i, i + chunk));
}

const resource = resourceFromAttributes({ 'service.name': SERVICE });

function hr(ms: number): [number, number] {
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1_000_000)];
}

function readableSpan(name: string, traceId: string, spanId: string, startMs: number, durMs: number, attributes: Record<string, string>, error: boolean): ReadableSpan {
  return {
    name, kind: 1, spanContext: () => ({ traceId, spanId, traceFlags: 1 }), parentSpanContext: undefined,
    startTime: hr(startMs), endTime: hr(startMs + durMs), duration: hr(durMs), status: { code: error ? 2 : 0 },
    attributes, links: [], events: [], ended: true, resource,
    instrumentationScope: { name: 'warden' }, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  } as ReadableSpan;
}

export function workloadSpans(w: Workload): ReadableSpan[] {
  const spans = w.calls.map((c) => readableSpan(`tools/call ${c.tool}`, c.traceId, c.spanId, c.tsMs, c.durationMs, callAttributes(c), c.isError || (c.decision !== 'allow' && c.enforced)));
  spans.push(readableSpan('tools/list', 'f'.repeat(32), 'e'.repeat(16), w.startMs, 1, toolsListAttributes(), false));
  return spans;
}

/** POSTs the workload as OTLP/HTTP protobuf to `baseUrl`/v1/traces in batches. */
export async function postWorkloadOtlp(baseUrl: string, w: Workload, opts: { batch?: number; token?: string } = {}): Promise<void> {
  const spans = workloadSpans(w);
  const batch = opts.batch ?? 2_000;
  for (let i = 0; i < spans.length; i += batch) {
    const body = ProtobufTraceSerializer.serializeRequest(spans.slice(i, i + batch));
    if (!body) throw new Error('OTLP serializer returned nothing');
    const res = await fetch(new URL('/v1/traces', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
      body,
    });
    if (res.status !== 200) throw new Error(`OTLP POST answered ${res.status}: ${await res.text()}`);
  }
}
