-- The cost ledger: one posting per priced thing (an LLM span, or for GPU-time pricing a span's share of
-- one GPU-minute, or a GPU's idle minute), stamped with the price version that produced it. Postings
-- are never changed: a recompute posts a reversal (sign −1, same figures, same posting id) of each
-- figure it replaces and a new posting, in one insert, so totals (sums of sign × figure) change once
-- and the ledger keeps both versions. Rollups sum sign × figure, so they need no FINAL.
CREATE TABLE IF NOT EXISTS cost_ledger {{on_cluster}} (
    project_id UInt64,
    timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    line_key UInt64,
    posting UInt64,
    sign Int8,
    run_id UInt64,
    price_version UInt32,
    kind LowCardinality(String),
    method LowCardinality(String),
    price_ref LowCardinality(String),
    trace_id FixedString(16) CODEC(ZSTD(1)),
    span_id FixedString(8) CODEC(ZSTD(1)),
    service_name LowCardinality(String),
    endpoint LowCardinality(String),
    operation LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    tenant LowCardinality(String),
    host LowCardinality(String),
    gpu_id LowCardinality(String),
    dim_names Array(LowCardinality(String)),
    dim_values Array(String) CODEC(ZSTD(1)),
    requests UInt8,
    is_error UInt8,
    is_retry UInt8,
    is_blocked UInt8,
    input_tokens UInt64 CODEC(T64, ZSTD(1)),
    output_tokens UInt64 CODEC(T64, ZSTD(1)),
    cache_read_tokens UInt64 CODEC(T64, ZSTD(1)),
    cache_write_tokens UInt64 CODEC(T64, ZSTD(1)),
    reasoning_tokens UInt64 CODEC(T64, ZSTD(1)),
    gpu_seconds Float64,
    input_cost Decimal(38, 15),
    cache_read_cost Decimal(38, 15),
    cache_write_cost Decimal(38, 15),
    output_cost Decimal(38, 15),
    reasoning_cost Decimal(38, 15),
    request_cost Decimal(38, 15),
    gpu_cost Decimal(38, 15),
    total_cost Decimal(38, 15),
    posted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, toStartOfHour(timestamp), line_key, posting)
TTL toDateTime(timestamp) + toIntervalDay({{retention_days:cost}});

-- Hourly by the dashboard dimensions (overview cost/hour), daily by the finance dimensions, and daily
-- per attribution dimension (team, user, feature, configured keys). Months are sums of days.
CREATE TABLE IF NOT EXISTS cost_hourly {{on_cluster}} (
    project_id UInt64,
    hour DateTime('UTC'),
    service_name LowCardinality(String),
    endpoint LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    tenant LowCardinality(String),
    host LowCardinality(String),
    kind LowCardinality(String),
    requests Int64,
    input_tokens Int64,
    output_tokens Int64,
    total_cost Decimal(38, 15)
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, service_name, endpoint, provider, model, tenant, host, kind)
TTL hour + toIntervalDay({{retention_days:cost}});

CREATE MATERIALIZED VIEW IF NOT EXISTS cost_hourly_mv {{on_cluster}} TO cost_hourly AS
SELECT project_id, toStartOfHour(timestamp) AS hour, service_name, endpoint, provider, model, tenant, host, kind,
       sum(s_requests) AS requests, sum(s_input) AS input_tokens, sum(s_output) AS output_tokens,
       sum(s_cost) AS total_cost
FROM (
    SELECT *, toInt64(sign) * requests AS s_requests, toInt64(sign) * toInt64(input_tokens) AS s_input,
           toInt64(sign) * toInt64(output_tokens) AS s_output, toInt64(sign) * toInt64(cache_read_tokens) AS s_cache_read,
           toInt64(sign) * toInt64(cache_write_tokens) AS s_cache_write,
           toInt64(sign) * toInt64(reasoning_tokens) AS s_reasoning, sign * gpu_seconds AS s_gpu_seconds,
           sign * total_cost AS s_cost
    FROM cost_ledger
)
GROUP BY project_id, hour, service_name, endpoint, provider, model, tenant, host, kind;

CREATE TABLE IF NOT EXISTS cost_daily {{on_cluster}} (
    project_id UInt64,
    day Date,
    tenant LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    endpoint LowCardinality(String),
    service_name LowCardinality(String),
    kind LowCardinality(String),
    method LowCardinality(String),
    requests Int64,
    errors Int64,
    input_tokens Int64,
    output_tokens Int64,
    cache_read_tokens Int64,
    cache_write_tokens Int64,
    reasoning_tokens Int64,
    gpu_seconds Float64,
    total_cost Decimal(38, 15),
    input_cost Decimal(38, 15),
    output_cost Decimal(38, 15),
    error_cost Decimal(38, 15),
    retry_cost Decimal(38, 15),
    blocked_cost Decimal(38, 15)
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, tenant, provider, model, endpoint, service_name, kind, method)
TTL day + toIntervalDay({{retention_days:cost}});

CREATE MATERIALIZED VIEW IF NOT EXISTS cost_daily_mv {{on_cluster}} TO cost_daily AS
SELECT project_id, toDate(timestamp) AS day, tenant, provider, model, endpoint, service_name, kind, method,
       sum(s_requests) AS requests, sum(s_requests * is_error) AS errors, sum(s_input) AS input_tokens,
       sum(s_output) AS output_tokens, sum(s_cache_read) AS cache_read_tokens,
       sum(s_cache_write) AS cache_write_tokens, sum(s_reasoning) AS reasoning_tokens,
       sum(s_gpu_seconds) AS gpu_seconds, sum(s_cost) AS total_cost,
       sum(sign * (input_cost + cache_read_cost + cache_write_cost)) AS input_cost,
       sum(sign * (output_cost + reasoning_cost)) AS output_cost,
       sum(if(is_error = 1, s_cost, toDecimal128(0, 15))) AS error_cost,
       sum(if(is_retry = 1, s_cost, toDecimal128(0, 15))) AS retry_cost,
       sum(if(is_blocked = 1, s_cost, toDecimal128(0, 15))) AS blocked_cost
FROM (
    SELECT *, toInt64(sign) * requests AS s_requests, toInt64(sign) * toInt64(input_tokens) AS s_input,
           toInt64(sign) * toInt64(output_tokens) AS s_output, toInt64(sign) * toInt64(cache_read_tokens) AS s_cache_read,
           toInt64(sign) * toInt64(cache_write_tokens) AS s_cache_write,
           toInt64(sign) * toInt64(reasoning_tokens) AS s_reasoning, sign * gpu_seconds AS s_gpu_seconds,
           sign * total_cost AS s_cost
    FROM cost_ledger
)
GROUP BY project_id, day, tenant, provider, model, endpoint, service_name, kind, method;

CREATE TABLE IF NOT EXISTS cost_daily_dims {{on_cluster}} (
    project_id UInt64,
    day Date,
    dimension LowCardinality(String),
    value String,
    model LowCardinality(String),
    requests Int64,
    input_tokens Int64,
    output_tokens Int64,
    total_cost Decimal(38, 15)
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, dimension, day, value, model)
TTL day + toIntervalDay({{retention_days:cost}});

CREATE MATERIALIZED VIEW IF NOT EXISTS cost_daily_dims_mv {{on_cluster}} TO cost_daily_dims AS
SELECT project_id, toDate(timestamp) AS day, dimension, value, model,
       sum(s_requests) AS requests, sum(s_input) AS input_tokens, sum(s_output) AS output_tokens,
       sum(s_cost) AS total_cost
FROM (
    SELECT *, toInt64(sign) * requests AS s_requests, toInt64(sign) * toInt64(input_tokens) AS s_input,
           toInt64(sign) * toInt64(output_tokens) AS s_output, toInt64(sign) * toInt64(cache_read_tokens) AS s_cache_read,
           toInt64(sign) * toInt64(cache_write_tokens) AS s_cache_write,
           toInt64(sign) * toInt64(reasoning_tokens) AS s_reasoning, sign * gpu_seconds AS s_gpu_seconds,
           sign * total_cost AS s_cost
    FROM cost_ledger
)
ARRAY JOIN dim_names AS dimension, dim_values AS value
GROUP BY project_id, day, dimension, value, model;

-- Monthly by tenant and model: month-end reports read a few rows per tenant and model.
CREATE TABLE IF NOT EXISTS cost_monthly {{on_cluster}} (
    project_id UInt64,
    month Date,
    tenant LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    kind LowCardinality(String),
    method LowCardinality(String),
    requests Int64,
    errors Int64,
    input_tokens Int64,
    output_tokens Int64,
    cache_read_tokens Int64,
    cache_write_tokens Int64,
    reasoning_tokens Int64,
    gpu_seconds Float64,
    total_cost Decimal(38, 15),
    input_cost Decimal(38, 15),
    output_cost Decimal(38, 15),
    error_cost Decimal(38, 15),
    retry_cost Decimal(38, 15),
    blocked_cost Decimal(38, 15)
) ENGINE = SummingMergeTree
PARTITION BY toYear(month)
ORDER BY (project_id, month, tenant, provider, model, kind, method)
TTL month + toIntervalDay({{retention_days:cost}});

-- Fed from the daily rollup's inserts (a cascaded view): the same sums, folded into months.
CREATE MATERIALIZED VIEW IF NOT EXISTS cost_monthly_mv {{on_cluster}} TO cost_monthly AS
SELECT project_id, toStartOfMonth(day) AS month, tenant, provider, model, kind, method,
       sum(d_requests) AS requests, sum(d_errors) AS errors, sum(d_input) AS input_tokens,
       sum(d_output) AS output_tokens, sum(d_cache_read) AS cache_read_tokens,
       sum(d_cache_write) AS cache_write_tokens, sum(d_reasoning) AS reasoning_tokens,
       sum(d_gpu_seconds) AS gpu_seconds, sum(d_cost) AS total_cost, sum(d_input_cost) AS input_cost,
       sum(d_output_cost) AS output_cost, sum(d_error_cost) AS error_cost, sum(d_retry_cost) AS retry_cost,
       sum(d_blocked_cost) AS blocked_cost
FROM (
    SELECT *, requests AS d_requests, errors AS d_errors, input_tokens AS d_input, output_tokens AS d_output,
           cache_read_tokens AS d_cache_read, cache_write_tokens AS d_cache_write, reasoning_tokens AS d_reasoning,
           gpu_seconds AS d_gpu_seconds, total_cost AS d_cost, input_cost AS d_input_cost,
           output_cost AS d_output_cost, error_cost AS d_error_cost, retry_cost AS d_retry_cost,
           blocked_cost AS d_blocked_cost
    FROM cost_daily
)
GROUP BY project_id, month, tenant, provider, model, kind, method;
