-- Guardrail decisions and blocks per minute of [start, end), for the project and per policy.
SELECT
    dim.1 AS dimension,
    dim.2 AS value,
    toDateTime64(toStartOfMinute(timestamp), 0, 'UTC') AS at,
    count() AS decisions,
    countIf(action = 'block' OR verdict IN ('deny', 'block', 'blocked')) AS blocks
FROM guardrail_decisions
ARRAY JOIN [('*', '*'), ('policy', toString(policy_id))] AS dim
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
  AND dim.2 != ''
GROUP BY dimension, value, at
ORDER BY dimension, value, at
