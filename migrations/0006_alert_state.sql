-- The alert loop's state per fingerprint (rule + agent [+ tool]), so a restarted
-- `warden serve` knows what is already firing and was already sent. One row per change;
-- readers take the latest with FINAL (is_deleted rows: a pending alert that cleared).
CREATE TABLE IF NOT EXISTS {{db}}.alert_state {{on_cluster}} (
  fingerprint String,
  rule LowCardinality(String),
  agent LowCardinality(String),
  tool LowCardinality(String),
  status LowCardinality(String),
  severity LowCardinality(String),
  value Float64,
  summary String CODEC(ZSTD(1)),
  active_since DateTime64(3),
  firing_since Nullable(DateTime64(3)),
  resolved_at Nullable(DateTime64(3)),
  last_notified_at Nullable(DateTime64(3)),
  updated_at DateTime64(3),
  is_deleted UInt8
) ENGINE = ReplacingMergeTree(updated_at, is_deleted)
ORDER BY fingerprint
TTL toDateTime(updated_at) + toIntervalDay({{ttl_days}});
