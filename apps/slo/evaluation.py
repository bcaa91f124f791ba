"""SLO evaluation, once a minute for every SLO, incrementally.

Each SLO's good/total events per minute are read from the rollups once: minutes older than
``GRACE_S`` (late spans have arrived) are sealed into the warehouse table ``slo_minutes``; the
last few minutes are read afresh each time. One query then sums the sealed minutes over every
window and period for all SLOs of a project, so a cycle costs a few minutes of rollups per SLO
plus one pass over the small per-SLO series — not a month of rollups per SLO.
"""

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import polars as pl
from django.conf import settings
from django.db import DatabaseError

from warehouse import WarehouseError, get_warehouse

from . import compute, selectors, sli
from .models import SLO, AlertEvent, Budgeting, Window
from .services import alerts_move

logger = logging.getLogger(__name__)
GRACE_S = 300
SHARED_READ_S = 1800          # SLOs sealed within this long share one read of the project's rollups
_PERIOD_DAYS = {Window.ROLLING_7D: 7, Window.ROLLING_28D: 28, Window.ROLLING_30D: 30}


def period(slo: SLO, end: datetime) -> tuple[datetime, float]:
    """Start and length (s) of the SLO period that ends at ``end``."""
    if slo.window == Window.CALENDAR_MONTH:
        start = end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        days = calendar.monthrange(start.year, start.month)[1]
        return start, days * 86400.0
    days = _PERIOD_DAYS[Window(slo.window)]
    return end - timedelta(days=days), days * 86400.0


@dataclass(frozen=True)
class Outcome:
    evaluation: compute.Evaluation
    fired: list[AlertEvent]
    resolved: list[AlertEvent]


@dataclass
class _Plan:
    slo: SLO
    period_start: datetime
    period_s: float
    windows: list[compute.AlertWindow]
    target: float | None
    live: pl.DataFrame = field(default_factory=pl.DataFrame)


def slo_evaluate(slo: SLO, now: datetime) -> Outcome:
    """Evaluate one SLO over the complete minutes before ``now`` and move its alerts."""
    return _evaluate_project([slo], _minute(now))[slo.pk]


def slos_evaluate_all(now: datetime) -> dict:
    """Evaluate every enabled SLO; a project whose evaluation fails is logged and does not stop the others."""
    end = _minute(now)
    by_project: dict[int, list[SLO]] = defaultdict(list)
    # A new (or redefined) SLO first reads and seals its whole period, about 0.7 s on 10M spans; many
    # at once would stretch one cycle past the next. Each cycle takes the oldest few; the rest follow.
    first_seals, deferred = settings.SLO_FIRST_SEALS_PER_CYCLE, 0
    for slo in SLO.objects.filter(enabled=True).select_related("project").order_by("pk"):
        if slo.sealed_until is None:
            if first_seals == 0:
                deferred += 1
                continue
            first_seals -= 1
        by_project[slo.project_id].append(slo)
    outcomes: dict[int, Outcome] = {}
    failed = 0
    for project_id, slos in by_project.items():
        try:
            outcomes.update(_evaluate_project(slos, end))
        except (WarehouseError, DatabaseError, ValueError, ArithmeticError):
            logger.exception("SLO evaluation failed", extra={"project_id": project_id})
            failed += len(slos)
    slos_by_id = {slo.pk: slo for slos in by_project.values() for slo in slos}
    evaluations_store([(slos_by_id[pk], o.evaluation) for pk, o in outcomes.items()])
    return {"evaluated": len(outcomes), "failed": failed, "deferred": deferred,
            "fired": sum(len(o.fired) for o in outcomes.values()),
            "resolved": sum(len(o.resolved) for o in outcomes.values())}


def _minute(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(second=0, microsecond=0)


def _evaluate_project(slos: list[SLO], end: datetime) -> dict[int, Outcome]:
    plans = [_plan(slo, end) for slo in slos]
    sealed_end = end - timedelta(seconds=GRACE_S)
    _seal(plans, end, sealed_end)
    stored = _stored_sums(plans, end, sealed_end)
    outcomes = {}
    for plan in plans:
        live = compute.frame_sums(plan.live, end, compute.windows_needed(plan.windows), plan.period_start, plan.target)
        sums = compute.add_sums(stored.get(plan.slo.pk, {}), live)
        evaluation = compute.evaluate_sums(sums, end, float(plan.slo.objective), plan.period_start, plan.period_s,
                                           plan.windows, plan.target)
        fired, resolved = alerts_move(plan.slo, evaluation)
        outcomes[plan.slo.pk] = Outcome(evaluation, fired, resolved)
    return outcomes


def _plan(slo: SLO, end: datetime) -> _Plan:
    period_start, period_s = period(slo, end)
    windows = compute.alert_windows(period_s, slo.alert_windows)
    target = float(slo.timeslice_target) if slo.budgeting == Budgeting.TIMESLICES else None
    return _Plan(slo, period_start, period_s, windows, target)


def _lookback_start(plan: _Plan, end: datetime) -> datetime:
    longest = max(w.long_s for w in plan.windows)
    return min(plan.period_start, end - timedelta(seconds=longest))


def _seal(plans: list[_Plan], end: datetime, sealed_end: datetime) -> None:
    """Read each SLO's unsealed minutes; store those before ``sealed_end``, keep the rest as live.

    SLOs sealed recently share one read of the project's last minutes of rollups, sliced per SLO in
    memory; a new SLO (or one left far behind) reads its own history once, and an SLO scoped by
    attributes reads its own unsealed minutes from the spans.
    """
    recent = end - timedelta(seconds=SHARED_READ_S)
    shared = [p for p in plans if p.slo.sli_kind != sli.GUARDRAIL_BLOCK and not selectors.attribute_scoped(p.slo)
              and p.slo.sealed_until and p.slo.sealed_until >= recent]
    rollups = None
    if shared:
        since = min(min(p.slo.sealed_until for p in shared if p.slo.sealed_until), sealed_end)
        rollups = selectors.rollup_minutes(plans[0].slo.project_id, since, end)
    shared_ids = {p.slo.pk for p in shared}
    rows, claimed = [], []
    for plan in plans:
        since = plan.slo.sealed_until or _lookback_start(plan, end)
        if rollups is not None and plan.slo.pk in shared_ids:
            frame = selectors.sli_minutes_from_rollups(plan.slo, rollups)
        else:
            frame = selectors.sli_minutes(plan.slo, min(since, sealed_end), end)
        plan.live = frame.filter(pl.col("minute") >= sealed_end) if frame.height else frame
        if since >= sealed_end or not _claim(plan.slo, sealed_end):
            continue            # nothing new, or another evaluator sealed (or the definition changed) meanwhile
        claimed.append(plan.slo)
        new = frame.filter((pl.col("minute") >= since) & (pl.col("minute") < sealed_end)) if frame.height else frame
        if new.height:
            rows.append(new.with_columns(pl.col("good").cast(pl.UInt64), pl.col("total").cast(pl.UInt64),
                                         pl.lit(plan.slo.project_id, pl.UInt64).alias("project_id"),
                                         pl.lit(plan.slo.pk, pl.UInt64).alias("slo_id"),
                                         pl.lit(plan.slo.version, pl.UInt32).alias("version")))
    try:
        if rows:
            frame = pl.concat(rows).select("project_id", "slo_id", "version", "minute", "good", "total")
            get_warehouse().insert_frame("slo_minutes", frame)
    except WarehouseError:
        for slo in claimed:     # give the range back, to be read and sealed again
            SLO.objects.filter(pk=slo.pk, version=slo.version, sealed_until=sealed_end).update(
                sealed_until=slo.previous_sealed_until)
        raise


def _claim(slo: SLO, sealed_end: datetime) -> bool:
    """Take the minutes up to ``sealed_end`` for sealing: a compare-and-set on this version's mark, so
    two evaluators never store the same minutes, and a definition change in between wins."""
    won = SLO.objects.filter(pk=slo.pk, version=slo.version, sealed_until=slo.sealed_until).update(
        sealed_until=sealed_end) == 1
    if won:
        slo.previous_sealed_until, slo.sealed_until = slo.sealed_until, sealed_end
    return won


def _stored_sums(plans: list[_Plan], end: datetime, sealed_end: datetime) -> dict[int, compute.Sums]:
    """Window sums over the sealed minutes of every SLO in ``plans`` (one project), in one query."""
    windows = sorted({w for plan in plans for w in compute.windows_needed(plan.windows)})
    start = min(_lookback_start(plan, end) for plan in plans)
    frame = get_warehouse().run_query(
        "slo.window_sums", project_id=plans[0].slo.project_id, start=start, end=sealed_end, anchor=end,
        windows=windows, slo_ids=[p.slo.pk for p in plans], versions=[p.slo.version for p in plans],
        targets=[p.target or 0.0 for p in plans], period_starts=[p.period_start for p in plans])
    return {row["slo_id"]: {w: (float(b), float(t), float(s)) for w, b, t, s in
                            zip(windows, row["bad"], row["total"], row["bad_slices"], strict=True)}
            for row in frame.iter_rows(named=True)}


def evaluations_store(done: list[tuple[SLO, compute.Evaluation]]) -> None:
    """Append one evaluation row per SLO to the warehouse, in one insert."""
    if not done:
        return
    evaluations = [e for _, e in done]
    frame = pl.DataFrame({
        "project_id": pl.Series([s.project_id for s, _ in done], dtype=pl.UInt64),
        "slo_id": pl.Series([s.pk for s, _ in done], dtype=pl.UInt64),
        "minute": pl.Series([e.at for e in evaluations], dtype=pl.Datetime("us", "UTC")),
        "sli": [e.sli for e in evaluations],
        "budget_remaining": [e.budget_remaining for e in evaluations],
        "good": pl.Series([e.good for e in evaluations], dtype=pl.UInt64),
        "total": pl.Series([e.total for e in evaluations], dtype=pl.UInt64),
        "burn_windows": [list(e.burn_rates) for e in evaluations],
        "burn_rates": [list(e.burn_rates.values()) for e in evaluations],
        "firing": [[s for s in ("page", "ticket") if e.firing(s)] for e in evaluations],
    })
    get_warehouse().insert_frame("slo_evaluations", frame)
