-- What the scan judges, per minute of [start, end) and per scope (the project, each service, endpoint,
-- model and tenant), from the per-minute rollup: requests (root spans), errors among all spans, p95
-- latency (of requests; of the spans themselves for a model, and for tool calls and retrievals), p95
-- time to first token and time per
-- output token, input tokens per LLM call, and tokens per request.
SELECT
    dim.1 AS dimension,
    dim.2 AS value,
    toDateTime64(minute, 0, 'UTC') AS at,
    -- (outputs are not named after columns: an alias would shadow the column in the other sums)
    sumIf(requests, is_root = 1) AS roots,
    sum(requests) AS spans_n,
    sum(errors) AS errors_n,
    quantilesTDigestMergeIf(0.5, 0.9, 0.95, 0.99)(duration_ms_quantiles, is_root = 1 OR dim.1 IN ('model', 'operation'))[3]
        AS latency_p95,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(ttft_ms_quantiles)[3] AS ttft_p95,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(tpot_ms_quantiles)[3] AS tpot_p95,
    sumIf(input_tokens, operation IN ('chat', 'text_completion', 'generate_content')) AS llm_input_tokens,
    sumIf(requests, operation IN ('chat', 'text_completion', 'generate_content')) AS llm_calls,
    sum(input_tokens + output_tokens) AS tokens_n
FROM span_rollup_1m
ARRAY JOIN [('*', '*'), ('service', toString(service_name)), ('endpoint', toString(endpoint)),
            ('model', toString(model)), ('tenant', toString(tenant)),
            ('operation', if(operation IN ('execute_tool', 'retrieval'), toString(operation), ''))] AS dim
WHERE project_id = {project_id:UInt64}
  AND minute >= {start:DateTime64(6, 'UTC')}
  AND minute < {end:DateTime64(6, 'UTC')}
  AND dim.2 != ''
GROUP BY dimension, value, at
ORDER BY dimension, value, at
