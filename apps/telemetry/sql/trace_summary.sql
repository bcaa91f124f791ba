-- One trace's summary (merged across parts), for trace lists and trace headers.
SELECT
    hex(trace_id) AS trace_id,
    min(start) AS start,
    max(end) AS end,
    sum(span_count) AS span_count,
    sum(error_count) AS error_count,
    sum(llm_calls) AS llm_calls,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(reasoning_tokens) AS reasoning_tokens,
    max(root_name) AS root_name,
    max(root_service) AS root_service,
    max(root_duration_ns) AS root_duration_ns,
    arraySort(groupUniqArrayArray(services)) AS services,
    arraySort(groupUniqArrayArray(models)) AS models,
    arraySort(groupUniqArrayArray(tenants)) AS tenants
FROM trace_summaries
WHERE project_id = {project_id:UInt64}
  AND trace_summaries.trace_id = unhex({trace_id:String})
  AND trace_summaries.start >= {start:DateTime64(6, 'UTC')}
  AND trace_summaries.start < {end:DateTime64(6, 'UTC')}
GROUP BY trace_id
