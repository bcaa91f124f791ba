-- Share of one policy's decisions that blocked, inside and outside an incident window.
SELECT
    avgIf(action = 'block' OR verdict = 'deny', timestamp >= {incident_start:DateTime64(6, 'UTC')}
                                                AND timestamp < {incident_end:DateTime64(6, 'UTC')}) AS inside,
    avgIf(action = 'block' OR verdict = 'deny', NOT (timestamp >= {incident_start:DateTime64(6, 'UTC')}
                                                     AND timestamp < {incident_end:DateTime64(6, 'UTC')})) AS outside
FROM guardrail_decisions
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
  AND policy_id = {policy_id:String}
  AND source = 'span'
