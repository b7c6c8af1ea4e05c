-- Calls per agent and tool per 10 minutes, for rate_spike: which series could hold a spike, and
-- their baselines, without reading every call. Not deduplicated: SummingMergeTree adds up the
-- copies of a redelivered span, so a count here can only be too high, never too low; rate_spike
-- recounts every bucket it flags from tool_calls, each span once.
-- Read: sum(calls) GROUP BY agent, tool, bucket.
CREATE TABLE IF NOT EXISTS {{db}}.tool_calls_10m {{on_cluster}} (
  bucket DateTime CODEC(Delta, ZSTD(1)),
  agent LowCardinality(String),
  tool LowCardinality(String),
  calls UInt64
) ENGINE = SummingMergeTree()
PARTITION BY toDate(bucket)
ORDER BY (agent, tool, bucket)
TTL bucket + toIntervalDay({{ttl_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.tool_calls_10m_mv {{on_cluster}}
TO {{db}}.tool_calls_10m
AS SELECT toStartOfTenMinutes(ts) AS bucket, agent, tool, count() AS calls
FROM {{db}}.tool_calls
GROUP BY bucket, agent, tool;

-- The calls recorded before this migration.
INSERT INTO {{db}}.tool_calls_10m
SELECT toStartOfTenMinutes(ts) AS bucket, agent, tool, count() AS calls
FROM {{db}}.tool_calls
GROUP BY bucket, agent, tool;
