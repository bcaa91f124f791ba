"""OTLP response bodies: Export*ServiceResponse (with partial success) and google.rpc.Status errors."""

from typing import Any

from google.protobuf import duration_pb2, json_format
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from ingest.decode import Decoded
from ingest.errors import BadPayload, IngestError

RESPONSE_TYPES: dict[str, tuple[Any, str]] = {
    "traces": (ExportTraceServiceResponse, "rejected_spans"),
    "metrics": (ExportMetricsServiceResponse, "rejected_data_points"),
    "logs": (ExportLogsServiceResponse, "rejected_log_records"),
}
MAX_MESSAGE_CHARS = 8192


def export_response(signal: str, decoded: Decoded | None):
    """Empty on full success (partial_success unset); otherwise the exact rejected count and why."""
    response_type, field = RESPONSE_TYPES[signal]
    response = response_type()
    if decoded is not None and (decoded.rejected or decoded.message):
        setattr(response.partial_success, field, decoded.rejected)
        response.partial_success.error_message = decoded.message[:MAX_MESSAGE_CHARS]
    return response


def status_for(error: IngestError) -> status_pb2.Status:
    status = status_pb2.Status(code=error.grpc_code.value[0], message=error.message[:MAX_MESSAGE_CHARS])
    if isinstance(error, BadPayload):
        detail = error_details_pb2.BadRequest()
        detail.field_violations.add(field="body", description=error.message[:MAX_MESSAGE_CHARS])
        status.details.add().Pack(detail)
    if error.retry_after_s:
        retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=error.retry_after_s))
        status.details.add().Pack(retry)
    return status


def encode(message, encoding: str) -> bytes:
    if encoding == "json":
        return json_format.MessageToJson(message, indent=None).encode()
    return message.SerializeToString()
