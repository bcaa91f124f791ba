"""Ingest outcomes that end a request, each with its HTTP status and gRPC code."""

import grpc


class IngestError(Exception):
    http_status = 500
    grpc_code = grpc.StatusCode.INTERNAL
    retry_after_s: int | None = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unauthenticated(IngestError):
    http_status = 401
    grpc_code = grpc.StatusCode.UNAUTHENTICATED


class BadPayload(IngestError):
    http_status = 400
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, message: str, *, partial: bool = False):
        super().__init__(message)
        # Refused after some of the request's rows were stored (a metrics kind's table took them,
        # a later one refused): sending it again, even cleaned, would store those twice.
        self.partial = partial


class PayloadTooLarge(IngestError):
    http_status = 413
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class UnsupportedMediaType(IngestError):
    http_status = 415
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class Overloaded(IngestError):
    """Refuse rather than queue without bound; clients retry after the hint."""

    http_status = 503
    grpc_code = grpc.StatusCode.UNAVAILABLE

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StorageUnavailable(Overloaded):
    """The warehouse did not take the batch; nothing was acknowledged, so a retry is safe."""
