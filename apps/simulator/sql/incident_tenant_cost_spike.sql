-- One tenant's share of requests (root spans), inside and outside an incident window.
SELECT
    avgIf(tenant = {tenant:String}, timestamp >= {incident_start:DateTime64(6, 'UTC')}
                                    AND timestamp < {incident_end:DateTime64(6, 'UTC')}) AS inside,
    avgIf(tenant = {tenant:String}, NOT (timestamp >= {incident_start:DateTime64(6, 'UTC')}
                                         AND timestamp < {incident_end:DateTime64(6, 'UTC')})) AS outside
FROM spans
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
  AND parent_span_id = toFixedString('', 8)
