-- The evaluation history of one SLO (SLI, budget and burn rates per minute) for its charts.
SELECT toDateTime64(slo_evaluations.minute, 0, 'UTC') AS minute, sli, budget_remaining, good, total, burn_windows, burn_rates, firing
FROM slo_evaluations FINAL
WHERE project_id = {project_id:UInt64}
  AND slo_id = {slo_id:UInt64}
  AND slo_evaluations.minute >= {start:DateTime64(6, 'UTC')}
  AND slo_evaluations.minute < {end:DateTime64(6, 'UTC')}
ORDER BY minute
