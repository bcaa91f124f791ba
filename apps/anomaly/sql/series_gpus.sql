-- Per GPU (host and index) and minute of [start, end): the GPU gauges' mean, and for counters and
-- event codes the minute's first, highest and last values and its distinct non-zero codes (the scan
-- turns those into increases and events).
-- Only the XID kind of hw.errors counts: corrected ECC and PCIe replays are not XID errors.
SELECT
    'gpu' AS dimension,
    concat(host, '/', gpu_id) AS scope_value,
    metric_name,
    toDateTime64(toStartOfMinute(metric_points.timestamp), 0, 'UTC') AS at,
    avg(value) AS mean,
    argMin(value, metric_points.timestamp) AS opening,
    max(value) AS high,
    argMax(value, metric_points.timestamp) AS last,
    uniqExactIf(value, value > 0) AS codes
FROM metric_points
WHERE project_id = {project_id:UInt64}
  AND metric_points.timestamp >= {start:DateTime64(6, 'UTC')}
  AND metric_points.timestamp < {end:DateTime64(6, 'UTC')}
  AND metric_name IN ('gpu.utilization', 'gpu.temperature', 'gpu.memory.used', 'gpu.throttled',
                      'gpu.throttle.thermal', 'gpu.throttle.power', 'gpu.xid.last', 'gpu.errors')
  AND (metric_name != 'gpu.errors' OR attributes['error.type'] = 'xid')
  AND host != '' AND gpu_id != ''
GROUP BY scope_value, metric_name, at
ORDER BY scope_value, metric_name, at
