"""Raw OTLP inserts: ClickHouse parses the request bytes itself (Protobuf format, envelope schema)."""

from dataclasses import dataclass
from pathlib import Path

PROTO_SCHEMA = (Path(__file__).resolve().parent / "proto" / "otlp_ingest.proto").read_text()


@dataclass(frozen=True)
class Signal:
    name: str  # traces | metrics | logs
    table: str  # the Null table the materialised views read
    message: str  # envelope message in the proto schema


SIGNALS = {
    "traces": Signal("traces", "otlp_spans_in", "TracesEnvelope"),
    "metrics": Signal("metrics", "otlp_metrics_in", "MetricsEnvelope"),
    "logs": Signal("logs", "otlp_logs_in", "LogsEnvelope"),
}


def insert_settings(signal: str) -> dict[str, str]:
    return {
        "format_schema_source": "string",
        "format_schema": PROTO_SCHEMA,
        "format_schema_message_name": SIGNALS[signal].message,
        "input_format_protobuf_oneof_presence": "0",
        # Group commit already batches; the engine must not buffer again or acknowledge early,
        # and on a cluster the Distributed tables must hand rows to the shards before we answer.
        "async_insert": "0",
        "distributed_foreground_insert": "1",
        # A backfill may span many days (partitions); that is not a reason to refuse the batch.
        "throw_on_max_partitions_per_insert_block": "0",
        # The views (spans, summaries, rollups, guardrails, accounting) are independent: on more
        # than one core they run side by side, which shortens the acknowledgement of small batches.
        "parallel_view_processing": "1",
    }


def insert_envelopes(warehouse, signal: str, payload: bytes) -> None:
    """Insert length-delimited envelopes (see ingest.envelope) in one INSERT; raises on any failure."""
    warehouse.insert_formatted(f"INSERT INTO {SIGNALS[signal].table}", "Protobuf", payload, insert_settings(signal))
