-- The span views, leaner per span (measured on the ingest bench's 65k-span batch, CPU time of each
-- view's query alone, best of seven; same rows out, compared by hash):
-- * the stage view tests whether each attribute is content once, over the keys alone, and redacts the
--   values in one pass: filtering the attribute tuples (every AnyValue field with them) and testing the
--   keys again to redact took about 1 µs a span of its 4.7;
-- * the content test looks the key's first two components up in a set before its regular expression;
-- * the spans view takes "first non-empty of these keys" with coalesce(nullIf(…)) instead of if and
--   multiIf: a lazily evaluated branch that reads the attribute map re-evaluates what it depends on
--   for the rows it selects, several hundred ns a span each (a lookup alone costs 13–30 ns).
-- Other views that inline the content test (logs, and the unused otlp_traces_mv) keep their
-- expansion of the previous, equivalent, definition.
CREATE OR REPLACE FUNCTION inferops_is_content {{on_cluster}} AS (ic_k) ->
    -- A hash lookup of the key's first two components rules out nearly every key (~14 ns a key against
    -- the expression's 39); the expression decides for the rest.
    substringIndex(ic_k, '.', 2) IN ('gen_ai.input', 'gen_ai.output', 'gen_ai.system_instructions', 'gen_ai.tool',
        'gen_ai.prompt', 'gen_ai.completion', 'gen_ai.content', 'gen_ai.event', 'gen_ai.guardrail', 'input.value',
        'output.value', 'llm.prompts', 'llm.prompt_template', 'llm.input_messages', 'llm.output_messages',
        'llm.completions', 'traceloop.entity', 'message.content', 'tool_call.function', 'guard.prompt',
        'guard.text', 'reranker.query', 'reranker.input_documents', 'reranker.output_documents',
        'retrieval.documents', 'embedding.embeddings')
    AND match(ic_k, concat(
        -- whole names: OTel GenAI, OpenInference, OpenLLMetry, guardrail and reranker content
        '^(?:gen_ai\\.(?:input\\.messages|output\\.messages|system_instructions|tool\\.call\\.(?:arguments|result)',
        '|prompt|completion|content\\.(?:prompt|completion)|event\\.content)|input\\.value|output\\.value',
        '|llm\\.prompts|llm\\.prompt_template\\.(?:template|variables)|traceloop\\.entity\\.(?:input|output)',
        '|message\\.content|tool_call\\.function\\.arguments|guard\\.(?:prompt|text)|reranker\\.query)$',
        -- prefixes: indexed messages (gen_ai.prompt.0.content; gen_ai.prompt.name stays), documents, embeddings
        '|^(?:gen_ai\\.(?:prompt|completion)\\.[0-9]|llm\\.(?:input_messages|output_messages|prompts|completions)\\.',
        '|retrieval\\.documents\\.|reranker\\.(?:input|output)_documents\\.|embedding\\.embeddings\\.',
        '|gen_ai\\.guardrail\\.security\\.content\\.)'))
    AND NOT (startsWith(ic_k, 'gen_ai.guardrail.security.content.') AND endsWith(ic_k, '.hash'));

ALTER TABLE otlp_spans_stage_mv {{on_cluster}} MODIFY QUERY
SELECT project_id, scope_name, scope_version, sp, ra, event_attrs, raw_keys, raw_values, canon_keys
FROM (
    SELECT
        project_id, scope_name, scope_version, sp, ra,
        -- Prompt and completion content: dropped (the default), hashed or kept, per project; whether a
        -- key is content is found once, over the keys alone.
        arrayMap(kv -> kv.key, sp.attributes) AS all_keys,
        arrayMap(k -> inferops_is_content(k), all_keys) AS content,
        arrayFilter((k, c) -> rd_mode != 0 OR NOT c, all_keys, content) AS raw_keys,
        arrayFilter((v, c) -> rd_mode != 0 OR NOT c,
                    arrayMap((v, c) -> if(rd_mode = 1 AND c, inferops_hmac(v, rd_in, rd_out), v),
                             arrayMap(kv -> inferops_any_str(kv.value), sp.attributes), content),
                    content) AS raw_values,
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

ALTER TABLE otlp_spans_mv {{on_cluster}} MODIFY QUERY
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
    coalesce(nullIf(sa['error.type'], ''), sa['exception.type']) AS error_type,
    coalesce(nullIf(tenant_span, ''), nullIf(ra['tenant.id'], ''), nullIf(ra['inferops.tenant'], ''), ra['tenant']) AS tenant,
    coalesce(nullIf(endpoint_span, ''), ra['inferops.endpoint']) AS endpoint,
    coalesce(nullIf(sa['host.name'], ''), nullIf(if(sp.kind = 3, sa['server.address'], ''), ''), ra['host.name']) AS host,
    coalesce(nullIf(gpu_span, ''), nullIf(ra['gpu.id'], ''), nullIf(ra['gpu.uuid'], ''), ra['hw.id']) AS gpu_id,
    sa['gen_ai.agent.name'] AS agent_name,
    sa['gen_ai.tool.name'] AS tool_name,
    coalesce(nullIf(sa['gen_ai.conversation.id'], ''), sa['session.id']) AS conversation_id,
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
        coalesce(nullIf(sa['tenant.id'], ''), nullIf(sa['inferops.tenant'], ''), sa['tenant']) AS tenant_span,
        coalesce(nullIf(sa['inferops.endpoint'], ''), nullIf(sa['http.route'], ''), nullIf(sa['url.template'], ''), sa['rpc.method']) AS endpoint_span,
        coalesce(nullIf(sa['gpu.id'], ''), nullIf(sa['gpu.uuid'], ''), sa['hw.id']) AS gpu_span,
        sa['gen_ai.response.finish_reasons'] AS finish_raw
    FROM
    (
        SELECT
            project_id, scope_name, scope_version, sp, ra, event_attrs, sa, dialect, legacy_input, has_guardrail,
            lower(coalesce(nullIf(sa['gen_ai.provider.name'], ''), nullIf(sa['llm.provider'], ''), sa['llm.system'])) AS provider_raw,
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
