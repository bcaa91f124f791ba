from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit import services as audit
from apps.core.api.base import FILTER_PARAMS, WINDOW_PARAMS, ProjectAPIView
from apps.core.api.permissions import HasProjectRole, ReadKeyAuthentication
from apps.telemetry.query import (
    PAGE_SIZES,
    SORTS,
    parse_span_id,
    parse_trace_id,
    parse_trace_search,
    window_json,
)
from apps.telemetry.selectors import (
    ingest_accounting,
    span_detail,
    trace_bounds,
    trace_search,
    trace_search_all,
    trace_view,
)
from frontend.csvexport import csv_response

MAX_WINDOW = timedelta(days=400)


class WindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        end = attrs.get("end") or timezone.now()
        start = attrs.get("start") or end - timedelta(hours=24)
        if start >= end:
            raise serializers.ValidationError("start must be before end")
        if end - start > MAX_WINDOW:
            raise serializers.ValidationError(f"the window may span at most {MAX_WINDOW.days} days")
        return {"start": start, "end": end}


class AccountingRowSerializer(serializers.Serializer):
    signal = serializers.CharField()
    requests = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejected_requests = serializers.IntegerField()


class IngestAccountingView(APIView):
    """Accepted and rejected spans, data points and log records for a project over a window."""

    authentication_classes = [ReadKeyAuthentication, SessionAuthentication]
    permission_classes = [HasProjectRole]
    allowed_roles = {"admin", "sre", "finance", "auditor", "viewer"}

    @extend_schema(parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str)],
                   responses=AccountingRowSerializer(many=True))
    def get(self, request, project_id: int):
        window = WindowSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        rows = ingest_accounting(project_id, window.validated_data["start"], window.validated_data["end"])
        return Response({
            "project_id": project_id,
            "start": window.validated_data["start"],
            "end": window.validated_data["end"],
            "signals": AccountingRowSerializer(rows, many=True).data,
        })


TRACE_SEARCH_PARAMS = [
    *WINDOW_PARAMS, *FILTER_PARAMS,
    OpenApiParameter("attr", str, many=True, description="'key = value', 'key != value' or 'key contains value'"),
    OpenApiParameter("gpu", str, many=True), OpenApiParameter("status", str, enum=["ok", "error"]),
    OpenApiParameter("min_duration_ms", float), OpenApiParameter("max_duration_ms", float),
    OpenApiParameter("min_tokens", int), OpenApiParameter("max_tokens", int),
    OpenApiParameter("sort", str, enum=list(SORTS)), OpenApiParameter("order", str, enum=["desc", "asc"]),
    OpenApiParameter("limit", int, enum=list(PAGE_SIZES)),
    OpenApiParameter("after", str, description="next_cursor of the previous page")]


class TraceSearchView(ProjectAPIView):
    """Search traces by time, service, endpoint, model, provider, tenant, status, duration, tokens and
    attributes (``attr=key = value``, ``attr=key != value``, ``attr=key contains value``); keyset pages."""

    @extend_schema(parameters=TRACE_SEARCH_PARAMS)
    def get(self, request, project_id: int):
        search = parse_trace_search(request.query_params)
        page = trace_search(project_id, search)
        return Response({"window": window_json(search.window), "traces": page.rows, "next_cursor": page.next_cursor})


class TraceView(ProjectAPIView):
    """One trace: its spans (tree order by start), the critical path, the per-step breakdown and GPU lanes."""

    def get(self, request, project_id: int, trace_id: str):
        trace_id = parse_trace_id(trace_id)
        view = trace_view(project_id, trace_id)
        audit.record("trace.read", project_id=project_id, target_type="trace", target_id=trace_id,
                     outcome="success" if view else "failure", reason="" if view else "not found")
        if view is None:
            raise NotFound("no trace with this id in this project (it may be outside retention)")
        return Response(view)


class SpanDetailView(ProjectAPIView):
    """One span in full: attributes, resource attributes, events and links."""

    def get(self, request, project_id: int, trace_id: str, span_id: str):
        trace_id = parse_trace_id(trace_id)
        bounds = trace_bounds(project_id, trace_id)
        detail = span_detail(project_id, trace_id, parse_span_id(span_id), bounds) if bounds else None
        audit.record("span.read", project_id=project_id, target_type="span", target_id=f"{trace_id}/{span_id}",
                     outcome="success" if detail else "failure")
        if detail is None:
            raise NotFound("no such span in this trace")
        return Response(detail)


EXPORT_COLUMNS = ["trace_id", "started", "root_name", "root_service", "duration_ms", "spans", "errors", "llm_calls",
                  "input_tokens", "output_tokens", "cost_usd", "services", "models", "tenants", "endpoints"]
MAX_EXPORT_ROWS = 100_000


class TraceExportView(ProjectAPIView):
    """The trace search as CSV (same parameters), streamed, at most 100,000 traces."""

    @extend_schema(parameters=TRACE_SEARCH_PARAMS, responses={(200, "text/csv"): str})
    def get(self, request, project_id: int):
        search = parse_trace_search(request.query_params)
        rows = ([r["trace_id"], r["started"].isoformat(), r["root_name"], r["root_service"],
                 round(r["duration_ns"] / 1e6, 3), r["spans"], r["errors"], r["llm_calls"], r["input_tokens"],
                 r["output_tokens"], r["cost"], " ".join(r["trace_services"]), " ".join(r["trace_models"]),
                 " ".join(r["trace_tenants"]), " ".join(r["trace_endpoints"])]
                for r in trace_search_all(project_id, search, MAX_EXPORT_ROWS))
        audit.record("export.traces", project_id=project_id, target_type="export", target_id="traces.csv",
                     details={"query": request.query_params.urlencode()[:500]})
        return csv_response(f"traces-{self.project.slug}.csv", EXPORT_COLUMNS, rows)
