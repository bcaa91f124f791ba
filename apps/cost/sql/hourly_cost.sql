-- Cost per time bucket and group from the hourly rollup (the overview's cost/hour), for [start, end).
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
GROUP BY bucket, grp
ORDER BY bucket, grp
