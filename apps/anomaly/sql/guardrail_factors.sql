-- BubbleUp over guardrail decisions: per dimension value, decisions and blocks in the anomalous
-- window [sel_start, end) and the baseline [start, sel_start). A block is an enforced block or a deny.
SELECT
    dim.1 AS dimension,
    dim.2 AS value,
    countIf(in_sel) AS sel_n,
    countIf(in_sel AND bad) AS sel_bad,
    toFloat64(countIf(in_sel)) AS sel_weight,
    countIf(NOT in_sel) AS base_n,
    countIf(NOT in_sel AND bad) AS base_bad,
    toFloat64(countIf(NOT in_sel)) AS base_weight,
    min(if(in_sel, ts, toDateTime64('2262-01-01 00:00:00', 9, 'UTC'))) AS first_sel,
    min(ts) AS first_seen,
    -- New: first seen shortly before the window (a version that arrived with the anomaly).
    min(ts) >= {new_since:DateTime64(6, 'UTC')} AS new_in_window
FROM (
    SELECT
        g.timestamp AS ts,
        g.timestamp >= {sel_start:DateTime64(6, 'UTC')} AS in_sel,
        g.action = 'block' OR g.verdict IN ('deny', 'block', 'blocked') AS bad,
        arrayFilter(d -> d.2 != '', [
            ('*', '*'), ('policy', toString(g.policy_id)),
            ('policy_version', if(g.policy_version != '', concat(toString(g.policy_id), '@', toString(g.policy_version)), '')),
            ('rule', toString(g.rule_id)), ('phase', toString(g.phase)), ('component', toString(g.component_name)),
            ('tenant', toString(g.tenant)), ('model', toString(g.model)), ('service', toString(g.service_name))
        ]) AS dims
    FROM guardrail_decisions AS g
    WHERE g.project_id = {project_id:UInt64}
      AND g.timestamp >= {start:DateTime64(6, 'UTC')} AND g.timestamp < {end:DateTime64(6, 'UTC')}
      AND ({service:String} = '' OR g.service_name = {service:String})
      AND ({tenant:String} = '' OR g.tenant = {tenant:String})
)
ARRAY JOIN dims AS dim
GROUP BY dimension, value
HAVING sel_n > 0 OR dimension = '*'
ORDER BY dimension, sel_n DESC
LIMIT 50 BY dimension
