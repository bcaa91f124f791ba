-- Where and when one trace lives: its first start and last end (merged across summary parts), so that
-- the span read that follows touches only the partitions of those days.
SELECT
    toDateTime64(min(trace_summaries.start), 9, 'UTC') AS first_start,
    toDateTime64(max(trace_summaries.end), 9, 'UTC') AS last_end,
    sum(span_count) AS spans
FROM trace_summaries
WHERE project_id = {project_id:UInt64}
  AND trace_summaries.trace_id = unhex({trace_id:String})
  AND trace_summaries.start >= {start:DateTime64(6, 'UTC')}
  AND trace_summaries.start < {end:DateTime64(6, 'UTC')}
HAVING count() > 0
