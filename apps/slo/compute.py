"""Pure SLO arithmetic: error budgets, multi-window burn rates and the alerting decision.

Follows the SRE Workbook (alerting on SLOs, table 5-8) with Sloth's extra ticket row: for a
window pair, the burn-rate threshold is ``budget fraction × period ÷ long window`` (14.4, 6, 3
and 1 over 30 days), and a row alerts only when both its long and its short window burn faster
than that. Inputs are per-minute good/total frames; windows end at the last complete minute.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

HOUR = 3600
DEFAULT_TABLE: tuple[tuple[str, int, int, float], ...] = (   # severity, long s, short s, budget fraction
    ("page", HOUR, 5 * 60, 0.02),
    ("page", 6 * HOUR, 30 * 60, 0.05),
    ("ticket", 24 * HOUR, 2 * HOUR, 0.10),
    ("ticket", 72 * HOUR, 6 * HOUR, 0.10),
)


@dataclass(frozen=True)
class AlertWindow:
    severity: str
    long_s: int
    short_s: int
    factor: float              # burn-rate threshold


def burn_factor(budget_fraction: float, period_s: float, long_s: float) -> float:
    """The burn rate that consumes ``budget_fraction`` of the period's budget in one long window."""
    return budget_fraction * period_s / long_s


def alert_windows(period_s: float, overrides: list[dict] | None = None) -> list[AlertWindow]:
    """The default table scaled to the SLO period, or explicit rows ``{severity, long_s, short_s, factor}``."""
    if overrides:
        return [AlertWindow(o["severity"], int(o["long_s"]), int(o["short_s"]), float(o["factor"])) for o in overrides]
    return [AlertWindow(sev, long_s, short_s, burn_factor(fraction, period_s, long_s))
            for sev, long_s, short_s, fraction in DEFAULT_TABLE]


def time_to_fire_s(objective: float, error_ratio: float, long_s: float, factor: float) -> float:
    """How long an error ratio must last before the long window's burn rate reaches ``factor``."""
    return (1 - objective) / error_ratio * long_s * factor


def budget_consumed(factor: float, long_s: float, period_s: float) -> float:
    """The share of the period's error budget spent by burning at ``factor`` for one long window."""
    return factor * long_s / period_s


def time_to_exhaustion_s(period_s: float, burn_rate: float) -> float:
    return period_s / burn_rate if burn_rate > 0 else math.inf


@dataclass(frozen=True)
class RowResult:
    severity: str
    long_s: int
    short_s: int
    factor: float
    long_burn: float
    short_burn: float

    @property
    def firing(self) -> bool:
        return self.long_burn > self.factor and self.short_burn > self.factor


@dataclass(frozen=True)
class Evaluation:
    at: datetime                       # end of the last complete minute evaluated
    good: int                          # over the SLO period so far
    total: int
    sli: float
    budget_remaining: float            # 1 = untouched, 0 = spent, < 0 = overspent
    burn_rates: dict[str, float]       # window label → burn rate
    rows: tuple[RowResult, ...]
    exhaustion_at: datetime | None

    def firing(self, severity: str) -> bool:
        return any(row.firing for row in self.rows if row.severity == severity)


Sums = dict[int, tuple[float, float, float]]   # window seconds (0: the period) → (bad, total, bad slices)


def frame_sums(minutes: pl.DataFrame, end: datetime, windows_s: list[int], period_start: datetime,
               timeslice_target: float | None) -> Sums:
    """Per window [end − w, end) — and the period [period_start, end) as w = 0 — bad and total events and
    bad one-minute slices (minutes with traffic whose own ratio missed the target)."""
    sums = {}
    for seconds in windows_s:
        start = period_start if seconds == 0 else end - timedelta(seconds=seconds)
        inside = minutes.filter((pl.col("minute") >= start) & (pl.col("minute") < end))
        total = float(inside["total"].sum()) if inside.height else 0.0
        good = float(inside["good"].sum()) if inside.height else 0.0
        bad_slices = 0.0
        if timeslice_target is not None and inside.height:
            bad_slices = float(inside.filter((pl.col("total") > 0)
                                             & (pl.col("good") < pl.col("total") * timeslice_target)).height)
        sums[seconds] = (total - good, total, bad_slices)
    return sums


_SCOPE_COLUMNS = {"services": "service_name", "endpoints": "endpoint", "models": "model", "providers": "provider",
                  "tenants": "tenant"}
_LE_COLUMNS = {"latency": "duration_le", "ttft": "ttft_le", "tpot": "tpot_le"}


def sli_from_rollups(rollups: pl.DataFrame, kind: str, bucket: int | None, roots_only: bool,
                     operations: list[str], filters: dict[str, list[str]]) -> pl.DataFrame:
    """One span-based SLO's (minute, good, total) from a project's per-minute rollup rows.

    Mirrors the sli_*_minutes queries: the same scope, and for latency kinds the le arrays whose
    element ``bucket`` (1-based) counts the good events and whose last element counts them all.
    """
    rows = rollups
    if roots_only:
        rows = rows.filter(pl.col("is_root") == 1)
    if operations:
        rows = rows.filter(pl.col("operation").is_in(operations))
    for key, values in filters.items():
        if values and key in _SCOPE_COLUMNS:
            rows = rows.filter(pl.col(_SCOPE_COLUMNS[key]).is_in(values))
    if kind == "availability":
        good, total = pl.col("requests") - pl.col("errors"), pl.col("requests")
    else:
        column = pl.col(_LE_COLUMNS[kind])
        good = column.list.get(int(bucket or 1) - 1, null_on_oob=True).fill_null(0)
        total = column.list.last().fill_null(0)
    return (rows.group_by("minute").agg(good.cast(pl.Int64).sum().alias("good"), total.cast(pl.Int64).sum().alias("total"))
            .sort("minute"))


def add_sums(a: Sums, b: Sums) -> Sums:
    zero = (0.0, 0.0, 0.0)
    return {w: (a.get(w, zero)[0] + b.get(w, zero)[0], a.get(w, zero)[1] + b.get(w, zero)[1],
                a.get(w, zero)[2] + b.get(w, zero)[2]) for w in set(a) | set(b)}


def windows_needed(windows: list[AlertWindow]) -> list[int]:
    """Every window length the rows use, and 0 for the period."""
    return [0] + sorted({w.long_s for w in windows} | {w.short_s for w in windows})


def evaluate(minutes: pl.DataFrame, end: datetime, objective: float, period_start: datetime, period_s: float,
             windows: list[AlertWindow], timeslice_target: float | None = None) -> Evaluation:
    sums = frame_sums(minutes, end, windows_needed(windows), period_start, timeslice_target)
    return evaluate_sums(sums, end, objective, period_start, period_s, windows, timeslice_target)


def evaluate_sums(sums: Sums, end: datetime, objective: float, period_start: datetime, period_s: float,
                  windows: list[AlertWindow], timeslice_target: float | None = None) -> Evaluation:
    budget = 1 - objective
    elapsed = max(int((end - period_start).total_seconds()), 60)

    def bad_total(seconds: int) -> tuple[float, float]:
        bad, total, bad_slices = sums.get(seconds, (0.0, 0.0, 0.0))
        if timeslice_target is None:
            return bad, total
        return bad_slices, float((seconds or elapsed) // 60)

    burns = {}
    for seconds in windows_needed(windows)[1:]:
        bad, total = bad_total(seconds)
        burns[seconds] = (bad / total) / budget if total else 0.0
    rows = tuple(RowResult(w.severity, w.long_s, w.short_s, w.factor, burns[w.long_s], burns[w.short_s])
                 for w in windows)
    bad, total = bad_total(0)
    sli_value = 1 - bad / total if total else 1.0
    remaining = 1 - (bad / total) / budget if total else 1.0
    hourly = burns.get(HOUR, next(iter(burns.values())))
    exhaustion = None
    if remaining <= 0:
        exhaustion = end
    elif hourly > 0:
        exhaustion = end + timedelta(seconds=min(remaining * time_to_exhaustion_s(period_s, hourly), 10 * 365 * 86400))
    return Evaluation(end, int(total - bad), int(total), sli_value, remaining,
                      {label(s): round(b, 6) for s, b in burns.items()}, rows, exhaustion)


def label(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def projected_exhaustion(at: datetime, budget_remaining: float, burn_windows: list[str], burn_rates: list[float],
                         period_s: float) -> datetime | None:
    """When the budget runs out at the 1-hour burn rate (the first window when there is no 1h one), as
    the evaluation computes it; None when nothing burns."""
    if budget_remaining <= 0:
        return at
    rates = dict(zip(burn_windows, burn_rates, strict=False))
    hourly = rates.get("1h", burn_rates[0] if burn_rates else 0.0)
    if hourly <= 0:
        return None
    return at + timedelta(seconds=min(budget_remaining * time_to_exhaustion_s(period_s, hourly), 10 * 365 * 86400))
