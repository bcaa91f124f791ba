"""Alert events without traffic, for delivery tests (the SLO tests produce real ones from ingested spans)."""

from django.utils import timezone

from apps.slo.models import AlertEvent, SLOAlert
from apps.slo.services import slo_create


def alert_event(project, kind: str = "firing", severity: str = "page", episode: int = 1) -> AlertEvent:
    slo = slo_create(project, name=f"availability-{episode}-{kind}", sli_kind="availability", objective="0.999",
                     filters={"services": ["support-agent"]})
    now = timezone.now().replace(second=0, microsecond=0)
    alert = SLOAlert.objects.create(slo=slo, severity=severity, state="firing" if kind == "firing" else "ok",
                                    episode=episode, fired_at=now)
    return AlertEvent.objects.create(
        alert=alert, episode=episode, kind=kind, at=now, summary=f"[{severity}] SLO {slo.name} is burning",
        burn_rates={"1h/5m": {"long": 33.3, "short": 400.0, "threshold": 14.4}},
        exemplars=[{"trace_id": "ab" * 16, "span_id": "cd" * 8, "name": "POST /v1/chat", "service": "support-agent",
                    "duration_ms": 310.0, "error": True, "error_type": "overloaded_error"}])
