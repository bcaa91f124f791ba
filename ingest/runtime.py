"""Wire committers, the ingest service and both receivers; start and stop them cleanly."""

import asyncio
import logging
from pathlib import Path
from typing import Any

from django.conf import settings

from ingest.committer import GroupCommitter, LoggedCommitter
from ingest.grpc_server import build_server
from ingest.http_app import OtlpHttpApp
from ingest.service import ByteBudget, IngestService
from ingest.wal import IngestLog, Slot, unstored_bytes
from warehouse import Warehouse
from warehouse.otlp import SIGNALS

logger = logging.getLogger(__name__)


class IngestRuntime:
    """Committers (one writer session per signal), the service, and the HTTP and gRPC receivers."""

    def __init__(self, warehouse: Warehouse, ack: str | None = None):
        self.warehouse = warehouse
        self.limits = limits = {
            "max_items": settings.INGEST_BATCH_MAX_ITEMS, "max_delay_s": settings.INGEST_BATCH_MAX_DELAY_MS / 1000,
            "max_pending_bytes": settings.INGEST_MAX_PENDING_BYTES, "retry_after_s": settings.INGEST_RETRY_AFTER_S}
        self.slot = Slot(settings.INGEST_LOG_DIR) if (ack or settings.INGEST_ACK) == "logged" else None
        logged = {**limits, "max_delay_s": settings.INGEST_LOG_BATCH_MAX_DELAY_MS / 1000,
                  "fill_wait_s": settings.INGEST_LOG_BATCH_FILL_WAIT_MS / 1000}
        self.committers: dict[str, GroupCommitter] = {
            signal: (LoggedCommitter(signal, warehouse.writer(), IngestLog(self.slot.path / signal), **logged)
                     if self.slot else GroupCommitter(signal, warehouse.writer(), **limits))
            for signal in SIGNALS
        }
        inflight = ByteBudget(settings.INGEST_MAX_INFLIGHT_BYTES, settings.INGEST_RETRY_AFTER_S)
        self.service = IngestService(self.committers, settings.INGEST_MAX_BODY_BYTES, inflight)
        self.http_app = OtlpHttpApp(self.service)
        self.grpc_server: Any = None

    def start_committers(self) -> None:
        self._adopt_orphans()
        for committer in self.committers.values():
            committer.start()

    def _adopt_orphans(self) -> None:
        """Store what ingest logs of processes no longer running left (acknowledged, not yet stored)
        before taking requests: slots of replicas scaled away, or this folder's log after a switch
        to INGEST_ACK=stored."""
        base = settings.INGEST_LOG_DIR
        if not base.is_dir():
            return
        for path in Slot.orphans(base):
            for signal in SIGNALS:
                if (path / signal).is_dir():
                    self._replay(path / signal, signal)

    def _replay(self, folder: Path, signal: str) -> None:
        # Sized from the files alone: a log with something past its checkpoint is read once, by the
        # committer that stores it (a torn tail alone makes a committer that replays nothing).
        if not unstored_bytes(folder):
            return
        writer = self.warehouse.writer()
        committer = LoggedCommitter(signal, writer, IngestLog(folder), **self.limits).start()
        if committer.replayed:
            logger.warning("storing what another ingest process left in its log",
                           extra={"log": str(folder), "envelopes": committer.replayed})
        committer.stop(timeout=3600)
        writer.close()

    async def start_grpc(self, host: str, port: int) -> int:
        # Allow a little over the body limit so our own check answers with a precise message.
        server, bound = build_server(self.service, host, port, settings.INGEST_MAX_BODY_BYTES + 1024)
        await server.start()
        self.grpc_server = server
        return bound

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop taking requests, let in-flight ones finish, then flush what was queued."""
        if self.grpc_server is not None:
            await self.grpc_server.stop(grace_s)
        await asyncio.to_thread(self._flush)

    def _flush(self) -> None:
        for committer in self.committers.values():
            committer.stop()
            committer.warehouse.close()
        if self.slot:
            self.slot.release()
        for signal, committer in self.committers.items():
            stats = committer.stats
            logger.info("ingest flushed %s: %d items stored in %d batches (largest %d), %.1f s inserting",
                        signal, stats.items, stats.batches, stats.max_batch_items, stats.insert_seconds)
