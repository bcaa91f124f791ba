-- The GPU lane of a trace: metrics of the GPUs (host + GPU index) that served its LLM calls, and of the
-- inference servers for those models on those hosts, over the trace's time span (with some margin).
SELECT
    host,
    gpu_id,
    model_name,
    metric_name,
    toDateTime64(metric_points.timestamp, 3, 'UTC') AS at,
    value
FROM metric_points
WHERE project_id = {project_id:UInt64}
  AND metric_points.timestamp >= {start:DateTime64(6, 'UTC')}
  AND metric_points.timestamp <= {end:DateTime64(6, 'UTC')}
  AND host IN {hosts:Array(String)}
  AND metric_name IN ('gpu.utilization', 'gpu.sm_active', 'gpu.memory.used', 'gpu.memory.limit', 'gpu.power',
                      'gpu.temperature', 'gpu.throttled', 'gpu.throttle.power', 'gpu.throttle.thermal',
                      'gpu.xid.last', 'gpu.errors', 'inference.requests.running', 'inference.requests.waiting',
                      'inference.kv_cache.utilization')
  AND if(gpu_id != '', has({host_gpus:Array(String)}, concat(host, '/', gpu_id)),
         has({host_models:Array(String)}, concat(host, '/', model_name)))
ORDER BY host, gpu_id, model_name, metric_name, at
LIMIT 50000
