"""SLO API: definitions (read by every role, changed by admins and SREs) and their alert status."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.base import WINDOW_PARAMS, ProjectAPIView
from apps.core.api.permissions import HasProjectRole, ReadKeyAuthentication, ReadKeysOnlyRead
from apps.slo import selectors, services
from apps.slo.api.serializers import AlertEventSerializer, AlertSerializer, SLOSerializer
from apps.slo.models import SLO, AlertEvent, SLOAlert
from apps.slo.openslo import OpenSLOError
from apps.telemetry.query import parse_window, window_json

READ_ROLES = {"admin", "sre", "finance", "auditor", "viewer"}
WRITE_ROLES = {"admin", "sre"}
MAX_YAML_BYTES = 1_048_576


class _ProjectView(APIView):
    authentication_classes = [ReadKeyAuthentication, SessionAuthentication]
    permission_classes = [ReadKeysOnlyRead, HasProjectRole]

    @property
    def allowed_roles(self) -> set[str]:
        return READ_ROLES if self.request.method in permissions.SAFE_METHODS else WRITE_ROLES


def _definition(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError({"detail": "send a JSON object"})
    writable = set(services.FIELDS)
    unknown = set(request.data) - writable
    if unknown:
        raise ValidationError({"detail": f"unknown fields: {', '.join(sorted(unknown))}"})
    return dict(request.data)


class SLOListView(_ProjectView):
    @extend_schema(responses=SLOSerializer(many=True))
    def get(self, request, project_id: int):
        return Response(SLOSerializer(SLO.objects.filter(project=self.project), many=True).data)

    @extend_schema(request=SLOSerializer, responses={201: SLOSerializer})
    def post(self, request, project_id: int):
        try:
            slo = services.slo_create(self.project, created_by=request.user, **_definition(request))
        except services.SLOError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(SLOSerializer(slo).data, status=status.HTTP_201_CREATED)


class SLODetailView(_ProjectView):
    def _slo(self, slo_id: int) -> SLO:
        return get_object_or_404(SLO, pk=slo_id, project=self.project)

    @extend_schema(responses=SLOSerializer)
    def get(self, request, project_id: int, slo_id: int):
        return Response(SLOSerializer(self._slo(slo_id)).data)

    @extend_schema(request=SLOSerializer, responses=SLOSerializer)
    def patch(self, request, project_id: int, slo_id: int):
        try:
            slo = services.slo_update(self._slo(slo_id), **_definition(request))
        except services.SLOError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(SLOSerializer(slo).data)

    def delete(self, request, project_id: int, slo_id: int):
        self._slo(slo_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class YamlParser(BaseParser):
    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_YAML_BYTES + 1)
        if len(data) > MAX_YAML_BYTES:
            raise ValidationError({"detail": f"an OpenSLO upload is at most {MAX_YAML_BYTES} bytes"})
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError({"detail": "the YAML is not UTF-8"}) from exc


class OpenSLOView(_ProjectView):
    """Export every SLO of the project as OpenSLO v1 YAML, or import such a stream (all or nothing)."""

    parser_classes = [YamlParser]

    def get(self, request, project_id: int):
        return HttpResponse(services.slos_export(self.project), content_type="application/yaml")

    @extend_schema(request={"application/yaml": str}, responses={201: SLOSerializer(many=True)})
    def post(self, request, project_id: int):
        try:
            created = services.slos_import(self.project, request.data, created_by=request.user)
        except (services.SLOError, OpenSLOError) as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(SLOSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class SLOStatusView(_ProjectView):
    """The alert state per severity and the latest alert events (firing and resolution history)."""

    def get(self, request, project_id: int, slo_id: int):
        slo = get_object_or_404(SLO, pk=slo_id, project=self.project)
        events = AlertEvent.objects.filter(alert__slo=slo).select_related("alert")[:50]
        return Response({
            "slo": SLOSerializer(slo).data,
            "alerts": AlertSerializer(SLOAlert.objects.filter(slo=slo).order_by("severity"), many=True).data,
            "events": AlertEventSerializer(events, many=True).data,
        })


class SLOSummaryView(ProjectAPIView):
    """Every SLO with its latest SLI, budget remaining, burn rates, alert states, projected budget
    exhaustion and a 24-hour burn-rate sparkline (the SLO list)."""

    def get(self, request, project_id: int):
        rows = selectors.slo_summaries(project_id, timezone.now())
        return Response([{**SLOSerializer(r["slo"]).data, "evaluation": r["evaluation"], "alerts": r["alerts"],
                          "exhaustion_at": r["exhaustion_at"], "sparkline": r["sparkline"]} for r in rows])


class SLOHistoryView(ProjectAPIView):
    """One SLO over a window (default 7 days): SLI, budget and burn rates per minute, with figures,
    the alerting thresholds and the worst recent bad events (exemplar traces)."""

    @extend_schema(parameters=WINDOW_PARAMS)
    def get(self, request, project_id: int, slo_id: int):
        slo = get_object_or_404(SLO, pk=slo_id, project=self.project)
        params = request.query_params.copy()
        params.setdefault("range", "7d")
        window = parse_window(params)
        return Response({"window": window_json(window), **selectors.slo_history(slo, window.start, window.end)})
