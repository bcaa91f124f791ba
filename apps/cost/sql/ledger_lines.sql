-- Ledger rows of [start, end) in a stable order, a page at a time (keyset on the timestamp in whole
-- nanoseconds, line, posting, sign): the line-item export.
SELECT
    toDateTime64(cost_ledger.timestamp, 9, 'UTC') AS timestamp,
    toUnixTimestamp64Nano(cost_ledger.timestamp) AS ts_ns,
    line_key, posting, sign, run_id, price_version,
    toString(kind) AS kind, toString(method) AS method, toString(price_ref) AS price_ref,
    if(trace_id = toFixedString('', 16), '', lower(hex(trace_id))) AS trace_id,
    if(span_id = toFixedString('', 8), '', lower(hex(span_id))) AS span_id,
    toString(service_name) AS service_name, toString(endpoint) AS endpoint, toString(provider) AS provider,
    toString(model) AS model, toString(tenant) AS tenant, toString(host) AS host, toString(gpu_id) AS gpu_id,
    arrayStringConcat(arrayMap((n, v) -> concat(toString(n), '=', v), dim_names, dim_values), '; ') AS attribution,
    requests, is_error, is_retry, is_blocked,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, gpu_seconds,
    input_cost, cache_read_cost, cache_write_cost, output_cost, reasoning_cost, request_cost, gpu_cost, total_cost
FROM cost_ledger
WHERE project_id = {project_id:UInt64}
  AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
  AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
  AND ({has_cursor:UInt8} = 0
       OR (toUnixTimestamp64Nano(cost_ledger.timestamp), line_key, posting, sign) >
          ({after_ns:Int64}, {after_line:UInt64}, {after_posting:UInt64}, {after_sign:Int8}))
ORDER BY cost_ledger.timestamp, line_key, posting, sign
LIMIT {limit:UInt32}
