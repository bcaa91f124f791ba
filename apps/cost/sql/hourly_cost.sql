-- Cost per time bucket (a whole number of hours) and group from the hourly rollup, for [start, end),
-- with the overview's filters.
SELECT
    toDateTime64(toStartOfInterval(hour, toIntervalSecond({step_s:UInt32})), 0, 'UTC') AS bucket,
    multiIf({group_by:String} = 'service', toString(service_name), {group_by:String} = 'endpoint', toString(endpoint),
            {group_by:String} = 'model', toString(model), {group_by:String} = 'provider', toString(provider),
            {group_by:String} = 'tenant', toString(tenant), {group_by:String} = 'host', toString(host), '') AS grp,
    sum(total_cost) AS total_cost
FROM cost_hourly
WHERE project_id = {project_id:UInt64}
  AND hour >= toStartOfHour({start:DateTime64(6, 'UTC')})
  AND hour < {end:DateTime64(6, 'UTC')}
  AND (empty({services:Array(String)}) OR service_name IN {services:Array(String)})
  AND (empty({endpoints:Array(String)}) OR endpoint IN {endpoints:Array(String)})
  AND (empty({models:Array(String)}) OR model IN {models:Array(String)})
  AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
  AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
  AND (empty({hosts:Array(String)}) OR host IN {hosts:Array(String)})
GROUP BY bucket, grp
ORDER BY bucket, grp
