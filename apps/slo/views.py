"""SLO pages: the list (status, budget, burn sparklines; define and import SLOs) and one SLO's page."""

import json

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from apps.core.pages import project_page
from apps.slo import charts, selectors, services, sli
from apps.slo.models import SLO, AlertEvent, Budgeting, SLOAlert, Window
from apps.slo.openslo import OpenSLOError

EDIT_ROLES = frozenset({"admin", "sre"})
FILTER_FIELDS = ("services", "endpoints", "models", "providers", "tenants")


@project_page()
def slo_list(request, project):
    context: dict = {"error": "", "created": []}
    if request.method == "POST":
        if request.role not in EDIT_ROLES:
            context["error"] = "only admins and SREs define SLOs"
        else:
            try:
                context["created"] = _define(request, project)
            except (services.SLOError, OpenSLOError) as exc:
                context["error"] = str(exc)
    rows = selectors.slo_summaries(project.pk, timezone.now())
    sparklines = {str(r["slo"].pk): charts.sparkline(r["sparkline"]) for r in rows}
    return render(request, "slo/list.html", {
        **context, "rows": rows, "sparklines": json.loads(json.dumps(sparklines, default=str)),
        "can_edit": request.role in EDIT_ROLES, "kinds": sli.KINDS, "targets": sli.TARGETS,
        "bounds_ms": sli.LATENCY_BOUNDS_MS,
        "windows": Window.choices, "budgetings": Budgeting.choices, "filter_fields": FILTER_FIELDS,
    }, status=400 if context["error"] else 200)


def _define(request, project) -> list[SLO]:
    post = request.POST
    if post.get("action") == "import":
        return services.slos_import(project, post.get("yaml", ""), created_by=request.user)
    filters = {field: [v.strip() for v in post.get(field, "").split(",") if v.strip()] for field in FILTER_FIELDS}
    filters["attributes"] = [line.strip() for line in post.get("attributes", "").splitlines() if line.strip()]
    fields = {"name": post.get("name", ""), "sli_kind": post.get("sli_kind", ""), "target": post.get("target", ""),
              "objective": post.get("objective", ""), "window": post.get("window", ""),
              "budgeting": post.get("budgeting", ""), "filters": {k: v for k, v in filters.items() if v}}
    if post.get("timeslice_target"):
        fields["timeslice_target"] = post["timeslice_target"]
    if post.get("threshold_ms"):
        fields["threshold_ms"] = post["threshold_ms"]
    return [services.slo_create(project, created_by=request.user, **fields)]


@project_page()
def slo_detail(request, project, slo_id: int):
    slo = get_object_or_404(SLO, pk=slo_id, project=project)
    return render(request, "slo/detail.html", {
        "slo": slo, "alerts": SLOAlert.objects.filter(slo=slo).order_by("severity"),
        "events": AlertEvent.objects.filter(alert__slo=slo).select_related("alert", "diagnosis")[:100],
    })
