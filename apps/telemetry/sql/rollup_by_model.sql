-- Per-model request counts, errors, tokens and latency quantiles from the per-minute rollups.
SELECT
    model,
    sum(requests) AS requests,
    sum(errors) AS errors,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(duration_ms_quantiles) AS duration_ms,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(ttft_ms_quantiles) AS ttft_ms,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(tpot_ms_quantiles) AS tpot_ms
FROM span_rollup_1m
WHERE project_id = {project_id:UInt64}
  AND minute >= toStartOfMinute({start:DateTime64(6, 'UTC')})
  AND minute < {end:DateTime64(6, 'UTC')}
  AND operation IN {operations:Array(String)}
GROUP BY model
ORDER BY model
