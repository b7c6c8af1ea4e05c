import { OtlpField, ProtoReader, WireType, expectWire, fieldTag } from '../core/index.js';
import {
  SPAN_KIND_NAMES, STATUS_CODE_NAMES, isZeroHex, newRow, putAttribute, setSpanTimes, spanIdProblem,
  type AttributeMap, type OtelTraceRow,
} from './row.js';
import { formatDouble, goJsonObject, goJsonString, int64ToString, jsonDouble } from './values.js';
import { SpanCollector, type DecodedTraces } from './collector.js';

/**
 * Hand-written decoder for `ExportTraceServiceRequest` (opentelemetry-proto, trace subset;
 * field numbers in OtlpField) straight into `otel_traces` rows.
 * Unknown fields are skipped; wire errors throw ProtoDecodeError.
 */
const { ExportTraceServiceRequest: Request, ResourceSpans, Resource, ScopeSpans, InstrumentationScope: Scope } = OtlpField;
const { Span, SpanEvent, SpanLink, Status, KeyValue, AnyValue, ArrayValue, KeyValueList } = OtlpField;
const { VARINT, I64, LEN } = WireType;
const SCOPE_NAME = fieldTag(Scope.NAME, LEN);
const SCOPE_VERSION = fieldTag(Scope.VERSION, LEN);
const STATUS_MESSAGE = fieldTag(Status.MESSAGE, LEN);
const STATUS_CODE = fieldTag(Status.CODE, VARINT);
const EVENT_TIME = fieldTag(SpanEvent.TIME_UNIX_NANO, I64);
const EVENT_NAME = fieldTag(SpanEvent.NAME, LEN);
const EVENT_ATTRIBUTES = fieldTag(SpanEvent.ATTRIBUTES, LEN);
const LINK_TRACE_ID = fieldTag(SpanLink.TRACE_ID, LEN);
const LINK_SPAN_ID = fieldTag(SpanLink.SPAN_ID, LEN);
const LINK_TRACE_STATE = fieldTag(SpanLink.TRACE_STATE, LEN);
const LINK_ATTRIBUTES = fieldTag(SpanLink.ATTRIBUTES, LEN);
const KEY = fieldTag(KeyValue.KEY, LEN);
const VALUE = fieldTag(KeyValue.VALUE, LEN);
const ANY_STRING = fieldTag(AnyValue.STRING, LEN);
const ANY_BOOL = fieldTag(AnyValue.BOOL, VARINT);
const ANY_INT = fieldTag(AnyValue.INT, VARINT);
const ANY_DOUBLE = fieldTag(AnyValue.DOUBLE, I64);
const ANY_ARRAY = fieldTag(AnyValue.ARRAY, LEN);
const ANY_KVLIST = fieldTag(AnyValue.KVLIST, LEN);
const ANY_BYTES = fieldTag(AnyValue.BYTES, LEN);
const ARRAY_VALUE = fieldTag(ArrayValue.VALUES, LEN);
const KVLIST_VALUE = fieldTag(KeyValueList.VALUES, LEN);

export function decodeTracesProtobuf(buf: Buffer, budget = Infinity): DecodedTraces {
  const r = new ProtoReader(buf);
  const out = new SpanCollector(budget);
  const end = buf.length;
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag >>> 3 === Request.RESOURCE_SPANS) {
      expectWire(tag & 7, LEN, 'resource_spans', r.pos);
      const rsEnd = r.lengthEnd(end);
      readResourceSpans(r, rsEnd, out);
      r.pos = rsEnd;
    } else r.skip(tag & 7, end);
  }
  return out.result();
}

function readResourceSpans(r: ProtoReader, end: number, out: SpanCollector): void {
  const resource: AttributeMap = {};
  const scopeRanges: number[] = [];
  while (r.pos < end) {
    const tag = r.uint32(end);
    const field = tag >>> 3;
    if (field === ResourceSpans.RESOURCE || field === ResourceSpans.SCOPE_SPANS) {
      expectWire(tag & 7, LEN, field === ResourceSpans.RESOURCE ? 'resource' : 'scope_spans', r.pos);
      const subEnd = r.lengthEnd(end);
      if (field === ResourceSpans.RESOURCE) readAttributesOf(r, subEnd, Resource.ATTRIBUTES, resource);
      else scopeRanges.push(r.pos, subEnd);
      r.pos = subEnd;
    } else r.skip(tag & 7, end);
  }
  // The resource may follow its scope_spans on the wire, so spans are read after it.
  const serviceName = resource['service.name'] ?? '';
  for (let i = 0; i < scopeRanges.length; i += 2) {
    r.pos = scopeRanges[i] as number;
    readScopeSpans(r, scopeRanges[i + 1] as number, resource, serviceName, out);
  }
}

function readScopeSpans(r: ProtoReader, end: number, resource: AttributeMap, serviceName: string, out: SpanCollector): void {
  let scopeName = '';
  let scopeVersion = '';
  const spanRanges: number[] = [];
  while (r.pos < end) {
    const tag = r.uint32(end);
    const field = tag >>> 3;
    if (field === ScopeSpans.SCOPE || field === ScopeSpans.SPANS) {
      expectWire(tag & 7, LEN, field === ScopeSpans.SCOPE ? 'scope' : 'span', r.pos);
      const subEnd = r.lengthEnd(end);
      if (field === ScopeSpans.SPANS) spanRanges.push(r.pos, subEnd);
      else {
        while (r.pos < subEnd) {
          const t = r.uint32(subEnd);
          if (t === SCOPE_NAME) scopeName = r.string(subEnd);
          else if (t === SCOPE_VERSION) scopeVersion = r.string(subEnd);
          else r.skip(t & 7, subEnd);
        }
      }
      r.pos = subEnd;
    } else r.skip(tag & 7, end);
  }
  for (let i = 0; i < spanRanges.length; i += 2) {
    r.pos = spanRanges[i] as number;
    const row = newRow(resource, serviceName, scopeName, scopeVersion);
    const timesFit = readSpan(r, spanRanges[i + 1] as number, row);
    out.add(row, timesFit ? spanIdProblem(row) : 'timestamp outside the range ClickHouse DateTime64(9) can store');
  }
}

/** Fills `row` from one Span message; false when a timestamp does not fit the column. */
function readSpan(r: ProtoReader, end: number, row: OtelTraceRow): boolean {
  let start = 0n;
  let finish = 0n;
  let timesFit = true;
  while (r.pos < end) {
    const tag = r.uint32(end);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case Span.TRACE_ID: expectWire(wire, LEN, 'trace_id', r.pos); row.TraceId = r.hex(end); break;
      case Span.SPAN_ID: expectWire(wire, LEN, 'span_id', r.pos); row.SpanId = r.hex(end); break;
      case Span.TRACE_STATE: expectWire(wire, LEN, 'trace_state', r.pos); row.TraceState = r.string(end); break;
      case Span.PARENT_SPAN_ID: {
        expectWire(wire, LEN, 'parent_span_id', r.pos);
        const parent = r.hex(end);
        row.ParentSpanId = isZeroHex(parent) ? '' : parent;
        break;
      }
      case Span.NAME: expectWire(wire, LEN, 'name', r.pos); row.SpanName = r.string(end); break;
      case Span.KIND: expectWire(wire, VARINT, 'kind', r.pos); row.SpanKind = SPAN_KIND_NAMES[r.uint32(end)] ?? ''; break;
      case Span.START_TIME_UNIX_NANO: expectWire(wire, I64, 'start_time_unix_nano', r.pos); start = r.fixed64(end); break;
      case Span.END_TIME_UNIX_NANO: expectWire(wire, I64, 'end_time_unix_nano', r.pos); finish = r.fixed64(end); break;
      case Span.ATTRIBUTES: expectWire(wire, LEN, 'attributes', r.pos); readKeyValue(r, r.lengthEnd(end), row.SpanAttributes); break;
      case Span.EVENTS: expectWire(wire, LEN, 'events', r.pos); timesFit = readEvent(r, r.lengthEnd(end), row) && timesFit; break;
      case Span.LINKS: expectWire(wire, LEN, 'links', r.pos); readLink(r, r.lengthEnd(end), row); break;
      case Span.STATUS: expectWire(wire, LEN, 'status', r.pos); readStatus(r, r.lengthEnd(end), row); break;
      default: r.skip(wire, end);
    }
  }
  return setSpanTimes(row, start, finish) && timesFit;
}

function readStatus(r: ProtoReader, end: number, row: OtelTraceRow): void {
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === STATUS_MESSAGE) row.StatusMessage = r.string(end);
    else if (tag === STATUS_CODE) row.StatusCode = STATUS_CODE_NAMES[r.uint32(end)] ?? '';
    else r.skip(tag & 7, end);
  }
}

function readEvent(r: ProtoReader, end: number, row: OtelTraceRow): boolean {
  let time = 0n;
  let name = '';
  const attributes: AttributeMap = {};
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === EVENT_TIME) time = r.fixed64(end);
    else if (tag === EVENT_NAME) name = r.string(end);
    else if (tag === EVENT_ATTRIBUTES) readKeyValue(r, r.lengthEnd(end), attributes);
    else r.skip(tag & 7, end);
  }
  row['Events.Timestamp'].push(time.toString());
  row['Events.Name'].push(name);
  row['Events.Attributes'].push(attributes);
  return time <= 9223372036854775807n;
}

function readLink(r: ProtoReader, end: number, row: OtelTraceRow): void {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  const attributes: AttributeMap = {};
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === LINK_TRACE_ID) traceId = r.hex(end);
    else if (tag === LINK_SPAN_ID) spanId = r.hex(end);
    else if (tag === LINK_TRACE_STATE) traceState = r.string(end);
    else if (tag === LINK_ATTRIBUTES) readKeyValue(r, r.lengthEnd(end), attributes);
    else r.skip(tag & 7, end);
  }
  row['Links.TraceId'].push(isZeroHex(traceId) ? '' : traceId);
  row['Links.SpanId'].push(isZeroHex(spanId) ? '' : spanId);
  row['Links.TraceState'].push(traceState);
  row['Links.Attributes'].push(attributes);
}

/** Reads every `field` KeyValue of a message (e.g. Resource.attributes) into `map`. */
function readAttributesOf(r: ProtoReader, end: number, field: number, map: AttributeMap): void {
  const wanted = fieldTag(field, LEN);
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === wanted) readKeyValue(r, r.lengthEnd(end), map);
    else r.skip(tag & 7, end);
  }
}

/** One KeyValue message (already length-delimited to `end`) into `map`. */
function readKeyValue(r: ProtoReader, end: number, map: AttributeMap): void {
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === KEY) key = r.string(end);
    else if (tag === VALUE) {
      const valueEnd = r.lengthEnd(end);
      value = readAnyValue(r, valueEnd, false);
      r.pos = valueEnd;
    } else r.skip(tag & 7, end);
  }
  putAttribute(map, key, value);
}

/**
 * AnyValue as text: pdata's AsString() at the top level (`asJson` false), or the Go JSON
 * encoding of the raw value inside arrays and maps (`asJson` true).
 */
function readAnyValue(r: ProtoReader, end: number, asJson: boolean): string {
  let text = asJson ? 'null' : '';
  while (r.pos < end) {
    const tag = r.uint32(end);
    switch (tag) {
      case ANY_STRING: text = asJson ? goJsonString(r.string(end)) : r.string(end); break;
      case ANY_BOOL: text = r.uint32(end) !== 0 ? 'true' : 'false'; break;
      case ANY_INT: r.varint64(end); text = int64ToString(r.lo, r.hi); break;
      case ANY_DOUBLE: text = asJson ? jsonDouble(r.double(end)) : formatDouble(r.double(end)); break;
      case ANY_ARRAY: text = readArrayJson(r, r.lengthEnd(end)); break;
      case ANY_KVLIST: text = readKvListJson(r, r.lengthEnd(end)); break;
      case ANY_BYTES: text = asJson ? `"${r.base64(end)}"` : r.base64(end); break;
      default: r.skip(tag & 7, end);
    }
  }
  return text;
}

function readArrayJson(r: ProtoReader, end: number): string {
  const items: string[] = [];
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === ARRAY_VALUE) {
      const itemEnd = r.lengthEnd(end);
      items.push(readAnyValue(r, itemEnd, true));
      r.pos = itemEnd;
    } else r.skip(tag & 7, end);
  }
  return `[${items.join(',')}]`;
}

function readKvListJson(r: ProtoReader, end: number): string {
  const members: Array<[string, string]> = [];
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag !== KVLIST_VALUE) {
      r.skip(tag & 7, end);
      continue;
    }
    const kvEnd = r.lengthEnd(end);
    let key = '';
    let value = 'null';
    while (r.pos < kvEnd) {
      const t = r.uint32(kvEnd);
      if (t === KEY) key = r.string(kvEnd);
      else if (t === VALUE) {
        const valueEnd = r.lengthEnd(kvEnd);
        value = readAnyValue(r, valueEnd, true);
        r.pos = valueEnd;
      } else r.skip(t & 7, kvEnd);
    }
    members.push([key, value]);
  }
  return goJsonObject(members);
}
