-- GPU and inference-server gauges per host and minute of [start, end): the mean over the host's GPUs
-- and servers.
SELECT
    'host' AS dimension,
    host AS scope_value,
    metric_name,
    toDateTime64(toStartOfMinute(metric_points.timestamp), 0, 'UTC') AS at,
    avg(value) AS mean
FROM metric_points
WHERE project_id = {project_id:UInt64}
  AND metric_points.timestamp >= {start:DateTime64(6, 'UTC')}
  AND metric_points.timestamp < {end:DateTime64(6, 'UTC')}
  AND metric_name IN ('gpu.utilization', 'gpu.temperature', 'gpu.memory.used', 'gpu.throttled',
                      'inference.kv_cache.utilization', 'inference.requests.waiting')
  AND host != ''
GROUP BY host, metric_name, at
ORDER BY host, metric_name, at
