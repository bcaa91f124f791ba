"""Decode and validate OTLP requests (protobuf or JSON) into bytes the warehouse can parse.

Validation is per item so that a partly invalid batch is stored minus its bad items, and the
client is told the exact count (OTLP partial success). Only the rare invalid path re-serialises.
"""

import gzip
import json
import zlib
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ingest import jsonids
from ingest.errors import BadPayload, PayloadTooLarge, UnsupportedMediaType
from warehouse.otlp import valid_spans

REQUEST_TYPES: dict[str, Any] = {
    "traces": ExportTraceServiceRequest,
    "metrics": ExportMetricsServiceRequest,
    "logs": ExportLogsServiceRequest,
}
MAX_MESSAGES = 5  # validation problems quoted in an error_message


@dataclass(frozen=True)
class Decoded:
    payload: bytes  # protobuf bytes holding only the accepted items
    accepted: int
    rejected: int
    message: str  # partial-success error_message, '' when everything was accepted
    kinds: frozenset[str] = frozenset()  # metrics: the kinds of data held (gauge, sum, histogram, ...)


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Inflate gzip with a hard output cap, so a gzip bomb costs at most ``limit`` bytes."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise PayloadTooLarge(f"request body is {len(body)} bytes; the limit is {limit} bytes")
        return body
    if encoding != "gzip":
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; use gzip or none")
    parts: list[bytes] = []
    size = 0
    remaining = body
    while remaining:  # a gzip stream may hold several members; all of them are the body
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            part = inflater.decompress(remaining, limit - size + 1)
        except zlib.error as exc:
            raise BadPayload(f"gzip body could not be decompressed: {exc}") from exc
        size += len(part)
        if size > limit or inflater.unconsumed_tail:
            raise PayloadTooLarge(f"decompressed request exceeds the limit of {limit} bytes")
        if not inflater.eof:
            raise BadPayload("gzip body is truncated")
        parts.append(part)
        remaining = inflater.unused_data
    return b"".join(parts)


def parse(signal: str, data: bytes, encoding: str):
    """Parse bytes into the signal's Export*ServiceRequest; ``encoding`` is 'protobuf' or 'json'."""
    request_type = REQUEST_TYPES[signal]
    if encoding == "protobuf":
        try:
            return request_type.FromString(data), []
        except DecodeError as exc:
            raise BadPayload(f"request body is not a valid OTLP {request_type.__name__} protobuf: {exc}") from exc
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload(f"request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise BadPayload("request body nests JSON too deeply") from exc
    if not isinstance(document, dict):
        raise BadPayload("OTLP/JSON request body must be a JSON object")
    problems = jsonids.convert_ids(signal, document)
    try:
        return json_format.ParseDict(document, request_type(), ignore_unknown_fields=True), problems
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadPayload(f"OTLP/JSON does not match {request_type.__name__}: {exc}") from exc


def decode(signal: str, data: bytes, encoding: str) -> Decoded:
    from ingest.validate import VALIDATORS

    if signal == "traces" and encoding == "protobuf":
        # A request that is valid whole (the common case) is checked in one pass in C; anything else is
        # decoded and validated below, which finds exactly what to reject and says why.
        spans = valid_spans(data)
        if spans is not None:
            return Decoded(payload=data, accepted=spans, rejected=0, message="")
    request, problems = parse(signal, data, encoding)
    accepted, rejected, messages = VALIDATORS[signal](request)
    messages = problems + messages
    if rejected:
        payload = request.SerializeToString()
    else:
        payload = data if encoding == "protobuf" else request.SerializeToString()
    kinds = metric_kinds(request) if signal == "metrics" else frozenset()
    return Decoded(payload=payload, accepted=accepted, rejected=rejected, message=_summary(rejected, messages),
                   kinds=kinds)


def metric_kinds(request) -> frozenset[str]:
    """Which kinds of data points a metrics request holds: each kind is stored by its own view."""
    return frozenset(metric.WhichOneof("data") or "" for resource in request.resource_metrics
                     for scope in resource.scope_metrics for metric in scope.metrics) - {""}


def without_unknown_fields(signal: str, payload: bytes) -> bytes:
    """Re-serialise ``payload`` keeping only fields the OTLP schema defines."""
    request = REQUEST_TYPES[signal].FromString(payload)
    request.DiscardUnknownFields()
    return request.SerializeToString()


def _summary(rejected: int, messages: list[str]) -> str:
    """The partial-success message: what was rejected, or (with nothing rejected) warnings only."""
    if not messages:
        return ""
    shown = "; ".join(messages[:MAX_MESSAGES])
    more = f" (and {len(messages) - MAX_MESSAGES} more)" if len(messages) > MAX_MESSAGES else ""
    if rejected:
        return f"{rejected} invalid item(s) rejected: {shown}{more}"
    return f"accepted with warnings: {shown}{more}"


__all__ = ["Decoded", "decode", "decompress", "gzip"]
