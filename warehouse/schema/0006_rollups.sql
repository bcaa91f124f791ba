-- Per-trace summary and per-minute rollups with quantile states: dashboards and trace search read
-- these instead of scanning spans.
CREATE TABLE IF NOT EXISTS trace_summaries {{on_cluster}} (
    project_id UInt64,
    trace_id FixedString(16),
    start SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    end SimpleAggregateFunction(max, DateTime64(9, 'UTC')),
    span_count SimpleAggregateFunction(sum, UInt64),
    error_count SimpleAggregateFunction(sum, UInt64),
    llm_calls SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    cache_read_tokens SimpleAggregateFunction(sum, UInt64),
    cache_write_tokens SimpleAggregateFunction(sum, UInt64),
    reasoning_tokens SimpleAggregateFunction(sum, UInt64),
    root_name SimpleAggregateFunction(max, String),
    root_service SimpleAggregateFunction(max, String),
    root_duration_ns SimpleAggregateFunction(max, UInt64),
    services SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    models SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    tenants SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    endpoints SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    ingested_at SimpleAggregateFunction(max, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toDate(start)
ORDER BY (project_id, trace_id)
TTL greatest(toDateTime(start), ingested_at) + toIntervalDay({{retention_days:traces}})
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS trace_summaries_mv {{on_cluster}} TO trace_summaries AS
SELECT
    project_id,
    trace_id,
    min(timestamp) AS start,
    max(end_timestamp) AS end,
    count() AS span_count,
    countIf(is_error = 1) AS error_count,
    countIf(s_input + s_output > 0) AS llm_calls,
    sum(s_input) AS input_tokens,
    sum(s_output) AS output_tokens,
    sum(s_cache_read) AS cache_read_tokens,
    sum(s_cache_write) AS cache_write_tokens,
    sum(s_reasoning) AS reasoning_tokens,
    maxIf(toString(name), s_root) AS root_name,
    maxIf(toString(service_name), s_root) AS root_service,
    maxIf(s_duration, s_root) AS root_duration_ns,
    groupUniqArray(toString(service_name)) AS services,
    groupUniqArrayIf(toString(if(response_model != '', response_model, request_model)),
                     response_model != '' OR request_model != '') AS models,
    groupUniqArrayIf(toString(tenant), tenant != '') AS tenants,
    groupUniqArrayIf(toString(endpoint), endpoint != '') AS endpoints,
    max(ingested_at) AS ingested_at
FROM (
    SELECT *, input_tokens AS s_input, output_tokens AS s_output, cache_read_tokens AS s_cache_read,
           cache_write_tokens AS s_cache_write, reasoning_tokens AS s_reasoning, duration_ns AS s_duration,
           parent_span_id = toFixedString('', 8) AS s_root
    FROM spans
)
GROUP BY project_id, trace_id;

CREATE TABLE IF NOT EXISTS span_rollup_1m {{on_cluster}} (
    project_id UInt64,
    minute DateTime('UTC'),
    service_name LowCardinality(String),
    endpoint LowCardinality(String),
    operation LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    tenant LowCardinality(String),
    host LowCardinality(String),
    is_root UInt8,
    requests SimpleAggregateFunction(sum, UInt64),
    errors SimpleAggregateFunction(sum, UInt64),
    duration_ns_sum SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    cache_read_tokens SimpleAggregateFunction(sum, UInt64),
    cache_write_tokens SimpleAggregateFunction(sum, UInt64),
    reasoning_tokens SimpleAggregateFunction(sum, UInt64),
    duration_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    ttft_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    tpot_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64),
    ingested_at SimpleAggregateFunction(max, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (project_id, minute, service_name, endpoint, operation, provider, model, tenant, host, is_root)
TTL greatest(minute, ingested_at) + toIntervalDay({{retention_days:rollups}});

-- Time per output token = (duration − TTFT) ÷ (output tokens − 1), for streamed calls only.
CREATE MATERIALIZED VIEW IF NOT EXISTS span_rollup_1m_mv {{on_cluster}} TO span_rollup_1m AS
SELECT
    project_id,
    toStartOfMinute(timestamp) AS minute,
    service_name,
    endpoint,
    operation,
    provider,
    if(response_model != '', response_model, request_model) AS model,
    tenant,
    host,
    toUInt8(s_root) AS is_root,
    count() AS requests,
    countIf(is_error = 1) AS errors,
    sum(s_duration) AS duration_ns_sum,
    sum(s_input) AS input_tokens,
    sum(s_output) AS output_tokens,
    sum(s_cache_read) AS cache_read_tokens,
    sum(s_cache_write) AS cache_write_tokens,
    sum(s_reasoning) AS reasoning_tokens,
    quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(s_duration / 1e6) AS duration_ms_quantiles,
    quantilesTDigestStateIf(0.5, 0.9, 0.95, 0.99)(ttft_ns / 1e6, ttft_ns > 0) AS ttft_ms_quantiles,
    quantilesTDigestStateIf(0.5, 0.9, 0.95, 0.99)((s_duration - ttft_ns) / 1e6 / (s_output - 1),
                                                  ttft_ns > 0 AND s_output > 1 AND s_duration >= ttft_ns)
        AS tpot_ms_quantiles,
    max(ingested_at) AS ingested_at
FROM (
    SELECT *, input_tokens AS s_input, output_tokens AS s_output, cache_read_tokens AS s_cache_read,
           cache_write_tokens AS s_cache_write, reasoning_tokens AS s_reasoning, duration_ns AS s_duration,
           parent_span_id = toFixedString('', 8) AS s_root
    FROM spans
)
GROUP BY project_id, minute, service_name, endpoint, operation, provider, model, tenant, host, is_root;
