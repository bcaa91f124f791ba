-- How the ledger for [start, end) came to be: rows and amounts per price version and direction.
SELECT price_version, sign, count() AS rows, sum(total_cost) AS total_cost
FROM cost_ledger
WHERE project_id = {project_id:UInt64}
  AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
  AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
GROUP BY price_version, sign
ORDER BY price_version, sign DESC
