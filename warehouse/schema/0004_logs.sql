-- Logs and events (a log record with event_name) from OTLP logs requests.
CREATE TABLE IF NOT EXISTS otlp_logs_in {{on_cluster}} (
    project_id UInt64,
    received_unix_nano UInt64,
    rejected_items UInt64,
    rejected_requests UInt64,
    accepted_items UInt64,
    resource_logs Array(Tuple(
        resource Tuple(attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String))))),
        scope_logs Array(Tuple(
            scope Tuple(name String, version String),
            log_records Array(Tuple(
                time_unix_nano UInt64,
                observed_time_unix_nano UInt64,
                severity_number Int32,
                severity_text String,
                body Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String)),
                attributes Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), array_value Tuple(values Array(Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String)))), kvlist_value Tuple(values Array(Tuple(key String, value Tuple(string_value Nullable(String), bool_value Nullable(String), int_value Nullable(String), double_value Nullable(String), bytes_value Nullable(String))))), bytes_value Nullable(String)))),
                flags UInt32,
                trace_id String,
                span_id String,
                event_name String))))))
) ENGINE = Null;

CREATE TABLE IF NOT EXISTS logs {{on_cluster}} (
    project_id UInt64,
    timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    observed_timestamp DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    trace_id FixedString(16) CODEC(ZSTD(1)),
    span_id FixedString(8) CODEC(ZSTD(1)),
    flags UInt32,
    severity_number UInt8,
    severity_text LowCardinality(String),
    event_name LowCardinality(String),
    body String CODEC(ZSTD(1)),
    service_name LowCardinality(String),
    scope_name LowCardinality(String),
    scope_version LowCardinality(String),
    attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    resource_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ingested_at DateTime('UTC') DEFAULT now(),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_body body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 4
) ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY (project_id, service_name, toStartOfMinute(timestamp), severity_number)
TTL greatest(toDateTime(timestamp), ingested_at) + toIntervalDay({{retention_days:logs}})
SETTINGS min_bytes_for_wide_part = 104857600, ttl_only_drop_parts = 1;

-- A record without a timestamp takes its observed time (OTLP logs data model).
CREATE MATERIALIZED VIEW IF NOT EXISTS otlp_logs_mv {{on_cluster}} TO logs AS
SELECT
    project_id,
    inferops_ns(if(lr.time_unix_nano > 0, lr.time_unix_nano, if(lr.observed_time_unix_nano > 0, lr.observed_time_unix_nano,
                                                                  received_unix_nano))) AS timestamp,
    inferops_ns(if(lr.observed_time_unix_nano > 0, lr.observed_time_unix_nano, received_unix_nano)) AS observed_timestamp,
    toFixedString(lr.trace_id, 16) AS trace_id,
    toFixedString(lr.span_id, 8) AS span_id,
    lr.flags AS flags,
    toUInt8(least(greatest(lr.severity_number, 0), 24)) AS severity_number,
    lr.severity_text AS severity_text,
    lr.event_name AS event_name,
    inferops_any_str(lr.body) AS body,
    if(ra['service.name'] != '', ra['service.name'], 'unknown_service') AS service_name,
    sl.scope.name AS scope_name,
    sl.scope.version AS scope_version,
    inferops_attrs(lr.attributes) AS attributes,
    ra AS resource_attributes
FROM (
    SELECT project_id, received_unix_nano, inferops_attrs(rl.resource.attributes) AS ra, sl, lr
    FROM otlp_logs_in
    ARRAY JOIN resource_logs AS rl
    ARRAY JOIN rl.scope_logs AS sl
    ARRAY JOIN sl.log_records AS lr
);
