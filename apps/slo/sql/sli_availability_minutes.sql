-- Requests and non-error requests per minute of an availability SLI, from the per-minute rollups.
-- An empty filter array means "any".
SELECT
    -- DateTime64: both backends return it as a UTC timestamp (a plain DateTime comes back as seconds).
    toDateTime64(span_rollup_1m.minute, 0, 'UTC') AS minute,
    sum(requests) AS total,
    toUInt64(sum(requests) - sum(errors)) AS good
FROM span_rollup_1m
WHERE project_id = {project_id:UInt64}
  AND span_rollup_1m.minute >= {start:DateTime64(6, 'UTC')}
  AND span_rollup_1m.minute < {end:DateTime64(6, 'UTC')}
  AND ({roots_only:UInt8} = 0 OR is_root = 1)
  AND (empty({operations:Array(String)}) OR operation IN {operations:Array(String)})
  AND (empty({services:Array(String)}) OR service_name IN {services:Array(String)})
  AND (empty({endpoints:Array(String)}) OR endpoint IN {endpoints:Array(String)})
  AND (empty({models:Array(String)}) OR model IN {models:Array(String)})
  AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
  AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
GROUP BY span_rollup_1m.minute
ORDER BY minute
