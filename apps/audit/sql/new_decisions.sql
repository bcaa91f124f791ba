-- Guardrail decisions that arrived in [start, end) (by ingest time), in a stable order, as the text the
-- decision ledger chains, at most {limit} of them. decision_id names a decision by everything chained
-- about it, so a span sent twice (an exporter's retry) is chained once.
SELECT
    lower(hex(substring(SHA256(arrayStringConcat([
        hex(trace_id), hex(span_id), toString(source), toString(toUnixTimestamp64Nano(timestamp)),
        toString(component_name), toString(policy_id), toString(policy_version), toString(rule_id),
        toString(phase), toString(target_subtype), toString(verdict), toString(action), reason,
        toString(risk_category), toString(risk_score), content_hash, user_id, toString(tenant), toString(model),
        toString(service_name), toString(latency_ns)], '\x1f')), 1, 16))) AS decision_id,
    concat(formatDateTime(timestamp, '%Y-%m-%dT%H:%i:%S', 'UTC'), '.',
           leftPad(toString(toUnixTimestamp64Nano(timestamp) % 1000000000), 9, '0'), 'Z') AS event_time,
    -- The ledger's filter column stays inside the bounds its queries read (the text above is exact).
    least(timestamp, toDateTime64('2199-12-31 23:59:59', 9, 'UTC')) AS ledger_time,
    ingested_at,
    lower(hex(trace_id)) AS trace_id,
    lower(hex(span_id)) AS span_id,
    toString(source) AS source,
    toString(service_name) AS service_name,
    toString(tenant) AS tenant,
    user_id,
    toString(model) AS model,
    toString(component_name) AS component_name,
    toString(policy_id) AS policy_id,
    toString(policy_version) AS policy_version,
    toString(rule_id) AS rule_id,
    toString(phase) AS phase,
    toString(target_subtype) AS target_subtype,
    toString(verdict) AS verdict,
    toString(action) AS action,
    toString(reason) AS reason,
    toString(risk_category) AS risk_category,
    toString(risk_score) AS risk_score,
    content_hash,
    least(latency_ns, 9007199254740992) AS latency_ns
FROM guardrail_decisions
WHERE project_id = {project_id:UInt64}
  AND ingested_at >= {start:DateTime64(6, 'UTC')}
  AND ingested_at < {end:DateTime64(6, 'UTC')}
ORDER BY ingested_at, timestamp, trace_id, span_id, source, policy_id, rule_id, component_name, decision_id
LIMIT {limit:UInt32}
