"""Dashboard data as JSON: the same rows and figures the pages draw (the overview's with anomaly markers)."""

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.anomaly.charts import with_markers
from apps.anomaly.selectors import anomalies_between
from apps.audit import services as audit
from apps.core.api.base import FILTER_PARAMS, WINDOW_PARAMS, ProjectAPIView
from apps.dashboards import selectors
from apps.telemetry.query import (
    QueryError,
    parse_choice,
    parse_filters,
    parse_span_id,
    parse_window,
    window_json,
)
from frontend.csvexport import csv_response

MENU_LOOKBACK = timedelta(hours=24)
GROUPS = ("service", "endpoint", "model", "provider", "tenant", "host")
SCOPES = ("requests", "llm_calls")


class OverviewView(ProjectAPIView):
    """Requests, errors, latency, TTFT, time per output token and tokens over a window, by a dimension."""

    @extend_schema(parameters=[*WINDOW_PARAMS, *FILTER_PARAMS, OpenApiParameter("group_by", str, enum=GROUPS),
                               OpenApiParameter("scope", str, enum=SCOPES)])
    def get(self, request, project_id: int):
        window, group_by, scope, data = _overview(request, project_id)
        anomalies = anomalies_between(project_id, window.start, window.end)
        data = {**data, "figures": with_markers(data["figures"], anomalies),
                "anomalies": [{"id": a.pk, "series": a.series, "scope": str(a), "started_at": a.started_at.isoformat(),
                               "incident": a.incident_id} for a in anomalies]}
        return Response({"window": window_json(window), "group_by": group_by, "scope": scope, **data})


def _overview(request, project_id: int):
    params = request.query_params
    window = parse_window(params)
    group_by = parse_choice(params, "group_by", GROUPS, "service")
    # Root spans carry no model or provider: grouping by them means counting LLM calls.
    default_scope = "llm_calls" if group_by in ("model", "provider", "host") else "requests"
    scope = parse_choice(params, "scope", SCOPES, default_scope)
    data = selectors.overview(project_id, window, parse_filters(params), group_by=group_by, scope=scope)
    return window, group_by, scope, data


GROUP_COLUMNS = ["requests", "errors", "requests_per_s", "error_pct", "duration_p50_ms", "duration_p95_ms",
                 "duration_p99_ms", "ttft_p50_ms", "ttft_p95_ms", "tpot_p50_ms", "tpot_p95_ms", "llm_calls",
                 "input_tokens", "output_tokens", "tokens_per_s", "cost", "cost_per_hour"]


class OverviewExportView(ProjectAPIView):
    """The overview's per-group table as CSV (same parameters)."""

    @extend_schema(parameters=[*WINDOW_PARAMS, *FILTER_PARAMS, OpenApiParameter("group_by", str, enum=GROUPS),
                               OpenApiParameter("scope", str, enum=SCOPES)], responses={(200, "text/csv"): str})
    def get(self, request, project_id: int):
        window, group_by, scope, data = _overview(request, project_id)
        rows = ([window.start.isoformat(), window.end.isoformat(), scope, g["grp"], *(g[c] for c in GROUP_COLUMNS)]
                for g in data["groups"])
        audit.record("export.overview", project_id=project_id, target_type="export",
                     target_id=f"overview-by-{group_by}.csv", details={"query": request.query_params.urlencode()[:500]})
        return csv_response(f"overview-{self.project.slug}-by-{group_by}.csv",
                            ["window_start", "window_end", "scope", group_by, *GROUP_COLUMNS], rows)


class DimensionValuesView(ProjectAPIView):
    """The values of each filterable dimension seen in the last 24 hours of the window, busiest first
    (for filter menus: a month of rollups would cost seconds for a list the user only scans)."""

    @extend_schema(parameters=WINDOW_PARAMS)
    def get(self, request, project_id: int):
        window = parse_window(request.query_params)
        start = max(window.start, window.end - MENU_LOOKBACK)
        return Response({"window": window_json(window),
                         "dimensions": selectors.dimension_values(project_id, start, window.end)})


class GpuFleetView(ProjectAPIView):
    """Per GPU and per inference server: latest values and series over the window."""

    @extend_schema(parameters=[*WINDOW_PARAMS, OpenApiParameter("host", str, many=True)])
    def get(self, request, project_id: int):
        window = parse_window(request.query_params)
        hosts = parse_filters(request.query_params).get("host")
        return Response({"window": window_json(window), **selectors.gpu_fleet(project_id, window, hosts)})


GPU_COLUMNS = ["utilization", "sm_active", "memory_used", "power", "temperature", "throttled", "xid"]
SERVER_COLUMNS = ["running", "waiting", "kv_cache", "prefix_hit"]


class GpuFleetExportView(ProjectAPIView):
    """The GPU fleet's latest values as CSV: ``table=gpus`` (default) or ``table=servers``."""

    @extend_schema(parameters=[*WINDOW_PARAMS, OpenApiParameter("host", str, many=True),
                               OpenApiParameter("table", str, enum=["gpus", "servers"])],
                   responses={(200, "text/csv"): str})
    def get(self, request, project_id: int):
        window = parse_window(request.query_params)
        table = parse_choice(request.query_params, "table", ("gpus", "servers"), "gpus")
        fleet = selectors.gpu_fleet(project_id, window, parse_filters(request.query_params).get("host"))
        ids, values = (["host", "gpu_id", "gpu_model"], GPU_COLUMNS) if table == "gpus" else \
            (["host", "pod", "model_name"], SERVER_COLUMNS)
        rows = ([*(r.get(c) for c in ids), *(r.get(c) for c in values)] for r in fleet[table])
        audit.record("export.gpus", project_id=project_id, target_type="export", target_id=f"{table}.csv",
                     details={"query": request.query_params.urlencode()[:500]})
        return csv_response(f"{table}-{self.project.slug}.csv", [*ids, *values], rows)


class SpansOnGpuView(ProjectAPIView):
    """Which requests ran here: the spans one host (and GPU) served in the window, slowest first."""

    @extend_schema(parameters=[*WINDOW_PARAMS, OpenApiParameter("host", str, required=True),
                               OpenApiParameter("gpu", str), OpenApiParameter("after", str)])
    def get(self, request, project_id: int):
        params = request.query_params
        window = parse_window(params)
        host, gpu = params.get("host", ""), params.get("gpu", "")
        if not host or len(host) > 256 or len(gpu) > 64:
            raise QueryError("host is required (and under 256 characters); gpu is a GPU index or id")
        cursor = _span_cursor(params.get("after", ""))
        frame = selectors.spans_on_gpu(project_id, window, host, gpu, limit=51, cursor=cursor)
        rows = frame.to_dicts()
        more = len(rows) > 50
        rows = rows[:50]
        return Response({"window": window_json(window), "host": host, "gpu": gpu, "spans": rows,
                         "next_cursor": f"{rows[-1]['duration_ns']}.{rows[-1]['span_id']}" if more else None})


def _span_cursor(text: str) -> tuple[int, str] | None:
    if not text:
        return None
    duration, _, span_id = text.partition(".")
    if not duration.isdigit():
        raise QueryError("after must be the cursor a previous page returned")
    return int(duration), parse_span_id(span_id)
