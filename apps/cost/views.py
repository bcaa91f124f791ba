"""Finance pages (finance and admin roles): cost overview, cost-per-token report, budgets, prices.
Server-rendered from the same selectors as the API; charts are Plotly figures built in Python."""

from datetime import UTC, datetime, timedelta

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from apps.core.pages import project_page
from apps.cost import catalogue, charts, compute, selectors, services
from apps.cost.api.params import day_window, parse_days
from apps.cost.api.views import FINANCE
from apps.cost.models import Budget, BudgetAlert, CostRun, GpuPrice, PriceOverride, PriceVersion
from apps.cost.validation import Invalid
from apps.telemetry.query import QueryError


def _days(request):
    try:
        return parse_days(request.GET), ""
    except QueryError as error:
        return parse_days({}), str(error)


@project_page(FINANCE)
def cost_overview(request, project):
    (start, end), error = _days(request)
    previous = (start - (end - start), start)
    totals = selectors.cost_report(project, start, end, [])
    by_kind = {r["kind"]: r for r in selectors.cost_report(project, start, end, ["kind"])}
    daily = selectors.cost_report(project, start, end, ["model"], period="day")
    context = {
        "start": start, "end": end, "last_day": end - timedelta(days=1), "error": error,
        "totals": totals[0] if totals else None, "by_kind": by_kind,
        "figure": charts.daily_cost_figure(compute.daily_series(daily, "model"), "Cost per day by model"),
        "movers": {key: compute.movers(selectors.cost_report(project, start, end, [key]),
                                       selectors.cost_report(project, *previous, [key]), key)
                   for key in ("model", "tenant")},
        "previous": previous, "costed_until": _costed_until(project),
    }
    return render(request, "cost/overview.html", context)


def _costed_until(project):
    row = getattr(project, "cost_settings", None)
    return row.costed_until if row else None


@project_page(FINANCE)
def cost_report(request, project):
    (start, end), error = _days(request)
    dimensions = list(services.attribution(project))
    dimension = request.GET.get("dimension") if request.GET.get("dimension") in dimensions else \
        (dimensions[0] if dimensions else "")
    context = {
        "start": start, "end": end, "last_day": end - timedelta(days=1), "error": error,
        "by_model": selectors.cost_report(project, start, end, ["provider", "model"]),
        "by_tenant_model": selectors.cost_report(project, start, end, ["tenant", "model"], limit=500),
        "dimension": dimension, "dimensions": dimensions,
        "by_dimension": selectors.dimension_report(project, dimension, start, end) if dimension else [],
        "agent_runs": selectors.agent_runs(project, *day_window(start, end)),
        "query": request.GET.urlencode(),
    }
    return render(request, "cost/report.html", context)


@project_page(FINANCE)
def budgets(request, project):
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                services.budget_delete(project, _int(request.POST.get("budget")))
            else:
                services.budget_create(project, request.POST, request.user)
            return redirect(reverse("page-cost-budgets", args=[project.pk]))
        except Invalid as problem:
            error = str(problem)
    now = timezone.now()
    rows = []
    for budget in Budget.objects.filter(project=project):
        state = services.budget_status(budget, now)
        rows.append({"budget": budget, "state": state, "figure": charts.burn_down_figure(state, budget.name),
                     "figure_id": f"burn-{budget.pk}",
                     "spent_pct": float(state.spent_share * 100), "forecast_pct": float(state.forecast_share * 100)})
    context = {"rows": rows, "error": error, "scopes": Budget.Scope.choices, "form": request.POST,
               "alerts": BudgetAlert.objects.filter(budget__project=project).select_related("budget")[:50]}
    return render(request, "cost/budgets.html", context, status=400 if error else 200)


@project_page(FINANCE)
def prices(request, project):
    error = ""
    if request.method == "POST":
        try:
            _prices_action(request, project)
            return redirect(reverse("page-cost-prices", args=[project.pk]))
        except Invalid as problem:
            error = str(problem)
    query = request.GET.get("q", "")[:100]
    context = {
        "error": error, "form": request.POST, "query": query, "catalogue": catalogue.VERSION,
        "models": catalogue.search(query, datetime.now(UTC), limit=100) if query else [],
        "overrides": PriceOverride.objects.filter(project=project),
        "gpu_prices": GpuPrice.objects.filter(project=project),
        "current": services.current_version(project),
        "versions": PriceVersion.objects.filter(project=project)[:30],
        "runs": CostRun.objects.filter(project=project).exclude(kind=CostRun.Kind.LIVE).select_related("price_version")[:30],
        "match_kinds": ("equals", "starts_with", "glob", "regex"), "pricings": GpuPrice.Pricing.choices,
        "attribution": "\n".join(f"{name} = {', '.join(keys)}" for name, keys in services.attribution(project).items()),
    }
    return render(request, "cost/prices.html", context, status=400 if error else 200)


def _prices_action(request, project) -> None:
    action, data, user = request.POST.get("action"), request.POST, request.user
    if action == "override":
        services.override_create(project, data, user)
    elif action == "override-delete":
        services.override_delete(project, _int(data.get("id")), user)
    elif action == "gpu":
        services.gpu_price_create(project, data, user)
    elif action == "gpu-delete":
        services.gpu_price_delete(project, _int(data.get("id")), user)
    elif action == "attribution":
        services.attribution_set(project, data)
    elif action == "recompute":
        try:
            start, end = day_window(*parse_days({"start": data.get("start", ""), "end": data.get("end", "")}))
        except QueryError as problem:
            raise Invalid(str(problem)) from None
        services.recompute_request(project, start, min(end, timezone.now()), user)
    else:
        raise Invalid("unknown action.")


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid("which item? (missing id)") from None
