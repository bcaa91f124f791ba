-- BubbleUp over spans: for every dimension value, how many spans (and how many "bad" ones, and how
-- much weight) fell in the anomalous window [sel_start, end) and in the baseline window [start,
-- sel_start), within the anomaly's scope (empty filters match anything). What is bad depends on the
-- symptom: slower than the baseline's p95 for the span's peer group (same operation, model, tool
-- and prompt) for latency, likewise for time to first token and input tokens per call, an error for
-- errors; volume symptoms weigh spans by count or tokens instead. The pseudo-dimension '*' carries
-- the totals. A call's model is the one it asked for (falling back to the one that answered): a failed
-- call has no response model, so the answering snapshot would put a model's errors and its successes
-- under two names, and its errors would look like their own, always-failing model.
WITH
    {symptom:String} AS symptom,
    peers AS (
        SELECT operation AS p_operation, if(request_model != '', request_model, response_model) AS p_model,
               tool_name AS p_tool, span_attributes['gen_ai.prompt.name'] AS p_prompt,
               quantileTDigest(0.95)(duration_ns) AS p95_duration,
               quantileTDigestIf(0.95)(ttft_ns, ttft_ns > 0) AS p95_ttft,
               quantileTDigestIf(0.95)(input_tokens, input_tokens > 0) AS p95_input
        FROM spans
        WHERE project_id = {project_id:UInt64}
          AND timestamp >= {start:DateTime64(6, 'UTC')} AND timestamp < {sel_start:DateTime64(6, 'UTC')}
        GROUP BY p_operation, p_model, p_tool, p_prompt
    )
SELECT
    dim.1 AS dimension,
    dim.2 AS value,
    countIf(in_sel) AS sel_n,
    countIf(in_sel AND bad) AS sel_bad,
    sumIf(weight, in_sel) AS sel_weight,
    countIf(NOT in_sel) AS base_n,
    countIf(NOT in_sel AND bad) AS base_bad,
    sumIf(weight, NOT in_sel) AS base_weight,
    min(if(in_sel, ts, toDateTime64('2262-01-01 00:00:00', 9, 'UTC'))) AS first_sel,
    min(ts) AS first_seen,
    -- New: first seen shortly before the window (a version that arrived with the anomaly).
    min(ts) >= {new_since:DateTime64(6, 'UTC')} AS new_in_window
FROM (
    SELECT
        s.timestamp AS ts,
        s.timestamp >= {sel_start:DateTime64(6, 'UTC')} AS in_sel,
        multiIf(symptom = 'latency', s.duration_ns > peers.p95_duration AND peers.p95_duration > 0,
                symptom = 'ttft', s.ttft_ns > peers.p95_ttft AND peers.p95_ttft > 0,
                symptom = 'errors', s.is_error = 1,
                symptom = 'input_per_call', s.input_tokens > peers.p95_input AND peers.p95_input > 0,
                0) AS bad,
        if(symptom = 'tokens', toFloat64(s.input_tokens + s.output_tokens), 1.0) AS weight,
        arrayFilter(d -> d.2 != '', [
            ('*', '*'),
            ('service', toString(s.service_name)), ('endpoint', toString(s.endpoint)),
            ('operation', toString(s.operation)), ('provider', toString(s.provider)),
            ('model', if(s.request_model != '', toString(s.request_model), toString(s.response_model))),
            ('tenant', toString(s.tenant)), ('host', toString(s.host)),
            ('gpu', if(s.gpu_id != '', concat(toString(s.host), '/', toString(s.gpu_id)), '')),
            ('tool', toString(s.tool_name)), ('agent', toString(s.agent_name)),
            ('error_type', toString(s.error_type)),
            ('prompt_version', if(s.span_attributes['gen_ai.prompt.version'] != '',
                                  concat(s.span_attributes['gen_ai.prompt.name'], '@',
                                         s.span_attributes['gen_ai.prompt.version']), '')),
            ('input_tokens', if(s.input_tokens > 0, concat('≥', toString(pow(2, floor(log2(s.input_tokens))))), ''))
        ]) AS dims
    FROM spans AS s
    LEFT JOIN peers
        ON s.operation = peers.p_operation
       AND if(s.request_model != '', s.request_model, s.response_model) = peers.p_model
       AND s.tool_name = peers.p_tool
       AND s.span_attributes['gen_ai.prompt.name'] = peers.p_prompt
    WHERE s.project_id = {project_id:UInt64}
      AND s.timestamp >= {start:DateTime64(6, 'UTC')} AND s.timestamp < {end:DateTime64(6, 'UTC')}
      AND ({service:String} = '' OR s.service_name = {service:String})
      AND ({endpoint:String} = '' OR s.endpoint = {endpoint:String})
      AND ({model:String} = '' OR s.response_model = {model:String} OR s.request_model = {model:String})
      AND ({tenant:String} = '' OR s.tenant = {tenant:String})
      AND ({host:String} = '' OR s.host = {host:String})
      AND (symptom != 'ttft' OR s.ttft_ns > 0)
      AND (symptom != 'input_per_call' OR s.input_tokens > 0)
      AND (symptom != 'requests' OR s.parent_span_id = toFixedString('', 8))
)
ARRAY JOIN dims AS dim
GROUP BY dimension, value
HAVING sel_n > 0 OR dimension = '*'
ORDER BY dimension, sel_n DESC
LIMIT 50 BY dimension
