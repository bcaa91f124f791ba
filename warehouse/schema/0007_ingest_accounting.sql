-- Accepted and rejected items per project, signal and minute, from the counts ingest puts in each envelope.
CREATE TABLE IF NOT EXISTS ingest_accounting {{on_cluster}} (
    project_id UInt64,
    signal LowCardinality(String),
    minute DateTime('UTC'),
    requests UInt64,
    accepted UInt64,
    rejected UInt64,
    rejected_requests UInt64
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (project_id, signal, minute)
TTL minute + toIntervalDay({{retention_days:rollups}});

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_accounting_traces_mv {{on_cluster}} TO ingest_accounting AS
SELECT project_id, 'traces' AS signal, toStartOfMinute(inferops_ns(received_unix_nano)) AS minute,
       toUInt64(rejected_requests = 0) AS requests,
       accepted_items AS accepted,
       rejected_items AS rejected, rejected_requests
FROM otlp_traces_in;

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_accounting_metrics_mv {{on_cluster}} TO ingest_accounting AS
SELECT project_id, 'metrics' AS signal, toStartOfMinute(inferops_ns(received_unix_nano)) AS minute,
       toUInt64(rejected_requests = 0) AS requests,
       accepted_items AS accepted,
       rejected_items AS rejected, rejected_requests
FROM otlp_metrics_in;

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_accounting_logs_mv {{on_cluster}} TO ingest_accounting AS
SELECT project_id, 'logs' AS signal, toStartOfMinute(inferops_ns(received_unix_nano)) AS minute,
       toUInt64(rejected_requests = 0) AS requests,
       accepted_items AS accepted,
       rejected_items AS rejected, rejected_requests
FROM otlp_logs_in;
