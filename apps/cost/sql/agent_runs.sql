-- Cost per agent run (a whole trace) in [start, end), by the run's root operation: how many runs,
-- their total, mean and high-percentile cost.
SELECT
    if(root_name != '', root_name, '(no root span)') AS agent,
    count() AS runs,
    sum(run_cost) AS total_cost,
    avg(toFloat64(run_cost)) AS mean_cost,
    quantileExact(0.5)(toFloat64(run_cost)) AS p50_cost,
    quantileExact(0.95)(toFloat64(run_cost)) AS p95_cost,
    sum(llm_calls) AS llm_calls
FROM (
    SELECT trace_id, sum(sign * total_cost) AS run_cost, sum(toInt64(sign) * requests) AS llm_calls
    FROM cost_ledger
    WHERE project_id = {project_id:UInt64}
      AND cost_ledger.timestamp >= {start:DateTime64(6, 'UTC')}
      AND cost_ledger.timestamp < {end:DateTime64(6, 'UTC')}
      AND kind = 'llm'
    GROUP BY trace_id
    HAVING llm_calls > 0
) AS runs
LEFT JOIN (
    SELECT trace_id, max(root_name) AS root_name
    FROM trace_summaries
    WHERE project_id = {project_id:UInt64}
      AND start >= {start:DateTime64(6, 'UTC')} - INTERVAL 1 HOUR
      AND start < {end:DateTime64(6, 'UTC')}
    GROUP BY trace_id
) AS roots USING (trace_id)
GROUP BY agent
ORDER BY total_cost DESC
LIMIT 500
