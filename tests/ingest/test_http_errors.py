"""Bad input on OTLP/HTTP: each case gets its specified status and a clear message, and nothing
partial is stored. Partly invalid batches store the valid items and report the exact count."""

import gzip
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from apps.telemetry.selectors import ingest_accounting, spans_in_window
from tests.ingest.http_client import post

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "otlp"
LIMIT = 64 * 1024 * 1024
PROTO = "application/x-protobuf"


def _json_trace(*span_ids: tuple[str, str]) -> bytes:
    now_ns = time.time_ns()
    spans = [{"traceId": t, "spanId": s, "name": f"span-{i}", "kind": 2, "startTimeUnixNano": str(now_ns),
              "endTimeUnixNano": now_ns + 1000} for i, (t, s) in enumerate(span_ids)]
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


def _stored_spans(project) -> int:
    now = timezone.now()
    return len(spans_in_window(project.pk, now - timedelta(days=365 * 30), now + timedelta(days=1)))


def _status(reply, encoding=PROTO) -> status_pb2.Status:
    assert reply.headers["content-type"] == encoding
    if encoding == PROTO:
        return status_pb2.Status.FromString(reply.body)
    document = json.loads(reply.body)
    return status_pb2.Status(code=document.get("code", 0), message=document["message"])


@pytest.mark.parametrize(("body", "content_type", "status", "grpc_code", "fragment"), [
    (b"\x0a\xff\xff\xff\x0f", PROTO, 400, 3, "not a valid OTLP ExportTraceServiceRequest protobuf"),
    (b"{not json", "application/json", 400, 3, "not valid JSON"),
    (b"[1, 2]", "application/json", 400, 3, "must be a JSON object"),
    (b'{"resourceSpans": "nope"}', "application/json", 400, 3,
     "does not match ExportTraceServiceRequest"),
    (b"hello", "text/plain", 415, 3, "Content-Type 'text/plain' is not supported"),
])
def test_undecodable_requests_are_refused_and_store_nothing(ingest_server, project, ingest_key, body,
                                                            content_type, status, grpc_code, fragment):
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": content_type, "x-inferops-key": ingest_key})
    expected_type = PROTO if content_type == PROTO else "application/json"
    message = _status(reply, expected_type)
    assert (reply.status, message.code, fragment in message.message) == (status, grpc_code, True)
    assert _stored_spans(project) == 0


def test_bad_request_carries_badrequest_details(ingest_server, ingest_key):
    reply = post(ingest_server, "/v1/traces", b"\x0a\xff", {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    detail = error_details_pb2.BadRequest()
    assert _status(reply).details[0].Unpack(detail)
    assert detail.field_violations[0].field == "body"


@pytest.mark.parametrize("headers", [{}, {"x-inferops-key": "iop_nope_nope"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer iop_000000000000_forged"}])
def test_missing_or_unknown_key_is_401_and_stores_nothing(ingest_server, project, headers):
    body = (FIXTURES / "trace.json").read_bytes()
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": "application/json", **headers})
    assert (reply.status, _status(reply, "application/json").code) == (401, 16)
    assert _stored_spans(project) == 0


def test_partly_invalid_json_batch_reports_exact_rejections(ingest_server, project, ingest_key):
    good = ("5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B174")
    body = _json_trace(good, ("5B8EFFF798038103D269B633813FC6", "EEE19B7EC3C1B175"),
                       ("ZZ8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B176"), (good[0], "0000000000000000"))
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": "application/json", "x-inferops-key": ingest_key})
    document = json.loads(reply.body)
    assert (reply.status, reply.headers["content-type"], document["partialSuccess"]["rejectedSpans"]) == (
        200, "application/json", "3")
    message = document["partialSuccess"]["errorMessage"]
    assert all(fragment in message for fragment in ("trace_id is 15 bytes", "is not hex", "span_id is all zeros"))
    assert _stored_spans(project) == 1


def test_partly_invalid_protobuf_batch_reports_exact_rejections(ingest_server, project, ingest_key):
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    spans.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="ok", start_time_unix_nano=time.time_ns(), end_time_unix_nano=time.time_ns())
    spans.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 7, name="short span id")
    spans.add(trace_id=b"\x01" * 16, span_id=b"\x03" * 8, parent_span_id=b"\x04" * 3, name="bad parent")
    reply = post(ingest_server, "/v1/traces", request.SerializeToString(),
                 {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    response = ExportTraceServiceResponse.FromString(reply.body)
    assert (reply.status, response.partial_success.rejected_spans) == (200, 2)
    assert "span_id is 7 bytes" in response.partial_success.error_message
    assert _stored_spans(project) == 1


def test_full_success_leaves_partial_success_unset(ingest_server, project, ingest_key):
    reply = post(ingest_server, "/v1/traces", (FIXTURES / "trace.json").read_bytes(),
                 {"Content-Type": "application/json", "Authorization": f"Bearer {ingest_key}"})
    assert (reply.status, json.loads(reply.body)) == (200, {})


def test_empty_request_succeeds(ingest_server, ingest_key):
    reply = post(ingest_server, "/v1/traces", b"", {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    assert (reply.status, reply.body) == (200, b"")


def test_gzip_bomb_is_413(ingest_server, project, ingest_key):
    bomb = gzip.compress(b"\x00" * (LIMIT + 1024), compresslevel=9)
    assert len(bomb) < 200_000
    reply = post(ingest_server, "/v1/traces", bomb,
                 {"Content-Type": PROTO, "Content-Encoding": "gzip", "x-inferops-key": ingest_key})
    assert (reply.status, _status(reply).code) == (413, 8)
    assert "exceeds the limit" in _status(reply).message
    assert _stored_spans(project) == 0


def test_oversize_body_is_413(ingest_server, ingest_key):
    reply = post(ingest_server, "/v1/traces", b"\x00" * (LIMIT + 1), {"Content-Type": PROTO,
                                                                      "x-inferops-key": ingest_key})
    assert (reply.status, _status(reply).code) == (413, 8)


@pytest.mark.parametrize(("encoding", "body", "status"), [("gzip", b"not gzip at all", 400),
                                                          ("br", b"whatever", 415)])
def test_bad_content_encoding(ingest_server, ingest_key, encoding, body, status):
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": PROTO, "Content-Encoding": encoding,
                                                     "x-inferops-key": ingest_key})
    assert reply.status == status


def test_gzip_body_is_accepted(ingest_server, project, ingest_key):
    body = gzip.compress((FIXTURES / "trace.json").read_bytes())
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": "application/json", "Content-Encoding": "gzip",
                                                     "x-inferops-key": ingest_key})
    assert reply.status == 200
    assert _stored_spans(project) == 1


def test_rejections_are_accounted_per_project(ingest_server, project, ingest_key):
    headers = {"Content-Type": "application/json", "x-inferops-key": ingest_key}
    post(ingest_server, "/v1/traces", _json_trace(("5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B174"),
                                                 ("00", "EEE19B7EC3C1B174")), headers)
    post(ingest_server, "/v1/traces", b"{broken", headers)
    now = timezone.now()
    traces = ingest_accounting(project.pk, now - timedelta(hours=1), now + timedelta(minutes=1))[0]
    assert (traces.signal, traces.requests, traces.accepted, traces.rejected, traces.rejected_requests) == (
        "traces", 1, 1, 1, 1)


def test_hostile_envelope_fields_cannot_change_the_project(ingest_server, project, ingest_key):
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.add(trace_id=b"\x05" * 16, span_id=b"\x06" * 8, name="x",
                                                              start_time_unix_nano=time.time_ns(), end_time_unix_nano=time.time_ns())
    # Field 1001 (varint) = project 999999: our envelope fields are appended last and win.
    smuggled = request.SerializeToString() + bytes([0xC8, 0x3E]) + bytes([0xBF, 0x84, 0x3D])
    reply = post(ingest_server, "/v1/traces", smuggled, {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    assert reply.status == 200
    assert _stored_spans(project) == 1


@pytest.mark.parametrize(("path", "method_status"), [("/v1/nothing", 404), ("/v1/traces/extra", 404)])
def test_unknown_paths_are_404(ingest_server, ingest_key, path, method_status):
    reply = post(ingest_server, path, b"", {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    assert reply.status == method_status
