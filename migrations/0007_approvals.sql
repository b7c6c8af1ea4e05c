-- Approvals for calls to `action: approve` tools that an operator decides. One row per
-- change of an approval (created, decided, expired); readers take the latest with FINAL.
-- A restarted `warden serve` loads the pending ones back, so a held call survives it.
-- `args` is what the proxy recorded under its --record-args mode (a hash by default).
CREATE TABLE IF NOT EXISTS {{db}}.approvals {{on_cluster}} (
  id String,
  status LowCardinality(String),
  agent LowCardinality(String),
  tool LowCardinality(String),
  session String,
  upstream LowCardinality(String),
  rule String,
  reason String CODEC(ZSTD(1)),
  args String CODEC(ZSTD(1)),
  args_hash String,
  created_at DateTime64(3),
  expires_at DateTime64(3),
  decided_at Nullable(DateTime64(3)),
  decided_by String,
  decision_reason String CODEC(ZSTD(1)),
  updated_at DateTime64(3)
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
TTL toDateTime(updated_at) + toIntervalDay({{ttl_days}});
