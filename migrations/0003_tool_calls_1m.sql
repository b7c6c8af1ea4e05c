-- Per-minute rollup for dashboards and alerting. Counts are exact distinct span ids
-- (uniqExact over a 64-bit hash), so a redelivered span still counts once here.
-- Read: uniqExactMerge(calls), uniqExactIfMerge(errors), quantilesMerge(0.5, 0.9, 0.99)(duration_q).
CREATE TABLE IF NOT EXISTS {{db}}.tool_calls_1m {{on_cluster}} (
  minute DateTime CODEC(Delta, ZSTD(1)),
  agent LowCardinality(String),
  tool LowCardinality(String),
  decision LowCardinality(String),
  enforced Bool,
  risk LowCardinality(String),
  upstream LowCardinality(String),
  calls AggregateFunction(uniqExact, UInt64),
  errors AggregateFunction(uniqExactIf, UInt64, UInt8),
  duration_q AggregateFunction(quantiles(0.5, 0.9, 0.99), UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toDate(minute)
ORDER BY (agent, tool, minute, decision, enforced, risk, upstream)
TTL minute + toIntervalDay({{ttl_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.tool_calls_1m_mv {{on_cluster}}
TO {{db}}.tool_calls_1m
AS SELECT
  toStartOfMinute(ts) AS minute,
  agent, tool, decision, enforced, risk, upstream,
  uniqExactState(sipHash64(span_id)) AS calls,
  uniqExactIfState(sipHash64(span_id), toUInt8(is_error)) AS errors,
  quantilesState(0.5, 0.9, 0.99)(duration_ns) AS duration_q
FROM {{db}}.tool_calls
GROUP BY minute, agent, tool, decision, enforced, risk, upstream;
