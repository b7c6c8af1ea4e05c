import { WireType } from '../core/index.js';
import { ProtoReader, expectWire } from './proto-reader.js';
import {
  SPAN_KIND_NAMES, STATUS_CODE_NAMES, isZeroHex, newRow, putAttribute, setSpanTimes, spanIdProblem,
  type AttributeMap, type OtelTraceRow,
} from './row.js';
import { formatDouble, goJsonObject, goJsonString, int64ToString, jsonDouble } from './values.js';
import { SpanCollector, type DecodedTraces } from './collector.js';

/**
 * Hand-written decoder for `ExportTraceServiceRequest` (opentelemetry-proto, trace subset;
 * field numbers in notes/otel-clickhouse.md §8c) straight into `otel_traces` rows.
 * Unknown fields are skipped; wire errors throw ProtoDecodeError.
 */
export function decodeTracesProtobuf(buf: Buffer, budget = Infinity): DecodedTraces {
  const r = new ProtoReader(buf);
  const out = new SpanCollector(budget);
  const end = buf.length;
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag >>> 3 === 1) {
      expectWire(tag & 7, WireType.LEN, 'resource_spans', r.pos);
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
    if (field === 1 || field === 2) {
      expectWire(tag & 7, WireType.LEN, field === 1 ? 'resource' : 'scope_spans', r.pos);
      const subEnd = r.lengthEnd(end);
      if (field === 1) readAttributesOf(r, subEnd, 1, resource);
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
    if (field === 1 || field === 2) {
      expectWire(tag & 7, WireType.LEN, field === 1 ? 'scope' : 'span', r.pos);
      const subEnd = r.lengthEnd(end);
      if (field === 2) spanRanges.push(r.pos, subEnd);
      else {
        while (r.pos < subEnd) {
          const t = r.uint32(subEnd);
          if (t === ((1 << 3) | 2)) scopeName = r.string(subEnd);
          else if (t === ((2 << 3) | 2)) scopeVersion = r.string(subEnd);
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
      case 1: expectWire(wire, WireType.LEN, 'trace_id', r.pos); row.TraceId = r.hex(end); break;
      case 2: expectWire(wire, WireType.LEN, 'span_id', r.pos); row.SpanId = r.hex(end); break;
      case 3: expectWire(wire, WireType.LEN, 'trace_state', r.pos); row.TraceState = r.string(end); break;
      case 4: {
        expectWire(wire, WireType.LEN, 'parent_span_id', r.pos);
        const parent = r.hex(end);
        row.ParentSpanId = isZeroHex(parent) ? '' : parent;
        break;
      }
      case 5: expectWire(wire, WireType.LEN, 'name', r.pos); row.SpanName = r.string(end); break;
      case 6: expectWire(wire, WireType.VARINT, 'kind', r.pos); row.SpanKind = SPAN_KIND_NAMES[r.uint32(end)] ?? ''; break;
      case 7: expectWire(wire, WireType.I64, 'start_time_unix_nano', r.pos); start = r.fixed64(end); break;
      case 8: expectWire(wire, WireType.I64, 'end_time_unix_nano', r.pos); finish = r.fixed64(end); break;
      case 9: expectWire(wire, WireType.LEN, 'attributes', r.pos); readKeyValue(r, r.lengthEnd(end), row.SpanAttributes); break;
      case 11: expectWire(wire, WireType.LEN, 'events', r.pos); timesFit = readEvent(r, r.lengthEnd(end), row) && timesFit; break;
      case 13: expectWire(wire, WireType.LEN, 'links', r.pos); readLink(r, r.lengthEnd(end), row); break;
      case 15: expectWire(wire, WireType.LEN, 'status', r.pos); readStatus(r, r.lengthEnd(end), row); break;
      default: r.skip(wire, end);
    }
  }
  return setSpanTimes(row, start, finish) && timesFit;
}

function readStatus(r: ProtoReader, end: number, row: OtelTraceRow): void {
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === ((2 << 3) | 2)) row.StatusMessage = r.string(end);
    else if (tag === ((3 << 3) | 0)) row.StatusCode = STATUS_CODE_NAMES[r.uint32(end)] ?? '';
    else r.skip(tag & 7, end);
  }
}

function readEvent(r: ProtoReader, end: number, row: OtelTraceRow): boolean {
  let time = 0n;
  let name = '';
  const attributes: AttributeMap = {};
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === ((1 << 3) | 1)) time = r.fixed64(end);
    else if (tag === ((2 << 3) | 2)) name = r.string(end);
    else if (tag === ((3 << 3) | 2)) readKeyValue(r, r.lengthEnd(end), attributes);
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
    if (tag === ((1 << 3) | 2)) traceId = r.hex(end);
    else if (tag === ((2 << 3) | 2)) spanId = r.hex(end);
    else if (tag === ((3 << 3) | 2)) traceState = r.string(end);
    else if (tag === ((4 << 3) | 2)) readKeyValue(r, r.lengthEnd(end), attributes);
    else r.skip(tag & 7, end);
  }
  row['Links.TraceId'].push(isZeroHex(traceId) ? '' : traceId);
  row['Links.SpanId'].push(isZeroHex(spanId) ? '' : spanId);
  row['Links.TraceState'].push(traceState);
  row['Links.Attributes'].push(attributes);
}

/** Reads every `field` KeyValue of a message (Resource.attributes is field 1) into `map`. */
function readAttributesOf(r: ProtoReader, end: number, field: number, map: AttributeMap): void {
  const wanted = (field << 3) | 2;
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
    if (tag === ((1 << 3) | 2)) key = r.string(end);
    else if (tag === ((2 << 3) | 2)) {
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
      case (1 << 3) | 2: text = asJson ? goJsonString(r.string(end)) : r.string(end); break;
      case (2 << 3) | 0: text = r.uint32(end) !== 0 ? 'true' : 'false'; break;
      case (3 << 3) | 0: r.varint64(end); text = int64ToString(r.lo, r.hi); break;
      case (4 << 3) | 1: text = asJson ? jsonDouble(r.double(end)) : formatDouble(r.double(end)); break;
      case (5 << 3) | 2: text = readArrayJson(r, r.lengthEnd(end)); break;
      case (6 << 3) | 2: text = readKvListJson(r, r.lengthEnd(end)); break;
      case (7 << 3) | 2: text = asJson ? `"${r.base64(end)}"` : r.base64(end); break;
      default: r.skip(tag & 7, end);
    }
  }
  return text;
}

function readArrayJson(r: ProtoReader, end: number): string {
  const items: string[] = [];
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === ((1 << 3) | 2)) {
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
    if (tag !== ((1 << 3) | 2)) {
      r.skip(tag & 7, end);
      continue;
    }
    const kvEnd = r.lengthEnd(end);
    let key = '';
    let value = 'null';
    while (r.pos < kvEnd) {
      const t = r.uint32(kvEnd);
      if (t === ((1 << 3) | 2)) key = r.string(kvEnd);
      else if (t === ((2 << 3) | 2)) {
        const valueEnd = r.lengthEnd(kvEnd);
        value = readAnyValue(r, valueEnd, true);
        r.pos = valueEnd;
      } else r.skip(t & 7, kvEnd);
    }
    members.push([key, value]);
  }
  return goJsonObject(members);
}
