-- Which of these decisions the ledger already holds (their event times lie in [start, end]).
SELECT decision_id
FROM decision_ledger
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(9, 'UTC')}
  AND timestamp <= {end:DateTime64(9, 'UTC')}
  AND decision_id IN {ids:Array(String)}
