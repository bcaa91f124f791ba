"""Incidents (with their timeline, anomalies and diagnoses), diagnoses and change events over the API:
every role reads; admins and SREs acknowledge and resolve incidents and record changes."""

from datetime import UTC

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.anomaly import services
from apps.anomaly.models import Anomaly, ChangeEvent, Diagnosis, Incident
from apps.core.api.base import ProjectAPIView
from apps.telemetry.query import QueryError, parse_instant

OPERATORS = frozenset({"admin", "sre"})
LIMIT = 200


def _stamp(value):
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def incident_json(i: Incident) -> dict:
    return {"id": i.pk, "state": i.state, "title": i.title, "summary": i.summary, "opened_at": _stamp(i.opened_at),
            "last_activity_at": _stamp(i.last_activity_at), "acknowledged_at": _stamp(i.acknowledged_at),
            "resolved_at": _stamp(i.resolved_at), "resolved_by_recovery": bool(i.resolved_at and not i.resolved_by_id),
            "notified_at": _stamp(i.notified_at)}


def anomaly_json(a: Anomaly) -> dict:
    return {"id": a.pk, "series": a.series, "dimension": a.dimension, "value": a.value, "state": a.state,
            "method": a.method, "direction": a.direction, "started_at": _stamp(a.started_at),
            "opened_at": _stamp(a.opened_at), "last_seen_at": _stamp(a.last_seen_at),
            "resolved_at": _stamp(a.resolved_at), "change_point_at": _stamp(a.change_point_at),
            "observed": a.observed, "expected": a.expected, "score": a.score, "peak": a.peak,
            "diagnosis": getattr(a, "diagnosis", None) and a.diagnosis.pk}


def diagnosis_json(d: Diagnosis) -> dict:
    return {"id": d.pk, "anomaly": d.anomaly_id, "symptom": d.symptom, "scope": d.scope, "summary": d.summary,
            "baseline_start": _stamp(d.baseline_start), "window_start": _stamp(d.window_start),
            "window_end": _stamp(d.window_end), "factors": d.factors, "evidence": d.evidence, "examples": d.examples,
            "created_at": _stamp(d.created_at)}


def change_json(c: ChangeEvent) -> dict:
    return {"id": c.pk, "at": _stamp(c.at), "kind": c.kind, "service": c.service, "version": c.version,
            "description": c.description, "source": c.source}


class IncidentListView(ProjectAPIView):
    @extend_schema(parameters=[OpenApiParameter("state", str, enum=list(Incident.State.values))])
    def get(self, request, project_id: int):
        incidents = Incident.objects.filter(project_id=project_id)
        state = request.query_params.get("state", "")
        if state:
            if state not in Incident.State.values:
                raise QueryError(f"state is one of {', '.join(Incident.State.values)}")
            incidents = incidents.filter(state=state)
        return Response({"incidents": [incident_json(i) for i in incidents[:LIMIT]]})


class IncidentDetailView(ProjectAPIView):
    def get(self, request, project_id: int, incident_id: int):
        incident = get_object_or_404(Incident, pk=incident_id, project_id=project_id)
        anomalies = list(incident.anomalies.select_related("diagnosis").order_by("opened_at"))
        return Response({**incident_json(incident),
                         "timeline": [{"at": _stamp(e.at), "kind": e.kind, "message": e.message, "data": e.data}
                                      for e in incident.events.all()],
                         "anomalies": [anomaly_json(a) for a in anomalies],
                         "diagnoses": [diagnosis_json(a.diagnosis) for a in anomalies
                                       if getattr(a, "diagnosis", None)]})


class IncidentStateView(ProjectAPIView):
    write_roles = OPERATORS

    @extend_schema(request={"application/json": {"type": "object", "properties": {"state": {"type": "string"}}}})
    def post(self, request, project_id: int, incident_id: int):
        incident = get_object_or_404(Incident, pk=incident_id, project_id=project_id)
        state = request.data.get("state") if isinstance(request.data, dict) else None
        if state not in (Incident.State.ACKNOWLEDGED, Incident.State.RESOLVED):
            raise ValidationError({"state": "acknowledged or resolved"})
        try:
            services.incident_set_state(incident, state, request.user)
        except ValueError as exc:
            raise ValidationError({"state": str(exc)}) from exc
        return Response(incident_json(incident))


class DiagnosisListView(ProjectAPIView):
    def get(self, request, project_id: int):
        return Response({"diagnoses": [diagnosis_json(d) for d in
                                       Diagnosis.objects.filter(project_id=project_id)[:LIMIT]]})


class DiagnosisDetailView(ProjectAPIView):
    def get(self, request, project_id: int, diagnosis_id: int):
        return Response(diagnosis_json(get_object_or_404(Diagnosis, pk=diagnosis_id, project_id=project_id)))


class ChangeListView(ProjectAPIView):
    """Change events: deployments and configuration changes recorded through the API, and the model,
    prompt and policy versions and price changes the diagnoses found."""

    write_roles = OPERATORS

    def get(self, request, project_id: int):
        return Response({"changes": [change_json(c) for c in
                                     ChangeEvent.objects.filter(project_id=project_id)[:LIMIT]]})

    @extend_schema(request={"application/json": {"type": "object"}}, responses={201: dict})
    def post(self, request, project_id: int):
        data = request.data if isinstance(request.data, dict) else {}
        unknown = set(data) - {"at", "kind", "service", "version", "description"}
        if unknown:
            raise ValidationError({"detail": f"unknown fields: {', '.join(sorted(unknown))}"})
        kind = data.get("kind", ChangeEvent.Kind.DEPLOYMENT)
        if kind not in (ChangeEvent.Kind.DEPLOYMENT, ChangeEvent.Kind.CONFIG):
            raise ValidationError({"kind": "deployment or config (versions and prices are found by InferOps)"})
        texts = {name: data.get(name, "") for name in ("service", "version", "description")}
        limits = {"service": 200, "version": 200, "description": 500}
        for name, text in texts.items():
            if not isinstance(text, str) or len(text) > limits[name]:
                raise ValidationError({name: f"text of at most {limits[name]} characters"})
        try:
            at = parse_instant(data["at"], "at") if data.get("at") else None
        except (QueryError, TypeError) as exc:
            raise ValidationError({"at": str(exc)}) from exc
        change = ChangeEvent.objects.create(project_id=project_id, at=at or timezone.now(), kind=kind, source="api",
                                            created_by=request.user if request.user.is_authenticated else None,
                                            **texts)
        return Response(change_json(change), status=201)
