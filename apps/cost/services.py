"""Cost services: price versions, overrides and GPU prices (each change cuts a new version), and
costing a window into the ledger under a lease, so that one writer at a time posts for a project."""

import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.core.models import Project
from warehouse import get_warehouse

from . import catalogue, ledger
from .models import CostRun, CostSettings, GpuPrice, PriceOverride, PriceVersion
from .pricing import PriceBook


class CostBusy(RuntimeError):
    """Another run holds the project's ledger."""


class CostInputError(ValueError):
    """A request a user made that cannot be carried out, with the reason."""


# -- price versions -------------------------------------------------------------------------------

def current_version(project: Project) -> PriceVersion:
    """The project's price version now: the latest one, or a new one when there is none yet or the
    catalogue itself changed (an upgrade of the pinned price data)."""
    latest = PriceVersion.objects.filter(project=project).first()
    if latest is not None and latest.catalogue == catalogue.VERSION:
        return latest
    return version_cut(project, "catalogue " + catalogue.VERSION if latest else "first prices", None)


def version_cut(project: Project, reason: str, user) -> PriceVersion:
    """Freeze the catalogue version and every override and GPU price as a new version."""
    for _ in range(5):
        number = (PriceVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                return PriceVersion.objects.create(
                    project=project, number=number, catalogue=catalogue.VERSION, reason=reason[:200],
                    overrides=[o.snapshot() for o in PriceOverride.objects.filter(project=project)],
                    gpu_prices=[g.snapshot() for g in GpuPrice.objects.filter(project=project)],
                    created_by=user if getattr(user, "is_authenticated", False) else None)
        except IntegrityError:
            continue            # a concurrent cut took the number
    raise CostBusy("could not cut a price version")


def price_book(version: PriceVersion) -> PriceBook:
    return PriceBook(version=version.number, overrides=version.overrides, gpu_prices=version.gpu_prices)


# -- costing --------------------------------------------------------------------------------------

@contextmanager
def project_lease(project: Project, owner: str, ttl: timedelta = timedelta(minutes=15)):
    """Hold the project's ledger: a compare-and-set claim that a crashed holder loses after ``ttl``."""
    row, _ = CostSettings.objects.get_or_create(project=project)
    now = timezone.now()
    claimed = CostSettings.objects.filter(pk=row.pk).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)) \
        .update(lease_owner=owner, lease_until=now + ttl)
    if not claimed:
        raise CostBusy(f"the ledger of project {project.pk} is being written by another run")
    try:
        yield row
    finally:
        CostSettings.objects.filter(pk=row.pk, lease_owner=owner).update(lease_owner="", lease_until=None)


def attribution(project: Project) -> dict[str, list[str]]:
    row, _ = CostSettings.objects.get_or_create(project=project)
    return row.attribution


def cost_window(project: Project, start: datetime, end: datetime, *, kind: str = CostRun.Kind.LIVE,
                user=None, chunk: timedelta = timedelta(hours=1)) -> CostRun:
    """Cost [start, end) (whole minutes) with the current price version and bring the ledger in line.

    Works an hour at a time: each hour's reversals and postings go in one insert, which lands whole
    or not at all; a crash between hours leaves earlier hours done and the rest to the next run."""
    start, end = _minute(start), _minute(end)
    version = current_version(project)
    book = price_book(version)
    dims = attribution(project)
    posting = time.time_ns()
    run = CostRun(project=project, kind=kind, start=start, end=end, price_version=version, posting=posting,
                  requested_by=user if getattr(user, "is_authenticated", False) else None)
    warehouse = get_warehouse()
    with project_lease(project, owner=f"{kind}-{posting}"):
        if kind != CostRun.Kind.LIVE:
            run.total_before = window_total(project, start, end)
        at = start
        while at < end:
            upto = min(at + chunk, end)
            inputs = ledger.Inputs(
                spans=warehouse.run_query("cost.llm_spans", project_id=project.pk, start=at, end=upto,
                                          dim_keys=list(dims.values())),
                minutes=warehouse.run_query("cost.gpu_minutes", project_id=project.pk, start=at, end=upto),
                start=at, end=upto, dimensions=list(dims))
            live = warehouse.run_query("cost.live_postings", project_id=project.pk, start=at, end=upto)
            changes = ledger.reconcile(ledger.desired_lines(book, inputs), live, project_id=project.pk,
                                       posting=posting, version=version.number)
            if changes.rows.height:
                warehouse.insert_frame("cost_ledger", changes.rows)
            run.posted += changes.posted
            run.reversed += changes.reversed
            run.unchanged += changes.unchanged
            at = upto
        if kind != CostRun.Kind.LIVE:
            run.total_after = window_total(project, start, end)
    run.status = CostRun.Status.DONE
    run.finished_at = timezone.now()
    if kind != CostRun.Kind.LIVE or run.posted or run.reversed:
        run.save()
    return run


def window_total(project: Project, start: datetime, end: datetime) -> Decimal:
    frame = get_warehouse().run_query("cost.window_total", project_id=project.pk, start=start, end=end)
    value = frame["total_cost"][0] if frame.height else None
    return Decimal(value) if value is not None else Decimal(0)


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def live_window(now: datetime) -> tuple[datetime, datetime]:
    """The minutes the every-minute job (re)costs: the last ``COST_LOOKBACK_MINUTES``, up to a
    couple of minutes ago (late spans and the last metric scrapes need to arrive)."""
    end = _minute(now) - timedelta(minutes=settings.COST_SETTLE_MINUTES)
    return end - timedelta(minutes=settings.COST_LOOKBACK_MINUTES), end


def recompute_request(project: Project, start: datetime, end: datetime, user) -> CostRun:
    """Validate a user's recompute window (the spans must still exist) and run it."""
    now = timezone.now()
    oldest = now - timedelta(days=settings.RETENTION_DAYS["traces"]) + timedelta(hours=1)
    if start.tzinfo is None or end.tzinfo is None:
        raise CostInputError("start and end need a time zone (UTC).")
    if not start < end:
        raise CostInputError("start must be before end.")
    if end > now:
        raise CostInputError("end cannot be in the future.")
    if start < oldest:
        raise CostInputError(f"spans before {oldest:%Y-%m-%d %H:%M} UTC are past trace retention; "
                             "their ledger figures can no longer be recomputed.")
    if end - start > timedelta(days=93):
        raise CostInputError("recompute at most 93 days at a time.")
    return cost_window(project, start, end, kind=CostRun.Kind.RECOMPUTE, user=user)
