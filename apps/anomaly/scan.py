"""The scan (every minute, see tasks): per project, the series that matter — per scope (the project,
each service, endpoint, model, tenant, tool and policy; each GPU; each node's inference server) — are judged by ``detect``; a series that
turns anomalous opens an anomaly (once: an open anomaly per series), which is diagnosed and grouped
into an incident; a series back to normal for ``RECOVERY`` resolves its anomaly, and an incident whose
anomalies have all recovered resolves itself. Rerunning a scan changes nothing twice."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

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
SMOOTH = 3                            # minutes a ratio's numerator and denominator are summed over
# A share's excess count must be this unlikely under the history's rate: strict, because a scan tests
# hundreds of series every minute and failures cluster (a blocked input retried is blocked again),
# while a real burst — 45% errors on a model, a tool slow on every call — is far beyond it.
P_VALUE = 1e-4
GAP = 10                              # minutes a counter's last sample still counts as "the one before"


@dataclass(frozen=True)
class SeriesKind:
    name: str
    symptom: str                      # what the diagnosis compares (see diagnose.KINDS)
    label: str
    unit: str
    params: Params
    event: bool = False               # counts of discrete events: the window's peak, not its median, is observed


SERIES = {s.name: s for s in (
    SeriesKind("requests", "requests", "requests per minute", "/min", Params(direction="both", min_relative=0.5,
                                                                             min_change=5)),
    SeriesKind("error_rate", "errors", "error rate", "", Params(min_change=0.02)),
    SeriesKind("latency_p95", "latency", "p95 latency", "ms", Params(min_relative=0.3)),
    SeriesKind("ttft_p95", "ttft", "p95 time to first token", "ms", Params(min_relative=0.3)),
    SeriesKind("tpot_p95", "latency", "p95 time per output token", "ms", Params(min_relative=0.3)),
    SeriesKind("slow_share", "latency", "share of calls slower than usual", "", Params(min_change=0.15)),
    SeriesKind("input_per_call", "input_per_call", "input tokens per LLM call", "tokens", Params(min_relative=0.3)),
    SeriesKind("tokens_per_request", "tokens", "tokens per request", "tokens", Params(min_relative=0.2)),
    SeriesKind("cost_per_hour", "tokens", "cost per hour", "USD/h", Params(min_relative=0.5, min_change=0.01)),
    SeriesKind("guardrail_block_rate", "guardrail_blocks", "guardrail block rate", "", Params(min_change=0.03)),
    SeriesKind("gpu.utilization", "latency", "GPU utilisation", "", Params(direction="both", min_change=0.2)),
    SeriesKind("gpu.temperature", "latency", "GPU temperature", "°C", Params(min_relative=0.08)),
    SeriesKind("gpu.memory.used", "latency", "GPU memory used", "bytes", Params(min_relative=0.15)),
    SeriesKind("gpu.throttled", "latency", "GPU throttling (share of time)", "", Params(min_change=0.3)),
    # An XID error is an event, not a level: one is worth an anomaly (a driver or hardware fault), and it
    # stays open while one was seen in the last five minutes.
    SeriesKind("gpu.xid_errors", "errors", "XID errors", "/min", Params(window=5, min_points=1, min_change=1),
               event=True),
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
    grid = np.array(pl.datetime_range(start, end, "1m", closed="left", time_zone="UTC", eager=True).to_list())
    read = partial(get_warehouse().run_query, project_id=project_id, start=start, end=end)
    spans = read("anomaly.series_spans")
    # A minute in which the project sent anything but a scope nothing counts zero for that scope.
    alive = ~np.isnan(_column(spans.filter(pl.col("dimension") == "*"), "spans_n", grid)) if spans.height else \
        np.zeros(len(grid), dtype=bool)
    scopes = [(key, span_series(rows, key[0], grid, alive)) for key, rows in _groups(spans)]
    # Tools: their own six hours are enough (slow calls are judged against the tool's usual p95).
    tools = read("anomaly.series_tools", start=end - HISTORY,
                 window_start=end - timedelta(minutes=SERIES["slow_share"].params.window))
    scopes += [(key, {"error_rate": _proportion(rows, "failed", "calls", grid, alive),
                      "slow_share": _proportion(rows, "slow", "calls", grid, alive)}) for key, rows in _groups(tools)]
    scopes += [(key, {"guardrail_block_rate": _proportion(rows, "blocks", "decisions", grid, alive)})
               for key, rows in _groups(read("anomaly.series_guardrails"))]
    # A call's cost lands in the minute it is posted: a trailing mean keeps lumpy minutes from flapping.
    scopes += [(key, {"cost_per_hour": (_trailing(_counts(rows, "cost_per_hour", grid, alive), mean=True), None)})
               for key, rows in _groups(read("anomaly.series_cost"))]
    # Each node's inference server (the GPUs are judged one by one).
    hosts = read("anomaly.series_hosts")
    servers = hosts.filter(pl.col("metric_name").str.starts_with("inference.")) if hosts.height else hosts
    scopes += [(("host", host), {metric: (_column(rows, "mean", grid), None)})
               for (_, host, metric), rows in _groups(servers, "metric_name", by="scope_value")]
    scopes += [(("gpu", gpu), gpu_series(rows, grid)) for (_, gpu), rows in _groups(read("anomaly.series_gpus"),
                                                                                       by="scope_value")]
    return [finding for (dimension, value), series in scopes
            for finding in _judged(series, str(dimension), str(value), grid)]


def span_series(rows: pl.DataFrame, dimension: str, grid: np.ndarray, alive: np.ndarray) -> dict:
    """A scope's request series from the per-minute rollup (latency of the spans themselves for a model or
    an operation, of whole requests otherwise)."""
    volume = _counts(rows, "roots", grid, alive)
    spans_n = _counts(rows, "spans_n", grid, alive)
    calls = _counts(rows, "llm_calls", grid, alive)
    return {"requests": (volume, None), "error_rate": _proportion(rows, "errors_n", "spans_n", grid, alive),
            "latency_p95": (_column(rows, "latency_p95", grid), spans_n if dimension in ("model", "operation") else volume),
            "ttft_p95": (_column(rows, "ttft_p95", grid), calls), "tpot_p95": (_column(rows, "tpot_p95", grid), calls),
            "input_per_call": (_ratio(rows, "llm_input_tokens", "llm_calls", grid), calls),
            "tokens_per_request": (_ratio(rows, "tokens_n", "roots", grid), volume)}


def gpu_series(rows: pl.DataFrame, grid: np.ndarray) -> dict:
    """One GPU's series on the minute grid: gauges as their mean; throttling as the share of the minute
    throttled (the hw.gpu.throttled gauge, else DCGM's violation counters, in seconds); XID errors as
    events (the last-XID gauge turning to a code) or the increase of hw.errors{error.type=xid}."""
    metric = {name: part for (name,), part in rows.group_by(["metric_name"])}
    series = {name: (_column(metric[name], "mean", grid), None)
              for name in ("gpu.utilization", "gpu.temperature", "gpu.memory.used") if name in metric}
    if "gpu.throttled" in metric:
        series["gpu.throttled"] = (_column(metric["gpu.throttled"], "mean", grid), None)
    elif "gpu.throttle.thermal" in metric or "gpu.throttle.power" in metric:
        counters = [metric[name] for name in ("gpu.throttle.thermal", "gpu.throttle.power") if name in metric]
        seconds = sum(_increase(counter, grid) for counter in counters)
        series["gpu.throttled"] = (np.clip(seconds / (60 * _elapsed(counters[0], grid)), 0, 1), None)
    if "gpu.xid.last" in metric or "gpu.errors" in metric:
        empty = rows.clear()
        events = np.fmax(_xid_events(metric.get("gpu.xid.last", empty), grid),
                         _increase(metric.get("gpu.errors", empty), grid))
        series["gpu.xid_errors"] = (events, None)
    return series


def _increase(rows: pl.DataFrame, grid: np.ndarray) -> np.ndarray:
    """A cumulative counter's increase per minute: the minute's last value less the last value seen
    before it (within GAP minutes; after a reset, the new value); NaN where the minute has none."""
    last = _column(rows, "last", grid)
    before, _ = _previous(last)
    return np.where(last < before, last, last - before)


def _elapsed(rows: pl.DataFrame, grid: np.ndarray) -> np.ndarray:
    """Minutes since the sample before (a scrape every two minutes spreads its increase over two)."""
    return _previous(_column(rows, "last", grid))[1]


def _previous(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per minute, the last value before it and how many minutes back it is (NaN past GAP minutes)."""
    n = len(values)
    seen = np.where(~np.isnan(values), np.arange(n), -1)
    prior = np.concatenate(([-1], np.maximum.accumulate(seen)[:-1]))
    distance = np.arange(n) - prior
    usable = (prior >= 0) & (distance <= GAP)
    return np.where(usable, values[np.clip(prior, 0, None)], np.nan), np.where(usable, distance, np.nan)


def _xid_events(rows: pl.DataFrame, grid: np.ndarray) -> np.ndarray:
    """Minutes in which the last-XID gauge shows a new code: it rose to a non-zero code within the
    minute, holds one the sample before did not, or showed more than one code (a gauge that keeps its
    last code, or falls back to 0, is no new error)."""
    opening, high, last, codes = (_column(rows, name, grid) for name in ("opening", "high", "last", "codes"))
    before, _ = _previous(last)
    new = (high > 0) & ((opening != high) | (~np.isnan(before) & (before != high)) | (codes > 1))
    return np.where(np.isnan(high), np.nan, new.astype(float))


def _groups(frame: pl.DataFrame, *extra: str, by: str = "value"):
    if not frame.height:
        return []
    return frame.group_by(["dimension", by, *extra], maintain_order=True)


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
    """top / bottom per minute, each summed over the trailing SMOOTH minutes: a ratio of a few dozen
    items a minute is noisy, and three minutes' worth cuts the noise by √3 while a sustained change
    shows from its first minute."""
    numerator, denominator = _trailing(_column(rows, top, grid)), _trailing(_column(rows, bottom, grid))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _proportion(rows: pl.DataFrame, top: str, bottom: str, grid: np.ndarray, alive: np.ndarray) -> tuple:
    """A share of items (errors among spans, blocks among decisions): the smoothed ratio, the items per
    minute (the volume), and both counts for the significance test."""
    items = _counts(rows, bottom, grid, alive)
    return _ratio(rows, top, bottom, grid), items, (_counts(rows, top, grid, alive), items)


def significant(events: np.ndarray, items: np.ndarray, window: int, p_value: float = P_VALUE) -> bool:
    """Are the window's events more than the history's rate predicts, beyond chance? A Poisson tail
    test of the count: a median/MAD score alone cannot tell two stray errors among a rare-error model's
    calls (a baseline of zero has no spread) from a burst."""
    before_events, before_items = np.nansum(events[:-window]), np.nansum(items[:-window])
    rate = (before_events + 0.5) / (before_items + 1)       # a never-failing history still has a rate
    return poisson_tail(int(np.nansum(events[-window:])), rate * np.nansum(items[-window:])) < p_value


def poisson_tail(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean), summed in log space from k up (only the upper tail matters here)."""
    if k <= mean:
        return 1.0
    term = k * math.log(mean) - mean - math.lgamma(k + 1) if mean > 0 else (0.0 if k == 0 else -math.inf)
    total, i = 0.0, k
    while term > -745 and i < k + 100_000:                  # exp underflows past -745
        total += math.exp(term)
        i += 1
        term += math.log(mean) - math.log(i)
        if term < math.log(total) - 40:
            break
    return min(1.0, total)


def _trailing(values: np.ndarray, mean: bool = False) -> np.ndarray:
    """Sum (or mean) over the trailing SMOOTH minutes; NaN where all of them are empty."""
    filled = np.convolve(np.nan_to_num(values), np.ones(SMOOTH))[:len(values)]
    seen = np.convolve((~np.isnan(values)).astype(float), np.ones(SMOOTH))[:len(values)]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(seen > 0, filled / seen if mean else filled, np.nan)


def _judged(series: dict, dimension: str, value: str, grid: np.ndarray) -> list[Finding]:
    found = []
    for name, (values, volume, *counts) in series.items():
        kind = SERIES.get(name)
        if kind is None or np.all(np.isnan(values[-kind.params.window:])):
            continue
        needed = MIN_QUANTILE_VOLUME if name in QUANTILES else MIN_VOLUME
        if volume is not None and np.nansum(volume[-kind.params.window:]) < needed:
            continue
        verdict = detect(values, kind.params)
        if not verdict.anomalous or (counts and not significant(counts[0][0], counts[0][1], kind.params.window)):
            continue
        started = verdict.started if verdict.started is not None else len(grid) - 1
        found.append(Finding(kind, dimension, value, verdict, grid[started],
                             grid[verdict.change_point] if verdict.change_point is not None else None,
                             float(np.nanmax(values[-kind.params.window:]))))
    return found


def scan_end(now: datetime) -> datetime:
    """The end of the last complete minute, a minute back (late spans)."""
    return now.astimezone(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
