-- Hourly rollups per single dimension for long overview windows: a 7- or 30-day overview grouped by one
-- dimension (and not filtered) reads a few rows per value and hour instead of merging millions of
-- per-minute states. Each per-minute rollup row lands once under each of the six dimensions. Fed
-- from the per-minute rollup's inserts (a cascaded view), so its cost grows with rollup rows, not spans.
CREATE TABLE IF NOT EXISTS span_rollup_dim_1h {{on_cluster}} (
    project_id UInt64,
    hour DateTime('UTC'),
    dimension LowCardinality(String),
    value LowCardinality(String),
    is_root UInt8,
    is_llm UInt8,
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
ORDER BY (project_id, dimension, hour, value, is_root, is_llm)
TTL greatest(hour, ingested_at) + toIntervalDay({{retention_days:rollups}});

-- is_llm: the LLM operations of apps/slo/sli.py LLM_OPERATIONS (a test compares them).
CREATE MATERIALIZED VIEW IF NOT EXISTS span_rollup_dim_1h_mv {{on_cluster}} TO span_rollup_dim_1h AS
SELECT
    project_id,
    toStartOfHour(minute) AS hour,
    d_name AS dimension,
    d_value AS value,
    is_root,
    toUInt8(operation IN ('chat', 'text_completion', 'generate_content')) AS is_llm,
    sum(r_requests) AS requests,
    sum(r_errors) AS errors,
    sum(r_input) AS input_tokens,
    sum(r_output) AS output_tokens,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(duration_ms_quantiles) AS duration_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(ttft_ms_quantiles) AS ttft_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(tpot_ms_quantiles) AS tpot_ms_quantiles,
    max(ingested_at) AS ingested_at
FROM (
    SELECT *, requests AS r_requests, errors AS r_errors, input_tokens AS r_input, output_tokens AS r_output
    FROM span_rollup_1m
)
ARRAY JOIN ['service', 'endpoint', 'model', 'provider', 'tenant', 'host'] AS d_name,
           [toString(service_name), toString(endpoint), toString(model), toString(provider), toString(tenant),
            toString(host)] AS d_value
GROUP BY project_id, hour, dimension, value, is_root, is_llm;

-- What the per-minute rollups already hold.
INSERT INTO span_rollup_dim_1h
SELECT
    project_id,
    toStartOfHour(minute) AS hour,
    d_name AS dimension,
    d_value AS value,
    is_root,
    toUInt8(operation IN ('chat', 'text_completion', 'generate_content')) AS is_llm,
    sum(r_requests) AS requests,
    sum(r_errors) AS errors,
    sum(r_input) AS input_tokens,
    sum(r_output) AS output_tokens,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(duration_ms_quantiles) AS duration_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(ttft_ms_quantiles) AS ttft_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(tpot_ms_quantiles) AS tpot_ms_quantiles,
    max(ingested_at) AS ingested_at
FROM (
    SELECT *, requests AS r_requests, errors AS r_errors, input_tokens AS r_input, output_tokens AS r_output
    FROM span_rollup_1m
)
ARRAY JOIN ['service', 'endpoint', 'model', 'provider', 'tenant', 'host'] AS d_name,
           [toString(service_name), toString(endpoint), toString(model), toString(provider), toString(tenant),
            toString(host)] AS d_value
GROUP BY project_id, hour, dimension, value, is_root, is_llm;
