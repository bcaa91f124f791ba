-- Three-hourly rollups per dimension value, between the hourly and the six-hourly ones: a week-long
-- overview has three-hour buckets, so it merged three hourly quantile states per bucket and value
-- (about 17k per quantile column on the explore bench); whole three-hour blocks make that a third.
-- Sealed from the sealed hours by the same periodic task (warehouse/rollups.py); the six-hourly tier
-- is now sealed from these blocks (two instead of six states each).
CREATE TABLE IF NOT EXISTS span_rollup_3h_dims {{on_cluster}} (
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
