-- Per SLO and quarter hour: the highest 1-hour burn rate (the first window when there is no 1h one)
-- and the lowest budget remaining, for the SLO list's sparklines.
SELECT
    slo_id,
    toDateTime64(toStartOfFifteenMinutes(slo_evaluations.minute), 0, 'UTC') AS quarter,
    max(multiIf(has(burn_windows, '1h'), burn_rates[indexOf(burn_windows, '1h')], empty(burn_rates), 0, burn_rates[1])) AS burn,
    min(budget_remaining) AS budget
FROM slo_evaluations FINAL
WHERE project_id = {project_id:UInt64}
  AND slo_evaluations.minute >= {start:DateTime64(6, 'UTC')}
  AND slo_evaluations.minute < {end:DateTime64(6, 'UTC')}
GROUP BY slo_id, quarter
ORDER BY slo_id, quarter
