"""Trace pages: the explorer, one trace's waterfall and the live tail (data from the API)."""

from django.shortcuts import render

from apps.core.pages import project_page
from apps.telemetry.query import DIMENSIONS, QueryError, parse_trace_id


@project_page()
def traces(request, project):
    return render(request, "telemetry/traces.html", {"dimensions": DIMENSIONS})


@project_page()
def trace(request, project, trace_id: str):
    try:
        trace_id = parse_trace_id(trace_id)
    except QueryError as exc:
        return render(request, "telemetry/trace.html", {"error": str(exc)}, status=400)
    return render(request, "telemetry/trace.html", {"trace_id": trace_id})


@project_page()
def live(request, project):
    return render(request, "telemetry/live.html", {})
