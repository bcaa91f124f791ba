-- Traces: OTLP request envelopes land in a Null table (parsed by ClickHouse's Protobuf format,
-- see warehouse/proto/otlp_ingest.proto); a materialised view flattens and normalises them into spans.
CREATE TABLE IF NOT EXISTS otlp_traces_in {{on_cluster}} (
    project_id UInt64,
    received_unix_nano UInt64,
    rejected_items UInt64,
    rejected_requests UInt64,
    accepted_items UInt64,
    resource_spans Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(
            string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String),
            double_value Nullable(String),
            array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String),
                int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))),
            kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String),
                bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String),
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
                    string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String),
                    double_value Nullable(String),
                    array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String),
                        int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))),
                    kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String),
                        bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String),
                        bytes_value Nullable(String))))),
                    bytes_value Nullable(String)))),
                events Array(Tuple(time_unix_nano UInt64, name String, attributes Array(Tuple(key String, value Tuple(
                    string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String),
                    double_value Nullable(String),
                    array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String),
                        int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))),
                    kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String),
                        bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String),
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

-- Flatten resource → scope → span and normalise every GenAI dialect (OTel current and deprecated,
-- OpenInference, OpenLLMetry). Attribute keys are first renamed to their current OTel GenAI names in
-- one pass (a hash lookup per key), so each typed column is a single map lookup; current names win
-- over renamed ones when both are present. The stored attribute map holds the current names.
CREATE FUNCTION IF NOT EXISTS inferops_genai_key {{on_cluster}} AS (gk_k) -> transform(gk_k,
    ['gen_ai.system', 'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens',
     'gen_ai.openai.request.seed', 'gen_ai.openai.request.response_format', 'gen_ai.openai.request.service_tier',
     'gen_ai.openai.response.service_tier', 'gen_ai.openai.response.system_fingerprint',
     'gen_ai.usage.cache_read_input_tokens', 'gen_ai.usage.cache_creation_input_tokens',
     'gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.reasoning_tokens',
     'llm.token_count.prompt', 'llm.token_count.completion', 'llm.token_count.prompt_details.cache_read',
     'llm.token_count.prompt_details.cache_write', 'llm.token_count.completion_details.reasoning',
     'llm.usage.prompt_tokens', 'llm.usage.completion_tokens', 'llm.usage.reasoning_tokens',
     'llm.model_name', 'llm.request.model', 'llm.response.model', 'llm.finish_reason', 'llm.response.finish_reason',
     'gen_ai.server.ttft', 'gen_ai.server.time_to_first_token', 'llm.response.time_to_first_token',
     'agent.name', 'tool.name'],
    ['gen_ai.provider.name', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens',
     'gen_ai.request.seed', 'gen_ai.output.type', 'openai.request.service_tier',
     'openai.response.service_tier', 'openai.response.system_fingerprint',
     'gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_creation.input_tokens',
     'gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.reasoning.output_tokens',
     'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.cache_read.input_tokens',
     'gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.reasoning.output_tokens',
     'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.reasoning.output_tokens',
     'gen_ai.response.model', 'gen_ai.request.model', 'gen_ai.response.model', 'gen_ai.response.finish_reasons',
     'gen_ai.response.finish_reasons',
     'gen_ai.response.time_to_first_chunk', 'gen_ai.response.time_to_first_chunk', 'gen_ai.response.time_to_first_chunk',
     'gen_ai.agent.name', 'gen_ai.tool.name'],
    gk_k);

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
    dialect,
    operation,
    provider,
    if(sa['gen_ai.request.model'] != '' OR dialect != 'openinference', sa['gen_ai.request.model'],
       sa['gen_ai.response.model']) AS request_model,
    sa['gen_ai.response.model'] AS response_model,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_write_tokens,
    inferops_count(sa['gen_ai.usage.reasoning.output_tokens']) AS reasoning_tokens,
    toUInt64(greatest(toFloat64OrZero(sa['gen_ai.response.time_to_first_chunk']), 0) * 1e9) AS ttft_ns,
    if(startsWith(finish_raw, '['), JSONExtractString(finish_raw, 1), finish_raw) AS finish_reason,
    if(sa['error.type'] != '', sa['error.type'], sa['exception.type']) AS error_type,
    if(tenant_span != '', tenant_span, multiIf(ra['tenant.id'] != '', ra['tenant.id'], ra['inferops.tenant'] != '', ra['inferops.tenant'], ra['tenant'])) AS tenant,
    if(endpoint_span != '', endpoint_span, ra['inferops.endpoint']) AS endpoint,
    multiIf(sa['host.name'] != '', sa['host.name'],
            sp.kind = 3 AND sa['server.address'] != '', sa['server.address'],
            ra['host.name']) AS host,
    if(gpu_span != '', gpu_span, multiIf(ra['gpu.id'] != '', ra['gpu.id'], ra['gpu.uuid'] != '', ra['gpu.uuid'], ra['hw.id'])) AS gpu_id,
    sa['gen_ai.agent.name'] AS agent_name,
    sa['gen_ai.tool.name'] AS tool_name,
    if(sa['gen_ai.conversation.id'] != '', sa['gen_ai.conversation.id'], sa['session.id']) AS conversation_id,
    ra AS resource_attributes,
    -- Only spans whose typed values differ from their attributes pay for a rewrite of the map.
    if(provider != sa['gen_ai.provider.name'] OR operation != sa['gen_ai.operation.name'] OR anthropic_raw,
       mapUpdate(sa, mapFilter((k, v) -> v != '', map('gen_ai.provider.name', provider,
                                                      'gen_ai.operation.name', operation,
                                                      'gen_ai.usage.input_tokens', if(anthropic_raw, toString(input_tokens), '')))),
       sa) AS span_attributes,
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
        project_id, scope_name, scope_version, sp, ra, sa, dialect, cache_read_tokens, cache_write_tokens,
        multiIf(
            sa['gen_ai.operation.name'] != '', sa['gen_ai.operation.name'],
            sa['openinference.span.kind'] != '',
                transform(upper(sa['openinference.span.kind']),
                          ['LLM', 'EMBEDDING', 'RETRIEVER', 'TOOL', 'AGENT', 'GUARDRAIL', 'CHAIN', 'RERANKER', 'EVALUATOR',
                           'PROMPT'],
                          ['chat', 'embeddings', 'retrieval', 'execute_tool', 'invoke_agent', 'run_guardrail', 'chain',
                           'rerank', 'evaluate', 'prompt'],
                          lower(sa['openinference.span.kind'])),
            sa['llm.request.type'] != '',
                transform(sa['llm.request.type'], ['chat', 'completion', 'embedding', 'rerank'],
                          ['chat', 'text_completion', 'embeddings', 'rerank'], sa['llm.request.type']),
            sa['traceloop.span.kind'] != '',
                transform(sa['traceloop.span.kind'], ['workflow', 'task', 'agent', 'tool'],
                          ['invoke_workflow', 'task', 'invoke_agent', 'execute_tool'], sa['traceloop.span.kind']),
            has_guardrail, 'run_guardrail',
            '') AS operation,
        transform(provider_raw,
                  ['az.ai.inference', 'az.ai.openai', 'azure', 'vertex_ai', 'vertexai', 'gemini', 'google', 'mistralai',
                   'xai', 'aws', 'amazon', 'bedrock', 'watsonx'],
                  ['azure.ai.inference', 'azure.ai.openai', 'azure.ai.openai', 'gcp.vertex_ai', 'gcp.vertex_ai',
                   'gcp.gemini', 'gcp.gen_ai', 'mistral_ai', 'x_ai', 'aws.bedrock', 'aws.bedrock', 'aws.bedrock',
                   'ibm.watsonx.ai'],
                  provider_raw) AS provider,
        raw_input + if(anthropic_raw, cache_read_tokens + cache_write_tokens, 0) AS input_tokens,
        inferops_count(sa['gen_ai.usage.output_tokens']) AS output_tokens,
        -- Anthropic's own input_tokens excludes cached tokens; the OTel convention's total includes them.
        -- Legacy names carry the raw figure; a total smaller than its cached parts is raw by definition.
        (provider_raw = 'anthropic' AND (legacy_input OR raw_input < cache_read_tokens + cache_write_tokens))
            AS anthropic_raw,
        multiIf(sa['tenant.id'] != '', sa['tenant.id'], sa['inferops.tenant'] != '', sa['inferops.tenant'], sa['tenant']) AS tenant_span,
        multiIf(sa['inferops.endpoint'] != '', sa['inferops.endpoint'], sa['http.route'] != '', sa['http.route'], sa['url.template'] != '', sa['url.template'], sa['rpc.method']) AS endpoint_span,
        multiIf(sa['gpu.id'] != '', sa['gpu.id'], sa['gpu.uuid'] != '', sa['gpu.uuid'], sa['hw.id']) AS gpu_span,
        sa['gen_ai.response.finish_reasons'] AS finish_raw
    FROM
    (
        SELECT
            project_id, scope_name, scope_version, sp, ra, sa, dialect, legacy_input, has_guardrail,
            lower(if(sa['gen_ai.provider.name'] != '', sa['gen_ai.provider.name'],
                     multiIf(sa['llm.provider'] != '', sa['llm.provider'], sa['llm.system']))) AS provider_raw,
            inferops_count(sa['gen_ai.usage.input_tokens']) AS raw_input,
            inferops_count(sa['gen_ai.usage.cache_read.input_tokens']) AS cache_read_tokens,
            inferops_count(sa['gen_ai.usage.cache_creation.input_tokens']) AS cache_write_tokens
        FROM
        (
            SELECT
                project_id, scope_name, scope_version, sp, ra,
                -- Current names first: a map lookup returns the first match. Spans already on the
                -- current conventions (the common case) skip the reordering.
                if(canon_keys = raw_keys, mapFromArrays(raw_keys, raw_values),
                   mapFromArrays(
                       arrayConcat(arrayFilter((c, r) -> c = r, canon_keys, raw_keys),
                                   arrayFilter((c, r) -> c != r, canon_keys, raw_keys)),
                       arrayConcat(arrayFilter((v, c, r) -> c = r, raw_values, canon_keys, raw_keys),
                                   arrayFilter((v, c, r) -> c != r, raw_values, canon_keys, raw_keys)))) AS sa,
                multiIf(
                    has(raw_keys, 'openinference.span.kind') OR has(raw_keys, 'llm.token_count.prompt'), 'openinference',
                    arrayExists(k -> startsWith(k, 'traceloop.') OR startsWith(k, 'llm.usage.'), raw_keys), 'openllmetry',
                    has(raw_keys, 'gen_ai.system') OR has(raw_keys, 'gen_ai.usage.prompt_tokens'), 'otel_genai_deprecated',
                    arrayExists(k -> startsWith(k, 'gen_ai.'), raw_keys), 'otel_genai',
                    '') AS dialect,
                NOT has(raw_keys, 'gen_ai.usage.input_tokens')
                    AND (has(raw_keys, 'gen_ai.usage.prompt_tokens') OR has(raw_keys, 'llm.usage.prompt_tokens')) AS legacy_input,
                arrayExists(k -> startsWith(k, 'gen_ai.guardrail.') OR startsWith(k, 'guard.'), raw_keys) AS has_guardrail
            FROM
            (
                SELECT
                    project_id, scope_name, scope_version, sp, ra,
                    arrayMap(kv -> kv.key, sp.attributes) AS raw_keys,
                    arrayMap(kv -> inferops_any_str(kv.value), sp.attributes) AS raw_values,
                    arrayMap(k -> inferops_genai_key(k), raw_keys) AS canon_keys
                FROM
                (
                    -- Carry only small per-scope values across the span ARRAY JOIN: replicating a whole
                    -- scope (which holds all its spans) for each of its spans would make this quadratic.
                    SELECT project_id, scope_name, scope_version, sp, ra
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
            )
        )
    )
);
