-- Distinct trace ids (hex) of one project that started in a window, for exports and checks.
SELECT DISTINCT hex(trace_id) AS trace_id
FROM trace_summaries
WHERE project_id = {project_id:UInt64}
  AND start >= {start:DateTime64(6, 'UTC')}
  AND start < {end:DateTime64(6, 'UTC')}
LIMIT {limit:UInt32}
