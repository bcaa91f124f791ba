-- overview.sql for long, unfiltered windows: the same output, read from the hourly rollup of the one
-- dimension grouped by (span_rollup_dim_1h), whose rows already hold every span once per dimension,
-- so the groups of that dimension add up to the whole.
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
        toDateTime64(toStartOfInterval(r_hour, toIntervalSecond({step_s:UInt32})), 0, 'UTC') AS bucket,
        toString(r_value) AS grp,
        sumIf(r_requests, in_scope) AS requests,
        sumIf(r_errors, in_scope) AS errors,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(r_duration, in_scope) AS duration_state,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(r_ttft, r_is_llm = 1) AS ttft_state,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(r_tpot, r_is_llm = 1) AS tpot_state,
        sumIf(r_input, r_is_llm = 1) AS input_tokens,
        sumIf(r_output, r_is_llm = 1) AS output_tokens,
        sumIf(r_requests, r_is_llm = 1) AS llm_calls
    FROM (
        SELECT hour AS r_hour, value AS r_value, requests AS r_requests, errors AS r_errors,
               duration_ms_quantiles AS r_duration, ttft_ms_quantiles AS r_ttft, tpot_ms_quantiles AS r_tpot,
               input_tokens AS r_input, output_tokens AS r_output, is_llm AS r_is_llm,
               if({scope:String} = 'llm_calls', is_llm = 1, is_root = 1) AS in_scope
        FROM span_rollup_dim_1h
        WHERE project_id = {project_id:UInt64}
          AND dimension = {group_by:String}
          AND hour >= toStartOfHour({start:DateTime64(6, 'UTC')})
          AND hour < {end:DateTime64(6, 'UTC')}
    )
    WHERE in_scope OR r_is_llm = 1
    GROUP BY bucket, grp
) AS per_bucket
GROUP BY GROUPING SETS ((bucket, grp), (grp), (bucket), ())
ORDER BY whole_window, all_groups, bucket, grp
