-- Cost by one attribution dimension (team, user, feature or a configured key) for days [start, end),
-- optionally by model too; '' is the cost that no configured attribute attributed.
SELECT
    multiIf({period:String} = 'day', r_day, {period:String} = 'month', toStartOfMonth(r_day), toDate('1970-01-01')) AS period,
    r_value AS value,
    if({by_model:UInt8}, r_model, '') AS model,
    sum(r_requests) AS requests,
    sum(r_input_tokens) AS input_tokens,
    sum(r_output_tokens) AS output_tokens,
    sum(r_total_cost) AS total_cost
FROM (
    SELECT day AS r_day, value AS r_value, toString(model) AS r_model, requests AS r_requests,
           input_tokens AS r_input_tokens, output_tokens AS r_output_tokens, total_cost AS r_total_cost
    FROM cost_daily_dims
    WHERE project_id = {project_id:UInt64}
      AND dimension = {dimension:String}
      AND day >= toDate({start:DateTime64(6, 'UTC')})
      AND day < toDate({end:DateTime64(6, 'UTC')})
)
GROUP BY period, value, model
HAVING requests != 0 OR total_cost != 0
ORDER BY total_cost DESC, period, value, model
LIMIT {limit:UInt32}
