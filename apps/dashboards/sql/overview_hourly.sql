-- The overview dashboard for long windows (buckets of whole hours): the same results as overview.sql,
-- read from the rollups of one dimension — the one grouped by, or the one filtered on: six-hourly for
-- the whole six-hour blocks [six_from, six_to) (an empty range unless buckets are multiples of six
-- hours), three-hourly for the other whole three-hour blocks of [three_from, three_to) (empty unless
-- buckets are multiples of three hours), hourly for the other whole hours of [hours_from, hours_to),
-- and per minute for the partial hours at either end. The ranges nest (selectors.tier_ranges). The
-- selector only comes here when every filter is on that one dimension.
SELECT
    bucket,
    grp,
    grouping(bucket) AS whole_window,
    grouping(grp) AS all_groups,
    sum(per_bucket.requests) AS requests,
    sum(per_bucket.errors) AS errors,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(duration_state) AS duration_ms,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(ttft_state) AS ttft_ms,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(tpot_state) AS tpot_ms,
    sum(per_bucket.input_tokens) AS input_tokens,
    sum(per_bucket.output_tokens) AS output_tokens,
    sum(per_bucket.llm_calls) AS llm_calls
FROM (
    SELECT
        toDateTime64(toStartOfInterval(rows.at, toIntervalSecond({step_s:UInt32})), 0, 'UTC') AS bucket,
        if({group_by:String} = '', '', rows.val) AS grp,
        sumIf(rows.r_requests, in_scope) AS requests,
        sumIf(rows.r_errors, in_scope) AS errors,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(rows.r_duration, in_scope) AS duration_state,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(rows.r_ttft, is_llm) AS ttft_state,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(rows.r_tpot, is_llm) AS tpot_state,
        sumIf(rows.r_input, is_llm) AS input_tokens,
        sumIf(rows.r_output, is_llm) AS output_tokens,
        sumIf(rows.r_requests, is_llm) AS llm_calls
    FROM (
        SELECT *,
               r_operation IN {llm_operations:Array(String)} AS is_llm,
               if({scope:String} = 'llm_calls', is_llm, r_is_root = 1) AS in_scope
        FROM (
            SELECT hour AS at, value AS val, operation AS r_operation, is_root AS r_is_root, requests AS r_requests,
                   errors AS r_errors, input_tokens AS r_input, output_tokens AS r_output,
                   duration_ms_quantiles AS r_duration, ttft_ms_quantiles AS r_ttft, tpot_ms_quantiles AS r_tpot
            FROM span_rollup_6h_dims
            WHERE project_id = {project_id:UInt64}
              AND dimension = {dimension:String}
              AND hour >= {six_from:DateTime64(6, 'UTC')}
              AND hour < {six_to:DateTime64(6, 'UTC')}
              AND (empty({values:Array(String)}) OR value IN {values:Array(String)})
            UNION ALL
            SELECT hour AS at, value AS val, operation AS r_operation, is_root AS r_is_root, requests AS r_requests,
                   errors AS r_errors, input_tokens AS r_input, output_tokens AS r_output,
                   duration_ms_quantiles AS r_duration, ttft_ms_quantiles AS r_ttft, tpot_ms_quantiles AS r_tpot
            FROM span_rollup_3h_dims
            WHERE project_id = {project_id:UInt64}
              AND dimension = {dimension:String}
              AND ((hour >= {three_from:DateTime64(6, 'UTC')} AND hour < {six_from:DateTime64(6, 'UTC')})
                   OR (hour >= {six_to:DateTime64(6, 'UTC')} AND hour < {three_to:DateTime64(6, 'UTC')}))
              AND (empty({values:Array(String)}) OR value IN {values:Array(String)})
            UNION ALL
            SELECT hour AS at, value AS val, operation AS r_operation, is_root AS r_is_root, requests AS r_requests,
                   errors AS r_errors, input_tokens AS r_input, output_tokens AS r_output,
                   duration_ms_quantiles AS r_duration, ttft_ms_quantiles AS r_ttft, tpot_ms_quantiles AS r_tpot
            FROM span_rollup_1h_dims
            WHERE project_id = {project_id:UInt64}
              AND dimension = {dimension:String}
              AND ((hour >= {hours_from:DateTime64(6, 'UTC')} AND hour < {three_from:DateTime64(6, 'UTC')})
                   OR (hour >= {three_to:DateTime64(6, 'UTC')} AND hour < {hours_to:DateTime64(6, 'UTC')}))
              AND (empty({values:Array(String)}) OR value IN {values:Array(String)})
            UNION ALL
            SELECT minute AS at,
                   multiIf({dimension:String} = 'service', toString(service_name),
                           {dimension:String} = 'endpoint', toString(endpoint),
                           {dimension:String} = 'model', toString(model),
                           {dimension:String} = 'provider', toString(provider),
                           {dimension:String} = 'tenant', toString(tenant),
                           {dimension:String} = 'host', toString(host), '') AS val,
                   operation AS r_operation, is_root AS r_is_root, requests AS r_requests, errors AS r_errors,
                   input_tokens AS r_input, output_tokens AS r_output, duration_ms_quantiles AS r_duration,
                   ttft_ms_quantiles AS r_ttft, tpot_ms_quantiles AS r_tpot
            FROM span_rollup_1m
            WHERE project_id = {project_id:UInt64}
              AND ((minute >= toStartOfMinute({start:DateTime64(6, 'UTC')}) AND minute < {hours_from:DateTime64(6, 'UTC')})
                   OR (minute >= {hours_to:DateTime64(6, 'UTC')} AND minute < {end:DateTime64(6, 'UTC')}))
        ) AS unioned
        WHERE empty({values:Array(String)}) OR val IN {values:Array(String)}
    ) AS rows
    WHERE in_scope OR is_llm
    GROUP BY bucket, grp
) AS per_bucket
GROUP BY GROUPING SETS ((bucket, grp), (grp), (bucket), ())
ORDER BY whole_window, all_groups, bucket, grp
