-- The spans view in two stages. ClickHouse analyses and plans a materialised view's query on every
-- insert, whatever its size, and for one deep query that work grows faster than its size: the traces
-- view (7 nested levels) took about 125 ms a group commit, most of a small batch's acknowledgement.
-- Split at the attribute conversion — explode, redact and convert in the first view, build the
-- attribute map and normalise in the second, passing rows through a Null stage table — the two plan
-- in about 70 ms together; the rows and the per-span work are the same (spans compared column by
-- column on the ingest tests' traffic).
-- Ingest now writes trace envelopes to otlp_spans_in. otlp_traces_in keeps its view, so that a
-- distributed deployment's ingest processes still on the previous release keep storing what they
-- acknowledge while they are replaced; nothing writes to it afterwards.
CREATE TABLE IF NOT EXISTS otlp_spans_in {{on_cluster}} AS otlp_traces_in ENGINE = Null;

CREATE TABLE IF NOT EXISTS otlp_spans_stage {{on_cluster}} (
    project_id UInt64,
    scope_name String,
    scope_version String,
    sp Tuple(trace_id String,
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
        status Tuple(message String, code Int32)),
    ra Map(String, String),
    event_attrs Array(Map(String, String)),
    raw_keys Array(String),
    raw_values Array(String),
    canon_keys Array(String)
) ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_spans_stage_mv {{on_cluster}} TO otlp_spans_stage AS
SELECT project_id, scope_name, scope_version, sp, ra, event_attrs, raw_keys, raw_values, canon_keys
FROM (
    SELECT
        project_id, scope_name, scope_version, sp, ra,
        -- Prompt and completion content: dropped (the default), hashed or kept, per project.
        arrayFilter(kv -> rd_mode != 0 OR NOT inferops_is_content(kv.key), sp.attributes) AS kept,
        arrayMap(kv -> kv.key, kept) AS raw_keys,
        arrayMap(kv -> inferops_redacted(kv.key, inferops_any_str(kv.value), rd_mode, rd_in, rd_out), kept)
            AS raw_values,
        arrayMap(e -> inferops_attrs_redacted(e.attributes, rd_mode, rd_in, rd_out), sp.events) AS event_attrs,
        arrayMap(k -> inferops_genai_key(k), raw_keys) AS canon_keys
    FROM
    (
        -- Carry only small per-scope values across the span ARRAY JOIN: replicating a whole
        -- scope (which holds all its spans) for each of its spans would make this quadratic.
        SELECT project_id, scope_name, scope_version, sp, ra, rd_mode, rd_in, rd_out
        FROM (
            SELECT project_id, rs.scope_spans AS scopes,
                   inferops_attrs_redacted(rs.resource.attributes, redaction, redaction_inner,
                                           redaction_outer) AS ra,
                   redaction AS rd_mode, redaction_inner AS rd_in, redaction_outer AS rd_out
            FROM otlp_spans_in
            ARRAY JOIN resource_spans AS rs
        )
        ARRAY JOIN arrayMap(x -> x.scope.name, scopes) AS scope_name,
                   arrayMap(x -> x.scope.version, scopes) AS scope_version,
                   arrayMap(x -> x.spans, scopes) AS span_list
        ARRAY JOIN span_list AS sp
    )

);

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_spans_mv {{on_cluster}} TO spans AS
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
    event_attrs AS `events.attributes`,
    arrayMap(l -> toFixedString(l.trace_id, 16), arrayFilter(l -> length(l.trace_id) = 16 AND length(l.span_id) = 8, sp.links))
        AS `links.trace_id`,
    arrayMap(l -> toFixedString(l.span_id, 8), arrayFilter(l -> length(l.trace_id) = 16 AND length(l.span_id) = 8, sp.links))
        AS `links.span_id`
FROM
(
    SELECT
        project_id, scope_name, scope_version, sp, ra, event_attrs, sa, dialect, cache_read_tokens, cache_write_tokens,
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
            project_id, scope_name, scope_version, sp, ra, event_attrs, sa, dialect, legacy_input, has_guardrail,
            lower(if(sa['gen_ai.provider.name'] != '', sa['gen_ai.provider.name'],
                     multiIf(sa['llm.provider'] != '', sa['llm.provider'], sa['llm.system']))) AS provider_raw,
            inferops_count(sa['gen_ai.usage.input_tokens']) AS raw_input,
            inferops_count(sa['gen_ai.usage.cache_read.input_tokens']) AS cache_read_tokens,
            inferops_count(sa['gen_ai.usage.cache_creation.input_tokens']) AS cache_write_tokens
        FROM
        (
            SELECT
                project_id, scope_name, scope_version, sp, ra, event_attrs,
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
            FROM otlp_spans_stage
        )
    )
);

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_accounting_spans_mv {{on_cluster}} TO ingest_accounting AS
SELECT project_id, 'traces' AS signal, toStartOfMinute(inferops_ns(received_unix_nano)) AS minute,
       toUInt64(rejected_requests = 0) AS requests,
       accepted_items AS accepted,
       rejected_items AS rejected, rejected_requests
FROM otlp_spans_in;
