"""Reads of ingest accounting and stored telemetry (through warehouse named queries)."""

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from warehouse import get_warehouse

SIGNALS = ("traces", "metrics", "logs")


@dataclass(frozen=True)
class SignalAccounting:
    signal: str
    requests: int
    accepted: int
    rejected: int
    rejected_requests: int


def ingest_accounting(project_id: int, start: datetime, end: datetime) -> list[SignalAccounting]:
    """Per-signal totals for one project, zeros for signals with no traffic."""
    frame = get_warehouse().run_query("telemetry.ingest_accounting", project_id=project_id, start=start, end=end)
    rows = {row["signal"]: row for row in frame.iter_rows(named=True)} if not frame.is_empty() else {}
    return [
        SignalAccounting(signal, *(int(rows.get(signal, {}).get(k, 0)) for k in
                                   ("requests", "accepted", "rejected", "rejected_requests")))
        for signal in SIGNALS
    ]


def spans_in_window(project_id: int, start: datetime, end: datetime, limit: int = 1000) -> pl.DataFrame:
    return _window_query("telemetry.spans_in_window", project_id, start, end, limit)


def _window_query(name: str, project_id: int, start: datetime, end: datetime, limit: int) -> pl.DataFrame:
    return get_warehouse().run_query(name, project_id=project_id, start=start, end=end, limit=limit)


def metric_points_in_window(project_id: int, start: datetime, end: datetime, limit: int = 10_000) -> pl.DataFrame:
    return _window_query("telemetry.metric_points_in_window", project_id, start, end, limit)


def histograms_in_window(project_id: int, start: datetime, end: datetime, limit: int = 10_000) -> pl.DataFrame:
    return _window_query("telemetry.histograms_in_window", project_id, start, end, limit)


def logs_in_window(project_id: int, start: datetime, end: datetime, limit: int = 10_000) -> pl.DataFrame:
    return _window_query("telemetry.logs_in_window", project_id, start, end, limit)


def guardrail_decisions_in_window(project_id: int, start: datetime, end: datetime, limit: int = 10_000) -> pl.DataFrame:
    return _window_query("telemetry.guardrail_decisions_in_window", project_id, start, end, limit)


def trace_ids_in_window(project_id: int, start: datetime, end: datetime, limit: int = 1_000_000) -> set[str]:
    frame = _window_query("telemetry.trace_ids_in_window", project_id, start, end, limit)
    return set(frame["trace_id"].to_list()) if not frame.is_empty() else set()


def trace_summary(project_id: int, trace_id: str, start: datetime, end: datetime) -> dict | None:
    frame = get_warehouse().run_query("telemetry.trace_summary", project_id=project_id, start=start, end=end,
                                      trace_id=trace_id)
    return frame.to_dicts()[0] if not frame.is_empty() else None


def rollup_by_model(project_id: int, start: datetime, end: datetime, operations: list[str]) -> pl.DataFrame:
    return get_warehouse().run_query("telemetry.rollup_by_model", project_id=project_id, start=start, end=end,
                                     operations=operations)
