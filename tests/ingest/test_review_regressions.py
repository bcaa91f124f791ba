"""Regressions found in review: engine errors must never be acknowledged, a cancelled client must not
kill the writer, and less common but valid encodings must be stored whole."""

import gzip
import json
import time
from datetime import timedelta

import grpc
import pytest
from django.utils import timezone
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from apps.telemetry.selectors import logs_in_window, spans_in_window
from tests.ingest.factories import agentic_request, deep_unknown_groups
from tests.ingest.http_client import post

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
PROTO = "application/x-protobuf"


def _spans(project) -> list[dict]:
    now = timezone.now()
    return spans_in_window(project.pk, now - timedelta(hours=1), now + timedelta(hours=1)).to_dicts()


@pytest.fixture
def poisoned_view(warehouse):
    # A view that fails on one span name stands in for any storage-side failure (memory, disk, parts).
    warehouse.command("CREATE TABLE IF NOT EXISTS poison_sink (x UInt8) ENGINE = Null")
    warehouse.command("CREATE MATERIALIZED VIEW IF NOT EXISTS poison_mv TO poison_sink AS SELECT "
                      "throwIf(name = 'poison', 'poisoned batch') AS x FROM otlp_spans_rows")
    yield
    warehouse.command("DROP VIEW IF EXISTS poison_mv")
    warehouse.command("DROP TABLE IF EXISTS poison_sink")


def test_storage_errors_are_never_acknowledged(ingest_server, project, ingest_key, poisoned_view):
    # Ingest is at-least-once: the failed batch is answered retryable (views that ran before the
    # failure may keep their rows, so a retry can duplicate; it can never lose an acknowledged row).
    request = agentic_request(4)
    request.resource_spans[0].scope_spans[0].spans[0].name = "poison"
    reply = post(ingest_server, "/v1/traces", request.SerializeToString(),
                 {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    assert (reply.status, reply.headers.get("retry-after")) == (503, "2")
    healthy = post(ingest_server, "/v1/traces", agentic_request(4).SerializeToString(),
                   {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    assert healthy.status == 200


def test_a_client_that_gives_up_does_not_stop_the_writer(slow_commit_server, project, ingest_key):
    body = agentic_request(8).SerializeToString()
    method = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    with grpc.insecure_channel(f"127.0.0.1:{slow_commit_server.grpc_port}") as channel:
        export = channel.unary_unary(method)
        with pytest.raises(grpc.RpcError) as impatient:
            export(body, metadata=(("x-inferops-key", ingest_key),), timeout=0.2)
        assert impatient.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        time.sleep(1.5)  # the abandoned request's batch commits meanwhile
        export(body, metadata=(("x-inferops-key", ingest_key),), timeout=10)
    assert slow_commit_server.runtime.committers["traces"]._thread.is_alive()
    assert len(_spans(project)) == 16  # the abandoned request was still stored: it reached the queue


def test_multi_member_gzip_bodies_are_read_whole(ingest_server, project, ingest_key):
    first, second = agentic_request(3), agentic_request(5)
    body = gzip.compress(first.SerializeToString()) + gzip.compress(second.SerializeToString())
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": PROTO, "Content-Encoding": "gzip",
                                                    "x-inferops-key": ingest_key})
    assert reply.status == 200
    assert len(_spans(project)) == 8


def test_trailing_garbage_after_gzip_is_refused(ingest_server, ingest_key):
    body = gzip.compress(agentic_request(1).SerializeToString()) + b"garbage"
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": PROTO, "Content-Encoding": "gzip",
                                                    "x-inferops-key": ingest_key})
    assert reply.status == 400


def test_unknown_group_fields_are_dropped_not_refused(ingest_server, project, ingest_key):
    # Unknown groups nested 70 deep: valid protobuf, which ClickHouse's reader and the span rows' walk
    # refuse; the committer drops unknown fields and stores the rest.
    body = agentic_request(2).SerializeToString() + deep_unknown_groups()
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    assert reply.status == 200
    assert len(_spans(project)) == 2


def test_log_flags_are_kept(ingest_server, project, ingest_key):
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add(time_unix_nano=time.time_ns(), flags=1)
    record.body.string_value = "sampled"
    reply = post(ingest_server, "/v1/logs", request.SerializeToString(),
                 {"Content-Type": PROTO, "x-inferops-key": ingest_key})
    assert reply.status == 200
    now = timezone.now()
    rows = logs_in_window(project.pk, now - timedelta(minutes=1), now + timedelta(minutes=1)).to_dicts()
    assert [(r["body"], r["flags"]) for r in rows] == [("sampled", 1)]


def test_bad_link_ids_are_reported_as_warnings(ingest_server, project, ingest_key):
    span = {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174", "name": "linked",
            "startTimeUnixNano": str(time.time_ns()), "endTimeUnixNano": str(time.time_ns()),
            "links": [{"traceId": "not-hex", "spanId": "EEE19B7EC3C1B175"}]}
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": "application/json", "x-inferops-key": ingest_key})
    partial = json.loads(reply.body)["partialSuccess"]
    assert (reply.status, partial.get("rejectedSpans", "0")) == (200, "0")
    assert "link (dropped).traceId 'not-hex' is not hex" in partial["errorMessage"]
    assert [s["name"] for s in _spans(project)] == ["linked"]


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "5B 8E"}]}]}]}'])
def test_hostile_json_gets_a_clear_answer(ingest_server, ingest_key, body):
    reply = post(ingest_server, "/v1/traces", body, {"Content-Type": "application/json", "x-inferops-key": ingest_key})
    assert reply.status in (200, 400)
    assert reply.status == 400 or json.loads(reply.body)["partialSuccess"]["rejectedSpans"] == "1"
