-- Every posting of [start, end) whose rows do not cancel out, with its net count (1 when in force;
-- more or less only after an interrupted or repeated insert) and its figures (reversals copy them), so
-- that a replacement reverses exactly what was posted. Ids travel as hex.
SELECT
    line_key,
    posting,
    sum(sign) AS net,
    any(toDateTime64(cost_ledger.timestamp, 9, 'UTC')) AS timestamp,
    any(price_version) AS price_version,
    any(toString(kind)) AS kind,
    any(toString(method)) AS method,
    any(toString(price_ref)) AS price_ref,
    lower(hex(any(trace_id))) AS trace_hex,
    lower(hex(any(span_id))) AS span_hex,
    any(toString(service_name)) AS service_name,
    any(toString(endpoint)) AS endpoint,
    any(toString(operation)) AS operation,
    any(toString(provider)) AS provider,
    any(toString(model)) AS model,
    any(toString(tenant)) AS tenant,
    any(toString(host)) AS host,
    any(toString(gpu_id)) AS gpu_id,
    any(arrayMap(n -> toString(n), dim_names)) AS dim_names,
    any(dim_values) AS dim_values,
    any(requests) AS requests,
    any(is_error) AS is_error,
    any(is_retry) AS is_retry,
    any(is_blocked) AS is_blocked,
    any(input_tokens) AS input_tokens,
    any(output_tokens) AS output_tokens,
    any(cache_read_tokens) AS cache_read_tokens,
    any(cache_write_tokens) AS cache_write_tokens,
    any(reasoning_tokens) AS reasoning_tokens,
    any(gpu_seconds) AS gpu_seconds,
    any(input_cost) AS input_cost,
    any(cache_read_cost) AS cache_read_cost,
    any(cache_write_cost) AS cache_write_cost,
    any(output_cost) AS output_cost,
    any(reasoning_cost) AS reasoning_cost,
    any(request_cost) AS request_cost,
    any(gpu_cost) AS gpu_cost,
    any(total_cost) AS total_cost
FROM cost_ledger
WHERE project_id = {project_id:UInt64}
  AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
  AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
GROUP BY line_key, posting
HAVING net != 0
