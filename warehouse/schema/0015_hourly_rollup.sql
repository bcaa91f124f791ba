-- Hourly and six-hourly rollups per dimension value: week- and month-long dashboards read one row per
-- hour (or six) and value of the dimension they group or filter by, instead of every per-minute row
-- (which, with many tenants, endpoints and hosts, hardly aggregates at all); merging quantile states
-- is what such a query spends its time on, so fewer, fuller states make it fast. '*' (value '') holds
-- the whole project. They are sealed by a periodic task (warehouse/rollups.py) once an hour has
-- settled, not fed by views: the ingest path's inserts stay as cheap as they were. rollup_seals keeps
-- how far each tier is sealed; queries read the tiers below that and the per-minute rollup above it.
CREATE TABLE IF NOT EXISTS span_rollup_1h_dims {{on_cluster}} (
    project_id UInt64,
    hour DateTime('UTC'),
    dimension LowCardinality(String),
    value String,
    operation LowCardinality(String),
    is_root UInt8,
    requests SimpleAggregateFunction(sum, UInt64),
    errors SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    duration_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    ttft_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    tpot_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    ingested_at SimpleAggregateFunction(max, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, dimension, hour, value, operation, is_root)
TTL greatest(hour, ingested_at) + toIntervalDay({{retention_days:rollups}});

CREATE TABLE IF NOT EXISTS span_rollup_6h_dims {{on_cluster}} (
    project_id UInt64,
    hour DateTime('UTC'),
    dimension LowCardinality(String),
    value String,
    operation LowCardinality(String),
    is_root UInt8,
    requests SimpleAggregateFunction(sum, UInt64),
    errors SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    duration_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    ttft_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    tpot_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    ingested_at SimpleAggregateFunction(max, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, dimension, hour, value, operation, is_root)
TTL greatest(hour, ingested_at) + toIntervalDay({{retention_days:rollups}});

CREATE TABLE IF NOT EXISTS rollup_seals {{on_cluster}} (
    tier LowCardinality(String),
    sealed_until DateTime('UTC'),
    sealed_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(sealed_until)
ORDER BY tier;
