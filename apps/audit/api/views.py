"""The audit streams for auditors and admins: the product's audit trail and the project's policy and
guardrail decision ledger — records filtered and paged, exports (CSV, JSON Lines, or a bundle that
verifies offline, all streamed) and each stream's verification status with the public key."""

import json
import re
from datetime import UTC, datetime, time

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit import bundles, decisions, keys, selectors, services
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


def parse_page(params) -> tuple[int | None, int]:
    try:
        before = int(params["before"]) if params.get("before") else None
        limit = min(max(int(params.get("limit", 100)), 1), 500)
    except ValueError:
        raise QueryError("before and limit are whole numbers") from None
    if before is not None and before < 1:
        raise QueryError("before is a record number (1 or more)")
    return before, limit


def parse_output(params, choices: tuple[str, ...]) -> str:
    output = params.get("output", choices[0])
    if output not in choices:
        raise QueryError(f"output must be one of {', '.join(choices)}")
    return output


def bundle_response(name: str, chunks) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def jsonl_response(name: str, records) -> StreamingHttpResponse:
    lines = (json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    response = StreamingHttpResponse(lines, content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class AuditRecordsView(ProjectAPIView):
    read_roles = AUDITORS

    @extend_schema(parameters=[*FILTER_PARAMS, OpenApiParameter("before", int), OpenApiParameter("limit", int)])
    def get(self, request, project_id: int):
        before, limit = parse_page(request.query_params)
        rows, cursor = selectors.page(selectors.project_records(project_id, parse_filter(request.query_params)),
                                      before, limit)
        return Response({"records": [record_json(r) for r in rows], "next_before": cursor})


class AuditExportView(ProjectAPIView):
    """Every matching record, streamed: CSV (formula cells neutralised), JSON Lines (exact records, each
    verifiable against its hash) or a bundle that verifies offline (records, checkpoints, key, verifier)."""

    read_roles = AUDITORS

    @extend_schema(parameters=[*FILTER_PARAMS, OpenApiParameter("output", str, enum=["csv", "jsonl", "bundle"])],
                   responses={(200, "text/csv"): str})
    def get(self, request, project_id: int):
        params = request.query_params
        output = parse_output(params, ("csv", "jsonl", "bundle"))
        chosen = parse_filter(params)
        services.record("export.audit", project_id=project_id, target_type="export", target_id=f"audit.{output}",
                        details={"query": params.urlencode()[:500]})
        name = f"audit-{self.project.slug}"
        return records_export(project_id, chosen, output, name, params.urlencode())


def records_export(project_id: int | None, chosen: selectors.RecordFilter, output: str, name: str, query: str):
    """A project's (or, None, the instance's) matching records as CSV, JSON Lines or a bundle."""
    if output == "bundle":
        stream = bundles.product_stream(project_id, chosen)
        return bundle_response(f"{name}-bundle.zip", bundles.bundle_chunks(project_id, [stream], query))
    records = selectors.project_records(project_id, chosen).iterator(chunk_size=2000)
    if output == "csv":
        fields = list(AuditRecord.FIELDS)
        return csv_response(f"{name}.csv", fields, ([json.dumps(r.details, sort_keys=True) if f == "details" else
                                                     getattr(r, f) for f in fields] for r in records))
    return jsonl_response(f"{name}.jsonl", (record_json(r) for r in records))


# -- the decision ledger ---------------------------------------------------------------------------

DECISION_TEXT = ("policy", "version", "rule", "verdict", "action", "phase", "tenant", "user", "model", "service")
DECISION_PARAMS = [*(OpenApiParameter(name, str) for name in DECISION_TEXT),
                   OpenApiParameter("trace", str, description="trace id, 32 hex digits"),
                   OpenApiParameter("start", str, description="YYYY-MM-DD (UTC)"),
                   OpenApiParameter("end", str, description="YYYY-MM-DD, exclusive")]
DECISION_COLUMNS = (*decisions.FIELDS, "record_hash")


def parse_decision_filter(params) -> decisions.DecisionFilter:
    values = {name: params.get(name, "")[:200] for name in DECISION_TEXT}
    trace = params.get("trace", "").strip().lower()
    if trace and not re.fullmatch(r"[0-9a-f]{32}", trace):
        raise QueryError("trace must be a trace id of 32 hex digits")
    start, end = parse_day(params.get("start", ""), "start"), parse_day(params.get("end", ""), "end")
    if start and end and end <= start:
        raise QueryError("end must be after start")
    return decisions.DecisionFilter(
        **values, trace=trace,
        start=datetime.combine(start, time(), UTC) if start else decisions.EPOCH,
        end=datetime.combine(end, time(), UTC) if end else decisions.FOREVER)


def decision_rows(frame) -> list[dict]:
    return [{name: row[name] for name in DECISION_COLUMNS} for row in frame.iter_rows(named=True)]


class DecisionRecordsView(ProjectAPIView):
    """The project's policy and guardrail decisions, newest first, filtered, a keyset page at a time."""

    read_roles = AUDITORS

    @extend_schema(parameters=[*DECISION_PARAMS, OpenApiParameter("before", int), OpenApiParameter("limit", int)])
    def get(self, request, project_id: int):
        before, limit = parse_page(request.query_params)
        chosen = parse_decision_filter(request.query_params)
        frame = decisions.records(project_id, chosen, last=(before - 1) if before else 2**63 - 1, newest_first=True,
                                  limit=limit + 1)
        rows = decision_rows(frame)
        cursor = rows[limit - 1]["seq"] if len(rows) > limit else None
        return Response({"records": rows[:limit], "next_before": cursor})


class DecisionExportView(ProjectAPIView):
    """Every matching decision, oldest first: CSV, JSON Lines or an offline-verifiable bundle."""

    read_roles = AUDITORS

    @extend_schema(parameters=[*DECISION_PARAMS, OpenApiParameter("output", str, enum=["csv", "jsonl", "bundle"])],
                   responses={(200, "text/csv"): str})
    def get(self, request, project_id: int):
        params = request.query_params
        output = parse_output(params, ("csv", "jsonl", "bundle"))
        chosen = parse_decision_filter(params)
        services.record("export.decisions", project_id=project_id, target_type="export",
                        target_id=f"decisions.{output}", details={"query": params.urlencode()[:500]})
        name = f"decisions-{self.project.slug}"
        if output == "bundle":
            stream = bundles.decision_stream(project_id, chosen)
            return bundle_response(f"{name}-bundle.zip", bundles.bundle_chunks(project_id, [stream], params.urlencode()))
        matching = matching_decisions(project_id, chosen)
        if output == "csv":
            return csv_response(f"{name}.csv", list(DECISION_COLUMNS),
                                ([r[c] for c in DECISION_COLUMNS] for r in matching))
        return jsonl_response(f"{name}.jsonl", matching)


def matching_decisions(project_id: int, chosen: decisions.DecisionFilter):
    """Matching records oldest first, a page at a time (keyset on seq)."""
    after = 0
    while True:
        rows = decision_rows(decisions.records(project_id, chosen, first=after + 1, limit=decisions.PAGE))
        yield from rows
        if len(rows) < decisions.PAGE:
            return
        after = rows[-1]["seq"]


class AuditVerificationView(ProjectAPIView):
    """Whether the whole trail and the project's decision ledger verified at their last check (``at``),
    where they break if not, and the key that signs them; with ``stream`` and ``from``/``to``, a range
    of one stream is verified now (with the checkpoints sealing it)."""

    read_roles = AUDITORS

    @extend_schema(parameters=[OpenApiParameter("stream", str, enum=["product", "decisions"]),
                               OpenApiParameter("from", int), OpenApiParameter("to", int)])
    def get(self, request, project_id: int):
        body = {**verification(), "decisions": decisions.last_verification(project_id)}
        checked = range_check(request.query_params, project_id)
        return Response({**body, "range": checked} if checked else body)


RANGE_MAX = 200_000


def range_check(params, project_id: int) -> dict | None:
    """Verify ``from``…``to`` of ``stream`` now, when asked (None otherwise)."""
    if not params.get("from") and not params.get("to"):
        return None
    try:
        first = int(params.get("from") or 1)
        last = int(params["to"]) if params.get("to") else None
    except ValueError:
        raise QueryError("from and to are record numbers") from None
    if first < 1 or (last is not None and last < first):
        raise QueryError("from is 1 or more, and to is not before from")
    stream = params.get("stream", "product")
    if stream not in ("product", "decisions"):
        raise QueryError("stream is product or decisions")
    head = decisions.head_seq(project_id) if stream == "decisions" else services.head_seq()
    if min(last or head, head) - first + 1 > RANGE_MAX:
        raise QueryError(f"verify at most {RANGE_MAX:,} records at a time here; the whole stream is verified "
                         "by the seal task (and by manage.py audit verify)")
    report = (decisions.verify(project_id, first, last) if stream == "decisions" else
              services.verify_range(first, last))
    return {"stream": stream, "from": first, "to": last, **services.report_json(report)}


def verification() -> dict:
    """The latest verification of the whole trail (run after each seal, every five minutes; page
    loads do not re-hash the trail) and the key auditors check signatures with."""
    return {**services.last_verification(), "public_key_pem": keys.public_pem(), "key_fingerprint": keys.fingerprint()}
