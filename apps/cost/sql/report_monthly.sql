-- report.sql over the monthly rollup, for whole months [start, end) not split by endpoint or service
-- (the monthly rollup does not keep those): a few rows per tenant and model per month.
SELECT
    multiIf({period:String} = 'day', r_day, {period:String} = 'month', toStartOfMonth(r_day), toDate('1970-01-01')) AS period,
    if({by_tenant:UInt8}, r_tenant, '') AS tenant,
    if({by_provider:UInt8}, r_provider, '') AS provider,
    if({by_model:UInt8}, r_model, '') AS model,
    r_endpoint AS endpoint,
    r_service AS service_name,
    if({by_kind:UInt8}, r_kind, '') AS kind,
    if({by_method:UInt8}, r_method, '') AS method,
    sum(r_requests) AS requests,
    sum(r_errors) AS errors,
    sumIf(r_requests, r_method = 'unpriced') AS unpriced_requests,
    sum(r_input_tokens) AS input_tokens,
    sum(r_output_tokens) AS output_tokens,
    sum(r_cache_read_tokens) AS cache_read_tokens,
    sum(r_cache_write_tokens) AS cache_write_tokens,
    sum(r_reasoning_tokens) AS reasoning_tokens,
    sum(r_gpu_seconds) AS gpu_seconds,
    sum(r_total_cost) AS total_cost,
    sum(r_input_cost) AS input_cost,
    sum(r_output_cost) AS output_cost,
    sum(r_error_cost) AS error_cost,
    sum(r_retry_cost) AS retry_cost,
    sum(r_blocked_cost) AS blocked_cost
FROM (
    SELECT month AS r_day, toString(tenant) AS r_tenant, toString(provider) AS r_provider, toString(model) AS r_model,
           '' AS r_endpoint, '' AS r_service, toString(kind) AS r_kind,
           toString(method) AS r_method, requests AS r_requests, errors AS r_errors, input_tokens AS r_input_tokens,
           output_tokens AS r_output_tokens, cache_read_tokens AS r_cache_read_tokens,
           cache_write_tokens AS r_cache_write_tokens, reasoning_tokens AS r_reasoning_tokens,
           gpu_seconds AS r_gpu_seconds, total_cost AS r_total_cost, input_cost AS r_input_cost,
           output_cost AS r_output_cost, error_cost AS r_error_cost, retry_cost AS r_retry_cost,
           blocked_cost AS r_blocked_cost
    FROM cost_monthly
    WHERE project_id = {project_id:UInt64}
      AND month >= toDate({start:DateTime64(6, 'UTC')})
      AND month < toDate({end:DateTime64(6, 'UTC')})
      AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
      AND (empty({models:Array(String)}) OR model IN {models:Array(String)})
      AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
)
GROUP BY period, tenant, provider, model, endpoint, service_name, kind, method
HAVING requests != 0 OR total_cost != 0
ORDER BY total_cost DESC, period, tenant, provider, model, endpoint, service_name, kind, method
LIMIT {limit:UInt32}
