-- One span in full: attributes, resource, events and links, for the waterfall's detail panel.
SELECT
    lower(hex(span_id)) AS span_id,
    name,
    kind,
    status_code,
    status_message,
    scope_name,
    scope_version,
    dialect,
    finish_reason,
    conversation_id,
    span_attributes,
    resource_attributes,
    arrayMap(t -> toInt64(toUnixTimestamp64Nano(t)), `events.timestamp`) AS event_times_ns,
    `events.name` AS event_names,
    `events.attributes` AS event_attributes,
    arrayMap(t -> lower(hex(t)), `links.trace_id`) AS link_trace_ids,
    arrayMap(s -> lower(hex(s)), `links.span_id`) AS link_span_ids
FROM spans
WHERE project_id = {project_id:UInt64}
  AND spans.trace_id = unhex({trace_id:String})
  AND spans.span_id = unhex({span_id:String})
  AND spans.timestamp >= {start:DateTime64(6, 'UTC')}
  AND spans.timestamp <= {end:DateTime64(6, 'UTC')}
LIMIT 1
