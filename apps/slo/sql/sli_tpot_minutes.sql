-- Calls per minute, and those whose time per output token is at or under the threshold, from the rollups' le
-- arrays (bucket: the threshold's 1-based index; the last element counts every call).
SELECT
    toDateTime64(span_rollup_1m.minute, 0, 'UTC') AS minute,
    arrayElement(sumForEachMerge(tpot_le), -1) AS total,
    arrayElement(sumForEachMerge(tpot_le), {bucket:UInt32}) AS good
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
