import {
  SPAN_KIND_NAMES, STATUS_CODE_NAMES, isZeroHex, newRow, putAttribute, setSpanTimes, spanIdProblem,
  type AttributeMap, type OtelTraceRow,
} from './row.js';
import { formatDouble, goJsonObject, goJsonString, jsonDouble } from './values.js';
import { SpanCollector, type DecodedTraces } from './collector.js';

/**
 * OTLP/JSON `ExportTraceServiceRequest` → `otel_traces` rows. Per the OTLP JSON mapping:
 * ids are hex, enums integers (names accepted too), 64-bit integers decimal strings
 * (numbers accepted), lowerCamelCase keys (proto field names accepted), unknown keys ignored.
 * A request of the wrong shape throws JsonShapeError (→ 400).
 */
export class JsonShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonShapeError';
  }
}

type Json = Record<string, unknown>;

export function decodeTracesJson(text: string, budget = Infinity): DecodedTraces {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new JsonShapeError(`invalid JSON: ${(e as Error).message}`);
  }
  const request = asObject(doc, 'request');
  const out = new SpanCollector(budget);
  array(pick(request, 'resourceSpans', 'resource_spans'), 'resourceSpans').forEach((rs, i) =>
    readResourceSpans(asObject(rs, `resourceSpans[${i}]`), `resourceSpans[${i}]`, out),
  );
  return out.result();
}

function readResourceSpans(rs: Json, path: string, out: SpanCollector): void {
  const resource: AttributeMap = {};
  const res = rs.resource;
  if (res !== undefined && res !== null) readAttributes(asObject(res, `${path}.resource`).attributes, `${path}.resource.attributes`, resource);
  const serviceName = resource['service.name'] ?? '';
  array(pick(rs, 'scopeSpans', 'scope_spans'), `${path}.scopeSpans`).forEach((ss, i) => {
    const scopePath = `${path}.scopeSpans[${i}]`;
    const scopeSpans = asObject(ss, scopePath);
    const scope = scopeSpans.scope === undefined || scopeSpans.scope === null ? {} : asObject(scopeSpans.scope, `${scopePath}.scope`);
    const scopeName = str(scope.name, `${scopePath}.scope.name`);
    const scopeVersion = str(scope.version, `${scopePath}.scope.version`);
    array(scopeSpans.spans, `${scopePath}.spans`).forEach((s, j) => {
      const row = newRow(resource, serviceName, scopeName, scopeVersion);
      const problem = readSpan(asObject(s, `${scopePath}.spans[${j}]`), `${scopePath}.spans[${j}]`, row);
      out.add(row, problem ?? spanIdProblem(row));
    });
  });
}

/** Fills `row`; returns a problem that refuses this span alone, if any. */
function readSpan(span: Json, path: string, row: OtelTraceRow): string | undefined {
  const traceId = hexId(pick(span, 'traceId', 'trace_id'), `${path}.traceId`);
  const spanId = hexId(pick(span, 'spanId', 'span_id'), `${path}.spanId`);
  const parent = hexId(pick(span, 'parentSpanId', 'parent_span_id'), `${path}.parentSpanId`);
  if (traceId === undefined || spanId === undefined || parent === undefined) return 'ids must be hex strings';
  row.TraceId = traceId;
  row.SpanId = spanId;
  row.ParentSpanId = isZeroHex(parent) ? '' : parent;
  row.TraceState = str(pick(span, 'traceState', 'trace_state'), `${path}.traceState`);
  row.SpanName = str(span.name, `${path}.name`);
  row.SpanKind = SPAN_KIND_NAMES[enumValue(span.kind, 'SPAN_KIND_', SPAN_KIND_NAMES, `${path}.kind`)] ?? '';
  readAttributes(span.attributes, `${path}.attributes`, row.SpanAttributes);
  const status = span.status === undefined || span.status === null ? {} : asObject(span.status, `${path}.status`);
  row.StatusMessage = str(status.message, `${path}.status.message`);
  row.StatusCode = STATUS_CODE_NAMES[enumValue(status.code, 'STATUS_CODE_', STATUS_CODE_NAMES, `${path}.status.code`)] ?? '';
  let timesFit = readEvents(span.events, `${path}.events`, row);
  readLinks(span.links, `${path}.links`, row);
  const start = nanos(pick(span, 'startTimeUnixNano', 'start_time_unix_nano'), `${path}.startTimeUnixNano`);
  const end = nanos(pick(span, 'endTimeUnixNano', 'end_time_unix_nano'), `${path}.endTimeUnixNano`);
  timesFit = setSpanTimes(row, start, end) && timesFit;
  return timesFit ? undefined : 'timestamp outside the range ClickHouse DateTime64(9) can store';
}

function readEvents(value: unknown, path: string, row: OtelTraceRow): boolean {
  let fits = true;
  array(value, path).forEach((e, i) => {
    const event = asObject(e, `${path}[${i}]`);
    const time = nanos(pick(event, 'timeUnixNano', 'time_unix_nano'), `${path}[${i}].timeUnixNano`);
    if (time > 9223372036854775807n) fits = false;
    const attributes: AttributeMap = {};
    readAttributes(event.attributes, `${path}[${i}].attributes`, attributes);
    row['Events.Timestamp'].push(time.toString());
    row['Events.Name'].push(str(event.name, `${path}[${i}].name`));
    row['Events.Attributes'].push(attributes);
  });
  return fits;
}

function readLinks(value: unknown, path: string, row: OtelTraceRow): void {
  array(value, path).forEach((l, i) => {
    const link = asObject(l, `${path}[${i}]`);
    const traceId = hexId(pick(link, 'traceId', 'trace_id'), `${path}[${i}].traceId`) ?? '';
    const spanId = hexId(pick(link, 'spanId', 'span_id'), `${path}[${i}].spanId`) ?? '';
    const attributes: AttributeMap = {};
    readAttributes(link.attributes, `${path}[${i}].attributes`, attributes);
    row['Links.TraceId'].push(isZeroHex(traceId) ? '' : traceId);
    row['Links.SpanId'].push(isZeroHex(spanId) ? '' : spanId);
    row['Links.TraceState'].push(str(pick(link, 'traceState', 'trace_state'), `${path}[${i}].traceState`));
    row['Links.Attributes'].push(attributes);
  });
}

function readAttributes(value: unknown, path: string, map: AttributeMap): void {
  array(value, path).forEach((kv, i) => {
    const pair = asObject(kv, `${path}[${i}]`);
    putAttribute(map, str(pair.key, `${path}[${i}].key`), anyValue(pair.value, `${path}[${i}].value`, false));
  });
}

/** AnyValue as pdata's AsString() (`asJson` false) or as Go JSON inside arrays/maps. */
function anyValue(value: unknown, path: string, asJson: boolean): string {
  if (value === undefined || value === null) return asJson ? 'null' : '';
  const v = asObject(value, path);
  for (const key in v) {
    const inner = v[key];
    switch (key) {
      case 'stringValue': case 'string_value':
        return asJson ? goJsonString(str(inner, path)) : str(inner, path);
      case 'boolValue': case 'bool_value':
        return inner === true || inner === 'true' ? 'true' : 'false';
      case 'intValue': case 'int_value':
        return int64(inner, path);
      case 'doubleValue': case 'double_value': {
        const d = typeof inner === 'number' ? inner : Number(inner === 'Infinity' || inner === '-Infinity' || inner === 'NaN' ? inner : str(inner, path));
        return asJson ? jsonDouble(d) : formatDouble(d);
      }
      case 'arrayValue': case 'array_value':
        return `[${array(asObject(inner, path).values, `${path}.arrayValue.values`).map((item, i) => anyValue(item, `${path}.arrayValue.values[${i}]`, true)).join(',')}]`;
      case 'kvlistValue': case 'kvlist_value':
        return goJsonObject(array(asObject(inner, path).values, `${path}.kvlistValue.values`).map((kv, i) => {
          const pair = asObject(kv, `${path}.kvlistValue.values[${i}]`);
          return [str(pair.key, `${path}.kvlistValue.values[${i}].key`), anyValue(pair.value, `${path}.kvlistValue.values[${i}].value`, true)];
        }));
      case 'bytesValue': case 'bytes_value': {
        const b64 = Buffer.from(str(inner, path), 'base64').toString('base64');
        return asJson ? `"${b64}"` : b64;
      }
      default:
    }
  }
  return asJson ? 'null' : '';
}

function pick(obj: Json, camel: string, snake: string): unknown {
  const v = obj[camel];
  return v === undefined ? obj[snake] : v;
}

function asObject(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JsonShapeError(`${path} must be an object`);
  return value as Json;
}

function array(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new JsonShapeError(`${path} must be an array`);
  return value;
}

function str(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new JsonShapeError(`${path} must be a string`);
  return value;
}

/** Lowercase hex, or undefined when the text is not hex. */
function hexId(value: unknown, path: string): string | undefined {
  const text = str(value, path);
  return /^[0-9a-fA-F]*$/.test(text) && text.length % 2 === 0 ? text.toLowerCase() : undefined;
}

function nanos(value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.trunc(value));
  throw new JsonShapeError(`${path} must be a non-negative integer (a decimal string)`);
}

function int64(value: unknown, path: string): string {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt.asIntN(64, BigInt(value)).toString();
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  throw new JsonShapeError(`${path}.intValue must be an integer`);
}

function enumValue(value: unknown, prefix: string, names: readonly string[], path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const index = names.findIndex((n) => `${prefix}${n.toUpperCase()}` === value);
    if (index >= 0) return index;
  }
  throw new JsonShapeError(`${path} must be an enum number or name`);
}
