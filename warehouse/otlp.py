"""Raw OTLP inserts: spans as flat rows (a Native block) walked in C (warehouse/_spanrows.c), metrics and logs (and
spans the walk refuses) parsed by ClickHouse itself (Protobuf format, envelope schema)."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PROTO_SCHEMA = (Path(__file__).resolve().parent / "proto" / "otlp_ingest.proto").read_text()
SPAN_ROWS_TABLE = "otlp_spans_rows"
logger = logging.getLogger(__name__)

_spanrows: ModuleType | None
try:  # compiled at install (setup.py); without it spans take the slower Protobuf input
    import warehouse._spanrows as _spanrows
except ImportError:  # pragma: no cover - a build without a C compiler
    _spanrows = None
    logger.warning("warehouse._spanrows is not built: spans are stored through ClickHouse's Protobuf input")


@dataclass(frozen=True)
class Signal:
    name: str  # traces | metrics | logs
    table: str  # the Null table the materialised views read
    message: str  # envelope message in the proto schema


SIGNALS = {
    "traces": Signal("traces", "otlp_spans_in", "TracesEnvelope"),
    "metrics": Signal("metrics", "otlp_metric_points_in", "MetricsEnvelope"),
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
        # Every insert plans its views anew (see schema 0020), on one in-memory block: the AND-chain
        # rewrite derives extra comparisons for index use, of which there is none, and took ~12 ms of
        # a span batch's ~124.
        "optimize_and_compare_chain": "0",
        **_SIGNAL_SETTINGS.get(signal, {}),
    }


# The span views read one in-memory block each, with no index or order to use: the query-plan
# optimisations find nothing to improve there and only add to each insert's planning (without them a
# 65k-span insert plans in ~20 ms less and runs ~0.2 µs a span faster; bench/README.md). The metrics
# views need them: without them they compute per-metric fields after exploding the data points, once
# per point.
_SIGNAL_SETTINGS = {"traces": {"query_plan_enable_optimizations": "0"}}


# Metrics have a Null table per kind (schema 0021), because every insert plans every view of its table:
# a batch goes to the table of each kind it holds other than gauges and sums, then to the points table.
METRIC_KIND_TABLES = {"histogram": "otlp_metric_histograms_in",
                      "exponential_histogram": "otlp_metric_exp_histograms_in",
                      "summary": "otlp_metric_summaries_in"}


def insert_tables(signal: str, kinds: frozenset[str] = frozenset()) -> list[str]:
    """The Null tables a batch is inserted into, in order. The signal's own table comes last: for
    metrics it also counts every request, so a request is accounted only once all its rows are stored."""
    kind_tables = [METRIC_KIND_TABLES[k] for k in sorted(kinds) if k in METRIC_KIND_TABLES] if signal == "metrics" else []
    return [*kind_tables, SIGNALS[signal].table]


def insert_envelopes(warehouse, signal: str, payload: bytes | Sequence[bytes], table: str | None = None) -> None:
    """Insert length-delimited envelopes (see ingest.envelope; bytes, or a sequence of chunks) in one INSERT into ``table`` (by default
    the signal's own); raises on any failure. Spans go as flat rows (schema 0024) when the C walk
    accepts the batch, through ClickHouse's Protobuf input otherwise."""
    table = table or SIGNALS[signal].table
    if signal == "traces" and table == SIGNALS[signal].table and _spanrows is not None:
        try:
            rows = _spanrows.rows(payload if isinstance(payload, bytes) else list(payload))
        except ValueError:
            logger.warning("span batch not walkable as rows; storing it through the Protobuf input")
        else:
            # The views are over this thread's buffers, which the next walk reuses: released once inserted.
            try:
                warehouse.insert_formatted(f"INSERT INTO {SPAN_ROWS_TABLE}", "Native", rows, row_insert_settings())
            finally:
                for view in rows:
                    view.release()
            return
    warehouse.insert_formatted(f"INSERT INTO {table}", "Protobuf", payload, insert_settings(signal))


def valid_spans(request: bytes) -> int | None:
    """The spans of a protobuf trace request that is valid whole, checked in one pass in C; None when it
    must be decoded and validated item by item (or the C module is not built)."""
    return _spanrows.valid_spans(request) if _spanrows is not None else None


def row_insert_settings() -> dict[str, str]:
    """The span rows' insert settings: the traces' own, less those of the Protobuf input."""
    return {k: v for k, v in insert_settings("traces").items()
            if not k.startswith(("format_schema", "input_format_protobuf"))}
