-- Spans of a simulated window by service, tenant, dialect and operation (ground-truth checks).
SELECT service_name, tenant, dialect, operation, count() AS spans, uniqExact(trace_id) AS traces
FROM spans
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
GROUP BY service_name, tenant, dialect, operation
ORDER BY service_name, tenant, dialect, operation
