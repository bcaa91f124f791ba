-- Per tool and minute of [start, end): calls, failed calls, and calls slower than the tool's own p95
-- over [start, window_start) — the share of slow calls is a proportion, which stays meaningful at a
-- handful of calls a minute where a per-minute p95 is just the slowest call.
WITH usual AS (
    SELECT tool_name AS u_tool, quantileTDigest(0.95)(duration_ns) AS p95_ns
    FROM spans
    WHERE project_id = {project_id:UInt64}
      AND timestamp >= {start:DateTime64(6, 'UTC')} AND timestamp < {window_start:DateTime64(6, 'UTC')}
      AND operation = 'execute_tool' AND tool_name != ''
    GROUP BY u_tool
)
SELECT
    'tool' AS dimension,
    toString(tool_name) AS value,
    toDateTime64(toStartOfMinute(spans.timestamp), 0, 'UTC') AS at,
    count() AS calls,
    countIf(is_error = 1) AS failed,
    countIf(duration_ns > usual.p95_ns AND usual.p95_ns > 0) AS slow
FROM spans
LEFT JOIN usual ON usual.u_tool = spans.tool_name
WHERE project_id = {project_id:UInt64}
  AND spans.timestamp >= {start:DateTime64(6, 'UTC')}
  AND spans.timestamp < {end:DateTime64(6, 'UTC')}
  AND operation = 'execute_tool' AND tool_name != ''
GROUP BY value, at
ORDER BY value, at
