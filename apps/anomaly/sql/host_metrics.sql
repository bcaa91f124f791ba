-- The GPU and inference-server metrics of the given hosts before [start, sel_start) and during
-- [sel_start, end) an anomaly: gauges averaged, counters (throttle time, errors) as their increase
-- per minute.
SELECT
    host,
    metric_name,
    avgIf(value, metric_points.timestamp < {sel_start:DateTime64(6, 'UTC')}) AS before,
    avgIf(value, metric_points.timestamp >= {sel_start:DateTime64(6, 'UTC')}) AS during,
    (maxIf(value, metric_points.timestamp < {sel_start:DateTime64(6, 'UTC')})
        - minIf(value, metric_points.timestamp < {sel_start:DateTime64(6, 'UTC')})) AS before_increase,
    (maxIf(value, metric_points.timestamp >= {sel_start:DateTime64(6, 'UTC')})
        - minIf(value, metric_points.timestamp >= {sel_start:DateTime64(6, 'UTC')})) AS during_increase
FROM metric_points
WHERE project_id = {project_id:UInt64}
  AND metric_points.timestamp >= {start:DateTime64(6, 'UTC')}
  AND metric_points.timestamp < {end:DateTime64(6, 'UTC')}
  AND host IN {hosts:Array(String)}
  AND metric_name IN ('gpu.utilization', 'gpu.temperature', 'gpu.clock.sm', 'gpu.throttled', 'gpu.throttle.thermal',
                      'gpu.throttle.power', 'gpu.memory.used', 'gpu.power', 'gpu.errors', 'inference.requests.waiting',
                      'inference.requests.running', 'inference.kv_cache.utilization')
GROUP BY host, metric_name
ORDER BY host, metric_name
