-- Seal [from, to) (whole hours, within one month) into the hourly rollup per dimension value: the
-- per-minute rollup's rows, each counted under the project ('*') and under its value of every
-- dimension, their quantile states merged into the hour.
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
    WHERE minute >= {from:DateTime64(6, 'UTC')} AND minute < {to:DateTime64(6, 'UTC')}
)
ARRAY JOIN dims AS dim
GROUP BY project_id, hour, dimension, value, operation, is_root
