"""Reads of ingest accounting and stored telemetry (through warehouse named queries)."""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import polars as pl

from apps.cost import selectors as cost_selectors
from warehouse import get_warehouse

from .compute import breakdown, critical_path, gpu_lanes, span_class
from .query import PAGE_SIZES, TraceSearch, cursor_text, parse_cursor

SIGNALS = ("traces", "metrics", "logs")
# A trace's cost is looked up to this long after its start (GPU-time lines sit at the minutes they cover).
TRACE_COST_SPAN = timedelta(hours=1)


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


# -- trace explorer and trace view ------------------------------------------------------------------

TRACE_LOOKBACK = timedelta(days=400)
MAX_TRACE_SPANS = 20_000
# Exporters report every 10–60 s: look far enough around the trace to catch a reading on each side.
GPU_MARGIN = timedelta(seconds=90)


@dataclass(frozen=True)
class TracePage:
    rows: list[dict]
    next_cursor: str | None


def trace_search(project_id: int, search: TraceSearch) -> TracePage:
    """One page of traces matching ``search``, and the cursor of the next page (None on the last)."""
    span_filtered = bool(search.attributes or search.filters.get("provider") or search.filters.get("host")
                         or search.gpus)
    cursor = search.cursor or (0, "")
    frame = get_warehouse().run_query(
        "telemetry.trace_search", project_id=project_id, start=search.window.start, end=search.window.end,
        span_filtered=span_filtered, providers=search.filters.get("provider"), hosts=search.filters.get("host"),
        gpus=list(search.gpus), attr_keys=[a.key for a in search.attributes],
        attr_ops=[a.op for a in search.attributes], attr_values=[a.value for a in search.attributes],
        min_duration_ns=int((search.min_duration_ms or 0) * 1e6), max_duration_ns=int((search.max_duration_ms or 0) * 1e6),
        min_tokens=search.min_tokens or 0, max_tokens=search.max_tokens or 0, status=search.status,
        services=search.filters.get("service"), models=search.filters.get("model"),
        tenants=search.filters.get("tenant"), endpoints=search.filters.get("endpoint"),
        sort=search.sort, descending=search.descending, has_cursor=search.cursor is not None,
        after_key=cursor[0], after_id=cursor[1], limit=search.limit + 1)
    rows = frame.rename({"trace_id_hex": "trace_id"}).to_dicts()
    more = len(rows) > search.limit
    rows = rows[:search.limit]
    _with_costs(project_id, rows)
    next_cursor = cursor_text(rows[-1]["sort_key"], rows[-1]["trace_id"]) if more else None
    return TracePage(rows, next_cursor)


def _with_costs(project_id: int, rows: list[dict]) -> None:
    """Each trace's net cost from the cost ledger (None where nothing was costed yet)."""
    if not rows:
        return
    starts = [r["started"] for r in rows]
    costs = cost_selectors.trace_costs(project_id, min(starts), max(starts) + TRACE_COST_SPAN,
                                       [r["trace_id"] for r in rows])
    for row in rows:
        cost = costs.get(row["trace_id"])
        row["cost"] = float(cost) if cost is not None else None


def trace_bounds(project_id: int, trace_id: str, now: datetime | None = None) -> dict | None:
    end = (now or datetime.now(UTC)) + timedelta(days=1)
    frame = get_warehouse().run_query("telemetry.trace_bounds", project_id=project_id, start=end - TRACE_LOOKBACK,
                                      end=end, trace_id=trace_id)
    return frame.to_dicts()[0] if not frame.is_empty() else None


def trace_spans(project_id: int, trace_id: str, bounds: dict) -> pl.DataFrame:
    return get_warehouse().run_query("telemetry.trace_spans", project_id=project_id, start=bounds["first_start"],
                                     end=bounds["last_end"], trace_id=trace_id, limit=MAX_TRACE_SPANS)


def span_detail(project_id: int, trace_id: str, span_id: str, bounds: dict) -> dict | None:
    frame = get_warehouse().run_query("telemetry.span_detail", project_id=project_id, start=bounds["first_start"],
                                      end=bounds["last_end"], trace_id=trace_id, span_id=span_id)
    return frame.to_dicts()[0] if not frame.is_empty() else None


def gpu_context(project_id: int, bounds: dict, host_gpus: list[str], host_models: list[str]) -> pl.DataFrame:
    hosts = sorted({k.split("/", 1)[0] for k in host_gpus})
    return get_warehouse().run_query(
        "telemetry.trace_gpu_context", project_id=project_id, start=bounds["first_start"] - GPU_MARGIN,
        end=bounds["last_end"] + GPU_MARGIN, hosts=hosts, host_gpus=host_gpus, host_models=host_models)


def trace_view(project_id: int, trace_id: str) -> dict | None:
    """Everything the waterfall draws for one trace: spans with their class and depth order, the
    critical path, the per-step breakdown and the GPU lanes. None when the trace is not stored."""
    bounds = trace_bounds(project_id, trace_id)
    if bounds is None:
        return None
    spans = trace_spans(project_id, trace_id, bounds).to_dicts()
    for span in spans:
        span["span_class"] = span_class(span["operation"], span["kind"])
    segments = critical_path(spans)
    on_path = {seg.span_id for seg in segments}
    for span in spans:
        span["critical"] = span["span_id"] in on_path
    costs = cost_selectors.span_costs(project_id, trace_id, bounds["first_start"], bounds["last_end"])
    for span in spans:
        priced = costs.get(span["span_id"])
        span["cost"] = float(priced["total_cost"]) if priced else None
        span["pricing"] = {k: priced[k] for k in ("method", "price_ref", "price_version")} if priced else None
    served = {(s["host"], s["gpu_id"], s["model"]) for s in spans
              if s["span_class"] in ("llm", "embedding") and s["host"] and s["gpu_id"]}
    points = gpu_context(project_id, bounds, sorted({f"{h}/{g}" for h, g, _ in served}),
                         sorted({f"{h}/{m}" for h, _, m in served})) if served else pl.DataFrame()
    return {
        "trace_id": trace_id,
        "start_ns": min((s["start_ns"] for s in spans), default=0),
        "end_ns": max((s["start_ns"] + s["duration_ns"] for s in spans), default=0),
        "span_count": len(spans),
        "truncated": bounds["spans"] > len(spans),
        "spans": spans,
        "critical_path": [{"span_id": s.span_id, "start_ns": s.start_ns, "end_ns": s.end_ns} for s in segments],
        "breakdown": breakdown(spans, segments),
        "gpu_lanes": gpu_lanes(points, spans),
    }


def live_traces(project_id: int, since: datetime) -> list[dict]:
    """Traces with a root whose summaries were stored at or after ``since`` (newest first, at most 50)."""
    now = datetime.now(UTC)
    return get_warehouse().run_query("telemetry.live_traces", project_id=project_id, start=now - timedelta(hours=6),
                                     end=now + timedelta(minutes=5), since=since).to_dicts()


def trace_search_all(project_id: int, search: TraceSearch, cap: int) -> Iterator[dict]:
    """Every trace the search matches, page by page (keyset), up to ``cap`` rows: for exports."""
    sent, cursor = 0, search.cursor
    while sent < cap:
        page = trace_search(project_id, replace(search, cursor=cursor, limit=max(PAGE_SIZES)))
        yield from page.rows[:cap - sent]
        sent += len(page.rows)
        if page.next_cursor is None:
            return
        cursor = parse_cursor(page.next_cursor)
