-- Median TTFT (ms) of streamed calls served by one host, inside and outside an incident window.
SELECT
    quantileExactIf(0.5)(ttft_ns / 1e6, timestamp >= {incident_start:DateTime64(6, 'UTC')}
                                        AND timestamp < {incident_end:DateTime64(6, 'UTC')}) AS inside,
    quantileExactIf(0.5)(ttft_ns / 1e6, NOT (timestamp >= {incident_start:DateTime64(6, 'UTC')}
                                             AND timestamp < {incident_end:DateTime64(6, 'UTC')})) AS outside
FROM spans
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
  AND host = {host:String}
  AND ttft_ns > 0
