-- The ledger's net total for [start, end): what a recompute reports before and after.
SELECT sum(sign * total_cost) AS total_cost, sum(toInt64(sign) * requests) AS requests, count() AS rows
FROM cost_ledger
WHERE project_id = {project_id:UInt64}
  AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
  AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
