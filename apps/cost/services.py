"""Cost services: price versions, overrides and GPU prices (each change cuts a new version), and
costing a window into the ledger under a lease, so that one writer at a time posts for a project."""

import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.alerts import services as alerts_services
from apps.core.models import Project
from warehouse import get_warehouse

from . import budgets, catalogue, ledger, selectors, validation
from .models import Budget, BudgetAlert, CostRun, CostSettings, GpuPrice, PriceOverride, PriceVersion
from .pricing import PriceBook, money


class CostBusy(RuntimeError):
    """Another run holds the project's ledger."""


class CostInputError(validation.Invalid):
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
def project_lease(project: Project, owner: str, ttl: timedelta | None = None):
    """Hold the project's ledger: a compare-and-set claim that a crashed holder loses after ``ttl``."""
    row, _ = CostSettings.objects.get_or_create(project=project)
    now = timezone.now()
    claimed = CostSettings.objects.filter(pk=row.pk).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)) \
        .update(lease_owner=owner, lease_until=now + (ttl or LEASE))
    if not claimed:
        raise CostBusy(f"the ledger of project {project.pk} is being written by another run")
    try:
        yield row
    finally:
        CostSettings.objects.filter(pk=row.pk, lease_owner=owner).update(lease_owner="", lease_until=None)


LEASE = timedelta(minutes=15)


def lease_renew(project: Project, owner: str) -> None:
    """Extend the lease before each chunk; a run that lost it (it stalled past the lease) stops
    instead of writing beside the run that took over."""
    if not CostSettings.objects.filter(project=project, lease_owner=owner).update(lease_until=timezone.now() + LEASE):
        raise CostBusy(f"run {owner} lost the ledger lease of project {project.pk}")


def attribution(project: Project) -> dict[str, list[str]]:
    row, _ = CostSettings.objects.get_or_create(project=project)
    return row.attribution


def cost_window(project: Project, start: datetime, end: datetime, *, kind: str = CostRun.Kind.LIVE,
                user=None, run: CostRun | None = None, chunk: timedelta = timedelta(days=1)) -> CostRun:
    """Cost [start, end) (whole minutes) with the current price version and bring the ledger in line.

    Works a UTC day at a time: each day's reversals and postings go in one insert into one monthly
    partition, which lands whole or not at all; a crash between days leaves earlier days done and the
    rest to the next run (which finds them by comparing the ledger with what it should hold)."""
    start, end = _minute(start), _minute(end)
    version = current_version(project)
    if run is None:
        run = CostRun(project=project, kind=kind, start=start, end=end, posting=time.time_ns(),
                      requested_by=user if getattr(user, "is_authenticated", False) else None)
    run.price_version = version
    try:
        with project_lease(project, owner=f"{run.kind}-{run.posting}"):
            _post_window(run, price_book(version), attribution(project), chunk, owner=f"{run.kind}-{run.posting}")
    except Exception as error:
        if run.pk:
            run.status, run.error, run.finished_at = CostRun.Status.FAILED, str(error)[:500], timezone.now()
            run.save()
        raise
    run.status = CostRun.Status.DONE
    run.finished_at = timezone.now()
    if run.kind != CostRun.Kind.LIVE or run.posted or run.reversed:
        run.save()
    return run


def _post_window(run: CostRun, book: PriceBook, dims: dict[str, list[str]], chunk: timedelta, owner: str) -> None:
    project, warehouse, audited = run.project, get_warehouse(), run.kind != CostRun.Kind.LIVE
    if audited:
        run.total_before = window_total(project, run.start, run.end)
    at = run.start
    while at < run.end:
        lease_renew(project, owner)
        upto = min(_next_boundary(at, chunk), run.end)
        inputs = ledger.Inputs(
            spans=warehouse.run_query("cost.llm_spans", project_id=project.pk, start=at, end=upto,
                                      dim_keys=list(dims.values())),
            minutes=warehouse.run_query("cost.gpu_minutes", project_id=project.pk, start=at, end=upto),
            start=at, end=upto, dimensions=list(dims))
        live = warehouse.run_query("cost.live_postings", project_id=project.pk, start=at, end=upto)
        changes = ledger.reconcile(ledger.desired_lines(book, inputs), live, project_id=project.pk,
                                   posting=run.posting, version=book.version)
        if changes.rows.height:
            warehouse.insert_frame("cost_ledger", changes.rows)
        run.posted += changes.posted
        run.reversed += changes.reversed
        run.unchanged += changes.unchanged
        at = upto
    if audited:
        run.total_after = window_total(project, run.start, run.end)


def _next_boundary(at: datetime, chunk: timedelta) -> datetime:
    """The next multiple of ``chunk`` since the epoch (chunks of a day end at UTC midnight)."""
    step = int(chunk.total_seconds())
    return datetime.fromtimestamp((int(at.timestamp()) // step + 1) * step, UTC)


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
    """Validate a user's recompute window (its spans must still exist) and queue the run."""
    now = timezone.now()
    # Spans and GPU metrics must both still be there: without the metrics, every GPU-minute would
    # look fully busy.
    kept_days = min(settings.RETENTION_DAYS["traces"], settings.RETENTION_DAYS["metrics"])
    oldest = now - timedelta(days=kept_days) + timedelta(hours=1)
    if start.tzinfo is None or end.tzinfo is None:
        raise CostInputError("start and end need a time zone (UTC).")
    if not start < end:
        raise CostInputError("start must be before end.")
    if end > now:
        raise CostInputError("end cannot be in the future.")
    if start < oldest:
        raise CostInputError(f"spans before {oldest:%Y-%m-%d %H:%M} UTC are past trace or metric retention; "
                             "their ledger figures can no longer be recomputed.")
    if end - start > timedelta(days=93):
        raise CostInputError("recompute at most 93 days at a time.")
    run = CostRun.objects.create(project=project, kind=CostRun.Kind.RECOMPUTE, start=_minute(start),
                                 end=_minute(end), price_version=current_version(project), posting=time.time_ns(),
                                 status=CostRun.Status.PENDING,
                                 requested_by=user if getattr(user, "is_authenticated", False) else None)
    transaction.on_commit(lambda: _enqueue_recompute(run.pk))
    return run


def _enqueue_recompute(run_id: int) -> None:
    from .tasks import cost_recompute

    cost_recompute.delay(run_id)


def recompute_run(run_id: int) -> str:
    """Carry out a queued recompute (idempotent: a run already done or failed is left alone). When
    another run holds the ledger, the recompute goes back to the queue ("busy") to be tried again."""
    claimed = CostRun.objects.filter(pk=run_id, status=CostRun.Status.PENDING).update(status=CostRun.Status.RUNNING)
    if not claimed:
        return "not pending"
    run = CostRun.objects.select_related("project").get(pk=run_id)
    try:
        cost_window(run.project, run.start, run.end, run=run)
    except CostBusy:
        if run.posted or run.reversed:
            raise               # it lost the lease part-way: recorded as failed, rerun by the user
        CostRun.objects.filter(pk=run_id).update(status=CostRun.Status.PENDING, error="", finished_at=None)
        return "busy"
    return run.status


def recomputes_revive(now: datetime) -> list[int]:
    """Queue again the recomputes whose worker died: marked running, but their lease on the ledger
    is gone. Rerunning is safe: a run only posts what the ledger does not already hold."""
    revived = []
    for run in CostRun.objects.filter(status=CostRun.Status.RUNNING, kind=CostRun.Kind.RECOMPUTE,
                                      created_at__lt=now - LEASE).select_related("project"):
        held = CostSettings.objects.filter(project=run.project, lease_owner=f"{run.kind}-{run.posting}",
                                           lease_until__gt=now).exists()
        if not held and CostRun.objects.filter(pk=run.pk, status=CostRun.Status.RUNNING).update(
                status=CostRun.Status.PENDING):
            transaction.on_commit(lambda pk=run.pk: _enqueue_recompute(pk))
            revived.append(run.pk)
    return revived


# -- budgets --------------------------------------------------------------------------------------

def budget_daily_spend(budget, first: date, end: date) -> dict[date, Decimal]:
    """Spend per day in [first, end) within the budget's scope."""
    project = budget.project
    if budget.scope == budget.Scope.TEAM:
        rows = [r for r in selectors.dimension_report(project, "team", first, end, period="day")
                if r["value"] == budget.scope_value]
    else:
        scope = {budget.Scope.TENANT: {"tenants": [budget.scope_value]},
                 budget.Scope.MODEL: {"models": [budget.scope_value]}}.get(budget.scope, {})
        rows = selectors.cost_report(project, first, end, [], period="day", **scope)
    return {row["period"]: row["total_cost"] for row in rows}


def budget_status(budget, now: datetime) -> budgets.BudgetStatus:
    first = budgets.month_start(now)
    return budgets.status(budget.monthly_usd, budget_daily_spend(budget, first, budgets.month_end(first)), now)


def budgets_check(project: Project, now: datetime) -> list[BudgetAlert]:
    """Fire each threshold a budget's spend or forecast reached this month, once (the unique
    constraint is the claim), and send it through the project's alert channels."""
    fired = []
    for budget in Budget.objects.filter(project=project, enabled=True):
        state = budget_status(budget, now)
        for threshold, basis in budgets.crossed(state, budget.thresholds or list(budgets.DEFAULT_THRESHOLDS)):
            try:
                with transaction.atomic():
                    alert = BudgetAlert.objects.create(budget=budget, month=state.month, threshold=threshold,
                                                       basis=basis, spend=state.spend, forecast=state.forecast,
                                                       fired_at=now)
                    alerts_services.notify(project.pk, budget_notification(alert, state, now))
            except IntegrityError:
                continue            # fired before: once per month, threshold and basis
            fired.append(alert)
    return fired


def budget_notification(alert: BudgetAlert, state: budgets.BudgetStatus, now: datetime) -> dict:
    budget, project = alert.budget, alert.budget.project
    base = settings.PUBLIC_URL.rstrip("/")
    scope = budget.get_scope_display() + (f" {budget.scope_value}" if budget.scope_value else "")
    what = "spend" if alert.basis == BudgetAlert.Basis.ACTUAL else "month-end forecast"
    figure = state.spend if alert.basis == BudgetAlert.Basis.ACTUAL else state.forecast
    severity = "page" if alert.threshold >= 100 and alert.basis == BudgetAlert.Basis.ACTUAL else "ticket"
    stamp = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": f"inferops-budget-{budget.pk}-{state.month:%Y%m}-{alert.threshold}-{alert.basis}",
        "kind": "budget_threshold", "status": "firing", "severity": severity,
        "summary": f"Budget {budget.name} ({scope}): {what} ${figure:.2f} reached {alert.threshold}% "
                   f"of ${budget.monthly_usd:.2f} for {state.month:%B %Y}",
        "labels": {"project": project.slug, "budget": budget.name, "severity": severity, "scope": budget.scope,
                   "threshold": str(alert.threshold), "basis": alert.basis},
        "project": {"id": project.pk, "name": project.name, "slug": project.slug},
        "slo": {"id": 0, "name": "", "objective": 0, "sli_kind": ""},
        "component": f"budget {budget.name}",
        "details": {"month": f"{state.month:%Y-%m}", "budget_usd": str(state.amount),
                    "spend_usd": str(money(state.spend).quantize(Decimal("0.01"))),
                    "forecast_usd": str(money(state.forecast).quantize(Decimal("0.01"))),
                    "threshold_percent": alert.threshold, "basis": alert.basis},
        "episode": 0, "starts_at": stamp, "ends_at": None, "burn_rates": {}, "exemplars": [],
        "dedup_key": f"inferops/{project.slug}/budget/{budget.pk}/{state.month:%Y%m}/{alert.threshold}/{alert.basis}"[:255],
        "url": f"{base}/projects/{project.pk}/cost/budgets", "link_text": "Budgets in InferOps",
        "sent_at": stamp,
    }


# -- configuration (every pricing change cuts a price version) ------------------------------------

def override_create(project: Project, data: dict, user) -> PriceOverride:
    return _price_create(project, PriceOverride, validation.override_fields(data), "override", user)


def override_delete(project: Project, override_id: int, user) -> None:
    _price_delete(project, PriceOverride, override_id, "override", user)


def gpu_price_create(project: Project, data: dict, user) -> GpuPrice:
    return _price_create(project, GpuPrice, validation.gpu_price_fields(data), "GPU price", user)


def gpu_price_delete(project: Project, price_id: int, user) -> None:
    _price_delete(project, GpuPrice, price_id, "GPU price", user)


def _price_create(project: Project, model, fields: dict, noun: str, user):
    with transaction.atomic():
        item = model.objects.create(project=project, created_by=_user(user), **fields)
        version_cut(project, f"{noun} #{item.pk} {item.name} added", user)
    return item


def _price_delete(project: Project, model, item_id: int, noun: str, user) -> None:
    with transaction.atomic():
        item = model.objects.filter(project=project, pk=item_id).first()
        if item is None:
            raise CostInputError(f"no such {noun} in this project.")
        item.delete()
        version_cut(project, f"{noun} #{item_id} {item.name} removed", user)


def budget_create(project: Project, data: dict, user) -> Budget:
    fields = validation.budget_fields(data)
    if Budget.objects.filter(project=project, name=fields["name"]).exists():
        raise CostInputError(f"name: a budget called {fields['name']!r} exists already.")
    return Budget.objects.create(project=project, created_by=_user(user), **fields)


def budget_delete(project: Project, budget_id: int) -> None:
    if not Budget.objects.filter(project=project, pk=budget_id).delete()[0]:
        raise CostInputError("no such budget in this project.")


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def attribution_set(project: Project, data: dict) -> dict[str, list[str]]:
    """Which attribute keys attribute cost to which dimension from now on (a recompute applies the
    change to past calls)."""
    dims = validation.attribution_fields(data)
    row, _ = CostSettings.objects.get_or_create(project=project)
    row.attribution = dims
    row.save(update_fields=["attribution"])
    return dims
