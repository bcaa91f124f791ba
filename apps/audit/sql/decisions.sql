-- Decision ledger records of seq first…last whose event time is in [start, end), each with whether it
-- matches the auditor's filters (empty filter = any; event time in [match_start, match_end)); only the
-- matching ones unless {only_matched} is 0 (an export bundle keeps the others' hashes so the chain
-- verifies: it reads all of time). Oldest or newest first, a page at a time.
SELECT
    seq, decision_id, project_id, event_time, trace_id, span_id, toString(source) AS source,
    toString(service_name) AS service_name, toString(tenant) AS tenant, user_id, toString(model) AS model,
    toString(component_name) AS component_name, toString(policy_id) AS policy_id,
    toString(policy_version) AS policy_version, toString(rule_id) AS rule_id, toString(phase) AS phase,
    toString(target_subtype) AS target_subtype, toString(verdict) AS verdict, toString(action) AS action, reason,
    toString(risk_category) AS risk_category, risk_score, content_hash, latency_ns, prev_hash, record_hash, matched
FROM (
    SELECT
        *,
        ({policy:String} = '' OR policy_id = {policy:String})
        AND ({version:String} = '' OR policy_version = {version:String})
        AND ({rule:String} = '' OR rule_id = {rule:String})
        AND ({verdict:String} = '' OR verdict = {verdict:String})
        AND ({action:String} = '' OR action = {action:String})
        AND ({phase:String} = '' OR phase = {phase:String})
        AND ({tenant:String} = '' OR tenant = {tenant:String})
        AND ({user:String} = '' OR user_id = {user:String})
        AND ({model:String} = '' OR model = {model:String})
        AND ({service:String} = '' OR service_name = {service:String})
        AND ({trace:String} = '' OR trace_id = {trace:String})
        AND timestamp >= {match_start:DateTime64(9, 'UTC')} AND timestamp < {match_end:DateTime64(9, 'UTC')} AS matched
    FROM decision_ledger
    WHERE project_id = {project_id:UInt64}
      AND timestamp >= {start:DateTime64(9, 'UTC')}
      AND timestamp < {end:DateTime64(9, 'UTC')}
      AND seq >= {first:UInt64} AND seq <= {last:UInt64}
)
WHERE {only_matched:UInt8} = 0 OR matched
ORDER BY if({newest_first:UInt8} = 1, -toInt64(seq), toInt64(seq))
LIMIT {limit:UInt32}
