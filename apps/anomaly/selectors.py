"""Reads for other pages: the anomalies that overlap a time window (dashboard markers)."""

from datetime import datetime

from django.db.models import Q

from .models import Anomaly


def anomalies_between(project_id: int, start: datetime, end: datetime, limit: int = 50) -> list[Anomaly]:
    return list(Anomaly.objects.filter(project_id=project_id, started_at__lt=end)
                .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start)).order_by("started_at")[:limit])
