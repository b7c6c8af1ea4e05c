/**
 * One `otel_traces` row, keyed by the OTel Collector ClickHouse exporter's column names
 * (src/storage/schema.ts `OtelTracesColumns`), with values as that exporter writes them
 * (opentelemetry-collector-contrib, exporter/clickhouseexporter): Timestamp is the span's
 * start, Duration end − start in ns, ids lowercase hex ('' when empty), SpanKind and
 * StatusCode as pdata's String() (`Server`, `Error`). Serialised as one JSONEachRow line.
 */
export type AttributeMap = Record<string, string>;

export interface OtelTraceRow {
  /** Span start, Unix nanoseconds as a decimal string (exact; ClickHouse reads it into DateTime64(9)). */
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: AttributeMap;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: AttributeMap;
  /** end − start in nanoseconds (a string only beyond 2^53 ns). */
  Duration: number | string;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': AttributeMap[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': AttributeMap[];
}

/** pdata's `SpanKind.String()`, indexed by the OTLP enum value. */
export const SPAN_KIND_NAMES: readonly string[] = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
/** pdata's `StatusCode.String()`, indexed by the OTLP enum value. */
export const STATUS_CODE_NAMES: readonly string[] = ['Unset', 'Ok', 'Error'];

/** The largest instant DateTime64(9) holds (2262-04-11): Int64 nanoseconds. */
export const MAX_TIMESTAMP_NS = 9223372036854775807n;

export function newRow(resource: AttributeMap, serviceName: string, scopeName: string, scopeVersion: string): OtelTraceRow {
  return {
    Timestamp: '0',
    TraceId: '',
    SpanId: '',
    ParentSpanId: '',
    TraceState: '',
    SpanName: '',
    SpanKind: 'Unspecified',
    ServiceName: serviceName,
    ResourceAttributes: resource,
    ScopeName: scopeName,
    ScopeVersion: scopeVersion,
    SpanAttributes: {},
    Duration: 0,
    StatusCode: 'Unset',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
}

/** Sets start/end on a row; false when a timestamp does not fit DateTime64(9). */
export function setSpanTimes(row: OtelTraceRow, startNs: bigint, endNs: bigint): boolean {
  if (startNs > MAX_TIMESTAMP_NS || endNs > MAX_TIMESTAMP_NS || startNs < 0n || endNs < 0n) return false;
  row.Timestamp = startNs.toString();
  // A span that ends before it starts has no meaningful duration; store 0 rather than wrap around.
  const duration = endNs > startNs ? endNs - startNs : 0n;
  row.Duration = duration <= 9007199254740991n ? Number(duration) : duration.toString();
  return true;
}

/** Stores an attribute; `__proto__` is set as an own property so it cannot touch the prototype. */
export function putAttribute(map: AttributeMap, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/** The exporter writes an all-zero (or absent) id as ''. */
export function isZeroHex(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return false;
  return true;
}

/** Why a span is refused inside an otherwise valid request (partial_success). */
export function spanIdProblem(row: OtelTraceRow): string | undefined {
  if (row.TraceId.length !== 32) return 'trace_id must be 16 bytes';
  if (row.SpanId.length !== 16) return 'span_id must be 8 bytes';
  if (isZeroHex(row.TraceId)) return 'trace_id is all zeros';
  if (isZeroHex(row.SpanId)) return 'span_id is all zeros';
  if (row.ParentSpanId !== '' && row.ParentSpanId.length !== 16) return 'parent_span_id must be 8 bytes';
  return undefined;
}
