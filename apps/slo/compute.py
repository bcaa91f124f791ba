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


def window_bad_total(minutes: pl.DataFrame, end: datetime, seconds: int, timeslice_target: float | None) -> tuple[float, float]:
    """(bad, total) over [end − seconds, end): events, or one-minute slices when ``timeslice_target`` is set."""
    inside = minutes.filter((pl.col("minute") >= end - timedelta(seconds=seconds)) & (pl.col("minute") < end))
    if timeslice_target is None:
        total = float(inside["total"].sum()) if inside.height else 0.0
        good = float(inside["good"].sum()) if inside.height else 0.0
        return total - good, total
    # A minute is bad when its own ratio misses the target; minutes without traffic are good.
    bad = inside.filter((pl.col("total") > 0) & (pl.col("good") / pl.col("total") < timeslice_target)).height
    return float(bad), float(seconds // 60)


def evaluate(minutes: pl.DataFrame, end: datetime, objective: float, period_start: datetime, period_s: float,
             windows: list[AlertWindow], timeslice_target: float | None = None) -> Evaluation:
    budget = 1 - objective
    durations = sorted({w.long_s for w in windows} | {w.short_s for w in windows})
    burns = {}
    for seconds in durations:
        bad, total = window_bad_total(minutes, end, seconds, timeslice_target)
        burns[seconds] = (bad / total) / budget if total else 0.0
    rows = tuple(RowResult(w.severity, w.long_s, w.short_s, w.factor, burns[w.long_s], burns[w.short_s])
                 for w in windows)
    elapsed = max(int((end - period_start).total_seconds()), 60)
    bad, total = window_bad_total(minutes, end, elapsed, timeslice_target)
    sli_value = 1 - bad / total if total else 1.0
    remaining = 1 - (bad / total) / budget if total else 1.0
    hourly = burns.get(HOUR, burns[durations[0]])
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
