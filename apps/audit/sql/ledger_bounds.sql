-- The first and last sequence numbers the ledger still holds (older rows expire by retention).
SELECT min(seq) AS first_seq, max(seq) AS last_seq, count() AS records
FROM decision_ledger
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(9, 'UTC')}
  AND timestamp < {end:DateTime64(9, 'UTC')}
