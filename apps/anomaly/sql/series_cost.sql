-- Cost per hour (USD, the minute's net ledger total × 60) per minute of [start, end), for the project
-- and per tenant and model. Reversals count negative: a recompute never looks like a spike.
SELECT
    dim.1 AS dimension,
    dim.2 AS value,
    toDateTime64(toStartOfMinute(cost_ledger.timestamp), 0, 'UTC') AS at,
    sum(toFloat64(total_cost) * sign) * 60 AS cost_per_hour
FROM cost_ledger
ARRAY JOIN [('*', '*'), ('tenant', toString(tenant)), ('model', toString(model))] AS dim
WHERE project_id = {project_id:UInt64}
  AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
  AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
  AND dim.2 != ''
GROUP BY dimension, value, at
ORDER BY dimension, value, at
