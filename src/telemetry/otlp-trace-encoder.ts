import type { Attributes, AttributeValue, HrTime, Link, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { OtlpField, ProtoWriter, WireType as Wire } from '../core/index.js';

const { ExportTraceServiceRequest: Request, ResourceSpans, Resource: OtlpResource, ScopeSpans, InstrumentationScope: Scope } = OtlpField;
const { Span, SpanEvent, SpanLink, Status, KeyValue, AnyValue, ArrayValue, KeyValueList } = OtlpField;

/**
 * OTel SDK spans → one OTLP `ExportTraceServiceRequest` (opentelemetry-proto trace/v1), in a
 * single pass. The bytes are the same as `ProtobufTraceSerializer` (the OTLP exporter's own)
 * writes for the same spans, which test/unit/telemetry/otlp-trace-encoder.test.ts checks; that
 * serializer walks every batch twice (a size estimate, then the write) and encodes each string
 * through TextEncoder, which made it 60 % of the span pipeline's CPU in the proxy.
 */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const w = new ProtoWriter(Math.max(4096, spans.length * 1200));
  for (const [resource, scopes] of groupByResourceAndScope(spans)) {
    const scopeSpans = [...scopes].map(([scope, list]) => [scope, () => list.forEach((span) => writeSpan(w, span))] as const);
    writeResourceSpans(w, resource, scopeSpans);
  }
  return w.finish();
}

/**
 * One `resource_spans` entry of the request: the resource, then per scope the scope and its
 * spans, which `writeSpans` writes (as Span messages, or bytes encoded earlier by writeSpan).
 */
export function writeResourceSpans(w: ProtoWriter, resource: Resource, scopes: Iterable<readonly [InstrumentationScope, () => void]>): void {
  w.tag(Request.RESOURCE_SPANS, Wire.LEN);
  const resourceSpans = w.begin();
  writeResource(w, resource);
  for (const [scope, writeSpans] of scopes) {
    w.tag(ResourceSpans.SCOPE_SPANS, Wire.LEN);
    const start = w.begin();
    writeScope(w, scope);
    writeSpans();
    if (scope.schemaUrl) writeStringField(w, ScopeSpans.SCHEMA_URL, scope.schemaUrl);
    w.end(start);
  }
  if (resource.schemaUrl) writeStringField(w, ResourceSpans.SCHEMA_URL, resource.schemaUrl);
  w.end(resourceSpans);
}

function groupByResourceAndScope(spans: readonly ReadableSpan[]): Map<Resource, Map<InstrumentationScope, ReadableSpan[]>> {
  const byResource = new Map<Resource, Map<InstrumentationScope, ReadableSpan[]>>();
  for (const span of spans) {
    let byScope = byResource.get(span.resource);
    if (!byScope) byResource.set(span.resource, (byScope = new Map()));
    const list = byScope.get(span.instrumentationScope);
    if (list) list.push(span);
    else byScope.set(span.instrumentationScope, [span]);
  }
  return byResource;
}

function writeResource(w: ProtoWriter, resource: Resource): void {
  w.tag(ResourceSpans.RESOURCE, Wire.LEN);
  const start = w.begin();
  writeAttributes(w, OtlpResource.ATTRIBUTES, resource.attributes);
  writeVarintField(w, OtlpResource.DROPPED_ATTRIBUTES_COUNT, 0); // dropped_attributes_count: the SDK does not count them
  w.end(start);
}

function writeScope(w: ProtoWriter, scope: InstrumentationScope & { attributes?: Attributes; droppedAttributesCount?: number }): void {
  w.tag(ScopeSpans.SCOPE, Wire.LEN);
  const start = w.begin();
  writeStringField(w, Scope.NAME, scope.name);
  if (scope.version) writeStringField(w, Scope.VERSION, scope.version);
  if (scope.attributes) writeAttributes(w, Scope.ATTRIBUTES, scope.attributes);
  if (scope.droppedAttributesCount) writeVarintField(w, Scope.DROPPED_ATTRIBUTES_COUNT, scope.droppedAttributesCount);
  w.end(start);
}

export function writeSpan(w: ProtoWriter, span: ReadableSpan): void {
  w.tag(ScopeSpans.SPANS, Wire.LEN);
  const start = w.begin();
  const ctx = span.spanContext();
  writeIdField(w, Span.TRACE_ID, ctx.traceId);
  writeIdField(w, Span.SPAN_ID, ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) writeStringField(w, Span.TRACE_STATE, traceState);
  const parentId = span.parentSpanContext?.spanId;
  if (parentId) writeIdField(w, Span.PARENT_SPAN_ID, parentId);
  writeStringField(w, Span.NAME, span.name);
  // OTLP's SpanKind counts from 1 (0 is "unspecified"); the API's counts from 0.
  if (span.kind != null) writeVarintField(w, Span.KIND, span.kind + 1);
  writeTimeField(w, Span.START_TIME_UNIX_NANO, span.startTime);
  writeTimeField(w, Span.END_TIME_UNIX_NANO, span.endTime);
  writeAttributes(w, Span.ATTRIBUTES, span.attributes);
  writeVarintField(w, Span.DROPPED_ATTRIBUTES_COUNT, span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  writeVarintField(w, Span.DROPPED_EVENTS_COUNT, span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link);
  writeVarintField(w, Span.DROPPED_LINKS_COUNT, span.droppedLinksCount);
  writeStatus(w, span.status);
  w.tag(Span.FLAGS, Wire.I32);
  w.fixed32(spanFlags(ctx.traceFlags, span.parentSpanContext?.isRemote));
  w.end(start);
}

function writeEvent(w: ProtoWriter, event: TimedEvent): void {
  w.tag(Span.EVENTS, Wire.LEN);
  const start = w.begin();
  writeTimeField(w, SpanEvent.TIME_UNIX_NANO, event.time);
  writeStringField(w, SpanEvent.NAME, event.name);
  if (event.attributes) writeAttributes(w, SpanEvent.ATTRIBUTES, event.attributes);
  writeVarintField(w, SpanEvent.DROPPED_ATTRIBUTES_COUNT, event.droppedAttributesCount ?? 0);
  w.end(start);
}

function writeLink(w: ProtoWriter, link: Link): void {
  w.tag(Span.LINKS, Wire.LEN);
  const start = w.begin();
  writeIdField(w, SpanLink.TRACE_ID, link.context.traceId);
  writeIdField(w, SpanLink.SPAN_ID, link.context.spanId);
  const traceState = link.context.traceState?.serialize();
  if (traceState) writeStringField(w, SpanLink.TRACE_STATE, traceState);
  if (link.attributes) writeAttributes(w, SpanLink.ATTRIBUTES, link.attributes);
  writeVarintField(w, SpanLink.DROPPED_ATTRIBUTES_COUNT, link.droppedAttributesCount ?? 0);
  w.tag(SpanLink.FLAGS, Wire.I32);
  w.fixed32(spanFlags(link.context.traceFlags, link.context.isRemote));
  w.end(start);
}

function writeStatus(w: ProtoWriter, status: SpanStatus): void {
  w.tag(Span.STATUS, Wire.LEN);
  const start = w.begin();
  if (status.message) writeStringField(w, Status.MESSAGE, status.message);
  writeVarintField(w, Status.CODE, status.code);
  w.end(start);
}

/** The low byte is the W3C trace flags; 0x100 says whether the parent was remote is known, 0x200 that it was. */
function spanFlags(traceFlags: number, parentIsRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (parentIsRemote ? 0x200 : 0);
}

function writeAttributes(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    const value = attributes[key];
    const cached = field === Span.ATTRIBUTES ? spanAttributeCache.get(key, value) : undefined;
    if (cached) {
      w.raw(cached);
      continue;
    }
    const at = w.pos;
    w.tag(field, Wire.LEN);
    const start = w.begin();
    writeKeyValue(w, key, value);
    w.end(start);
    if (field === Span.ATTRIBUTES) spanAttributeCache.put(key, value, w, at);
  }
}

/**
 * Encoded span attributes (tag, length, key and value) by key and primitive value. Most of a
 * call span's attributes repeat from span to span (agent, mode, policy hash, tool, decision,
 * rule, limit): their bytes are copied instead of encoded again. A key that shows more than
 * MAX_VALUES distinct values (request id, argument hash) stops being cached.
 */
class KeyValueCache {
  private static readonly MAX_VALUES = 256;
  private readonly byKey = new Map<string, Map<unknown, Uint8Array> | null>();

  get(key: string, value: unknown): Uint8Array | undefined {
    return this.byKey.get(key)?.get(value);
  }

  put(key: string, value: unknown, w: ProtoWriter, from: number): void {
    const type = typeof value;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') return;
    let values = this.byKey.get(key);
    if (values === null) return;
    if (values === undefined) this.byKey.set(key, (values = new Map()));
    if (values.size >= KeyValueCache.MAX_VALUES) {
      this.byKey.set(key, null);
      return;
    }
    values.set(value, w.copyFrom(from));
  }
}

const spanAttributeCache = new KeyValueCache();

function writeKeyValue(w: ProtoWriter, key: string, value: unknown): void {
  writeStringField(w, KeyValue.KEY, key);
  w.tag(KeyValue.VALUE, Wire.LEN);
  const start = w.begin();
  writeAnyValue(w, value);
  w.end(start);
}

const INT64_MIN = -(2 ** 63);
const INT64_END = 2 ** 63;

/** One AnyValue; values OTLP has no field for write nothing. */
function writeAnyValue(w: ProtoWriter, value: AttributeValue | unknown): void {
  if (typeof value === 'string') return writeStringField(w, AnyValue.STRING, value);
  if (typeof value === 'boolean') return writeVarintField(w, AnyValue.BOOL, value ? 1 : 0);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_END) {
      w.tag(AnyValue.INT, Wire.VARINT);
      return w.int64(value);
    }
    w.tag(AnyValue.DOUBLE, Wire.I64);
    return w.double(value);
  }
  if (value instanceof Uint8Array) {
    w.tag(AnyValue.BYTES, Wire.LEN);
    return w.bytes(value);
  }
  if (Array.isArray(value)) {
    w.tag(AnyValue.ARRAY, Wire.LEN);
    const list = w.begin();
    for (const item of value) {
      w.tag(ArrayValue.VALUES, Wire.LEN);
      const start = w.begin();
      writeAnyValue(w, item);
      w.end(start);
    }
    return w.end(list);
  }
  if (typeof value === 'object' && value !== null) {
    w.tag(AnyValue.KVLIST, Wire.LEN);
    const list = w.begin();
    writeAttributes(w, KeyValueList.VALUES, value as Attributes);
    w.end(list);
  }
}

function writeStringField(w: ProtoWriter, field: number, value: string): void {
  w.tag(field, Wire.LEN);
  w.string(value);
}

function writeVarintField(w: ProtoWriter, field: number, value: number): void {
  w.tag(field, Wire.VARINT);
  w.varint(value);
}

function writeIdField(w: ProtoWriter, field: number, hex: string): void {
  w.tag(field, Wire.LEN);
  w.hexBytes(hex);
}

function writeTimeField(w: ProtoWriter, field: number, time: HrTime): void {
  w.tag(field, Wire.I64);
  w.hrTime(time);
}
