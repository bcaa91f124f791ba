"""Dashboard pages: server-rendered shells; the data comes from the API the page calls."""

from django.shortcuts import render

from apps.core.pages import ingest_endpoints, project_page
from apps.dashboards.api.views import GROUPS
from apps.telemetry.query import DIMENSIONS


@project_page()
def overview(request, project):
    return render(request, "dashboards/overview.html", {"groups": GROUPS, "dimensions": DIMENSIONS,
                                                        "endpoints": ingest_endpoints(request)})


@project_page()
def gpus(request, project):
    return render(request, "dashboards/gpus.html", {})
