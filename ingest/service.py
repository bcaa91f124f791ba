"""The transport-independent ingest path: authenticate → decompress → decode → group commit → ack."""

import asyncio
import logging
from concurrent.futures import Future
from functools import partial

from apps.telemetry import live
from ingest import auth
from ingest.committer import GroupCommitter
from ingest.decode import Decoded, decode, decompress
from ingest.envelope import envelope
from ingest.errors import BadPayload, IngestError, Overloaded, PayloadTooLarge

logger = logging.getLogger(__name__)
INLINE_DECODE_BYTES = 1 << 20  # bigger bodies decode off the event loop


class ByteBudget:
    """Bytes of request bodies held in memory right now, across all requests of this process.

    The commit queue is bounded, but bodies being received or decoded are not in it yet; this
    bound keeps thousands of concurrent large uploads from exhausting memory before they queue.
    """

    def __init__(self, limit: int, retry_after_s: int):
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.used = 0

    def take(self, size: int) -> None:
        if self.used + size > self.limit and self.used:
            raise Overloaded(f"{self.used} bytes of request bodies are in flight; retry later", self.retry_after_s)
        self.used += size

    def give(self, size: int) -> None:
        self.used -= size


class IngestService:
    def __init__(self, committers: dict[str, GroupCommitter], max_body_bytes: int, inflight: ByteBudget):
        self.committers = committers
        self.max_body_bytes = max_body_bytes
        self.inflight = inflight

    async def authenticate(self, headers: dict[str, str]) -> int:
        key = auth.extract_key(headers)
        cached = auth.cached_project(key)
        if cached is False:
            return await asyncio.to_thread(auth.project_for_key, key)
        if cached is None:
            raise auth.Unauthenticated("unknown or revoked ingest key")
        return cached

    def check_room(self, signal: str, size: int) -> None:
        """Raise Overloaded if a request of ``size`` bytes would be refused now."""
        self.committers[signal].check_room(size)

    async def export(self, signal: str, project_id: int, body: bytes, encoding: str,
                     content_encoding: str = "") -> Decoded:
        """Store what is valid in ``body``; returns once it is durable. Raises IngestError."""
        # A full queue refuses before the body is decoded: overload must not cost a decode per retry.
        self.check_room(signal, len(body))
        try:
            # Compressed bodies can inflate 1000×: decode them, like large ones, off the event loop.
            if len(body) > INLINE_DECODE_BYTES or (content_encoding and len(body) > 16 * 1024):
                decoded = await asyncio.to_thread(self._decode, signal, body, encoding, content_encoding)
            else:
                decoded = self._decode(signal, body, encoding, content_encoding)
        except (BadPayload, PayloadTooLarge):
            await self._count_rejected_request(signal, project_id)
            raise
        if decoded.accepted == 0 and decoded.rejected == 0:
            return decoded
        try:
            await self._commit(signal, project_id, decoded)
        except BadPayload:  # refused by the warehouse even after the committer's repair
            await self._count_rejected_request(signal, project_id)
            raise
        return decoded

    async def _commit(self, signal: str, project_id: int, decoded: Decoded) -> None:
        redaction = auth.redaction(project_id) if signal in ("traces", "logs") else b""
        pending = self.committers[signal].submit(
            envelope(decoded.payload, project_id, accepted_items=decoded.accepted, rejected_items=decoded.rejected,
                     redaction=redaction),
            max(decoded.accepted, 1), decoded.kinds, project_id=project_id, request_length=len(decoded.payload))
        # Shielded: a client that gives up (deadline, disconnect) must not cancel the commit itself.
        await asyncio.shield(asyncio.wrap_future(pending.future))
        if pending.stored is pending.future:
            await live.committed(project_id, signal, decoded.accepted)
        else:  # acknowledged from the ingest log: pages hear of the rows once they can read them
            loop = asyncio.get_running_loop()
            pending.stored.add_done_callback(partial(_announce, loop, project_id, signal, decoded.accepted))

    def _decode(self, signal: str, body: bytes, encoding: str, content_encoding: str) -> Decoded:
        return decode(signal, decompress(body, content_encoding, self.max_body_bytes), encoding)

    async def _count_rejected_request(self, signal: str, project_id: int) -> None:
        # Counted before answering so the accounting API agrees with what clients saw; under
        # overload the count is dropped rather than competing with data for the queue.
        try:
            pending = self.committers[signal].submit(envelope(b"", project_id, rejected_requests=1), 0)
            await asyncio.shield(asyncio.wrap_future(pending.future))
        except Overloaded:
            logger.warning("rejected-request count dropped", extra={"project_id": project_id, "signal": signal})


def _announce(loop: asyncio.AbstractEventLoop, project_id: int, signal: str, items: int, stored: Future) -> None:
    if not stored.cancelled() and stored.exception() is None and not loop.is_closed():
        asyncio.run_coroutine_threadsafe(live.committed(project_id, signal, items), loop)


__all__ = ["IngestError", "IngestService"]
