-- Traces: OTLP request envelopes land in a Null table (parsed by ClickHouse's Protobuf format,
-- see warehouse/proto/otlp_ingest.proto); a materialised view flattens and normalises them into spans.
CREATE TABLE IF NOT EXISTS otlp_traces_in {{on_cluster}} (
    project_id UInt64,
    received_unix_nano UInt64,
    rejected_items UInt64,
    rejected_requests UInt64,
    resource_spans Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(
            string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64),
            double_value Nullable(Float64),
            array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool),
                int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))),
            kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String),
                bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64),
                bytes_value Nullable(String))))),
            bytes_value Nullable(String))))),
        scope_spans Array(Tuple(
            scope Tuple(name String, version String),
            spans Array(Tuple(
                trace_id String,
                span_id String,
                trace_state String,
                parent_span_id String,
                name String,
                kind Int32,
                start_time_unix_nano UInt64,
                end_time_unix_nano UInt64,
                attributes Array(Tuple(key String, value Tuple(
                    string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64),
                    double_value Nullable(Float64),
                    array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool),
                        int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))),
                    kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String),
                        bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64),
                        bytes_value Nullable(String))))),
                    bytes_value Nullable(String)))),
                events Array(Tuple(time_unix_nano UInt64, name String, attributes Array(Tuple(key String, value Tuple(
                    string_value Nullable(String), bool_value Nullable(Bool), int_value Nullable(Int64),
                    double_value Nullable(Float64),
                    array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(Bool),
                        int_value Nullable(Int64), double_value Nullable(Float64), bytes_value Nullable(String)))),
                    kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String),
                        bool_value Nullable(Bool), int_value Nullable(Int64), double_value Nullable(Float64),
                        bytes_value Nullable(String))))),
                    bytes_value Nullable(String)))))),
                links Array(Tuple(trace_id String, span_id String)),
                status Tuple(message String, code Int32)))))))
) ENGINE = Null;

CREATE TABLE IF NOT EXISTS spans {{on_cluster}} (
    project_id UInt64,
    timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    end_timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    duration_ns UInt64 CODEC(T64, ZSTD(1)),
    trace_id FixedString(16) CODEC(ZSTD(1)),
    span_id FixedString(8) CODEC(ZSTD(1)),
    parent_span_id FixedString(8) CODEC(ZSTD(1)),
    trace_state String CODEC(ZSTD(1)),
    name LowCardinality(String),
    kind LowCardinality(String),
    status_code LowCardinality(String),
    status_message String CODEC(ZSTD(1)),
    is_error UInt8,
    service_name LowCardinality(String),
    scope_name LowCardinality(String),
    scope_version LowCardinality(String),
    dialect LowCardinality(String),
    operation LowCardinality(String),
    provider LowCardinality(String),
    request_model LowCardinality(String),
    response_model LowCardinality(String),
    input_tokens UInt64 CODEC(T64, ZSTD(1)),
    output_tokens UInt64 CODEC(T64, ZSTD(1)),
    cache_read_tokens UInt64 CODEC(T64, ZSTD(1)),
    cache_write_tokens UInt64 CODEC(T64, ZSTD(1)),
    reasoning_tokens UInt64 CODEC(T64, ZSTD(1)),
    ttft_ns UInt64 CODEC(T64, ZSTD(1)),
    finish_reason LowCardinality(String),
    error_type LowCardinality(String),
    tenant LowCardinality(String),
    endpoint LowCardinality(String),
    host LowCardinality(String),
    gpu_id LowCardinality(String),
    agent_name LowCardinality(String),
    tool_name LowCardinality(String),
    conversation_id String CODEC(ZSTD(1)),
    resource_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    span_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    `events.timestamp` Array(DateTime64(9, 'UTC')) CODEC(ZSTD(1)),
    `events.name` Array(LowCardinality(String)) CODEC(ZSTD(1)),
    `events.attributes` Array(Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
    `links.trace_id` Array(FixedString(16)) CODEC(ZSTD(1)),
    `links.span_id` Array(FixedString(8)) CODEC(ZSTD(1)),
    ingested_at DateTime('UTC') DEFAULT now(),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_model response_model TYPE set(256) GRANULARITY 4,
    INDEX idx_tenant tenant TYPE set(1024) GRANULARITY 4
) ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY (project_id, toStartOfMinute(timestamp), service_name, trace_id)
TTL greatest(toDateTime(timestamp), ingested_at) + toIntervalDay({{retention_days:traces}})
SETTINGS index_granularity = 8192, min_bytes_for_wide_part = 104857600, ttl_only_drop_parts = 1;

-- Flatten resource → scope → span and map every GenAI dialect (OTel current and deprecated,
-- OpenInference, OpenLLMetry) onto the typed columns; the attribute map keeps current names.
CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_traces_mv {{on_cluster}} TO spans AS
SELECT
    project_id,
    inferops_ns(sp.start_time_unix_nano) AS timestamp,
    inferops_ns(greatest(sp.end_time_unix_nano, sp.start_time_unix_nano)) AS end_timestamp,
    greatest(sp.end_time_unix_nano, sp.start_time_unix_nano) - sp.start_time_unix_nano AS duration_ns,
    toFixedString(sp.trace_id, 16) AS trace_id,
    toFixedString(sp.span_id, 8) AS span_id,
    toFixedString(sp.parent_span_id, 8) AS parent_span_id,
    sp.trace_state AS trace_state,
    sp.name AS name,
    transform(sp.kind, [0, 1, 2, 3, 4, 5],
              ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'], 'unspecified') AS kind,
    transform(sp.status.code, [0, 1, 2], ['unset', 'ok', 'error'], 'unset') AS status_code,
    sp.status.message AS status_message,
    toUInt8(sp.status.code = 2 OR error_type != '') AS is_error,
    if(ra['service.name'] != '', ra['service.name'], 'unknown_service') AS service_name,
    scope_name,
    scope_version,
    multiIf(
        sa['openinference.span.kind'] != '' OR sa['llm.token_count.prompt'] != '', 'openinference',
        arrayExists(k -> startsWith(k, 'traceloop.') OR startsWith(k, 'llm.usage.'), mapKeys(sa)), 'openllmetry',
        sa['gen_ai.system'] != '' OR sa['gen_ai.usage.prompt_tokens'] != '' OR sa['gen_ai.usage.completion_tokens'] != '',
            'otel_genai_deprecated',
        arrayExists(k -> startsWith(k, 'gen_ai.'), mapKeys(sa)), 'otel_genai',
        '') AS dialect,
    multiIf(
        sa['gen_ai.operation.name'] != '', sa['gen_ai.operation.name'],
        sa['openinference.span.kind'] != '',
            transform(upper(sa['openinference.span.kind']),
                      ['LLM', 'EMBEDDING', 'RETRIEVER', 'TOOL', 'AGENT', 'GUARDRAIL', 'CHAIN', 'RERANKER', 'EVALUATOR', 'PROMPT'],
                      ['chat', 'embeddings', 'retrieval', 'execute_tool', 'invoke_agent', 'run_guardrail', 'chain', 'rerank',
                       'evaluate', 'prompt'],
                      lower(sa['openinference.span.kind'])),
        sa['llm.request.type'] != '',
            transform(sa['llm.request.type'], ['chat', 'completion', 'embedding', 'rerank'],
                      ['chat', 'text_completion', 'embeddings', 'rerank'], sa['llm.request.type']),
        sa['traceloop.span.kind'] != '',
            transform(sa['traceloop.span.kind'], ['workflow', 'task', 'agent', 'tool'],
                      ['invoke_workflow', 'task', 'invoke_agent', 'execute_tool'], sa['traceloop.span.kind']),
        arrayExists(k -> startsWith(k, 'gen_ai.guardrail.') OR startsWith(k, 'guard.'), mapKeys(sa)), 'run_guardrail',
        '') AS operation,
    transform(provider_raw,
              ['az.ai.inference', 'az.ai.openai', 'azure', 'vertex_ai', 'vertexai', 'gemini', 'google', 'mistralai',
               'xai', 'aws', 'amazon', 'bedrock', 'watsonx'],
              ['azure.ai.inference', 'azure.ai.openai', 'azure.ai.openai', 'gcp.vertex_ai', 'gcp.vertex_ai', 'gcp.gemini',
               'gcp.gen_ai', 'mistral_ai', 'x_ai', 'aws.bedrock', 'aws.bedrock', 'aws.bedrock', 'ibm.watsonx.ai'],
              provider_raw) AS provider,
    request_model,
    response_model,
    raw_input + if(anthropic_raw, cache_read_tokens + cache_write_tokens, 0) AS input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_write_tokens,
    reasoning_tokens,
    toUInt64(greatest(toFloat64OrZero(inferops_first(sa, ['gen_ai.response.time_to_first_chunk',
        'gen_ai.server.time_to_first_token', 'gen_ai.server.ttft', 'llm.response.time_to_first_token'])), 0) * 1e9) AS ttft_ns,
    if(startsWith(finish_raw, '['), JSONExtractString(finish_raw, 1), finish_raw) AS finish_reason,
    inferops_first(sa, ['error.type', 'exception.type']) AS error_type,
    if(inferops_first(sa, tenant_keys) != '', inferops_first(sa, tenant_keys), inferops_first(ra, tenant_keys)) AS tenant,
    if(inferops_first(sa, endpoint_keys) != '', inferops_first(sa, endpoint_keys), ra['inferops.endpoint']) AS endpoint,
    multiIf(sa['host.name'] != '', sa['host.name'],
            sp.kind = 3 AND sa['server.address'] != '', sa['server.address'],
            ra['host.name']) AS host,
    if(inferops_first(sa, gpu_keys) != '', inferops_first(sa, gpu_keys), inferops_first(ra, gpu_keys)) AS gpu_id,
    inferops_first(sa, ['gen_ai.agent.name', 'agent.name']) AS agent_name,
    inferops_first(sa, ['gen_ai.tool.name', 'tool.name']) AS tool_name,
    inferops_first(sa, ['gen_ai.conversation.id', 'session.id']) AS conversation_id,
    ra AS resource_attributes,
    mapFilter((k, v) -> v != '', mapUpdate(
        mapApply((k, v) -> (transform(k, deprecated_keys, current_keys, k), v),
                 mapFilter((k, v) -> k NOT IN ('gen_ai.usage.cache_write.input_tokens'), sa)),
        map('gen_ai.provider.name', provider,
            'gen_ai.operation.name', operation,
            'gen_ai.usage.input_tokens', if(raw_input_text != '', toString(input_tokens), ''),
            'gen_ai.usage.output_tokens', if(output_text != '', toString(output_tokens), ''),
            'gen_ai.usage.cache_read.input_tokens', if(cache_read_text != '', toString(cache_read_tokens), ''),
            'gen_ai.usage.cache_creation.input_tokens', if(cache_write_text != '', toString(cache_write_tokens), ''),
            'gen_ai.usage.reasoning.output_tokens', if(reasoning_text != '', toString(reasoning_tokens), ''),
            'gen_ai.request.model', request_model,
            'gen_ai.response.model', response_model))) AS span_attributes,
    arrayMap(e -> inferops_ns(e.time_unix_nano), sp.events) AS `events.timestamp`,
    arrayMap(e -> e.name, sp.events) AS `events.name`,
    arrayMap(e -> inferops_attrs(e.attributes), sp.events) AS `events.attributes`,
    arrayMap(l -> toFixedString(l.trace_id, 16), arrayFilter(l -> length(l.trace_id) = 16 AND length(l.span_id) = 8, sp.links))
        AS `links.trace_id`,
    arrayMap(l -> toFixedString(l.span_id, 8), arrayFilter(l -> length(l.trace_id) = 16 AND length(l.span_id) = 8, sp.links))
        AS `links.span_id`
FROM
(
    SELECT
        project_id, scope_name, scope_version, sp, ra, sa,
        ['tenant.id', 'inferops.tenant', 'gen_ai.tenant.id', 'tenant'] AS tenant_keys,
        ['inferops.endpoint', 'http.route', 'url.template', 'rpc.method'] AS endpoint_keys,
        ['gpu.id', 'gpu.uuid', 'hw.id', 'gpu.index'] AS gpu_keys,
        ['gen_ai.system', 'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens', 'gen_ai.openai.request.seed',
         'gen_ai.openai.request.response_format', 'gen_ai.openai.request.service_tier', 'gen_ai.openai.response.service_tier',
         'gen_ai.openai.response.system_fingerprint', 'gen_ai.usage.cache_read_input_tokens',
         'gen_ai.usage.cache_creation_input_tokens'] AS deprecated_keys,
        ['gen_ai.provider.name', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.request.seed',
         'gen_ai.output.type', 'openai.request.service_tier', 'openai.response.service_tier',
         'openai.response.system_fingerprint', 'gen_ai.usage.cache_read.input_tokens',
         'gen_ai.usage.cache_creation.input_tokens'] AS current_keys,
        lower(inferops_first(sa, ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system'])) AS provider_raw,
        inferops_first(sa, ['gen_ai.request.model', 'llm.request.model_name', 'llm.request.model', 'llm.model_name'])
            AS request_model,
        inferops_first(sa, ['gen_ai.response.model', 'llm.response.model_name', 'llm.response.model', 'llm.model_name'])
            AS response_model,
        inferops_first(sa, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt',
                            'llm.usage.prompt_tokens']) AS raw_input_text,
        inferops_first(sa, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion',
                            'llm.usage.completion_tokens']) AS output_text,
        inferops_first(sa, ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens',
                            'llm.token_count.prompt_details.cache_read']) AS cache_read_text,
        inferops_first(sa, ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_write.input_tokens',
                            'gen_ai.usage.cache_creation_input_tokens', 'llm.token_count.prompt_details.cache_write'])
            AS cache_write_text,
        inferops_first(sa, ['gen_ai.usage.reasoning.output_tokens', 'llm.token_count.completion_details.reasoning',
                            'gen_ai.usage.reasoning_tokens', 'llm.usage.reasoning_tokens']) AS reasoning_text,
        inferops_count(raw_input_text) AS raw_input,
        inferops_count(output_text) AS output_tokens,
        inferops_count(cache_read_text) AS cache_read_tokens,
        inferops_count(cache_write_text) AS cache_write_tokens,
        inferops_count(reasoning_text) AS reasoning_tokens,
        -- Anthropic's own input_tokens excludes cached tokens; the OTel convention's total includes them.
        -- Legacy names carry the raw figure; a total smaller than its cached parts is raw by definition.
        (lower(provider_raw) = 'anthropic'
         AND ((sa['gen_ai.usage.input_tokens'] = '' AND (sa['gen_ai.usage.prompt_tokens'] != '' OR sa['llm.usage.prompt_tokens'] != ''))
              OR raw_input < cache_read_tokens + cache_write_tokens)) AS anthropic_raw,
        inferops_first(sa, ['gen_ai.response.finish_reasons', 'llm.finish_reason', 'llm.response.finish_reason',
                            'gen_ai.completion.0.finish_reason']) AS finish_raw
    FROM
    (
        -- Carry only small per-scope values across the span ARRAY JOIN: replicating a whole scope
        -- (which holds all its spans) for each of its spans would make the flattening quadratic.
        SELECT project_id, scope_name, scope_version, sp, ra, inferops_attrs(sp.attributes) AS sa
        FROM (
            SELECT project_id, inferops_attrs(rs.resource.attributes) AS ra, rs.scope_spans AS scopes
            FROM otlp_traces_in
            ARRAY JOIN resource_spans AS rs
        )
        ARRAY JOIN arrayMap(x -> x.scope.name, scopes) AS scope_name,
                   arrayMap(x -> x.scope.version, scopes) AS scope_version,
                   arrayMap(x -> x.spans, scopes) AS span_list
        ARRAY JOIN span_list AS sp
    )
);
