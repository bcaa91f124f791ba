"""Group commit: many requests, one large INSERT, and each request acknowledged only after it.

A writer thread per signal inserts everything queued (up to ``max_items`` items) in one statement
through its own warehouse session, then resolves every waiting request's future. While an insert
runs, new requests queue up and form the next batch, so under load batches grow with the insert
time on their own; ``max_delay_s`` is only how long an idle writer lingers for company (and
``fill_wait_s``, with the ingest log, how much longer it waits for a batch that is filling fast). The
queue is bounded in bytes: past the bound, requests are refused (503 + Retry-After), never
queued without limit.

``GroupCommitter`` answers a request once its rows are stored in the warehouse. ``LoggedCommitter``
answers once its envelope is synced to the ingest log (ingest/wal.py) and stores it afterwards: the
answer no longer waits for the insert, whose size is then free to grow, and a warehouse outage is
ridden out (retried) instead of refusing data, up to the same bound.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace

from ingest.decode import without_unknown_fields
from ingest.envelope import envelope as accounting_envelope
from ingest.envelope import rewrapped
from ingest.errors import BadPayload, Overloaded, StorageUnavailable
from ingest.wal import Entry, IngestLog, Position, write_synced
from warehouse import BadInput, BadQuery, ResourceLimit, WarehouseError
from warehouse.otlp import insert_envelopes, insert_tables

logger = logging.getLogger(__name__)


@dataclass
class Pending:
    envelope: bytes
    items: int
    kinds: frozenset[str] = frozenset()  # metrics: the kinds of data points the envelope holds
    future: Future = field(default_factory=Future)  # the acknowledgement
    stored_future: Future | None = None  # resolved once the rows are in the warehouse, if not ``future``
    project_id: int = 0
    request_length: int = 0  # of the OTLP request at the envelope's head, so it can be repaired (0: it cannot)
    position: Position | None = None  # where it ends in the ingest log
    attempts: int = 0  # failed inserts of this envelope alone
    queued_at: float = field(default_factory=time.monotonic)

    @property
    def stored(self) -> Future:
        """Resolved once the rows are in the warehouse."""
        return self.stored_future or self.future


@dataclass
class CommitterStats:
    batches: int = 0
    envelopes: int = 0
    items: int = 0
    insert_seconds: float = 0.0
    refused: int = 0
    max_batch_items: int = 0


class GroupCommitter:
    # Failures that mean the input cannot be stored as it is: the batch is bisected to find it.
    REFUSALS: tuple[type[WarehouseError], ...] = (BadInput,)
    MIN_FILL_WAIT_S = 0.01
    # Past its linger a batch waits on (up to the fill wait) only under sustained load: when requests
    # arrive fast enough to bring it to at least this share of ``max_items`` by then.
    SUSTAINED_FILL = 0.25
    # ... and only while they keep coming: not once the newest is this many mean gaps old.
    STOPPED_GAPS = 4

    def __init__(self, signal: str, warehouse, *, max_items: int, max_delay_s: float, max_pending_bytes: int,
                 retry_after_s: int = 2, fill_wait_s: float = 0.0):
        self.signal = signal
        self.warehouse = warehouse
        self.max_items = max_items
        self.max_delay_s = max_delay_s
        self.fill_wait_s = fill_wait_s
        self.max_pending_bytes = max_pending_bytes
        self.retry_after_s = retry_after_s
        self.stats = CommitterStats()
        self._queue: deque[Pending] = deque()
        self._pending_bytes = 0
        self._queued_items = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._refused_seen = 0  # refusals counted when the writer last took a batch
        self._last_arrival = 0.0  # when the newest request was submitted (it may still be in the ingest log's hands)
        self._thread = threading.Thread(target=self._run, name=f"commit-{signal}", daemon=True)

    def start(self) -> "GroupCommitter":
        self._thread.start()
        return self

    def submit(self, envelope: bytes, items: int, kinds: frozenset[str] = frozenset(), *, project_id: int = 0,
               request_length: int = 0) -> Pending:
        """Queue one envelope; its ``future`` resolves once it is durable, ``stored`` once it is in the
        warehouse."""
        pending = self._pending(envelope, items, kinds, project_id, request_length)
        with self._cond:
            self._check_room(len(envelope))
            self._last_arrival = pending.queued_at
            self._pending_bytes += len(envelope)
            self._enqueue(pending)
            self._cond.notify_all()
        return pending

    def check_room(self, size: int) -> None:
        """Raise Overloaded if an envelope of about ``size`` bytes would be refused now."""
        with self._cond:
            self._check_room(size)

    def _check_room(self, size: int) -> None:
        if self._stopping:
            raise Overloaded("the ingest server is shutting down", self.retry_after_s)
        if self._pending_bytes + size > self.max_pending_bytes and self._pending_bytes:
            self.stats.refused += 1
            raise Overloaded(f"ingest queue is full ({self._pending_bytes} bytes waiting); retry later",
                             self.retry_after_s)

    def _pending(self, envelope: bytes, items: int, kinds: frozenset[str], project_id: int,
                 request_length: int) -> Pending:
        return Pending(envelope, items, kinds, project_id=project_id, request_length=request_length)

    def _enqueue(self, pending: Pending) -> None:
        """Called with the lock held: hand the request to the writer thread."""
        self._queue.append(pending)
        self._queued_items += pending.items

    def stop(self, timeout: float = 60.0) -> None:
        """Flush everything already queued, then stop the writer thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _drained(self) -> bool:
        """Called with the lock held, the queue empty: nothing more will come."""
        return self._stopping

    def _take_batch(self) -> list[Pending]:
        with self._cond:
            while not self._queue and not self._drained():
                self._cond.wait()
            if not self._queue:
                return []
            free_at = time.monotonic()
            while (self._queued_items < self.max_items and not self._stopping
                   and (linger := self._linger_s(free_at, time.monotonic())) > 0):
                self._cond.wait(linger)
            batch: list[Pending] = []
            items = 0
            while self._queue and (not batch or items + self._queue[0].items <= self.max_items):
                pending = self._queue.popleft()
                batch.append(pending)
                items += pending.items
            self._queued_items -= items
            self._refused_seen = self.stats.refused
            return batch

    def _linger_s(self, free_at: float, now: float) -> float:
        """How much longer the batch may wait to grow (called with the lock held, the queue not empty;
        the writer free since ``free_at``): until its oldest request has waited ``max_delay_s``; past
        that, under sustained load, until it is full or ``fill_wait_s`` after the writer became free,
        whichever comes first. Every insert costs ~0.1 s of planning whatever its size, and each one
        adds parts to merge, so under sustained load a fuller batch stores more spans per second of
        CPU; without the wait, batches settle at what arrives during one insert. (Waiting only for a
        batch that would be *full* by then made the batch size all or nothing: at 50k spans/s a
        131,072-item batch never waited and went with ~12k.) Light traffic (the batch would stay
        under ``SUSTAINED_FILL`` of ``max_items``) goes at the linger, as before, and so does a lone
        request or a batch whose requests stopped coming (a burst ended). Not at all once
        requests have been refused since the last batch: their clients back off (Retry-After), the
        batch would wait for requests that do not come, and the core would idle while it has work
        queued."""
        if self.stats.refused != self._refused_seen:
            return 0.0
        waited = now - self._queue[0].queued_at
        if waited < self.max_delay_s:
            return self.max_delay_s - waited
        budget = free_at + self.fill_wait_s - now
        # Requests large in bytes fill the queue's byte bound before the batch's items: waiting on
        # then would only refuse requests.
        if budget <= 0 or self._pending_bytes * 2 >= self.max_pending_bytes:
            return 0.0
        # A lone request says nothing of a rate (one large request on an idle server is no sustained load).
        if len(self._queue) < 2:
            return 0.0
        arriving = self._queued_items / max(waited, 1e-3)  # items a second since the oldest arrived
        if self._queued_items + arriving * budget < self.max_items * self.SUSTAINED_FILL:
            return 0.0  # light traffic: the batch would stay small whatever it waits
        # Requests stopped coming (a burst ended): nothing more will fill it. The wait below is cut to
        # this horizon, so that a pause is noticed without a new request to wake the writer.
        gap = (self._queue[-1].queued_at - self._queue[0].queued_at) / (len(self._queue) - 1)
        horizon = self.STOPPED_GAPS * gap + self.MIN_FILL_WAIT_S
        if now - self._last_arrival > horizon:
            return 0.0
        to_fill = (self.max_items - self._queued_items) / arriving
        # (at least MIN_FILL_WAIT_S: a batch a few items short when requests stop must not spin)
        return max(min(to_fill, budget, horizon), self.MIN_FILL_WAIT_S)

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                return
            try:
                self._store(batch)
            except Exception as exc:  # noqa: BLE001 - the writer must outlive any one batch
                logger.exception("group commit failed unexpectedly", extra={"signal": self.signal})
                self._failed(batch, exc)
            finally:
                self._release(batch)

    def _failed(self, batch: list[Pending], exc: Exception) -> None:
        for pending in batch:
            _resolve(pending.stored, error=StorageUnavailable(f"storage error: {exc}", self.retry_after_s))

    def _release(self, batch: Sequence[Pending]) -> None:
        with self._cond:
            self._pending_bytes -= sum(len(p.envelope) for p in batch)

    def _store(self, batch: list[Pending]) -> None:
        try:
            self._commit(batch)
        except WarehouseError as exc:
            logger.exception("warehouse insert failed", extra={"signal": self.signal, "envelopes": len(batch)})
            for pending in batch:
                _resolve(pending.stored, error=StorageUnavailable(f"storage unavailable: {exc}", self.retry_after_s))

    def _commit(self, batch: list[Pending], tables: list[str] | None = None, stored: bool = False) -> None:
        """Insert the batch into each of its tables in turn (one, except for metrics of several kinds);
        ``stored``: earlier tables already hold the batch's rows. Raises WarehouseError when the
        warehouse fails (rather than refusing the input)."""
        tables = tables or insert_tables(self.signal, frozenset().union(*(p.kinds for p in batch)))
        began = time.perf_counter()
        payload = [p.envelope for p in batch]  # written out in turn: no tens-of-MB join per batch
        for done, table in enumerate(tables):
            try:
                self._insert(payload, table)
            except self.REFUSALS as exc:
                self._refused(batch, tables[done:], exc, partial=stored or done > 0)
                return
        self._record(batch, time.perf_counter() - began)
        for pending in batch:
            _resolve(pending.stored, result=pending.items)

    def _insert(self, payload: list[bytes], table: str) -> None:
        insert_envelopes(self.warehouse, self.signal, payload, table)

    def _refused(self, batch: list[Pending], tables: list[str], exc: WarehouseError, *, partial: bool) -> None:
        """Some envelope poisoned the batch: bisect over the tables not yet holding the batch, so one bad
        request costs O(log n) inserts and fails alone while everything else is committed."""
        if len(batch) == 1:
            self._poisoned(batch[0], tables, exc, partial=partial)
            return
        logger.warning("batch insert rejected its input; bisecting", extra={"signal": self.signal})
        middle = len(batch) // 2
        self._commit(batch[:middle], tables, partial)
        self._commit(batch[middle:], tables, partial)

    def _poisoned(self, pending: Pending, tables: list[str], exc: WarehouseError, *, partial: bool) -> None:
        if _repairable(pending, exc):
            # The warehouse's parser is stricter than ours about fields OTLP does not define (e.g.
            # unknown groups): drop those and try once more, into the tables not yet holding it.
            envelope = rewrapped(pending.envelope, pending.request_length,
                                 lambda request: without_unknown_fields(self.signal, request))
            self._commit([replace(pending, envelope=envelope, request_length=0)], tables, partial)
            return
        stored = " (its rows of other metric kinds were stored)" if partial else ""
        _resolve(pending.stored, error=BadPayload(f"the warehouse could not parse the request{stored}: {exc}",
                                                  partial=partial))

    def _record(self, batch: list[Pending], seconds: float) -> None:
        items = sum(p.items for p in batch)
        self.stats.batches += 1
        self.stats.envelopes += len(batch)
        self.stats.items += items
        self.stats.insert_seconds += seconds
        self.stats.max_batch_items = max(self.stats.max_batch_items, items)


class LoggedCommitter(GroupCommitter):
    """Acknowledges a request once its envelope is synced to the ingest log, then stores it.

    A log thread appends whatever arrived while it last synced (one write and one fdatasync for
    them all), answers those requests and queues them for the writer thread, which inserts, then
    checkpoints the log. At start, what the log holds past its checkpoint is queued first. Warehouse
    failures are retried with backoff (the bound on queued bytes refuses new requests meanwhile);
    an envelope the warehouse refuses outright is set aside in ``rejected/`` and counted as rejected.
    """

    RETRY_FIRST_S = 0.5
    RETRY_MAX_S = 30.0
    # Already acknowledged, so an insert that can never succeed must not hold up the log: a query
    # error or a memory limit is bisected like bad input, down to the one envelope that causes it.
    REFUSALS = (BadInput, BadQuery, ResourceLimit)
    LONE_ATTEMPTS = 4  # tries of one envelope after a memory limit or query error, ~0.5 + 1 + 2 + 4 s apart

    def __init__(self, signal: str, warehouse, log: IngestLog, *, stop_retrying_s: float = 30.0, **kwargs):
        super().__init__(signal, warehouse, **kwargs)
        self.log = log
        self.stop_retrying_s = stop_retrying_s
        self.replayed = 0
        self._incoming: deque[Pending] = deque()
        self._log_thread = threading.Thread(target=self._log_run, name=f"log-{signal}", daemon=True)
        self._stopped = threading.Event()
        self._log_done = False
        self._abandoned = False  # shutting down with the warehouse down: nothing more is checkpointed

    def start(self) -> "LoggedCommitter":
        for record in self.log.unstored():
            pending = Pending(record.envelope, record.items, record.kinds, stored_future=Future(),
                              project_id=record.project_id, request_length=record.request_length,
                              position=record.position)
            _resolve(pending.future, result=record.items)
            self._pending_bytes += len(record.envelope)
            super()._enqueue(pending)
            self.replayed += 1
        if self.replayed:
            logger.info("replaying the ingest log", extra={"signal": self.signal, "envelopes": self.replayed})
        self._log_thread.start()
        super().start()
        return self

    def stop(self, timeout: float = 60.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._stopped.set()
        self._log_thread.join(timeout)
        super().stop(timeout)
        if self._thread.is_alive():  # still inserting: leave the log open; what is not stored replays
            logger.error("ingest writer still busy at shutdown", extra={"signal": self.signal})
        else:
            self.log.close()

    def _pending(self, envelope: bytes, items: int, kinds: frozenset[str], project_id: int,
                 request_length: int) -> Pending:
        return Pending(envelope, items, kinds, stored_future=Future(), project_id=project_id,
                       request_length=request_length)

    def _enqueue(self, pending: Pending) -> None:
        self._incoming.append(pending)

    def _drained(self) -> bool:
        return self._log_done

    def _log_run(self) -> None:
        while True:
            with self._cond:
                while not self._incoming and not self._stopping:
                    self._cond.wait()
                if not self._incoming:
                    self._log_done = True
                    self._cond.notify_all()  # the writer may be waiting for the last of the log
                    return
                group = list(self._incoming)
                self._incoming.clear()
            try:
                positions = self.log.append([Entry(p.envelope, p.items, p.kinds, p.project_id, p.request_length)
                                             for p in group])
            except Exception as exc:  # noqa: BLE001 - LogError, or anything else: the thread must live on
                logger.exception("ingest log append failed", extra={"signal": self.signal})
                for pending in group:
                    _resolve(pending.future, error=StorageUnavailable(str(exc), self.retry_after_s))
                    _resolve(pending.stored, error=StorageUnavailable(str(exc), self.retry_after_s))
                self._release(group)
                continue
            for pending, position in zip(group, positions, strict=True):
                pending.position = position
                _resolve(pending.future, result=pending.items)
            with self._cond:
                for pending in group:
                    super()._enqueue(pending)
                self._cond.notify_all()

    def _store(self, batch: list[Pending]) -> None:
        """Store the batch, then checkpoint the log past it. Never gives up on it while running (the
        queue fills and new requests are refused meanwhile); at shutdown it leaves it to the next start."""
        delay = self.RETRY_FIRST_S
        while not self._abandoned:
            # Envelopes already stored (or set aside) in an earlier try are not inserted again.
            remaining = [p for p in batch if not p.stored.done()]
            try:
                if remaining:
                    self._commit(remaining)
            except Exception as exc:  # noqa: BLE001 - a failure to store is retried, never a loss
                if self._stopping:
                    # From now on nothing is checkpointed, so the next start replays all that is left.
                    self._abandoned = True
                    logger.error("storage still failing at shutdown; the ingest log keeps what is not stored for "
                                 "the next start", extra={"signal": self.signal, "error": str(exc)})
                    return
                logger.exception("storing a batch failed; retrying", extra={"signal": self.signal})
                self._stopped.wait(delay)
                delay = min(delay * 2, self.RETRY_MAX_S)
                continue
            self._checkpoint(batch)
            return

    def _checkpoint(self, batch: list[Pending]) -> None:
        positions = [p.position for p in batch if p.position is not None]
        try:
            if positions:
                self.log.checkpoint(max(positions))
        except OSError:  # the next batch's checkpoint covers this one; a crash first replays it (duplicates)
            logger.exception("ingest log checkpoint failed", extra={"signal": self.signal})

    def _insert(self, payload: list[bytes], table: str) -> None:
        """Insert, retrying whatever is not a refusal of the input (the warehouse unreachable, a full
        disk, …) with backoff until it works: an acknowledged batch is never dropped, and while it
        waits the queue fills and new requests are refused. Only at shutdown does it give up."""
        delay = self.RETRY_FIRST_S
        give_up_at = None
        while True:
            try:
                return super()._insert(payload, table)
            except self.REFUSALS:
                raise
            except Exception as exc:  # noqa: BLE001 - see the docstring
                if self._stopping:
                    give_up_at = give_up_at or time.monotonic() + self.stop_retrying_s
                    if time.monotonic() >= give_up_at:
                        raise
                logger.warning("warehouse insert failed; retrying", extra={"signal": self.signal, "error": str(exc),
                                                                         "retry_in_s": delay})
                if self._stopping:  # a last few tries, a second apart, before leaving it to the next start
                    time.sleep(min(delay, 1.0))
                else:
                    self._stopped.wait(delay)  # a long backoff is cut short when shutdown begins
                delay = min(delay * 2, self.RETRY_MAX_S)

    def _poisoned(self, pending: Pending, tables: list[str], exc: WarehouseError, *, partial: bool) -> None:
        """Already acknowledged, so never dropped: a memory limit or query error may pass, so the lone
        envelope is tried again a few times; one the warehouse cannot parse is repaired once (see the
        base class); what still fails is set aside and counted as rejected."""
        if not isinstance(exc, BadInput) and pending.attempts < self.LONE_ATTEMPTS:
            self._stopped.wait(self.RETRY_FIRST_S * 2 ** pending.attempts)
            self._commit([replace(pending, attempts=pending.attempts + 1)], tables, partial)
            return
        if not _repairable(pending, exc):
            self._set_aside(pending, exc)
            self._count_rejected(pending)
        super()._poisoned(pending, tables, exc, partial=partial)

    def _count_rejected(self, pending: Pending) -> None:
        if pending.project_id and pending.items:
            try:
                self._insert([accounting_envelope(b"", pending.project_id, rejected_items=pending.items)],
                             insert_tables(self.signal)[-1])
            except Exception:  # noqa: BLE001 - the envelope is safe in rejected/; only its count is missing
                logger.exception("rejected items not counted", extra={"project_id": pending.project_id})

    def _set_aside(self, pending: Pending, exc: Exception) -> None:
        where = pending.position or Position(0, 0)
        path = write_synced(self.log.directory / "rejected", f"{where.segment:020d}-{where.offset}.envelope",
                            pending.envelope)
        logger.error("the warehouse refused an acknowledged envelope; set aside",
                     extra={"signal": self.signal, "project_id": pending.project_id, "items": pending.items,
                            "path": str(path), "error": str(exc)})


def _repairable(pending: Pending, exc: WarehouseError) -> bool:
    return isinstance(exc, BadInput) and pending.request_length > 0


def _resolve(future: Future, *, result: int | None = None, error: BaseException | None = None) -> None:
    """Settle a request's future unless its caller already gave up (a cancelled gRPC call) or it is
    settled already (a batch that failed after part of it was stored)."""
    if future.done() or not future.set_running_or_notify_cancel():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
