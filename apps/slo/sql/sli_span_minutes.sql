-- Good and total events per minute of a span-based SLI counted from the spans themselves, for SLOs
-- scoped by attributes (the rollups keep none). The same definitions as the rollups' le arrays:
-- availability counts every span and the ones without error; latency compares the duration, TTFT the
-- time to first token (calls that report one), time per output token (duration − TTFT) ÷ (output
-- tokens − 1) for streamed calls. Attribute filters as in the trace search (inferops_attr_all).
SELECT
    toDateTime64(minute_start, 0, 'UTC') AS minute,
    countIf(in_sli) AS total,
    countIf(in_sli AND is_good) AS good
FROM (
    SELECT
        toStartOfMinute(spans.timestamp) AS minute_start,
        multiIf({kind:String} IN ('availability', 'latency'), 1,
                {kind:String} = 'ttft', ttft_ns > 0,
                ttft_ns > 0 AND output_tokens > 1 AND duration_ns >= ttft_ns) AS in_sli,
        multiIf({kind:String} = 'availability', is_error = 0,
                {kind:String} = 'latency', duration_ns <= {threshold_ns:UInt64},
                {kind:String} = 'ttft', ttft_ns <= {threshold_ns:UInt64},
                (duration_ns - ttft_ns) / greatest(output_tokens - 1, 1) <= {threshold_ns:UInt64}) AS is_good
    FROM spans
    WHERE project_id = {project_id:UInt64}
      AND spans.timestamp >= {start:DateTime64(6, 'UTC')}
      AND spans.timestamp < {end:DateTime64(6, 'UTC')}
      AND ({roots_only:UInt8} = 0 OR parent_span_id = toFixedString('', 8))
      AND (empty({operations:Array(String)}) OR operation IN {operations:Array(String)})
      AND (empty({services:Array(String)}) OR service_name IN {services:Array(String)})
      AND (empty({endpoints:Array(String)}) OR endpoint IN {endpoints:Array(String)})
      AND (empty({models:Array(String)}) OR if(response_model != '', response_model, request_model) IN {models:Array(String)})
      AND (empty({providers:Array(String)}) OR provider IN {providers:Array(String)})
      AND (empty({tenants:Array(String)}) OR tenant IN {tenants:Array(String)})
      AND inferops_attr_all(span_attributes, resource_attributes, {attr_keys:Array(String)}, {attr_ops:Array(String)}, {attr_values:Array(String)})
)
GROUP BY minute_start
ORDER BY minute_start
