-- Hourly and six-hourly rollups per dimension value: week- and month-long dashboards read one row per
-- hour (or six) and value of the dimension they group or filter by, instead of every per-minute row
-- (which, with many tenants, endpoints and hosts, hardly aggregates at all); merging quantile states
-- is what such a query spends its time on, so fewer, fuller states make it fast. '*' (value '') holds
-- the whole project. Each tier is fed from the one below as it is written, so the current hour is
-- always there.
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

CREATE MATERIALIZED VIEW IF NOT EXISTS span_rollup_1h_dims_mv {{on_cluster}} TO span_rollup_1h_dims AS
SELECT
    project_id,
    toStartOfHour(minute) AS hour,
    dim.1 AS dimension,
    dim.2 AS value,
    operation,
    is_root,
    sum(m_requests) AS requests,
    sum(m_errors) AS errors,
    sum(m_input) AS input_tokens,
    sum(m_output) AS output_tokens,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(m_duration) AS duration_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(m_ttft) AS ttft_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(m_tpot) AS tpot_ms_quantiles,
    max(m_ingested_at) AS ingested_at
FROM (
    SELECT project_id, minute, operation, is_root, requests AS m_requests, errors AS m_errors,
           input_tokens AS m_input, output_tokens AS m_output, duration_ms_quantiles AS m_duration,
           ttft_ms_quantiles AS m_ttft, tpot_ms_quantiles AS m_tpot, ingested_at AS m_ingested_at,
           [('*', ''), ('service', toString(service_name)), ('endpoint', toString(endpoint)), ('model', toString(model)),
            ('provider', toString(provider)), ('tenant', toString(tenant)), ('host', toString(host))] AS dims
    FROM span_rollup_1m
)
ARRAY JOIN dims AS dim
GROUP BY project_id, hour, dimension, value, operation, is_root;

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

CREATE MATERIALIZED VIEW IF NOT EXISTS span_rollup_6h_dims_mv {{on_cluster}} TO span_rollup_6h_dims AS
SELECT
    project_id,
    toStartOfInterval(h_hour, INTERVAL 6 HOUR) AS hour,
    dimension,
    value,
    operation,
    is_root,
    sum(h_requests) AS requests,
    sum(h_errors) AS errors,
    sum(h_input) AS input_tokens,
    sum(h_output) AS output_tokens,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(h_duration) AS duration_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(h_ttft) AS ttft_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(h_tpot) AS tpot_ms_quantiles,
    max(h_ingested_at) AS ingested_at
FROM (
    SELECT project_id, hour AS h_hour, dimension, value, operation, is_root, requests AS h_requests,
           errors AS h_errors, input_tokens AS h_input, output_tokens AS h_output, duration_ms_quantiles AS h_duration,
           ttft_ms_quantiles AS h_ttft, tpot_ms_quantiles AS h_tpot, ingested_at AS h_ingested_at
    FROM span_rollup_1h_dims
)
GROUP BY project_id, hour, dimension, value, operation, is_root;

-- What was rolled up per minute before these views existed (the six-hourly tier fills through its
-- view). Run it before ingest starts: rows written between the views' creation and this insert would
-- count twice.
INSERT INTO span_rollup_1h_dims
SELECT
    project_id,
    toStartOfHour(minute) AS hour,
    dim.1 AS dimension,
    dim.2 AS value,
    operation,
    is_root,
    sum(m_requests) AS requests,
    sum(m_errors) AS errors,
    sum(m_input) AS input_tokens,
    sum(m_output) AS output_tokens,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(m_duration) AS duration_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(m_ttft) AS ttft_ms_quantiles,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(m_tpot) AS tpot_ms_quantiles,
    max(m_ingested_at) AS ingested_at
FROM (
    SELECT project_id, minute, operation, is_root, requests AS m_requests, errors AS m_errors,
           input_tokens AS m_input, output_tokens AS m_output, duration_ms_quantiles AS m_duration,
           ttft_ms_quantiles AS m_ttft, tpot_ms_quantiles AS m_tpot, ingested_at AS m_ingested_at,
           [('*', ''), ('service', toString(service_name)), ('endpoint', toString(endpoint)), ('model', toString(model)),
            ('provider', toString(provider)), ('tenant', toString(tenant)), ('host', toString(host))] AS dims
    FROM span_rollup_1m
)
ARRAY JOIN dims AS dim
GROUP BY project_id, hour, dimension, value, operation, is_root;
