"""The auditor pages: a project's audit records and its policy and guardrail decisions, with filters,
each stream's verification and exports."""

from django.shortcuts import render

from apps.audit import decisions, selectors
from apps.audit.api.views import (
    AUDITORS,
    DECISION_TEXT,
    decision_rows,
    parse_decision_filter,
    parse_filter,
    parse_page,
    verification,
)
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


@project_page(AUDITORS)
def audit_decisions(request, project):
    error = ""
    try:
        chosen = parse_decision_filter(request.GET)
        before, _ = parse_page(request.GET)
    except QueryError as problem:
        chosen, before, error = decisions.DecisionFilter(), None, str(problem)
    rows = decision_rows(decisions.records(project.pk, chosen, last=(before - 1) if before else 2**63 - 1,
                                           newest_first=True, limit=101))
    return render(request, "audit/decisions.html", {
        "rows": rows[:100], "next_before": rows[99]["seq"] if len(rows) > 100 else None, "filter": chosen,
        "fields": [(name, getattr(chosen, name)) for name in DECISION_TEXT], "error": error,
        "start": request.GET.get("start", "") if not error else "", "end": request.GET.get("end", "") if not error else "",
        "verification": {**verification(), **decisions.last_verification(project.pk)},
        "query": request.GET.urlencode()}, status=400 if error else 200)
