-- Metric points and histogram points of a simulated window by canonical name and source vocabulary.
SELECT 'point' AS kind, metric_name, source, count() AS points, uniqExact(host) AS hosts
FROM metric_points
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp <= {end:DateTime64(6, 'UTC')}
GROUP BY metric_name, source
UNION ALL
SELECT 'histogram' AS kind, metric_name, source, count() AS points, uniqExact(host) AS hosts
FROM metric_histograms
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp <= {end:DateTime64(6, 'UTC')}
GROUP BY metric_name, source
ORDER BY kind, metric_name, source
