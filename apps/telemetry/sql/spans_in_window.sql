-- Normalised spans of one project in a window, newest first (bounded by {limit}).
SELECT
    hex(trace_id) AS trace_id,
    hex(span_id) AS span_id,
    if(parent_span_id = toFixedString('', 8), '', hex(parent_span_id)) AS parent_span_id,
    timestamp, end_timestamp, duration_ns, name, kind, status_code, status_message, is_error,
    service_name, scope_name, scope_version, dialect, operation, provider, request_model, response_model,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, ttft_ns,
    finish_reason, error_type, tenant, endpoint, host, gpu_id, agent_name, tool_name, conversation_id,
    resource_attributes, span_attributes, `events.name` AS event_names, `events.attributes` AS event_attributes,
    arrayMap(x -> hex(x), `links.trace_id`) AS link_trace_ids
FROM spans
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
ORDER BY timestamp DESC, span_id
LIMIT {limit:UInt32}
