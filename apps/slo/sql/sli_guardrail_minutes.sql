-- Guardrail decisions per minute, and those that did not block, for a guardrail-block-rate SLI.
SELECT
    toDateTime64(toStartOfMinute(timestamp), 0, 'UTC') AS minute,
    count() AS total,
    countIf(action != 'block' AND verdict != 'deny') AS good
FROM guardrail_decisions
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
  AND (empty({services:Array(String)}) OR service_name IN {services:Array(String)})
  AND (empty({models:Array(String)}) OR model IN {models:Array(String)})
  AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
  AND (empty({policies:Array(String)}) OR policy_id IN {policies:Array(String)})
GROUP BY minute
ORDER BY minute
