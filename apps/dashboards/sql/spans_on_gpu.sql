-- "Which requests ran here": the spans served by one host (and GPU, when given) in a window, slowest
-- first, with keyset pagination on (duration, span id).
SELECT
    lower(hex(trace_id)) AS trace_id,
    lower(hex(span_id)) AS span_id,
    name,
    service_name,
    if(response_model != '', response_model, request_model) AS model,
    toDateTime64(spans.timestamp, 6, 'UTC') AS started,
    duration_ns,
    ttft_ns,
    input_tokens,
    output_tokens,
    is_error,
    gpu_id
FROM spans
WHERE project_id = {project_id:UInt64}
  AND spans.timestamp >= {start:DateTime64(6, 'UTC')}
  AND spans.timestamp < {end:DateTime64(6, 'UTC')}
  AND host = {host:String}
  AND ({gpu:String} = '' OR gpu_id = {gpu:String})
  AND ({has_cursor:UInt8} = 0 OR (duration_ns, span_id) < ({after_duration_ns:UInt64}, unhex({after_span:String})))
ORDER BY duration_ns DESC, span_id DESC
LIMIT {limit:UInt32}
