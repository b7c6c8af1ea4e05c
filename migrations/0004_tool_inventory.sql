-- Every tool each upstream offers, from tools/list spans (warden.tools JSON), used or not.
CREATE TABLE IF NOT EXISTS {{db}}.tool_inventory {{on_cluster}} (
  upstream LowCardinality(String),
  tool LowCardinality(String),
  risk SimpleAggregateFunction(anyLast, String),
  annotations SimpleAggregateFunction(anyLast, String),
  description SimpleAggregateFunction(anyLast, String),
  first_seen SimpleAggregateFunction(min, DateTime64(9)),
  last_seen SimpleAggregateFunction(max, DateTime64(9))
) ENGINE = AggregatingMergeTree()
ORDER BY (upstream, tool);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.tool_inventory_mv {{on_cluster}}
TO {{db}}.tool_inventory
AS SELECT
  if(SpanAttributes['warden.upstream'] != '', SpanAttributes['warden.upstream'], ServiceName) AS upstream,
  JSONExtractString(tool_json, 'name') AS tool,
  JSONExtractString(tool_json, 'risk') AS risk,
  JSONExtractRaw(tool_json, 'annotations') AS annotations,
  JSONExtractString(tool_json, 'description') AS description,
  Timestamp AS first_seen,
  Timestamp AS last_seen
FROM {{db}}.otel_traces
ARRAY JOIN JSONExtractArrayRaw(SpanAttributes['warden.tools']) AS tool_json
WHERE SpanAttributes['mcp.method.name'] = 'tools/list' AND SpanAttributes['warden.tools'] != '';
