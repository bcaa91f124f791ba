-- Example spans of a factor in [start, end): the slowest and failed ones first.
SELECT
    lower(hex(trace_id)) AS trace_id,
    lower(hex(span_id)) AS span_id,
    name,
    toString(operation) AS operation,
    duration_ns / 1e6 AS duration_ms,
    is_error,
    toString(host) AS host,
    spans.timestamp AS at
FROM spans
WHERE project_id = {project_id:UInt64}
  AND spans.timestamp >= {start:DateTime64(6, 'UTC')}
  AND spans.timestamp < {end:DateTime64(6, 'UTC')}
  AND multiIf({dimension:String} = 'service', service_name = {value:String},
              {dimension:String} = 'endpoint', endpoint = {value:String},
              {dimension:String} = 'operation', operation = {value:String},
              {dimension:String} = 'provider', provider = {value:String},
              {dimension:String} = 'model', response_model = {value:String} OR request_model = {value:String},
              {dimension:String} = 'tenant', tenant = {value:String},
              {dimension:String} = 'host', host = {value:String},
              {dimension:String} = 'gpu', concat(toString(host), '/', toString(gpu_id)) = {value:String},
              {dimension:String} = 'tool', tool_name = {value:String},
              {dimension:String} = 'agent', agent_name = {value:String},
              {dimension:String} = 'error_type', error_type = {value:String},
              {dimension:String} = 'prompt_version',
                  concat(span_attributes['gen_ai.prompt.name'], '@', span_attributes['gen_ai.prompt.version']) = {value:String},
              1)
ORDER BY is_error DESC, duration_ns DESC
LIMIT 5
