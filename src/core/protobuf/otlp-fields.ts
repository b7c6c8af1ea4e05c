/**
 * Field numbers of the OTLP trace export messages, as the public .proto files define them
 * (open-telemetry/opentelemetry-proto, v1: opentelemetry/proto/collector/trace/v1/trace_service.proto,
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto), and of
 * google.rpc.Status (googleapis, google/rpc/status.proto), which OTLP/HTTP returns on errors.
 * The OTLP writer (telemetry) and reader (ingest) both use these; nothing else spells them.
 */
export const OtlpField = {
  ExportTraceServiceRequest: { RESOURCE_SPANS: 1 },
  ExportTraceServiceResponse: { PARTIAL_SUCCESS: 1 },
  ExportTracePartialSuccess: { REJECTED_SPANS: 1, ERROR_MESSAGE: 2 },
  ResourceSpans: { RESOURCE: 1, SCOPE_SPANS: 2, SCHEMA_URL: 3 },
  Resource: { ATTRIBUTES: 1, DROPPED_ATTRIBUTES_COUNT: 2 },
  ScopeSpans: { SCOPE: 1, SPANS: 2, SCHEMA_URL: 3 },
  InstrumentationScope: { NAME: 1, VERSION: 2, ATTRIBUTES: 3, DROPPED_ATTRIBUTES_COUNT: 4 },
  Span: {
    TRACE_ID: 1, SPAN_ID: 2, TRACE_STATE: 3, PARENT_SPAN_ID: 4, NAME: 5, KIND: 6,
    START_TIME_UNIX_NANO: 7, END_TIME_UNIX_NANO: 8, ATTRIBUTES: 9, DROPPED_ATTRIBUTES_COUNT: 10,
    EVENTS: 11, DROPPED_EVENTS_COUNT: 12, LINKS: 13, DROPPED_LINKS_COUNT: 14, STATUS: 15, FLAGS: 16,
  },
  SpanEvent: { TIME_UNIX_NANO: 1, NAME: 2, ATTRIBUTES: 3, DROPPED_ATTRIBUTES_COUNT: 4 },
  SpanLink: { TRACE_ID: 1, SPAN_ID: 2, TRACE_STATE: 3, ATTRIBUTES: 4, DROPPED_ATTRIBUTES_COUNT: 5, FLAGS: 6 },
  Status: { MESSAGE: 2, CODE: 3 },
  KeyValue: { KEY: 1, VALUE: 2 },
  AnyValue: { STRING: 1, BOOL: 2, INT: 3, DOUBLE: 4, ARRAY: 5, KVLIST: 6, BYTES: 7 },
  ArrayValue: { VALUES: 1 },
  KeyValueList: { VALUES: 1 },
  RpcStatus: { CODE: 1, MESSAGE: 2 },
} as const;
