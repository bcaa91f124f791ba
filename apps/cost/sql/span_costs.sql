-- Net cost of each span of one trace, with how it was priced (the latest posting's method, price and
-- version); [start, end) bounds the trace.
SELECT
    lower(hex(span_id)) AS span_id,
    sum(sign * total_cost) AS total_cost,
    argMaxIf(toString(method), posted_at, sign = 1) AS method,
    argMaxIf(toString(price_ref), posted_at, sign = 1) AS price_ref,
    argMaxIf(price_version, posted_at, sign = 1) AS price_version
FROM cost_ledger
WHERE project_id = {project_id:UInt64}
  AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
  AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
  AND trace_id = unhex({trace_id:String})
  AND kind = 'llm'
GROUP BY span_id
