"""The audit trail for auditors and admins: a project's records (filtered, keyset pages), their export
(CSV or JSON Lines, streamed) and the trail's verification status with the public key."""

import json

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit import keys, selectors, services
from apps.audit.models import AuditRecord
from apps.core.api.base import ProjectAPIView
from apps.telemetry.query import QueryError, parse_day
from frontend.csvexport import csv_response

AUDITORS = frozenset({"admin", "auditor"})
FILTER_PARAMS = [OpenApiParameter("action", str, description="action prefix, e.g. cost. or trace.read"),
                 OpenApiParameter("actor", str), OpenApiParameter("outcome", str, enum=list(selectors.OUTCOMES)),
                 OpenApiParameter("target", str), OpenApiParameter("start", str, description="YYYY-MM-DD (UTC)"),
                 OpenApiParameter("end", str, description="YYYY-MM-DD, exclusive")]


def parse_filter(params) -> selectors.RecordFilter:
    outcome = params.get("outcome", "")
    if outcome and outcome not in selectors.OUTCOMES:
        raise QueryError(f"outcome must be one of {', '.join(selectors.OUTCOMES)}")
    return selectors.RecordFilter(action=params.get("action", "")[:64], actor=params.get("actor", "")[:150],
                                  outcome=outcome, target=params.get("target", "")[:128],
                                  start=parse_day(params.get("start", ""), "start"),
                                  end=parse_day(params.get("end", ""), "end"))


def record_json(r: AuditRecord) -> dict:
    return r.as_record()


class AuditRecordsView(ProjectAPIView):
    read_roles = AUDITORS

    @extend_schema(parameters=[*FILTER_PARAMS, OpenApiParameter("before", int), OpenApiParameter("limit", int)])
    def get(self, request, project_id: int):
        params = request.query_params
        try:
            before = int(params["before"]) if params.get("before") else None
            limit = min(max(int(params.get("limit", 100)), 1), 500)
        except ValueError:
            raise QueryError("before and limit are whole numbers") from None
        rows, cursor = selectors.page(selectors.project_records(project_id, parse_filter(params)), before, limit)
        return Response({"records": [record_json(r) for r in rows], "next_before": cursor})


class AuditExportView(ProjectAPIView):
    """Every matching record, streamed: CSV (formula cells neutralised) or JSON Lines (exact records,
    each verifiable against its hash)."""

    read_roles = AUDITORS

    @extend_schema(parameters=[*FILTER_PARAMS, OpenApiParameter("output", str, enum=["csv", "jsonl"])],
                   responses={(200, "text/csv"): str})
    def get(self, request, project_id: int):
        params = request.query_params
        output = params.get("output", "csv")
        if output not in ("csv", "jsonl"):
            raise QueryError("output must be csv or jsonl")
        records = selectors.project_records(project_id, parse_filter(params)).iterator(chunk_size=2000)
        services.record("export.audit", project_id=project_id, target_type="export", target_id=f"audit.{output}",
                        details={"query": params.urlencode()[:500]})
        name = f"audit-{self.project.slug}.{output}"
        if output == "csv":
            fields = list(AuditRecord.FIELDS)
            return csv_response(name, fields, ([json.dumps(r.details, sort_keys=True) if f == "details" else
                                                getattr(r, f) for f in fields] for r in records))
        lines = (json.dumps(record_json(r), ensure_ascii=False, sort_keys=True) + "\n" for r in records)
        response = StreamingHttpResponse(lines, content_type="application/jsonl; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class AuditVerificationView(ProjectAPIView):
    """Whether the whole trail verified at its last check (``at``), where it breaks if not, and the key
    that signs it."""

    read_roles = AUDITORS

    def get(self, request, project_id: int):
        return Response(verification())


def verification() -> dict:
    """The latest verification of the whole trail (run after each seal, every five minutes; page
    loads do not re-hash the trail) and the key auditors check signatures with."""
    return {**services.last_verification(), "public_key_pem": keys.public_pem(), "key_fingerprint": keys.fingerprint()}
