-- Latency SLIs count the calls at or under a threshold. The per-minute rollups keep, for each of a
-- fixed list of thresholds in milliseconds, how many spans were at or under it (Prometheus-style `le`
-- buckets, the last one +Inf) for duration, TTFT and time per output token; an SLO's threshold is one
-- of these bounds (apps/slo/sli.py holds the same list, and a test compares them).
CREATE FUNCTION IF NOT EXISTS inferops_latency_bounds_ms {{on_cluster}} AS () ->
    [25, 50, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000,
     15000, 20000, 30000, 60000, 120000];

-- One count per bound (value ≤ bound, value in ns), then a last element counting every value (+Inf),
-- so that good and total events come from the same array.
CREATE FUNCTION IF NOT EXISTS inferops_le {{on_cluster}} AS (le_ns, le_one) ->
    arrayConcat(arrayMap(le_b -> toUInt64(le_ns <= le_b * 1000000), inferops_latency_bounds_ms()), [toUInt64(le_one)]);

ALTER TABLE span_rollup_1m
    ADD COLUMN IF NOT EXISTS duration_le AggregateFunction(sumForEach, Array(UInt64)),
    ADD COLUMN IF NOT EXISTS ttft_le AggregateFunction(sumForEach, Array(UInt64)),
    ADD COLUMN IF NOT EXISTS tpot_le AggregateFunction(sumForEach, Array(UInt64));

-- MODIFY QUERY swaps the view's query atomically: no insert is ever without its rollup.
ALTER TABLE span_rollup_1m_mv {{on_cluster}} MODIFY QUERY
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
    sumForEachState(inferops_le(s_duration, 1)) AS duration_le,
    sumForEachStateIf(inferops_le(ttft_ns, 1), ttft_ns > 0) AS ttft_le,
    sumForEachStateIf(inferops_le((s_duration - ttft_ns) / (s_output - 1), 1),
                      ttft_ns > 0 AND s_output > 1 AND s_duration >= ttft_ns) AS tpot_le,
    max(ingested_at) AS ingested_at
FROM (
    SELECT *, input_tokens AS s_input, output_tokens AS s_output, cache_read_tokens AS s_cache_read,
           cache_write_tokens AS s_cache_write, reasoning_tokens AS s_reasoning, duration_ns AS s_duration,
           parent_span_id = toFixedString('', 8) AS s_root
    FROM spans
)
GROUP BY project_id, minute, service_name, endpoint, operation, provider, model, tenant, host, is_root;
