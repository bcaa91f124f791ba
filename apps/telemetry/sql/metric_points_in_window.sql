-- Normalised metric points of one project in a window.
SELECT metric_name, source_name, source, unit, kind, temporality, is_monotonic, value, service_name, host, gpu_id,
       gpu_uuid, gpu_model, pod, namespace, model_name, attributes, timestamp
FROM metric_points
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
ORDER BY metric_name, timestamp
LIMIT {limit:UInt32}
