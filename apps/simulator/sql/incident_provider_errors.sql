-- Error ratio of calls to one model, inside and outside an incident window.
SELECT
    avgIf(is_error, timestamp >= {incident_start:DateTime64(6, 'UTC')}
                    AND timestamp < {incident_end:DateTime64(6, 'UTC')}) AS inside,
    avgIf(is_error, NOT (timestamp >= {incident_start:DateTime64(6, 'UTC')}
                         AND timestamp < {incident_end:DateTime64(6, 'UTC')})) AS outside
FROM spans
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
  AND request_model = {model:String}
  AND operation = 'chat'
