"""The auditor pages: a project's audit records and its policy and guardrail decisions, with filters,
each stream's verification and exports."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from apps.audit import decisions, selectors
from apps.audit.api.views import (
    AUDITORS,
    DECISION_TEXT,
    decision_rows,
    parse_decision_filter,
    parse_filter,
    parse_output,
    parse_page,
    range_check,
    records_export,
    verification,
)
from apps.audit.services import record
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
    checked, error = _range(request.GET, project.pk, "product", error)
    return render(request, "audit/audit.html", {"checked": checked,
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
    checked, error = _range(request.GET, project.pk, "decisions", error)
    return render(request, "audit/decisions.html", {"checked": checked,
        "rows": rows[:100], "next_before": rows[99]["seq"] if len(rows) > 100 else None, "filter": chosen,
        "fields": [(name, getattr(chosen, name)) for name in DECISION_TEXT], "error": error,
        "start": request.GET.get("start", "") if not error else "", "end": request.GET.get("end", "") if not error else "",
        "verification": {**verification(), **decisions.last_verification(project.pk)},
        "query": request.GET.urlencode()}, status=400 if error else 200)


def _range(params, project_id: int, stream: str, error: str) -> tuple[dict | None, str]:
    """The page's "verify a range" form: its result, or why it could not run."""
    wanted = {"stream": stream, "from": params.get("verify_from", ""), "to": params.get("verify_to", "")}
    try:
        return range_check(wanted, project_id), error
    except QueryError as problem:
        return None, error or str(problem)


def _superuser(request) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied("the instance audit trail is for superusers")


@login_required
def instance_audit(request):
    """Records of no project — sign-ins, sign-outs, failed and refused sign-ins, user accounts — for
    the instance's superusers (project auditors see their project's records only)."""
    _superuser(request)
    error = ""
    try:
        chosen = parse_filter(request.GET)
        before, _ = parse_page(request.GET)
    except QueryError as problem:
        chosen, before, error = selectors.RecordFilter(), None, str(problem)
    rows, cursor = selectors.page(selectors.project_records(None, chosen), before, 100)
    checked, error = _range(request.GET, 0, "product", error)
    return render(request, "audit/instance.html", {
        "checked": checked, "rows": rows, "next_before": cursor, "filter": chosen, "error": error,
        "outcomes": selectors.OUTCOMES, "verification": verification(), "query": request.GET.urlencode()},
        status=400 if error else 200)


@login_required
def instance_audit_export(request):
    _superuser(request)
    try:
        output, chosen = parse_output(request.GET, ("csv", "jsonl", "bundle")), parse_filter(request.GET)
    except QueryError as problem:
        return render(request, "audit/instance.html", {"error": str(problem), "verification": verification()},
                      status=400)
    record("export.audit", target_type="export", target_id=f"instance-audit.{output}",
           details={"query": request.GET.urlencode()[:500]})
    return records_export(None, chosen, output, "audit-instance", request.GET.urlencode())
