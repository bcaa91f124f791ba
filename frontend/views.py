"""Pages: thin views over selectors."""

from datetime import timedelta

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from apps.core.selectors import projects_for
from apps.telemetry.selectors import ingest_accounting
from warehouse import WarehouseError, get_warehouse


def home(request):
    if not request.user.is_authenticated:
        return render(request, "frontend/welcome.html", {"otlp_http_port": settings.OTLP_HTTP_PORT,
                                                          "otlp_grpc_port": settings.OTLP_GRPC_PORT})
    end = timezone.now()
    start = end - timedelta(hours=24)
    projects = [{"project": p, "accounting": ingest_accounting(p.pk, start, end)} for p in projects_for(request.user)]
    return render(request, "frontend/home.html", {"projects": projects, "otlp_http_port": settings.OTLP_HTTP_PORT,
                                                   "otlp_grpc_port": settings.OTLP_GRPC_PORT})


def healthz(request):
    try:
        get_warehouse().backend.ping()
    except WarehouseError as exc:
        return JsonResponse({"status": "degraded", "detail": str(exc)}, status=503)
    return JsonResponse({"status": "ok"})
