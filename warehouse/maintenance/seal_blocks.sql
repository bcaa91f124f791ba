-- Seal [from, to) (whole blocks of {{block_hours}} hours, within one month) into {{table}}, from the
-- finer sealed tier {{source}}: sums added, quantile states merged. The placeholders are the tier's
-- own names and size (warehouse/rollups.py), never user input.
INSERT INTO {{table}}
SELECT
    project_id,
    toStartOfInterval(h_hour, INTERVAL {{block_hours}} HOUR) AS hour,
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
    FROM {{source}}
    WHERE hour >= {from:DateTime64(6, 'UTC')} AND hour < {to:DateTime64(6, 'UTC')}
)
GROUP BY project_id, hour, dimension, value, operation, is_root
