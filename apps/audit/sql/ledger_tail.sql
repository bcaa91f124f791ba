-- The chain's links after a sequence number: what a seal run that crashed after its insert left behind.
-- (The ledger is read by seq; the time bounds are the whole range a ledger can hold.)
SELECT seq, prev_hash, record_hash, chained_until
FROM decision_ledger
WHERE project_id = {project_id:UInt64}
  AND timestamp >= {start:DateTime64(9, 'UTC')}
  AND timestamp < {end:DateTime64(9, 'UTC')}
  AND seq > {after:UInt64}
ORDER BY seq
