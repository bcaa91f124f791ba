-- The values seen in a window for each filterable dimension, busiest first, for the filter menus.
SELECT dimension, groupArray({per_dimension:UInt32})(value) AS dimension_values
FROM (
    SELECT dimension, value, sum(requests) AS requests
    FROM span_rollup_1m
    ARRAY JOIN ['service', 'endpoint', 'model', 'provider', 'tenant', 'host'] AS dimension,
               [service_name, endpoint, model, provider, tenant, host] AS value
    WHERE project_id = {project_id:UInt64}
      AND span_rollup_1m.minute >= toStartOfMinute({start:DateTime64(6, 'UTC')})
      AND span_rollup_1m.minute < {end:DateTime64(6, 'UTC')}
      AND value != ''
    GROUP BY dimension, value
    ORDER BY dimension, requests DESC, value
)
GROUP BY dimension
