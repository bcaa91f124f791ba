-- Every span of one trace (bounded by the trace's own time span), with what the waterfall draws.
-- Attributes and events come separately, per span, when someone opens it.
SELECT
    lower(hex(span_id)) AS span_id,
    if(parent_span_id = toFixedString('', 8), '', lower(hex(parent_span_id))) AS parent_id,
    name,
    kind,
    service_name,
    operation,
    provider,
    if(response_model != '', response_model, request_model) AS model,
    toInt64(toUnixTimestamp64Nano(timestamp)) AS start_ns,
    duration_ns,
    is_error,
    status_message,
    error_type,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_write_tokens,
    reasoning_tokens,
    ttft_ns,
    host,
    gpu_id,
    agent_name,
    tool_name,
    tenant,
    inferops_guard_verdict(span_attributes) AS guardrail_verdict,
    lower(if(span_attributes['gen_ai.guardrail.action.type'] != '', span_attributes['gen_ai.guardrail.action.type'], span_attributes['guard.action'])) AS guardrail_action,
    length(`events.name`) AS event_count
FROM spans
WHERE project_id = {project_id:UInt64}
  AND spans.trace_id = unhex({trace_id:String})
  AND spans.timestamp >= {start:DateTime64(6, 'UTC')}
  AND spans.timestamp <= {end:DateTime64(6, 'UTC')}
ORDER BY start_ns, span_id
LIMIT {limit:UInt32}
