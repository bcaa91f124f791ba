-- Spans ordered by (project, minute, service), without trace_id at the end of the key. Background
-- merges were about a third of the ingest process's CPU at saturation, most of them the spans table's:
-- with trace_id in the key, rows from every part interleave within each minute, so a merge copies
-- them one at a time (each row's attribute maps re-encoding their keys); without it, a merge copies
-- long runs of rows. Measured on 480k spans of 20 parts: 4.0 → 1.8 µs a span for each merge, and
-- 36k → 43k spans/s of sustained inserts on one core. Trace lookups never used the key's trace_id
-- (service_name precedes it and is not known there): they read the trace's minutes and skip granules
-- with the trace_id bloom filter, as before.
--
-- A table's sort key cannot be shortened in place, so the table is rebuilt: a copy is made in the new
-- order and swapped in by name (the views writing to and reading from spans follow the name). It needs
-- the table's size again in free disk while it runs. A rerun after a failure at any step starts over
-- from whatever spans is then (the old table, or the new one if the swap happened) and ends with the
-- new order. On a distributed deployment, stop the ingest processes while this runs: spans they store
-- during the copy would stay in the old table, which is dropped.
DROP TABLE IF EXISTS spans_reordered {{on_cluster}} SYNC;

CREATE TABLE IF NOT EXISTS spans_reordered {{on_cluster}} (
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
    resource_attributes Map(LowCardinality(String), String) CODEC(LZ4),
    span_attributes Map(LowCardinality(String), String) CODEC(LZ4),
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
ORDER BY (project_id, toStartOfMinute(timestamp), service_name)
TTL greatest(toDateTime(timestamp), ingested_at) + toIntervalDay({{retention_days:traces}})
SETTINGS index_granularity = 8192, min_bytes_for_wide_part = 104857600, ttl_only_drop_parts = 1;

-- On a cluster the copy reads one replica of each shard: let every replica catch up first.
SYSTEM SYNC REPLICA spans {{on_cluster}};

-- Nothing reads from spans_reordered, so the copy fires no view (summaries and rollups already hold
-- these spans). On a cluster the rows go through the Distributed tables and must reach the shards
-- before the swap, and a rerun's blocks must not be taken for duplicates of a failed run's.
INSERT INTO spans_reordered SELECT * FROM spans
SETTINGS distributed_foreground_insert = 1, throw_on_max_partitions_per_insert_block = 0, insert_deduplicate = 0;

EXCHANGE TABLES spans AND spans_reordered {{on_cluster}};

DROP TABLE IF EXISTS spans_reordered {{on_cluster}};
