from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasProjectRole, ReadKeyAuthentication
from apps.telemetry.selectors import ingest_accounting

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
