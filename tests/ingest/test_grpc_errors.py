"""Bad input on OTLP/gRPC: UNAUTHENTICATED, INVALID_ARGUMENT (with google.rpc.Status details),
RESOURCE_EXHAUSTED over the size limit, and partial success on the wire."""

import time

import grpc
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

pytestmark = [pytest.mark.clickhouse, pytest.mark.django_db(transaction=True)]
METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _call(server, body: bytes, metadata=()):
    options = [("grpc.max_send_message_length", 128 * 1024 * 1024)]
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}", options=options) as channel:
        export = channel.unary_unary(METHOD)
        return export(body, metadata=metadata, timeout=60)


def _error(server, body: bytes, metadata=()) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        _call(server, body, metadata)
    return caught.value


def test_missing_key_is_unauthenticated(ingest_server):
    assert _error(ingest_server, b"").code() == grpc.StatusCode.UNAUTHENTICATED


def test_unknown_key_is_unauthenticated(ingest_server):
    error = _error(ingest_server, b"", (("x-inferops-key", "iop_123456789012_wrong"),))
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "unknown or revoked ingest key")


def test_malformed_protobuf_is_invalid_argument_with_status_details(ingest_server, ingest_key):
    error = _error(ingest_server, b"\x0a\xff\xff", (("authorization", f"Bearer {ingest_key}"),))
    details = dict(error.trailing_metadata())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    assert (error.code(), status.code, "not a valid OTLP" in status.message) == (
        grpc.StatusCode.INVALID_ARGUMENT, 3, True)


def test_oversize_message_is_resource_exhausted(ingest_server, ingest_key):
    error = _error(ingest_server, b"\x00" * (64 * 1024 * 1024 + 4096), (("x-inferops-key", ingest_key),))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_partial_success_counts_rejected_spans(ingest_server, ingest_key):
    request = trace_service_pb2.ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    now = time.time_ns()
    spans.add(trace_id=b"\x07" * 16, span_id=b"\x08" * 8, name="ok", start_time_unix_nano=now, end_time_unix_nano=now)
    spans.add(trace_id=b"\x00" * 16, span_id=b"\x08" * 8, name="zero trace id")
    reply = _call(ingest_server, request.SerializeToString(), (("x-inferops-key", ingest_key),))
    response = trace_service_pb2.ExportTraceServiceResponse.FromString(reply)
    assert (response.partial_success.rejected_spans, "all zeros" in response.partial_success.error_message) == (
        1, True)
