-- Net cost per trace (agent run) for the traces given, or for every trace in [start, end) when none are.
-- (The hex id is not called trace_id: an alias would shadow the column in WHERE.)
SELECT lower(hex(trace_id)) AS trace_hex, sum(sign * total_cost) AS total_cost,
       sum(toInt64(sign) * requests) AS llm_calls
FROM cost_ledger
WHERE project_id = {project_id:UInt64}
  AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
  AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
  AND kind = 'llm'
  AND (empty({trace_ids:Array(String)}) OR trace_id IN arrayMap(t -> unhex(t), {trace_ids:Array(String)}))
GROUP BY trace_hex
HAVING total_cost != 0 OR llm_calls != 0
LIMIT 100000
