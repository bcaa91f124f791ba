"""Cost data as JSON, CSV and Parquet: reports, attribution, agent runs, the ledger's line items,
budgets, prices and recomputes. Finance and admins read and change; nobody else sees cost data."""

from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit import services as audit
from apps.core.api.base import ProjectAPIView
from apps.cost import catalogue, selectors, services
from apps.cost.models import Budget, CostRun, GpuPrice, PriceOverride, PriceVersion
from apps.cost.validation import Invalid
from apps.telemetry.query import QueryError, parse_choice, parse_instant
from frontend.csvexport import csv_response
from frontend.parquetexport import parquet_response

from .params import day_window, parse_days, parse_format, parse_group_by, parse_period

FINANCE = frozenset({"admin", "finance"})
DAY_PARAMS = [OpenApiParameter("start", str, description="first day, YYYY-MM-DD (default: the 1st of this month)"),
              OpenApiParameter("end", str, description="day after the last, YYYY-MM-DD (default: tomorrow)"),
              OpenApiParameter("output", str, enum=["json", "csv", "parquet"])]


class FinanceView(ProjectAPIView):
    read_roles = FINANCE
    write_roles = FINANCE

    def handle_exception(self, exc):
        if isinstance(exc, Invalid):
            return Response({"detail": str(exc)}, status=400)
        if isinstance(exc, services.CostBusy):
            return Response({"detail": str(exc)}, status=409)
        return super().handle_exception(exc)


def plain(value):
    """JSON form of a report value: money as a decimal string (exact), dates as ISO."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def rows_response(fmt: str, filename: str, rows: list[dict], extra: dict | None, *, project_id: int):
    if fmt == "json":
        return Response({**(extra or {}), "rows": [{k: plain(v) for k, v in row.items()} for row in rows]})
    audit.record("export.cost", project_id=project_id, target_type="export", target_id=f"{filename}.{fmt}",
                 details={"rows": len(rows)})
    columns = list(rows[0]) if rows else ["empty"]
    if fmt == "csv":
        return csv_response(f"{filename}.csv", columns, ([plain(row[c]) for c in columns] for row in rows))
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame({"empty": []}, schema={"empty": pl.String})
    return parquet_response(f"{filename}.parquet", frame.to_arrow().schema, [frame])


class CostReportView(FinanceView):
    """Cost, usage, unit costs (per request, per 1M tokens, per 1M input/output tokens) and the share in
    errors, retries and guardrail blocks, by the dimensions asked for, per day, month or whole range."""

    @extend_schema(parameters=[*DAY_PARAMS, OpenApiParameter("group_by", str, many=True,
                                                             enum=list(selectors.REPORT_DIMENSIONS)),
                               OpenApiParameter("period", str, enum=list(selectors.PERIODS)),
                               OpenApiParameter("tenant", str, many=True), OpenApiParameter("model", str, many=True),
                               OpenApiParameter("provider", str, many=True)])
    def get(self, request, project_id: int):
        params = request.query_params
        start, end = parse_days(params)
        group_by, period = parse_group_by(params), parse_period(params)
        rows = selectors.cost_report(self.project, start, end, group_by, period=period,
                                     tenants=params.getlist("tenant"), models=params.getlist("model"),
                                     providers=params.getlist("provider"))
        name = f"cost-{self.project.slug}-{start}-{end}-by-{'-'.join(group_by) or 'total'}"
        return rows_response(parse_format(params), name, rows,
                             {"start": start.isoformat(), "end": end.isoformat(), "group_by": group_by, "period": period},
                             project_id=project_id)


class AttributionView(FinanceView):
    """Cost by an attribution dimension (team, user, feature or a configured key)."""

    @extend_schema(parameters=[*DAY_PARAMS, OpenApiParameter("dimension", str), OpenApiParameter("by_model", bool),
                               OpenApiParameter("period", str, enum=list(selectors.PERIODS))])
    def get(self, request, project_id: int):
        params = request.query_params
        start, end = parse_days(params)
        dimensions = list(services.attribution(self.project))
        dimension = parse_choice(params, "dimension", tuple(dimensions), dimensions[0] if dimensions else "team")
        by_model = params.get("by_model", "") in ("1", "true")
        rows = selectors.dimension_report(self.project, dimension, start, end, by_model=by_model,
                                          period=parse_period(params))
        return rows_response(parse_format(params), f"cost-{self.project.slug}-{start}-{end}-by-{dimension}", rows,
                             {"start": start.isoformat(), "end": end.isoformat(), "dimension": dimension,
                              "dimensions": dimensions}, project_id=project_id)


class AttributionKeysView(FinanceView):
    """The attribution dimensions and the attribute keys each reads (first present wins, span before
    resource). PUT replaces them: {"attribution": {"team": ["team", "team.name"], …}}."""

    def get(self, request, project_id: int):
        return Response({"attribution": services.attribution(self.project)})

    def put(self, request, project_id: int):
        return Response({"attribution": services.attribution_set(self.project, request.data)})


class AgentRunsView(FinanceView):
    """Cost per agent run (whole trace) by the run's root operation."""

    @extend_schema(parameters=DAY_PARAMS)
    def get(self, request, project_id: int):
        params = request.query_params
        start, end = parse_days(params)
        rows = selectors.agent_runs(self.project, *day_window(start, end))
        return rows_response(parse_format(params), f"agent-runs-{self.project.slug}-{start}-{end}", rows,
                             {"start": start.isoformat(), "end": end.isoformat()}, project_id=project_id)


class LedgerExportView(FinanceView):
    """Every ledger row (postings and reversals, with price versions) of a day range, streamed."""

    @extend_schema(parameters=DAY_PARAMS, responses={(200, "text/csv"): str})
    def get(self, request, project_id: int):
        params = request.query_params
        start, end = parse_days(params)
        fmt = parse_format(params, "csv")
        if fmt == "json":
            raise QueryError("the ledger export is csv or parquet")
        pages = selectors.ledger_pages(self.project, *day_window(start, end))
        name = f"cost-ledger-{self.project.slug}-{start}-{end}"
        audit.record("export.cost_ledger", project_id=project_id, target_type="export", target_id=f"{name}.{fmt}")
        if fmt == "parquet":
            first = next(pages)
            return parquet_response(f"{name}.parquet", first.to_arrow().schema, _chain(first, pages))
        first = next(pages)
        rows = ([plain(v) for v in row] for page in _chain(first, pages) for row in page.iter_rows())
        return csv_response(f"{name}.csv", first.columns, rows)


def _chain(first, rest):
    yield first
    yield from rest


class BudgetsView(FinanceView):
    """Budgets with this month's spend, forecast and alerts; POST creates one."""

    def get(self, request, project_id: int):
        now = timezone.now()
        return Response({"budgets": [budget_json(b, services.budget_status(b, now))
                                     for b in Budget.objects.filter(project=self.project)]})

    def post(self, request, project_id: int):
        budget = services.budget_create(self.project, request.data, request.user)
        return Response(budget_json(budget, services.budget_status(budget, timezone.now())), status=201)


class BudgetView(FinanceView):
    def delete(self, request, project_id: int, budget_id: int):
        services.budget_delete(self.project, budget_id)
        return Response(status=204)


def budget_json(budget: Budget, state) -> dict:
    return {"id": budget.pk, "name": budget.name, "scope": budget.scope, "scope_value": budget.scope_value,
            "monthly_usd": plain(budget.monthly_usd), "thresholds": budget.thresholds,
            "month": state.month.isoformat(), "spend": plain(state.spend), "forecast": plain(state.forecast),
            "run_rate_per_day": plain(state.run_rate), "spent_share": float(state.spent_share),
            "forecast_share": float(state.forecast_share),
            "burn_down": [{"day": d.isoformat(), "left": plain(v)} for d, v in state.burn_down()],
            "alerts": [{"threshold": a.threshold, "basis": a.basis, "month": a.month.isoformat(),
                        "fired_at": a.fired_at.isoformat()} for a in budget.alerts.all()[:50]]}


class OverridesView(FinanceView):
    def get(self, request, project_id: int):
        return Response({"overrides": [o.snapshot() for o in PriceOverride.objects.filter(project=self.project)]})

    def post(self, request, project_id: int):
        return Response(services.override_create(self.project, request.data, request.user).snapshot(), status=201)


class OverrideView(FinanceView):
    def delete(self, request, project_id: int, override_id: int):
        services.override_delete(self.project, override_id, request.user)
        return Response(status=204)


class GpuPricesView(FinanceView):
    def get(self, request, project_id: int):
        return Response({"gpu_prices": [g.snapshot() for g in GpuPrice.objects.filter(project=self.project)]})

    def post(self, request, project_id: int):
        return Response(services.gpu_price_create(self.project, request.data, request.user).snapshot(), status=201)


class GpuPriceView(FinanceView):
    def delete(self, request, project_id: int, price_id: int):
        services.gpu_price_delete(self.project, price_id, request.user)
        return Response(status=204)


class PriceVersionsView(FinanceView):
    """Every price version: what changed and the frozen overrides and GPU prices it priced with."""

    def get(self, request, project_id: int):
        services.current_version(self.project)
        return Response({"versions": [{"number": v.number, "catalogue": v.catalogue, "reason": v.reason,
                                       "created_at": v.created_at.isoformat(), "overrides": v.overrides,
                                       "gpu_prices": v.gpu_prices}
                                      for v in PriceVersion.objects.filter(project=self.project)[:200]]})


class CatalogueView(FinanceView):
    """The list-price catalogue (genai-prices, pinned), searched by provider or model."""

    @extend_schema(parameters=[OpenApiParameter("q", str)])
    def get(self, request, project_id: int):
        query = request.query_params.get("q", "")[:100]
        return Response({"catalogue": catalogue.VERSION,
                         "models": catalogue.search(query, datetime.now(UTC), limit=200)})


class RecomputesView(FinanceView):
    """Recompute runs; POST {start, end} (ISO 8601 with a timezone) queues one with the current prices."""

    def get(self, request, project_id: int):
        runs = CostRun.objects.filter(project=self.project).exclude(kind=CostRun.Kind.LIVE)[:100]
        return Response({"runs": [run_json(r) for r in runs]})

    def post(self, request, project_id: int):
        start = parse_instant(str(request.data.get("start") or ""), "start")
        end = parse_instant(str(request.data.get("end") or ""), "end")
        run = services.recompute_request(self.project, start, end, request.user)
        return Response(run_json(run), status=202)


def run_json(run: CostRun) -> dict:
    return {"id": run.pk, "kind": run.kind, "status": run.status, "start": run.start.isoformat(),
            "end": run.end.isoformat(), "price_version": run.price_version.number, "posted": run.posted,
            "reversed": run.reversed, "unchanged": run.unchanged, "total_before": plain(run.total_before),
            "total_after": plain(run.total_after), "error": run.error,
            "created_at": run.created_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None}
