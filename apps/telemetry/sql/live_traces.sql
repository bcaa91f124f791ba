-- The live tail: traces with a root span whose summary rows were stored since a moment, newest first.
SELECT
    lower(hex(trace_id)) AS trace_id,
    toDateTime64(min(trace_summaries.start), 6, 'UTC') AS started,
    toUInt64(greatest(toUnixTimestamp64Nano(max(trace_summaries.end)) - toUnixTimestamp64Nano(min(trace_summaries.start)), 0)) AS duration_ns,
    sum(span_count) AS spans,
    sum(error_count) AS errors,
    sum(trace_summaries.input_tokens) + sum(trace_summaries.output_tokens) AS tokens,
    max(root_name) AS root_name,
    arraySort(groupUniqArrayArray(services)) AS services,
    toDateTime64(max(trace_summaries.ingested_at), 0, 'UTC') AS stored_at
FROM trace_summaries
WHERE project_id = {project_id:UInt64}
  AND trace_summaries.start >= {start:DateTime64(6, 'UTC')}
  AND trace_summaries.start < {end:DateTime64(6, 'UTC')}
GROUP BY trace_id
HAVING max(trace_summaries.ingested_at) >= {since:DateTime64(6, 'UTC')} AND root_name != ''
ORDER BY started DESC
LIMIT 50
