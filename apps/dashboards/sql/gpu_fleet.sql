-- The GPU fleet per time bucket: per GPU (host + index) the GPU metrics, per inference server (host +
-- pod + model) the server metrics. Gauges average over the bucket; for counters the last value is what
-- matters (compute turns consecutive last values into rates).
SELECT
    host,
    gpu_id,
    any(gpu_model) AS gpu_model,
    pod,
    model_name,
    metric_name,
    toDateTime64(toStartOfInterval(metric_points.timestamp, toIntervalSecond({step_s:UInt32})), 0, 'UTC') AS bucket,
    avg(value) AS mean,
    max(value) AS peak,
    argMax(value, metric_points.timestamp) AS last
FROM metric_points
WHERE project_id = {project_id:UInt64}
  AND metric_points.timestamp >= {start:DateTime64(6, 'UTC')}
  AND metric_points.timestamp < {end:DateTime64(6, 'UTC')}
  AND metric_name IN ('gpu.utilization', 'gpu.sm_active', 'gpu.memory.used', 'gpu.memory.limit', 'gpu.memory.free',
                      'gpu.power', 'gpu.temperature', 'gpu.throttled', 'gpu.throttle.power',
                      'gpu.throttle.thermal', 'gpu.xid.last', 'gpu.errors', 'inference.requests.running',
                      'inference.requests.waiting', 'inference.kv_cache.utilization',
                      'inference.prefix_cache.hits', 'inference.prefix_cache.queries',
                      'inference.prefix_cache.hit_ratio')
  AND (empty({hosts:Array(String)}) OR host IN {hosts:Array(String)})
GROUP BY host, gpu_id, pod, model_name, metric_name, bucket
ORDER BY host, gpu_id, pod, model_name, metric_name, bucket
LIMIT 200000
