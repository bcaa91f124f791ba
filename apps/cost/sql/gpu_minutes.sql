-- Every GPU-minute in [start, end) that the GPU metrics saw: the GPU's model and its mean utilisation
-- (0…1; NULL when only other metrics were reported that minute).
SELECT
    toString(host) AS host,
    toString(gpu_id) AS gpu_id,
    toString(anyIf(gpu_model, gpu_model != '')) AS gpu_model,
    toDateTime64(toStartOfMinute(metric_points.timestamp), 9, 'UTC') AS minute,
    -- Rounded: a float mean's last bits depend on the order threads merge it, and a figure that
    -- wobbled from run to run would be reversed and reposted every run.
    if(countIf(metric_name = 'gpu.utilization') > 0,
       round(greatest(least(avgIf(value, metric_name = 'gpu.utilization'), 1.0), 0.0), 6), NULL) AS utilisation
FROM metric_points
WHERE project_id = {project_id:UInt64}
  AND metric_points.timestamp >= {start:DateTime64(6, 'UTC')}
  AND metric_points.timestamp < {end:DateTime64(6, 'UTC')}
  AND gpu_id != ''
  AND metric_name IN ('gpu.utilization', 'gpu.sm_active', 'gpu.memory.used', 'gpu.power', 'gpu.temperature')
GROUP BY host, gpu_id, minute
