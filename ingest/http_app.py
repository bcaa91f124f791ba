"""OTLP/HTTP receiver as a plain ASGI app: POST /v1/traces, /v1/metrics, /v1/logs."""

import logging

from ingest.errors import IngestError, PayloadTooLarge, UnsupportedMediaType
from ingest.responses import encode, export_response, status_for
from ingest.service import IngestService

logger = logging.getLogger(__name__)

PATHS = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}
CONTENT_TYPES = {
    "application/x-protobuf": "protobuf",
    "application/protobuf": "protobuf",
    "application/json": "json",
}
REPLY_TYPE = {"protobuf": b"application/x-protobuf", "json": b"application/json"}


class NotFound(IngestError):
    http_status = 404


class MethodNotAllowed(IngestError):
    http_status = 405


def _encoding_of(content_type: str) -> str:
    media_type = content_type.split(";", 1)[0].strip().lower()
    encoding = CONTENT_TYPES.get(media_type)
    if encoding is None:
        raise UnsupportedMediaType(
            f"Content-Type {media_type or '(none)'!r} is not supported; use application/x-protobuf or application/json")
    return encoding


class OtlpHttpApp:
    def __init__(self, service: IngestService):
        self.service = service

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        encoding = "protobuf" if "protobuf" in headers.get("content-type", "") else "json"
        held = [0]
        try:
            signal = self._route(scope)
            project_id = await self.service.authenticate(headers)
            encoding = _encoding_of(headers.get("content-type", ""))
            # Refused before the body is read: under overload a refusal must cost next to nothing.
            declared = headers.get("content-length", "")
            self.service.check_room(signal, int(declared) if declared.isdigit() else 0)
            body = await self._read_body(headers, receive, held)
            decoded = await self.service.export(signal, project_id, body, encoding, headers.get("content-encoding", ""))
            await _reply(send, 200, encode(export_response(signal, decoded), encoding), encoding)
        except IngestError as error:
            await _reply(send, error.http_status, encode(status_for(error), encoding), encoding, error.retry_after_s)
        finally:
            self.service.inflight.give(held[0])

    def _route(self, scope) -> str:
        signal = PATHS.get(scope["path"].rstrip("/") or "/")
        if signal is None:
            raise NotFound(f"no OTLP endpoint at {scope['path'][:100]!r}; use /v1/traces, /v1/metrics or /v1/logs")
        if scope["method"] != "POST":
            raise MethodNotAllowed(f"{scope['method']} is not allowed; OTLP/HTTP uses POST")
        return signal

    async def _read_body(self, headers: dict[str, str], receive, held: list[int]) -> bytes:
        """Read the body within the size limit, holding its bytes in the in-flight budget."""
        limit = self.service.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"request body is {declared} bytes; the limit is {limit} bytes")
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            self.service.inflight.take(len(chunk))
            held[0] += len(chunk)
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _reply(send, status: int, body: bytes, encoding: str, retry_after_s: int | None = None) -> None:
    headers = [(b"content-type", REPLY_TYPE[encoding]), (b"content-length", str(len(body)).encode())]
    if retry_after_s:
        headers.append((b"retry-after", str(retry_after_s).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
