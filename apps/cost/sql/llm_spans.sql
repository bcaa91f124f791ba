-- The LLM calls to cost for one window: those that started in [start, end), and those on a GPU that
-- started up to an hour earlier and still ran at start (GPU-time pricing shares the window's
-- GPU-minutes among every request running in them). Attribution dimensions take the first
-- configured key present on the span, then on its resource. A call counts as guardrail-blocked when a
-- guardrail in its trace blocked. Ids travel as hex (binary strings do not survive every driver).
SELECT
    cityHash64(trace_id, span_id) AS line_key,
    toDateTime64(spans.timestamp, 9, 'UTC') AS timestamp,
    toDateTime64(end_timestamp, 9, 'UTC') AS end_timestamp,
    lower(hex(trace_id)) AS trace_hex,
    lower(hex(span_id)) AS span_hex,
    toString(service_name) AS service_name,
    toString(endpoint) AS endpoint,
    toString(operation) AS operation,
    toString(provider) AS provider,
    toString(if(response_model != '', response_model, request_model)) AS model,
    toString(tenant) AS tenant,
    toString(host) AS host,
    toString(gpu_id) AS gpu_id,
    is_error,
    toUInt8(toUInt64OrZero(span_attributes['http.request.resend_count']) > 0
            OR span_attributes['inferops.retry'] IN ('true', '1')) AS is_retry,
    toUInt8(trace_id IN (
        SELECT trace_id FROM guardrail_decisions
        WHERE project_id = {project_id:UInt64}
          AND guardrail_decisions.timestamp >= {start:DateTime64(6, 'UTC')} - INTERVAL 1 HOUR
          AND guardrail_decisions.timestamp < {end:DateTime64(6, 'UTC')} + INTERVAL 1 HOUR
          AND (lower(action) IN ('block', 'blocked', 'deny', 'denied', 'reject', 'rejected')
               OR lower(verdict) IN ('block', 'blocked', 'deny', 'denied')))) AS is_blocked,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_write_tokens,
    reasoning_tokens,
    arrayMap(dk -> arrayFirst(dv -> dv != '', arrayConcat(arrayMap(k -> span_attributes[k], dk),
                                                         arrayMap(k -> resource_attributes[k], dk))),
             {dim_keys:Array(Array(String))}) AS dim_values
FROM spans
WHERE project_id = {project_id:UInt64}
  AND spans.timestamp >= {start:DateTime64(6, 'UTC')} - INTERVAL 1 HOUR
  AND spans.timestamp < {end:DateTime64(6, 'UTC')}
  AND (spans.timestamp >= {start:DateTime64(6, 'UTC')} OR (gpu_id != '' AND end_timestamp > {start:DateTime64(6, 'UTC')}))
  AND (input_tokens + output_tokens > 0
       OR operation IN ('chat', 'text_completion', 'generate_content', 'embeddings', 'rerank'))
