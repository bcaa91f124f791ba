-- Mean input tokens of successful calls with one prompt, inside and outside an incident window.
SELECT
    avgIf(input_tokens, timestamp >= {incident_start:DateTime64(6, 'UTC')}
                        AND timestamp < {incident_end:DateTime64(6, 'UTC')}) AS inside,
    avgIf(input_tokens, NOT (timestamp >= {incident_start:DateTime64(6, 'UTC')}
                             AND timestamp < {incident_end:DateTime64(6, 'UTC')})) AS outside
FROM spans
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
  AND span_attributes['gen_ai.prompt.name'] = {prompt:String}
  AND is_error = 0
