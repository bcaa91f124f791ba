-- Trace search. Traces whose first span started in the window, filtered on their totals (duration,
-- tokens, status, services, models, tenants, endpoints) and, when span-level conditions are given,
-- holding at least one span that meets all of them (provider, host, GPU, and attribute filters
-- `key = value`, `key != value` (the key is present with another value), `key contains value`,
-- looked up in span then resource attributes).
-- A trace's summary is written in parts (one per insert): its totals come from all its parts within
-- an hour either side of the window, and it is a candidate when the earliest of them is in the window.
-- Sorted by a bound key (descending = negated) with the trace id as tie-break, so a page continues
-- from the last row's (sort_key, trace_id) — keyset pagination, no OFFSET.
-- Two steps: the page is chosen from numeric totals alone (the name and value lists are collected
-- only for a filter that needs them), then only the page's traces are read again in full — a week
-- holds hundreds of thousands of traces, and collecting their lists was most of the search's time.
WITH page AS (
    SELECT
        trace_id,
        min(trace_summaries.start) AS first_start,
        toUInt64(greatest(toUnixTimestamp64Nano(max(trace_summaries.end)) - toUnixTimestamp64Nano(first_start), 0)) AS p_duration_ns,
        sum(span_count) AS p_spans,
        sum(error_count) AS p_errors,
        sum(trace_summaries.input_tokens) + sum(trace_summaries.output_tokens) AS p_tokens,
        toInt64(multiIf({sort:String} = 'duration', toInt64(p_duration_ns),
                        {sort:String} = 'tokens', toInt64(p_tokens),
                        {sort:String} = 'spans', toInt64(p_spans),
                        {sort:String} = 'errors', toInt64(p_errors),
                        toInt64(toUnixTimestamp64Micro(toDateTime64(first_start, 6, 'UTC'))))
                * if({descending:UInt8} = 1, -1, 1)) AS p_sort_key
    FROM trace_summaries
    WHERE project_id = {project_id:UInt64}
      AND trace_summaries.start >= {start:DateTime64(6, 'UTC')} - INTERVAL 1 HOUR
      AND trace_summaries.start < {end:DateTime64(6, 'UTC')} + INTERVAL 1 HOUR
      AND ({span_filtered:UInt8} = 0 OR trace_id IN (
            SELECT trace_id
            FROM spans
            WHERE project_id = {project_id:UInt64}
              AND timestamp >= {start:DateTime64(6, 'UTC')}
              AND timestamp < {end:DateTime64(6, 'UTC')} + INTERVAL 1 HOUR
              AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
              AND (empty({hosts:Array(String)}) OR host IN {hosts:Array(String)})
              AND (empty({gpus:Array(String)}) OR gpu_id IN {gpus:Array(String)})
              AND inferops_attr_all(span_attributes, resource_attributes, {attr_keys:Array(String)}, {attr_ops:Array(String)}, {attr_values:Array(String)})))
    GROUP BY trace_id
    HAVING first_start >= {start:DateTime64(6, 'UTC')} AND first_start < {end:DateTime64(6, 'UTC')}
       AND ({min_duration_ns:UInt64} = 0 OR p_duration_ns >= {min_duration_ns:UInt64})
       AND ({max_duration_ns:UInt64} = 0 OR p_duration_ns <= {max_duration_ns:UInt64})
       AND ({min_tokens:UInt64} = 0 OR p_tokens >= {min_tokens:UInt64})
       AND ({max_tokens:UInt64} = 0 OR p_tokens <= {max_tokens:UInt64})
       AND ({status:String} = '' OR ({status:String} = 'error') = (p_errors > 0))
       AND (empty({services:Array(String)})
            OR hasAny(groupUniqArrayArrayIf(services, notEmpty({services:Array(String)})), {services:Array(String)}))
       AND (empty({models:Array(String)})
            OR hasAny(groupUniqArrayArrayIf(models, notEmpty({models:Array(String)})), {models:Array(String)}))
       AND (empty({tenants:Array(String)})
            OR hasAny(groupUniqArrayArrayIf(tenants, notEmpty({tenants:Array(String)})), {tenants:Array(String)}))
       AND (empty({endpoints:Array(String)})
            OR hasAny(groupUniqArrayArrayIf(endpoints, notEmpty({endpoints:Array(String)})), {endpoints:Array(String)}))
       AND ({has_cursor:UInt8} = 0 OR (p_sort_key, lower(hex(trace_id))) > ({after_key:Int64}, {after_id:String}))
    ORDER BY p_sort_key, lower(hex(trace_id))
    LIMIT {limit:UInt32}
)
SELECT
    lower(hex(trace_id)) AS trace_id_hex,
    toDateTime64(min(trace_summaries.start), 6, 'UTC') AS started,
    toUInt64(greatest(toUnixTimestamp64Nano(max(trace_summaries.end)) - toUnixTimestamp64Nano(min(trace_summaries.start)), 0)) AS duration_ns,
    sum(span_count) AS spans,
    sum(error_count) AS errors,
    sum(trace_summaries.llm_calls) AS llm_calls,
    sum(trace_summaries.input_tokens) AS input_tokens,
    sum(trace_summaries.output_tokens) AS output_tokens,
    sum(trace_summaries.cache_read_tokens) AS cache_read_tokens,
    sum(trace_summaries.reasoning_tokens) AS reasoning_tokens,
    max(root_name) AS root_name,
    max(root_service) AS root_service,
    arraySort(groupUniqArrayArray(services)) AS trace_services,
    arraySort(groupUniqArrayArray(models)) AS trace_models,
    arraySort(groupUniqArrayArray(tenants)) AS trace_tenants,
    arraySort(groupUniqArrayArray(endpoints)) AS trace_endpoints,
    -- the same key the page was chosen by (the same parts, so the same totals)
    toInt64(multiIf({sort:String} = 'duration', toInt64(duration_ns),
                    {sort:String} = 'tokens', toInt64(input_tokens + output_tokens),
                    {sort:String} = 'spans', toInt64(spans),
                    {sort:String} = 'errors', toInt64(errors),
                    toInt64(toUnixTimestamp64Micro(started)))
            * if({descending:UInt8} = 1, -1, 1)) AS sort_key
FROM trace_summaries
WHERE project_id = {project_id:UInt64}
  AND trace_summaries.start >= {start:DateTime64(6, 'UTC')} - INTERVAL 1 HOUR
  AND trace_summaries.start < {end:DateTime64(6, 'UTC')} + INTERVAL 1 HOUR
  AND trace_id IN (SELECT trace_id FROM page)
GROUP BY trace_id
ORDER BY sort_key, trace_id_hex
