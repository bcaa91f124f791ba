-- The postings still in force for [start, end): posted and not reversed. Each comes with its
-- figures, so that a replacement can reverse exactly what was posted.
SELECT
    line_key,
    posting,
    anyIf(toDateTime64(cost_ledger.timestamp, 9, 'UTC'), sign = 1) AS timestamp,
    anyIf(price_version, sign = 1) AS price_version,
    anyIf(toString(kind), sign = 1) AS kind,
    anyIf(toString(method), sign = 1) AS method,
    anyIf(toString(price_ref), sign = 1) AS price_ref,
    anyIf(trace_id, sign = 1) AS trace_id,
    anyIf(span_id, sign = 1) AS span_id,
    anyIf(toString(service_name), sign = 1) AS service_name,
    anyIf(toString(endpoint), sign = 1) AS endpoint,
    anyIf(toString(operation), sign = 1) AS operation,
    anyIf(toString(provider), sign = 1) AS provider,
    anyIf(toString(model), sign = 1) AS model,
    anyIf(toString(tenant), sign = 1) AS tenant,
    anyIf(toString(host), sign = 1) AS host,
    anyIf(toString(gpu_id), sign = 1) AS gpu_id,
    anyIf(arrayMap(n -> toString(n), dim_names), sign = 1) AS dim_names,
    anyIf(dim_values, sign = 1) AS dim_values,
    anyIf(requests, sign = 1) AS requests,
    anyIf(is_error, sign = 1) AS is_error,
    anyIf(is_retry, sign = 1) AS is_retry,
    anyIf(is_blocked, sign = 1) AS is_blocked,
    anyIf(input_tokens, sign = 1) AS input_tokens,
    anyIf(output_tokens, sign = 1) AS output_tokens,
    anyIf(cache_read_tokens, sign = 1) AS cache_read_tokens,
    anyIf(cache_write_tokens, sign = 1) AS cache_write_tokens,
    anyIf(reasoning_tokens, sign = 1) AS reasoning_tokens,
    anyIf(gpu_seconds, sign = 1) AS gpu_seconds,
    anyIf(input_cost, sign = 1) AS input_cost,
    anyIf(cache_read_cost, sign = 1) AS cache_read_cost,
    anyIf(cache_write_cost, sign = 1) AS cache_write_cost,
    anyIf(output_cost, sign = 1) AS output_cost,
    anyIf(reasoning_cost, sign = 1) AS reasoning_cost,
    anyIf(request_cost, sign = 1) AS request_cost,
    anyIf(gpu_cost, sign = 1) AS gpu_cost,
    anyIf(total_cost, sign = 1) AS total_cost
FROM cost_ledger
WHERE project_id = {project_id:UInt64}
  AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
  AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
GROUP BY line_key, posting
HAVING sum(sign) > 0
