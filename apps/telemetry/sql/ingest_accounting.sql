-- Accepted and rejected items per signal for one project over a window.
SELECT
    signal,
    sum(requests) AS requests,
    sum(accepted) AS accepted,
    sum(rejected) AS rejected,
    sum(rejected_requests) AS rejected_requests
FROM ingest_accounting
WHERE project_id = {project_id:UInt64}
  AND minute >= toStartOfMinute({start:DateTime64(6, 'UTC')})
  AND minute < {end:DateTime64(6, 'UTC')}
GROUP BY signal
ORDER BY signal
