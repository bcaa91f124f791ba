-- The overview dashboard from the per-minute rollups, for one scope of spans — end-to-end requests
-- (root spans) or LLM calls: per time bucket and group, per group over the whole window, per bucket
-- over all groups, and the window's totals (GROUPING SETS). TTFT, time per output token and tokens
-- always come from the LLM calls inside the filters. The group column is picked by a bound name; an
-- empty filter array means "any".
-- The rollup rows are merged once, into (bucket, group) states; the grouping sets then merge those
-- few states again instead of re-reading every rollup row four times.
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
        toDateTime64(toStartOfInterval(span_rollup_1m.minute, toIntervalSecond({step_s:UInt32})), 0, 'UTC') AS bucket,
        multiIf({group_by:String} = 'service', service_name,
                {group_by:String} = 'endpoint', endpoint,
                {group_by:String} = 'model', model,
                {group_by:String} = 'provider', provider,
                {group_by:String} = 'tenant', tenant,
                {group_by:String} = 'host', host,
                '') AS grp,
        sumIf(span_rollup_1m.requests, in_scope) AS requests,
        sumIf(span_rollup_1m.errors, in_scope) AS errors,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(duration_ms_quantiles, in_scope) AS duration_state,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(ttft_ms_quantiles, is_llm) AS ttft_state,
        quantilesTDigestMergeStateIf(0.5, 0.9, 0.95, 0.99)(tpot_ms_quantiles, is_llm) AS tpot_state,
        sumIf(span_rollup_1m.input_tokens, is_llm) AS input_tokens,
        sumIf(span_rollup_1m.output_tokens, is_llm) AS output_tokens,
        sumIf(span_rollup_1m.requests, is_llm) AS llm_calls
    FROM (
        SELECT *,
               operation IN {llm_operations:Array(String)} AS is_llm,
               if({scope:String} = 'llm_calls', is_llm, is_root = 1) AS in_scope
        FROM span_rollup_1m
        WHERE project_id = {project_id:UInt64}
          AND span_rollup_1m.minute >= toStartOfMinute({start:DateTime64(6, 'UTC')})
          AND span_rollup_1m.minute < {end:DateTime64(6, 'UTC')}
          AND (empty({services:Array(String)}) OR service_name IN {services:Array(String)})
          AND (empty({endpoints:Array(String)}) OR endpoint IN {endpoints:Array(String)})
          AND (empty({models:Array(String)}) OR model IN {models:Array(String)})
          AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
          AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
          AND (empty({hosts:Array(String)}) OR host IN {hosts:Array(String)})
    ) AS span_rollup_1m
    WHERE in_scope OR is_llm
    GROUP BY bucket, grp
) AS per_bucket
GROUP BY GROUPING SETS ((bucket, grp), (grp), (bucket), ())
ORDER BY whole_window, all_groups, bucket, grp
