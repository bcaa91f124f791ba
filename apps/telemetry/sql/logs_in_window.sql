-- Log records and events of one project in a window.
SELECT timestamp, observed_timestamp,
       if(trace_id = toFixedString('', 16), '', hex(trace_id)) AS trace_id,
       if(span_id = toFixedString('', 8), '', hex(span_id)) AS span_id,
       flags, severity_number, severity_text, event_name, body, service_name, scope_name, attributes, resource_attributes
FROM logs
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
ORDER BY timestamp
LIMIT {limit:UInt32}
