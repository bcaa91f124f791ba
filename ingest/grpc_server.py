"""OTLP/gRPC receiver: the three Export methods, raw bytes in, our own decoding."""

import logging

import grpc
from grpc import aio

from ingest.errors import IngestError
from ingest.responses import export_response, status_for
from ingest.service import IngestService

logger = logging.getLogger(__name__)

SERVICES = {
    "opentelemetry.proto.collector.trace.v1.TraceService": "traces",
    "opentelemetry.proto.collector.metrics.v1.MetricsService": "metrics",
    "opentelemetry.proto.collector.logs.v1.LogsService": "logs",
}


def _handler(service: IngestService, signal: str):
    async def export(request: bytes, context: aio.ServicerContext) -> bytes:
        headers = {k.lower(): v for k, v in context.invocation_metadata() if isinstance(v, str)}
        try:
            project_id = await service.authenticate(headers)
            decoded = await service.export(signal, project_id, request, "protobuf")
        except IngestError as error:
            status = status_for(error)
            await context.abort(error.grpc_code, error.message,
                                trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),))
            raise  # unreachable: abort raises
        return export_response(signal, decoded).SerializeToString()

    # No (de)serialisers: the handler sees the raw request bytes and returns bytes.
    return grpc.unary_unary_rpc_method_handler(export)


def build_server(service: IngestService, host: str, port: int, max_message_bytes: int) -> tuple[aio.Server, int]:
    server = aio.server(options=[
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", 4 * 1024 * 1024),
    ])
    for name, signal in SERVICES.items():
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, {"Export": _handler(service, signal)}),))
    bound = server.add_insecure_port(f"{host}:{port}")
    return server, bound
