-- The overview dashboard from the per-minute rollups: per time bucket and group, and per group over
-- the whole window (GROUPING SETS), for one scope of spans — end-to-end requests (root spans) or LLM
-- calls; and the same over all groups. TTFT, time per output token and tokens always come from the LLM calls inside the filters.
-- The group column is picked by a bound name; an empty filter array means "any".
SELECT
    toDateTime64(toStartOfInterval(span_rollup_1m.minute, toIntervalSecond({step_s:UInt32})), 0, 'UTC') AS bucket,
    multiIf({group_by:String} = 'service', service_name,
            {group_by:String} = 'endpoint', endpoint,
            {group_by:String} = 'model', model,
            {group_by:String} = 'provider', provider,
            {group_by:String} = 'tenant', tenant,
            {group_by:String} = 'host', host,
            '') AS grp,
    grouping(bucket) AS whole_window,
    grouping(grp) AS all_groups,
    sumIf(requests, in_scope) AS requests,
    sumIf(errors, in_scope) AS errors,
    quantilesTDigestMergeIf(0.5, 0.9, 0.95, 0.99)(duration_ms_quantiles, in_scope) AS duration_ms,
    quantilesTDigestMergeIf(0.5, 0.9, 0.95, 0.99)(ttft_ms_quantiles, is_llm) AS ttft_ms,
    quantilesTDigestMergeIf(0.5, 0.9, 0.95, 0.99)(tpot_ms_quantiles, is_llm) AS tpot_ms,
    sumIf(span_rollup_1m.input_tokens, is_llm) AS input_tokens,
    sumIf(span_rollup_1m.output_tokens, is_llm) AS output_tokens,
    sumIf(span_rollup_1m.requests, is_llm) AS llm_calls
FROM (
    SELECT *,
           operation IN {llm_operations:Array(String)} AS is_llm,
           if({scope:String} = 'llm_calls', is_llm, is_root = 1) AS in_scope
    FROM span_rollup_1m
    WHERE project_id = {project_id:UInt64}
      AND span_rollup_1m.minute >= toStartOfInterval({start:DateTime64(6, 'UTC')}, toIntervalSecond({step_s:UInt32}))
      AND span_rollup_1m.minute < {end:DateTime64(6, 'UTC')}
      AND (empty({services:Array(String)}) OR service_name IN {services:Array(String)})
      AND (empty({endpoints:Array(String)}) OR endpoint IN {endpoints:Array(String)})
      AND (empty({models:Array(String)}) OR model IN {models:Array(String)})
      AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
      AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
      AND (empty({hosts:Array(String)}) OR host IN {hosts:Array(String)})
) AS span_rollup_1m
WHERE in_scope OR is_llm
GROUP BY GROUPING SETS ((bucket, grp), (grp), (bucket), ())
ORDER BY whole_window, all_groups, bucket, grp
