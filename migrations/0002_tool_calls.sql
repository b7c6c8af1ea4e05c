-- One typed row per tools/call span, whoever wrote the span: Warden's proxy, an
-- instrumented MCP server or another gateway (OTel MCP conventions). ReplacingMergeTree
-- on a key that includes span_id collapses a redelivered span; exact readers use FINAL.
CREATE TABLE IF NOT EXISTS {{db}}.tool_calls {{on_cluster}} (
  ts DateTime64(9) CODEC(Delta, ZSTD(1)),
  trace_id String CODEC(ZSTD(1)),
  span_id String CODEC(ZSTD(1)),
  agent LowCardinality(String),
  session String CODEC(ZSTD(1)),
  upstream LowCardinality(String),
  tool LowCardinality(String),
  risk LowCardinality(String),
  decision LowCardinality(String),
  enforced Bool,
  mode LowCardinality(String),
  rule LowCardinality(String),
  reason String CODEC(ZSTD(1)),
  policy_hash LowCardinality(String),
  args_hash String CODEC(ZSTD(1)),
  args_bytes UInt32,
  duration_ns UInt64 CODEC(ZSTD(1)),
  is_error Bool,
  error_type LowCardinality(String),
  limit_counter LowCardinality(String),
  service LowCardinality(String)
) ENGINE = ReplacingMergeTree()
PARTITION BY toDate(ts)
ORDER BY (agent, tool, ts, span_id)
TTL toDateTime(ts) + toIntervalDay({{ttl_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.tool_calls_mv {{on_cluster}}
TO {{db}}.tool_calls
AS SELECT
  Timestamp AS ts,
  TraceId AS trace_id,
  SpanId AS span_id,
  multiIf(
    SpanAttributes['gen_ai.agent.id'] != '', SpanAttributes['gen_ai.agent.id'],
    SpanAttributes['enduser.id'] != '', SpanAttributes['enduser.id'],
    SpanAttributes['client.address']) AS agent,
  SpanAttributes['mcp.session.id'] AS session,
  if(SpanAttributes['warden.upstream'] != '', SpanAttributes['warden.upstream'], ServiceName) AS upstream,
  SpanAttributes['gen_ai.tool.name'] AS tool,
  SpanAttributes['warden.tool.risk'] AS risk,
  if(SpanAttributes['warden.decision'] != '', SpanAttributes['warden.decision'], 'allow') AS decision,
  SpanAttributes['warden.enforced'] = 'true' OR SpanAttributes['warden.decision'] = '' AS enforced,
  SpanAttributes['warden.mode'] AS mode,
  SpanAttributes['warden.rule'] AS rule,
  SpanAttributes['warden.reason'] AS reason,
  SpanAttributes['warden.policy.hash'] AS policy_hash,
  SpanAttributes['warden.args.hash'] AS args_hash,
  toUInt32OrZero(SpanAttributes['warden.args.bytes']) AS args_bytes,
  Duration AS duration_ns,
  SpanAttributes['error.type'] NOT IN ('', 'policy_denied')
    OR (SpanAttributes['error.type'] = '' AND StatusCode IN ('Error', 'STATUS_CODE_ERROR')) AS is_error,
  SpanAttributes['error.type'] AS error_type,
  SpanAttributes['warden.limit.counter'] AS limit_counter,
  ServiceName AS service
FROM {{db}}.otel_traces
WHERE SpanAttributes['mcp.method.name'] = 'tools/call' AND SpanAttributes['gen_ai.tool.name'] != '';
