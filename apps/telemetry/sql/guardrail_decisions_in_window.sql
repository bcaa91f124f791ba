-- Guardrail decisions of one project in a window.
SELECT timestamp, hex(trace_id) AS trace_id, hex(span_id) AS span_id, source, service_name, tenant, user_id,
       component_name, policy_id, policy_version, rule_id, phase, target_subtype, verdict, action, reason,
       risk_category, risk_score, content_hash, latency_ns, model
FROM guardrail_decisions
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(6, 'UTC')}
  AND timestamp < {end:DateTime64(6, 'UTC')}
ORDER BY timestamp
LIMIT {limit:UInt32}
