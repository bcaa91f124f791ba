"""The scan (every minute, see tasks): per project, the series that matter — per scope (the project,
each service, endpoint, model, tenant, policy, GPU host) — are judged by ``detect``; a series that
turns anomalous opens an anomaly (once: an open anomaly per series), which is diagnosed and grouped
into an incident; a series back to normal for ``RECOVERY`` resolves its anomaly, and an incident whose
anomalies have all recovered resolves itself. Rerunning a scan changes nothing twice."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from warehouse import get_warehouse

from .detect import Params, Verdict, detect

HISTORY = timedelta(hours=6)          # the robust baseline; seasons need days (see SEASONAL_HISTORY)
SEASONAL_HISTORY = timedelta(days=3, hours=1)
RECOVERY = timedelta(minutes=10)
MIN_VOLUME = 50                       # items in the judged window below which a rate is noise ...
MIN_QUANTILE_VOLUME = 200             # ... and below which a p95 is (a p95 of a handful a minute is their max)
QUANTILES = {"latency_p95", "ttft_p95", "tpot_p95"}


@dataclass(frozen=True)
class SeriesKind:
    name: str
    symptom: str                      # what the diagnosis compares (see diagnose.KINDS)
    label: str
    unit: str
    params: Params


SERIES = {s.name: s for s in (
    SeriesKind("requests", "requests", "requests per minute", "/min", Params(direction="both", min_relative=0.5,
                                                                             min_change=5)),
    SeriesKind("error_rate", "errors", "error rate", "", Params(min_change=0.02)),
    SeriesKind("latency_p95", "latency", "p95 latency", "ms", Params(min_relative=0.3)),
    SeriesKind("ttft_p95", "ttft", "p95 time to first token", "ms", Params(min_relative=0.3)),
    SeriesKind("tpot_p95", "latency", "p95 time per output token", "ms", Params(min_relative=0.3)),
    SeriesKind("input_per_call", "input_per_call", "input tokens per LLM call", "tokens", Params(min_relative=0.3)),
    SeriesKind("tokens_per_request", "tokens", "tokens per request", "tokens", Params(min_relative=0.3)),
    SeriesKind("cost_per_hour", "tokens", "cost per hour", "USD/h", Params(min_relative=0.5, min_change=0.01)),
    SeriesKind("guardrail_block_rate", "guardrail_blocks", "guardrail block rate", "", Params(min_change=0.03)),
    SeriesKind("gpu.utilization", "latency", "GPU utilisation", "", Params(direction="both", min_change=0.2)),
    SeriesKind("gpu.temperature", "latency", "GPU temperature", "°C", Params(min_relative=0.08)),
    SeriesKind("gpu.memory.used", "latency", "GPU memory used", "bytes", Params(min_relative=0.15)),
    SeriesKind("gpu.throttled", "latency", "GPU throttling", "", Params(min_change=0.3)),
    SeriesKind("inference.kv_cache.utilization", "latency", "KV-cache usage", "", Params(min_change=0.15)),
    SeriesKind("inference.requests.waiting", "latency", "waiting requests", "", Params(min_change=2, min_relative=1.0)),
)}


@dataclass(frozen=True)
class Finding:
    series: SeriesKind
    dimension: str
    value: str
    verdict: Verdict
    started_at: datetime
    change_point_at: datetime | None
    peak: float


def judge(project_id: int, end: datetime) -> list[Finding]:
    """Every series of the project judged at ``end`` (the last complete minute, exclusive)."""
    start = end - SEASONAL_HISTORY
    warehouse = get_warehouse()
    grid = np.array(pl.datetime_range(start, end, "1m", closed="left", time_zone="UTC", eager=True).to_list())
    findings: list[Finding] = []
    spans = warehouse.run_query("anomaly.series_spans", project_id=project_id, start=start, end=end)
    guards = warehouse.run_query("anomaly.series_guardrails", project_id=project_id, start=start, end=end)
    hosts = warehouse.run_query("anomaly.series_hosts", project_id=project_id, start=start, end=end)
    costs = warehouse.run_query("anomaly.series_cost", project_id=project_id, start=start, end=end)
    # A minute in which the project sent anything but a scope nothing counts zero for that scope.
    alive = ~np.isnan(_column(spans.filter(pl.col("dimension") == "*"), "spans_n", grid)) if spans.height else \
        np.zeros(len(grid), dtype=bool)
    for (dimension, value), rows in _groups(spans):
        volume = _counts(rows, "roots", grid, alive)
        spans_n = _counts(rows, "spans_n", grid, alive)
        calls = _counts(rows, "llm_calls", grid, alive)
        series = {"requests": (volume, None), "error_rate": (_ratio(rows, "errors_n", "spans_n", grid), spans_n),
                  "latency_p95": (_column(rows, "latency_p95", grid),
                                  spans_n if dimension in ("model", "operation") else volume),
                  "ttft_p95": (_column(rows, "ttft_p95", grid), calls), "tpot_p95": (_column(rows, "tpot_p95", grid), calls),
                  "input_per_call": (_ratio(rows, "llm_input_tokens", "llm_calls", grid), calls),
                  "tokens_per_request": (_ratio(rows, "tokens_n", "roots", grid), volume)}
        findings += _judged(series, dimension, value, grid)
    for (dimension, value), rows in _groups(guards):
        rate = _ratio(rows, "blocks", "decisions", grid)
        findings += _judged({"guardrail_block_rate": (rate, _counts(rows, "decisions", grid, alive))}, dimension,
                            value, grid)
    for (dimension, value), rows in _groups(costs):
        findings += _judged({"cost_per_hour": (_counts(rows, "cost_per_hour", grid, alive), None)}, dimension, value,
                            grid)
    if hosts.height:
        for (_, host, metric), rows in hosts.group_by(["dimension", "scope_value", "metric_name"], maintain_order=True):
            findings += _judged({metric: (_column(rows, "mean", grid), None)}, "host", str(host), grid)
    return findings


def _groups(frame: pl.DataFrame):
    if not frame.height:
        return []
    return frame.group_by(["dimension", "value"], maintain_order=True)


def _column(rows: pl.DataFrame, name: str, grid: np.ndarray) -> np.ndarray:
    """The column on the minute grid, NaN where the minute has no row."""
    out = np.full(len(grid), np.nan)
    if not rows.height:
        return out
    first = int(grid[0].timestamp()) // 60
    minutes = (rows["at"].dt.epoch("s") // 60 - first).to_numpy()
    values = rows[name].cast(pl.Float64).to_numpy()
    keep = (minutes >= 0) & (minutes < len(grid)) & ~np.isnan(values)
    out[minutes[keep]] = values[keep]
    return out


def _counts(rows: pl.DataFrame, name: str, grid: np.ndarray, alive: np.ndarray) -> np.ndarray:
    values = _column(rows, name, grid)
    return np.where(np.isnan(values) & alive, 0.0, values)


def _ratio(rows: pl.DataFrame, top: str, bottom: str, grid: np.ndarray) -> np.ndarray:
    numerator, denominator = _column(rows, top, grid), _column(rows, bottom, grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _judged(series: dict, dimension: str, value: str, grid: np.ndarray) -> list[Finding]:
    found = []
    for name, (values, volume) in series.items():
        kind = SERIES.get(name)
        if kind is None or np.all(np.isnan(values[-kind.params.window:])):
            continue
        needed = MIN_QUANTILE_VOLUME if name in QUANTILES else MIN_VOLUME
        if volume is not None and np.nansum(volume[-kind.params.window:]) < needed:
            continue
        verdict = detect(values, kind.params)
        if not verdict.anomalous:
            continue
        found.append(Finding(kind, dimension, value, verdict, grid[verdict.started or len(grid) - 1],
                             grid[verdict.change_point] if verdict.change_point is not None else None,
                             float(np.nanmax(values[-kind.params.window:]))))
    return found


def scan_end(now: datetime) -> datetime:
    """The end of the last complete minute, a minute back (late spans)."""
    return now.astimezone(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
