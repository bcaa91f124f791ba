-- A project's per-minute rollups over a short window with the scope columns SLOs filter on, for the
-- evaluator to slice per SLO in memory: one read per project per minute instead of one per SLO.
SELECT
    toDateTime64(span_rollup_1m.minute, 0, 'UTC') AS minute,
    service_name, endpoint, operation, provider, model, tenant, is_root,
    sum(requests) AS requests,
    sum(errors) AS errors,
    sumForEachMerge(duration_le) AS duration_le,
    sumForEachMerge(ttft_le) AS ttft_le,
    sumForEachMerge(tpot_le) AS tpot_le
FROM span_rollup_1m
WHERE project_id = {project_id:UInt64}
  AND span_rollup_1m.minute >= {start:DateTime64(6, 'UTC')}
  AND span_rollup_1m.minute < {end:DateTime64(6, 'UTC')}
GROUP BY span_rollup_1m.minute, service_name, endpoint, operation, provider, model, tenant, is_root
