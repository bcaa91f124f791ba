-- The latest evaluation of every SLO of a project within the window, for the SLO list's status.
SELECT
    slo_id,
    toDateTime64(max(slo_evaluations.minute), 0, 'UTC') AS evaluated_at,
    argMax(sli, slo_evaluations.minute) AS sli,
    argMax(budget_remaining, slo_evaluations.minute) AS budget_remaining,
    argMax(burn_windows, slo_evaluations.minute) AS burn_windows,
    argMax(burn_rates, slo_evaluations.minute) AS burn_rates,
    argMax(firing, slo_evaluations.minute) AS firing
FROM slo_evaluations FINAL
WHERE project_id = {project_id:UInt64}
  AND slo_evaluations.minute >= {start:DateTime64(6, 'UTC')}
  AND slo_evaluations.minute < {end:DateTime64(6, 'UTC')}
GROUP BY slo_id
