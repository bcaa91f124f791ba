"""Reads for pages: the anomalies that overlap a time window (dashboard markers), and the GPU lanes
of the hosts a diagnosis implicates."""

from datetime import datetime, timedelta

from django.db.models import Q

from warehouse import get_warehouse

from . import charts
from .models import Anomaly


def anomalies_between(project_id: int, start: datetime, end: datetime, limit: int = 50) -> list[Anomaly]:
    return list(Anomaly.objects.filter(project_id=project_id, started_at__lt=end)
                .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start)).order_by("started_at")[:limit])


def gpu_lanes(project_id: int, diagnoses) -> dict[str, dict]:
    """Per diagnosis and implicated host, the host's GPU and server gauges from an hour before the
    anomaly to its end, as a figure keyed "<diagnosis id>:<host>"."""
    lanes = {}
    for d in diagnoses:
        hosts = sorted(d.evidence.get("hosts", {}))
        if not hosts:
            continue
        rows = get_warehouse().run_query("anomaly.series_hosts", project_id=project_id,
                                         start=d.window_start - timedelta(hours=1), end=d.window_end)
        for host in hosts:
            part = rows.filter(rows["scope_value"] == host)
            if part.height:
                lanes[f"{d.pk}:{host}"] = charts.host_lane(host, part, d.window_start)
    return lanes
