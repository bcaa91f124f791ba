-- The policy and guardrail decision ledger: every decision in guardrail_decisions, chained in order per
-- project by the audit seal task (apps/audit/decisions.py) and sealed into signed checkpoints. Rows are
-- appended once and never rewritten. Its retention class is the audit trail's (years: it outlives the
-- traces it points to), counted from when a row was chained, which grows with seq: expiry only ever
-- removes the oldest part of the chain, and verification starts at the first checkpoint still whole.
CREATE TABLE IF NOT EXISTS decision_ledger {{on_cluster}} (
    project_id UInt64,
    seq UInt64,
    decision_id String,
    event_time String,                          -- UTC, ISO 8601 with nanoseconds (hashed as written)
    timestamp DateTime64(9, 'UTC'),             -- the same instant, for time filters
    trace_id String,
    span_id String,
    source LowCardinality(String),
    service_name LowCardinality(String),
    tenant LowCardinality(String),
    user_id String,
    model LowCardinality(String),
    component_name LowCardinality(String),
    policy_id LowCardinality(String),
    policy_version LowCardinality(String),
    rule_id LowCardinality(String),
    phase LowCardinality(String),
    target_subtype LowCardinality(String),
    verdict LowCardinality(String),
    action LowCardinality(String),
    reason String,
    risk_category LowCardinality(String),
    risk_score String,                          -- text: hashed bytes must not depend on float printing
    content_hash String,
    latency_ns UInt64,
    prev_hash String,
    record_hash String,
    chained_until DateTime64(3, 'UTC'),         -- the seal run's ingest watermark (recovery after a crash)
    INDEX idx_time timestamp TYPE minmax GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toYYYYMM(chained_until)
ORDER BY (project_id, seq)
TTL toDateTime(chained_until) + toIntervalDay({{retention_days:audit}})
SETTINGS ttl_only_drop_parts = 1;

-- The seal task picks up decisions by arrival time; parts are written in arrival order, so a minmax
-- index on ingested_at skips everything already chained.
ALTER TABLE guardrail_decisions ADD INDEX IF NOT EXISTS idx_ingested ingested_at TYPE minmax GRANULARITY 1;

ALTER TABLE guardrail_decisions MATERIALIZE INDEX idx_ingested;
