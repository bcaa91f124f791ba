"""The auditor page: a project's audit records with filters, the trail's verification and exports."""

from django.shortcuts import render

from apps.audit import selectors
from apps.audit.api.views import AUDITORS, parse_filter, verification
from apps.core.pages import project_page
from apps.telemetry.query import QueryError


@project_page(AUDITORS)
def audit(request, project):
    error = ""
    try:
        chosen = parse_filter(request.GET)
    except QueryError as problem:
        chosen, error = selectors.RecordFilter(), str(problem)
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        before, error = None, "before is a record number"
    rows, cursor = selectors.page(selectors.project_records(project.pk, chosen), before, 100)
    return render(request, "audit/audit.html", {
        "rows": rows, "next_before": cursor, "filter": chosen, "error": error, "outcomes": selectors.OUTCOMES,
        "verification": verification(), "query": request.GET.urlencode()}, status=400 if error else 200)
