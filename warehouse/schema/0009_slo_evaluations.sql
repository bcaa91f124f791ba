-- Each SLO's evaluation, once a minute: the SLI and remaining error budget over its period, and the
-- burn rate over every alerting window. The SLO pages chart these; a re-evaluated minute replaces
-- the earlier row.
CREATE TABLE IF NOT EXISTS slo_evaluations {{on_cluster}} (
    project_id UInt64,
    slo_id UInt64,
    minute DateTime('UTC'),
    sli Float64,
    budget_remaining Float64,
    good UInt64,
    total UInt64,
    burn_windows Array(LowCardinality(String)),
    burn_rates Array(Float64),
    firing Array(LowCardinality(String)),
    ingested_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(minute)
ORDER BY (project_id, slo_id, minute)
TTL greatest(minute, ingested_at) + toIntervalDay({{retention_days:rollups}});
