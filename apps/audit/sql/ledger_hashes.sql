-- The record hashes of seq first…last, in order: what a checkpoint seals.
SELECT seq, record_hash
FROM decision_ledger
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(9, 'UTC')}
  AND timestamp < {end:DateTime64(9, 'UTC')}
  AND seq >= {first:UInt64} AND seq <= {last:UInt64}
ORDER BY seq
