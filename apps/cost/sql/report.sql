-- Cost and usage from the daily rollup for days [start, end), grouped by the period and the
-- dimensions asked for (the others fold into ''), largest cost first. The inner query renames the
-- rollup's columns so that the outer aliases never shadow them.
SELECT
    multiIf({period:String} = 'day', r_day, {period:String} = 'month', toStartOfMonth(r_day), toDate('1970-01-01')) AS period,
    if({by_tenant:UInt8}, r_tenant, '') AS tenant,
    if({by_provider:UInt8}, r_provider, '') AS provider,
    if({by_model:UInt8}, r_model, '') AS model,
    if({by_endpoint:UInt8}, r_endpoint, '') AS endpoint,
    if({by_service:UInt8}, r_service, '') AS service_name,
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
    SELECT day AS r_day, toString(tenant) AS r_tenant, toString(provider) AS r_provider, toString(model) AS r_model,
           toString(endpoint) AS r_endpoint, toString(service_name) AS r_service, toString(kind) AS r_kind,
           toString(method) AS r_method, requests AS r_requests, errors AS r_errors, input_tokens AS r_input_tokens,
           output_tokens AS r_output_tokens, cache_read_tokens AS r_cache_read_tokens,
           cache_write_tokens AS r_cache_write_tokens, reasoning_tokens AS r_reasoning_tokens,
           gpu_seconds AS r_gpu_seconds, total_cost AS r_total_cost, input_cost AS r_input_cost,
           output_cost AS r_output_cost, error_cost AS r_error_cost, retry_cost AS r_retry_cost,
           blocked_cost AS r_blocked_cost
    FROM cost_daily
    WHERE project_id = {project_id:UInt64}
      AND day >= toDate({start:DateTime64(6, 'UTC')})
      AND day < toDate({end:DateTime64(6, 'UTC')})
      AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
      AND (empty({models:Array(String)}) OR model IN {models:Array(String)})
      AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
)
GROUP BY period, tenant, provider, model, endpoint, service_name, kind, method
HAVING requests != 0 OR total_cost != 0
ORDER BY total_cost DESC, period, tenant, provider, model, endpoint, service_name, kind, method
LIMIT {limit:UInt32}
