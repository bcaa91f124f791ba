-- Spans arrive as flat rows. Ingest walks each trace envelope once in C (warehouse/_spanrows.c) and
-- inserts one RowBinary row per span, its attribute values already rendered as text, plus one
-- accounting row per request (is_span = 0). ClickHouse's Protobuf input parsed every attribute's
-- AnyValue into a Nullable tuple of seven columns (~3.6 µs a span) that the stage view then exploded
-- and rendered (~2.9); reading these rows costs a fraction of that (bench/README.md, 2026-11-30 f).
-- The rows feed the same stage table as before, so the spans view and everything after it is
-- unchanged; otlp_spans_in and its views stay for batches the C walk refuses and for ingest
-- processes of the previous release during an upgrade.
CREATE TABLE IF NOT EXISTS otlp_spans_rows {{on_cluster}} (
    is_span UInt8,
    project_id UInt64,
    received_unix_nano UInt64,
    accepted_items UInt64,
    rejected_items UInt64,
    rejected_requests UInt64,
    redaction UInt32,
    redaction_inner String,
    redaction_outer String,
    scope_name String,
    scope_version String,
    trace_id String,
    span_id String,
    trace_state String,
    parent_span_id String,
    name String,
    kind Int32,
    start_time_unix_nano UInt64,
    end_time_unix_nano UInt64,
    status_message String,
    status_code Int32,
    attribute_keys Array(String),
    attribute_values Array(String),
    resource_keys Array(String),
    resource_values Array(String),
    event_times Array(UInt64),
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

-- Keys and values as two arrays, prompt and completion content dropped, hashed or kept per project
-- (modes as in inferops_redacted); the content test runs once per key.
CREATE FUNCTION IF NOT EXISTS inferops_kv_redacted {{on_cluster}} AS (kr_k, kr_v, kr_m, kr_i, kr_o) -> mapFromArrays(
    arrayFilter((k, c) -> kr_m != 0 OR NOT c, kr_k, arrayMap(k -> inferops_is_content(k), kr_k) AS kr_c),
    arrayFilter((v, c) -> kr_m != 0 OR NOT c,
                arrayMap((v, c) -> if(kr_m = 1 AND c, inferops_hmac(v, kr_i, kr_o), v), kr_v, kr_c), kr_c));

CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_span_rows_mv {{on_cluster}} TO otlp_spans_stage AS
SELECT project_id, scope_name, scope_version, sp, ra, event_attrs, raw_keys, raw_values, canon_keys
FROM (
    SELECT
        project_id, scope_name, scope_version,
        -- The span as the stage table's tuple; the spans view reads its attributes from raw_keys and
        -- raw_values and its events' from event_attrs, so those tuple fields stay empty.
        (trace_id, span_id, trace_state, parent_span_id, name, kind, start_time_unix_nano, end_time_unix_nano,
         [], arrayMap((t, n) -> (t, n, []), event_times, event_names),
         arrayMap((t, s) -> (t, s), link_trace_ids, link_span_ids), (status_message, status_code)) AS sp,
        inferops_kv_redacted(resource_keys, resource_values, redaction, redaction_inner, redaction_outer) AS ra,
        arrayMap((ks, vs) -> inferops_kv_redacted(ks, vs, redaction, redaction_inner, redaction_outer),
                 event_keys, event_values) AS event_attrs,
        arrayMap(k -> inferops_is_content(k), attribute_keys) AS content,
        arrayFilter((k, c) -> redaction != 0 OR NOT c, attribute_keys, content) AS raw_keys,
        arrayFilter((v, c) -> redaction != 0 OR NOT c,
                    arrayMap((v, c) -> if(redaction = 1 AND c, inferops_hmac(v, redaction_inner, redaction_outer), v),
                             attribute_values, content),
                    content) AS raw_values,
        arrayMap(k -> inferops_genai_key(k), raw_keys) AS canon_keys
    FROM otlp_spans_rows
    WHERE is_span = 1
);
