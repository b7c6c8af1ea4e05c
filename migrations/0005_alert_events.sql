-- Every alert notification and its delivery result, one row per alert per target
-- (a grouped message to a receiver writes one row for each alert it carried).
-- Append-only history for GET /api/v1/alerts and for audits; target URLs are stored
-- redacted and errors scrubbed, so no receiver secret lands here.
CREATE TABLE IF NOT EXISTS {{db}}.alert_events {{on_cluster}} (
  ts DateTime64(3) CODEC(Delta, ZSTD(1)),
  fingerprint String CODEC(ZSTD(1)),
  rule LowCardinality(String),
  agent LowCardinality(String),
  tool LowCardinality(String),
  status LowCardinality(String),
  repeat Bool,
  severity LowCardinality(String),
  value Float64,
  summary String CODEC(ZSTD(1)),
  labels Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  starts_at DateTime64(3),
  target LowCardinality(String),
  target_type LowCardinality(String),
  target_url String CODEC(ZSTD(1)),
  delivery LowCardinality(String),
  attempts UInt8,
  http_status UInt16,
  error String CODEC(ZSTD(1))
) ENGINE = MergeTree()
PARTITION BY toDate(ts)
ORDER BY (ts, fingerprint)
TTL toDateTime(ts) + toIntervalDay({{ttl_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
