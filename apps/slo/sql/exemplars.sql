-- The worst bad events of a span-based SLI in a window: failed spans first, then the slowest over the
-- threshold (threshold_ns 0 for availability), as trace links for an alert.
SELECT
    lower(hex(trace_id)) AS trace_id,
    lower(hex(span_id)) AS span_id,
    name,
    service_name,
    timestamp,
    duration_ns,
    ttft_ns,
    is_error,
    error_type
FROM spans
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
  AND ({roots_only:UInt8} = 0 OR parent_span_id = toFixedString('', 8))
  AND (empty({operations:Array(String)}) OR operation IN {operations:Array(String)})
  AND (empty({services:Array(String)}) OR service_name IN {services:Array(String)})
  AND (empty({endpoints:Array(String)}) OR endpoint IN {endpoints:Array(String)})
  AND (empty({models:Array(String)}) OR if(response_model != '', response_model, request_model) IN {models:Array(String)})
  AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
  AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
  AND inferops_attr_all(span_attributes, resource_attributes, {attr_keys:Array(String)}, {attr_ops:Array(String)}, {attr_values:Array(String)})
  AND multiIf({kind:String} = 'availability', is_error = 1,
              {kind:String} = 'latency', duration_ns > {threshold_ns:UInt64},
              {kind:String} = 'ttft', ttft_ns > {threshold_ns:UInt64},
              ttft_ns > 0 AND output_tokens > 1
                  AND (duration_ns - ttft_ns) / (output_tokens - 1) > {threshold_ns:UInt64})
ORDER BY is_error DESC, duration_ns DESC
LIMIT {limit:UInt32}
