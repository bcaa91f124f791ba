-- Spans arrive as rows already normalised. Ingest walks each trace envelope once in C
-- (warehouse/_spanrows.c): it renders every attribute value as text, drops prompt and completion
-- content unless the project keeps it or hashes it (HMAC-SHA-256, as inferops_hmac), renames deprecated
-- attribute keys, and derives the
-- dialect, operation, provider, models, tenant, endpoint, host and GPU as otlp_spans_mv does. It
-- inserts one RowBinary row per span, plus one accounting row per request (is_span = 0).
-- What is left here is what needs ClickHouse's own functions, so that both paths agree to the bit:
-- token counts and TTFT (toFloat64OrZero), the Anthropic cache-token rule that depends on them, the
-- finish reason's JSON, and the typed ids and timestamps.
-- ClickHouse's Protobuf input parsed every attribute's AnyValue into a Nullable tuple of seven columns
-- and three views then exploded, rendered and normalised it: ~10 µs a span of the 65k-span batch's
-- ~16 (bench/README.md, 2026-11-30 f). otlp_spans_in and its views stay, for a batch the C walk
-- refuses and for ingest processes of the previous release during an upgrade; the two paths store the
-- same rows (tests/warehouse/test_span_rows.py).
CREATE TABLE IF NOT EXISTS otlp_spans_rows {{on_cluster}} (
    is_span UInt8,
    project_id UInt64,
    received_unix_nano UInt64,
    accepted_items UInt64,
    rejected_items UInt64,
    rejected_requests UInt64,
    start_ns Int64,
    end_ns Int64,
    duration_ns UInt64,
    trace_id_bytes String,
    span_id_bytes String,
    parent_span_id_bytes String,
    trace_state String,
    name String,
    kind String,
    status_code String,
    status_message String,
    status_error UInt8,
    service_name String,
    scope_name String,
    scope_version String,
    dialect String,
    operation String,
    provider String,
    anthropic UInt8,          -- the provider (before renaming) is anthropic
    legacy_input UInt8,       -- input tokens only under a deprecated name (the raw figure)
    request_model String,
    response_model String,
    input_tokens_text String,
    output_tokens_text String,
    cache_read_tokens_text String,
    cache_write_tokens_text String,
    reasoning_tokens_text String,
    ttft_text String,
    finish_reasons_text String,
    error_type String,
    tenant String,
    endpoint String,
    host String,
    gpu_id String,
    agent_name String,
    tool_name String,
    conversation_id String,
    renamed UInt8,            -- provider or operation differ from the attributes: the map is updated
    resource_keys Array(String),
    resource_values Array(String),
    attribute_keys Array(String),
    attribute_values Array(String),
    event_times Array(Int64),
    event_names Array(String),
    event_keys Array(Array(String)),
    event_values Array(Array(String)),
    link_trace_ids Array(String),
    link_span_ids Array(String)
) ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_accounting_span_rows_mv {{on_cluster}} TO ingest_accounting AS
SELECT project_id, 'traces' AS signal, toStartOfMinute(inferops_ns(received_unix_nano)) AS minute,
       toUInt64(rejected_requests = 0) AS requests,
       accepted_items AS accepted,
       rejected_items AS rejected, rejected_requests
FROM otlp_spans_rows
WHERE is_span = 0;

-- A token count that is not a finite number within UInt64 (inf, nan, 1e30) counts 0 or the largest
-- Float64 below 2^64
-- (any count that fits is unchanged) instead of failing the whole batch's insert with a conversion error. (A view expands the functions it
-- calls when it is created: the Protobuf path's views keep the old body.)
CREATE OR REPLACE FUNCTION inferops_count {{on_cluster}} AS (count_s) ->
    toUInt64(least(greatest(ifNotFinite(toFloat64OrZero(count_s), 0), 0), 18446744073709549568.));

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_span_rows_mv {{on_cluster}} TO spans AS
SELECT
    project_id,
    fromUnixTimestamp64Nano(start_ns, 'UTC') AS timestamp,
    fromUnixTimestamp64Nano(end_ns, 'UTC') AS end_timestamp,
    duration_ns,
    toFixedString(trace_id_bytes, 16) AS trace_id,
    toFixedString(span_id_bytes, 8) AS span_id,
    toFixedString(parent_span_id_bytes, 8) AS parent_span_id,
    trace_state, name, kind, status_code, status_message,
    toUInt8(status_error OR error_type != '') AS is_error,
    service_name, scope_name, scope_version, dialect, operation, provider, request_model, response_model,
    raw_input + if(anthropic_raw, cache_read_tokens + cache_write_tokens, 0) AS input_tokens,
    inferops_count(output_tokens_text) AS output_tokens,
    cache_read_tokens,
    cache_write_tokens,
    inferops_count(reasoning_tokens_text) AS reasoning_tokens,
    -- as the Protobuf path computes it, except that a TTFT that is not a finite number within range
    -- stores 0 or the maximum instead of failing the batch
    toUInt64(least(greatest(ifNotFinite(toFloat64OrZero(ttft_text), 0), 0) * 1e9, 18446744073709549568.)) AS ttft_ns,
    if(startsWith(finish_reasons_text, '['), JSONExtractString(finish_reasons_text, 1), finish_reasons_text)
        AS finish_reason,
    error_type, tenant, endpoint, host, gpu_id, agent_name, tool_name, conversation_id,
    mapFromArrays(resource_keys, resource_values) AS resource_attributes,
    if(renamed OR anthropic_raw,
       mapUpdate(attributes, mapFilter((k, v) -> v != '', map('gen_ai.provider.name', provider,
                                                              'gen_ai.operation.name', operation,
                                                              'gen_ai.usage.input_tokens',
                                                              if(anthropic_raw, toString(input_tokens), '')))),
       attributes) AS span_attributes,
    arrayMap(t -> fromUnixTimestamp64Nano(t, 'UTC'), event_times) AS `events.timestamp`,
    event_names AS `events.name`,
    arrayMap((ks, vs) -> mapFromArrays(ks, vs), event_keys, event_values) AS `events.attributes`,
    arrayMap(l -> toFixedString(l, 16), link_trace_ids) AS `links.trace_id`,
    arrayMap(l -> toFixedString(l, 8), link_span_ids) AS `links.span_id`
FROM
(
    SELECT
        *,
        mapFromArrays(attribute_keys, attribute_values) AS attributes,
        inferops_count(input_tokens_text) AS raw_input,
        inferops_count(cache_read_tokens_text) AS cache_read_tokens,
        inferops_count(cache_write_tokens_text) AS cache_write_tokens,
        -- Anthropic's own input_tokens excludes cached tokens; the OTel convention's total includes them.
        -- Legacy names carry the raw figure; a total smaller than its cached parts is raw by definition.
        anthropic AND (legacy_input OR raw_input < cache_read_tokens + cache_write_tokens) AS anthropic_raw
    FROM otlp_spans_rows
    WHERE is_span = 1
);
