/**
 * The one vocabulary file for table and column names. SQL in src/ and the panels in
 * src/dashboards build their identifiers from here; migrations/*.sql create them.
 */
export { DEFAULT_DATABASE, DEFAULT_RETENTION_DAYS, retentionDaysProblem } from '../config/index.js';

export const Tables = {
  OTEL_TRACES: 'otel_traces',
  OTEL_TRACES_TRACE_ID_TS: 'otel_traces_trace_id_ts',
  TOOL_CALLS: 'tool_calls',
  TOOL_CALLS_1M: 'tool_calls_1m',
  TOOL_CALLS_10M: 'tool_calls_10m',
  TOOL_INVENTORY: 'tool_inventory',
  ALERT_EVENTS: 'alert_events',
  ALERT_STATE: 'alert_state',
  APPROVALS: 'approvals',
  SCHEMA_MIGRATIONS: 'schema_migrations',
} as const;

export type TableName = (typeof Tables)[keyof typeof Tables];

/** Columns of `otel_traces` in the OTel Collector ClickHouse exporter's INSERT order. */
export const OtelTracesColumns = [
  'Timestamp', 'TraceId', 'SpanId', 'ParentSpanId', 'TraceState', 'SpanName', 'SpanKind', 'ServiceName',
  'ResourceAttributes', 'ScopeName', 'ScopeVersion', 'SpanAttributes', 'Duration', 'StatusCode', 'StatusMessage',
  'Events.Timestamp', 'Events.Name', 'Events.Attributes',
  'Links.TraceId', 'Links.SpanId', 'Links.TraceState', 'Links.Attributes',
] as const;

/** `tool_calls`: one typed row per tools/call span (filled by tool_calls_mv). */
export const ToolCallsColumns = {
  TS: 'ts',
  TRACE_ID: 'trace_id',
  SPAN_ID: 'span_id',
  AGENT: 'agent',
  SESSION: 'session',
  UPSTREAM: 'upstream',
  TOOL: 'tool',
  RISK: 'risk',
  DECISION: 'decision',
  ENFORCED: 'enforced',
  MODE: 'mode',
  RULE: 'rule',
  REASON: 'reason',
  POLICY_HASH: 'policy_hash',
  ARGS_HASH: 'args_hash',
  ARGS_BYTES: 'args_bytes',
  DURATION_NS: 'duration_ns',
  IS_ERROR: 'is_error',
  ERROR_TYPE: 'error_type',
  LIMIT_COUNTER: 'limit_counter',
  SERVICE: 'service',
  /** MATERIALIZED cityHash64(agent, session, tool, args_hash), 0 without arguments (migration 0010): a call's identity for repeat_loop. */
  CALL_KEY: 'call_key',
} as const;

/**
 * `tool_calls`' ReplacingMergeTree sorting key (migrations/0002_tool_calls.sql ORDER BY): the
 * copies of a redelivered span share it, so one row per key is each span once.
 */
export const TOOL_CALLS_SORTING_KEY = [ToolCallsColumns.AGENT, ToolCallsColumns.TOOL, ToolCallsColumns.TS, ToolCallsColumns.SPAN_ID] as const;

/** `tool_calls_1m`: per-minute rollup; read counts with uniqExactMerge(calls). */
export const ToolCalls1mColumns = {
  MINUTE: 'minute',
  AGENT: 'agent',
  TOOL: 'tool',
  DECISION: 'decision',
  ENFORCED: 'enforced',
  RISK: 'risk',
  UPSTREAM: 'upstream',
  CALLS: 'calls',
  ERRORS: 'errors',
  DURATION_Q: 'duration_q',
} as const;

/** The width of a `tool_calls_10m` bucket (migrations/0008_tool_calls_10m.sql: toStartOfTenMinutes). */
export const TOOL_CALLS_10M_BUCKET_S = 600;
export const TOOL_CALLS_10M_BUCKET_MS = TOOL_CALLS_10M_BUCKET_S * 1000;

/** `tool_calls_10m`: calls per 10 minutes, copies of a redelivered span included; read with sum(calls). */
export const ToolCalls10mColumns = {
  BUCKET: 'bucket',
  AGENT: 'agent',
  TOOL: 'tool',
  CALLS: 'calls',
} as const;

export const ToolInventoryColumns = {
  UPSTREAM: 'upstream',
  TOOL: 'tool',
  RISK: 'risk',
  ANNOTATIONS: 'annotations',
  DESCRIPTION: 'description',
  FIRST_SEEN: 'first_seen',
  LAST_SEEN: 'last_seen',
} as const;

/** A database-qualified, quoted identifier: `db`.`table`. */
export function qualified(database: string, table: string): string {
  return `${quoteIdent(database)}.${quoteIdent(table)}`;
}

export function quoteIdent(name: string): string {
  return '`' + assertIdent(name) + '`';
}

/** Identifiers are never user text, but they are checked so nothing can be spliced through them. */
export function assertIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid identifier: ${name}`);
  return name;
}

/** `otel_traces` column names used in queries (the Collector exporter's spelling). */
export const OtelTracesColumn = {
  TIMESTAMP: 'Timestamp',
  TRACE_ID: 'TraceId',
  SPAN_ID: 'SpanId',
  PARENT_SPAN_ID: 'ParentSpanId',
  SPAN_NAME: 'SpanName',
  SPAN_KIND: 'SpanKind',
  SERVICE_NAME: 'ServiceName',
  RESOURCE_ATTRIBUTES: 'ResourceAttributes',
  SPAN_ATTRIBUTES: 'SpanAttributes',
  DURATION: 'Duration',
  STATUS_CODE: 'StatusCode',
  STATUS_MESSAGE: 'StatusMessage',
} as const;

/**
 * A ClickHouse string literal: backslash and quote escaped, so any text (an agent name) stays
 * one string. Only for SQL that cannot take bound parameters (settings, Grafana panel SQL).
 */
export function sqlStringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
