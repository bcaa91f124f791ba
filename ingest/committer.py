"""Group commit: many requests, one large INSERT, and each request acknowledged only after it.

A writer thread per signal inserts everything queued (up to ``max_items`` items) in one statement
through its own warehouse session, then resolves every waiting request's future. While an insert
runs, new requests queue up and form the next batch, so under load batches grow with the insert
time on their own; ``max_delay_s`` is only how long an idle writer lingers for company. The
queue is bounded in bytes: past the bound, requests are refused (503 + Retry-After), never
queued without limit.
"""

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from ingest.errors import BadPayload, Overloaded, StorageUnavailable
from warehouse import BadInput, WarehouseError
from warehouse.otlp import insert_envelopes, insert_tables

logger = logging.getLogger(__name__)


@dataclass
class Pending:
    envelope: bytes
    items: int
    kinds: frozenset[str] = frozenset()  # metrics: the kinds of data points the envelope holds
    future: Future = field(default_factory=Future)
    queued_at: float = field(default_factory=time.monotonic)


@dataclass
class CommitterStats:
    batches: int = 0
    envelopes: int = 0
    items: int = 0
    insert_seconds: float = 0.0
    refused: int = 0
    max_batch_items: int = 0


class GroupCommitter:
    def __init__(self, signal: str, warehouse, *, max_items: int, max_delay_s: float, max_pending_bytes: int,
                 retry_after_s: int = 2):
        self.signal = signal
        self.warehouse = warehouse
        self.max_items = max_items
        self.max_delay_s = max_delay_s
        self.max_pending_bytes = max_pending_bytes
        self.retry_after_s = retry_after_s
        self.stats = CommitterStats()
        self._queue: deque[Pending] = deque()
        self._pending_bytes = 0
        self._queued_items = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"commit-{signal}", daemon=True)

    def start(self) -> "GroupCommitter":
        self._thread.start()
        return self

    def submit(self, envelope: bytes, items: int, kinds: frozenset[str] = frozenset()) -> Future:
        """Queue one envelope; the future resolves once its rows are durable in the warehouse."""
        pending = Pending(envelope, items, kinds)
        with self._cond:
            if self._stopping:
                raise Overloaded("the ingest server is shutting down", self.retry_after_s)
            if self._pending_bytes + len(envelope) > self.max_pending_bytes and self._queue:
                self.stats.refused += 1
                raise Overloaded(f"ingest queue is full ({self._pending_bytes} bytes waiting); retry later",
                                 self.retry_after_s)
            self._queue.append(pending)
            self._pending_bytes += len(envelope)
            self._queued_items += items
            self._cond.notify()
        return pending.future

    def stop(self, timeout: float = 60.0) -> None:
        """Flush everything already queued, then stop the writer thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _take_batch(self) -> list[Pending]:
        with self._cond:
            while not self._queue and not self._stopping:
                self._cond.wait()
            if not self._queue:
                return []
            deadline = self._queue[0].queued_at + self.max_delay_s
            while (self._queued_items < self.max_items and not self._stopping
                   and (remaining := deadline - time.monotonic()) > 0):
                self._cond.wait(remaining)
            batch: list[Pending] = []
            items = 0
            while self._queue and (not batch or items + self._queue[0].items <= self.max_items):
                pending = self._queue.popleft()
                batch.append(pending)
                items += pending.items
            self._queued_items -= items
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                return
            try:
                self._commit(batch)
            except Exception as exc:  # noqa: BLE001 - the writer must outlive any one batch
                logger.exception("group commit failed unexpectedly", extra={"signal": self.signal})
                for pending in batch:
                    _resolve(pending.future, error=StorageUnavailable(f"storage error: {exc}", self.retry_after_s))
            finally:
                with self._cond:
                    self._pending_bytes -= sum(len(p.envelope) for p in batch)

    def _commit(self, batch: list[Pending], tables: list[str] | None = None, stored: bool = False) -> None:
        """Insert the batch into each of its tables in turn (one, except for metrics of several kinds);
        ``stored``: earlier tables already hold the batch's rows."""
        tables = tables or insert_tables(self.signal, frozenset().union(*(p.kinds for p in batch)))
        began = time.perf_counter()
        payload = [p.envelope for p in batch]  # written out in turn: no tens-of-MB join per batch
        for done, table in enumerate(tables):
            try:
                insert_envelopes(self.warehouse, self.signal, payload, table)
            except BadInput as exc:
                self._refused(batch, tables[done:], exc, partial=stored or done > 0)
                return
            except WarehouseError as exc:
                logger.exception("warehouse insert failed", extra={"signal": self.signal, "envelopes": len(batch)})
                for pending in batch:
                    _resolve(pending.future, error=StorageUnavailable(f"storage unavailable: {exc}", self.retry_after_s))
                return
        self._record(batch, time.perf_counter() - began)
        for pending in batch:
            _resolve(pending.future, result=pending.items)

    def _refused(self, batch: list[Pending], tables: list[str], exc: BadInput, *, partial: bool) -> None:
        """Some envelope poisoned the batch: bisect over the tables not yet holding the batch, so one bad
        request costs O(log n) inserts and fails alone while everything else is committed."""
        if len(batch) == 1:
            stored = " (its rows of other metric kinds were stored)" if partial else ""
            _resolve(batch[0].future, error=BadPayload(f"the warehouse could not parse the request{stored}: {exc}",
                                                       partial=partial))
            return
        logger.warning("batch insert rejected its input; bisecting", extra={"signal": self.signal})
        middle = len(batch) // 2
        self._commit(batch[:middle], tables, partial)
        self._commit(batch[middle:], tables, partial)

    def _record(self, batch: list[Pending], seconds: float) -> None:
        items = sum(p.items for p in batch)
        self.stats.batches += 1
        self.stats.envelopes += len(batch)
        self.stats.items += items
        self.stats.insert_seconds += seconds
        self.stats.max_batch_items = max(self.stats.max_batch_items, items)


def _resolve(future: Future, *, result: int | None = None, error: BaseException | None = None) -> None:
    """Settle a request's future unless its caller already gave up (a cancelled gRPC call)."""
    if not future.set_running_or_notify_cancel():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
