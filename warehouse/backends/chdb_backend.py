"""Embedded ClickHouse through chDB: one data folder, owned by this process.

chDB must never be forked after import (a child touching the engine hangs), so it is imported
lazily here and nowhere else; distributed-mode processes never load it.
"""

import io
import logging
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from warehouse.backends import check_identifier
from warehouse.errors import WarehouseError, map_engine_error

logger = logging.getLogger(__name__)

_OPEN_PATH: str | None = None
SPOOL = "insert_spool"
_OPEN_LOCK = threading.Lock()


class _EngineGate:
    """chDB runs one engine per process and keeps a query's bound parameters on it, not on the call:
    any statement running beside a parameterised one can make it lose its parameters ("Substitution
    `x` is not set"). Statements without parameters (inserts, admin SQL) run side by side; one with
    parameters runs alone. A waiting parameterised query holds new ones back, so steady inserts
    cannot starve the pages."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    @contextmanager
    def shared(self):
        with self._cond:
            while self._exclusive or self._waiting:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        with self._cond:
            self._waiting += 1
            while self._exclusive or self._shared:
                self._cond.wait()
            self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


_GATE = _EngineGate()


def _run(session, sql: str, fmt: str, params: dict[str, str] | None = None):
    with _GATE.exclusive() if params else _GATE.shared():
        try:
            return session.query(sql, fmt, params=params or None)
        except Exception as exc:  # noqa: BLE001 - chDB raises RuntimeError subclasses only
            raise map_engine_error(exc) from exc


# chDB's jemalloc returns large freed blocks to the kernel at once (allocations over 8 MiB have an
# arena of their own that purges eagerly), so every group commit faulted in and zeroed its column
# buffers afresh: about 8 % of a saturated ingest core. Large blocks share the ordinary arenas, and
# freed memory waits 30 s before it is returned. jemalloc reads this once, when chDB loads; an
# operator's own JE_MALLOC_CONF wins.
JEMALLOC_CONF = "oversize_threshold:0,dirty_decay_ms:30000,muzzy_decay_ms:30000"


def _session(path: str, max_memory_bytes: int):
    global _OPEN_PATH
    os.environ.setdefault("JE_MALLOC_CONF", JEMALLOC_CONF)
    import chdb.session

    with _OPEN_LOCK:
        if _OPEN_PATH not in (None, path):
            raise WarehouseError(f"chDB already opened {_OPEN_PATH}; one process may open only one data folder")
        Path(path).mkdir(parents=True, exist_ok=True)
        if _OPEN_PATH is None:
            # First open in this process, before any writer: the folder belongs to this process
            # alone, so spooled files are left by one that died mid-insert (never acknowledged).
            for stale in (Path(path) / SPOOL).glob("*.bin"):
                stale.unlink(missing_ok=True)
        _OPEN_PATH = path
        try:
            session = chdb.session.Session(path)
        except Exception as exc:  # noqa: BLE001 - chDB raises plain RuntimeError for lock failures
            raise map_engine_error(exc) from exc
    if max_memory_bytes:
        _run(session, f"SET max_memory_usage = {int(max_memory_bytes)}", "CSV")
    return session


class _Spool:
    """Where an insert's payload waits for ``FROM INFILE``.

    On Linux, one in-memory file (memfd) per writer, rewritten in place by each insert: a file in the
    data folder cost each batch a filesystem write, a read back, the freeing of its page cache and
    inode churn (the insert thread's kernel time fell from 5.7 % to 2.6 % of a saturated ingest core),
    and could reach the disk if an insert ran long; a fresh in-memory file would have its pages zeroed
    by the kernel each time. Elsewhere, and for an insert that finds the writer's file busy, a file of its
    own (files in the data folder are left only by a process that died mid-insert, never acknowledged,
    and are removed when the folder is next opened).
    """

    KEEP_BYTES = 128 * 1024 * 1024  # the pages of a larger payload are given back once it is inserted

    def __init__(self, data_path: str):
        self._folder = Path(data_path) / SPOOL
        # chDB opens the file by name, in this process: /proc/self/fd names the memfd
        self._memory = hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd")
        self._fd = _memory_file() if self._memory else -1
        self._lock = threading.Lock()  # held by the insert using the writer's file
        self._closing = False

    @contextmanager
    def holding(self, payload: bytes | Sequence[bytes]):
        """A path that holds ``payload`` for as long as the context lasts."""
        fd = self._take()
        if fd >= 0:
            size = 0
            try:
                size = _write_from_start(fd, payload)
                yield f"/proc/self/fd/{fd}"
            finally:
                self._release(fd, size)
        elif self._memory:
            fd = _memory_file()
            try:
                _write_from_start(fd, payload)
                yield f"/proc/self/fd/{fd}"
            finally:
                os.close(fd)
        else:
            yield from self._on_disk(payload)

    def _take(self) -> int:
        """The writer's file, now held by the caller; -1 if it is busy or closed."""
        if not self._lock.acquire(blocking=False):
            return -1
        if self._fd < 0:
            self._lock.release()
        return self._fd

    def _release(self, fd: int, size: int) -> None:
        if self._closing:  # closed while this insert held the file: the file goes with it
            os.close(fd)
            self._fd = -1
        elif size > self.KEEP_BYTES:
            os.ftruncate(fd, 0)
        self._lock.release()

    def _on_disk(self, payload: bytes | Sequence[bytes]):
        self._folder.mkdir(exist_ok=True)
        if not _SAFE_PATH.match(str(self._folder)):
            raise WarehouseError(f"chDB data folder path {self._folder.parent} has characters we will not put in SQL")
        handle, path = tempfile.mkstemp(dir=self._folder, suffix=".bin")
        try:
            _write_from_start(handle, payload)
            os.close(handle)
            handle = -1
            yield path
        finally:
            if handle >= 0:
                os.close(handle)
            os.unlink(path)

    def close(self) -> None:
        """Close the writer's file; if an insert still holds it (a shutdown that gave up waiting for a
        slow insert), that insert closes it when done, so its path never names another file meanwhile."""
        if not self._lock.acquire(blocking=False):
            self._closing = True
            return
        try:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
        finally:
            self._lock.release()


def _memory_file() -> int:
    return os.memfd_create("inferops-insert", os.MFD_CLOEXEC)


def _write_from_start(fd: int, payload: bytes | Sequence[bytes]) -> int:
    """Write ``payload`` at the start of ``fd`` and cut the file there; returns its size."""
    with os.fdopen(fd, "wb", closefd=False) as file:
        file.seek(0)
        file.write(payload) if isinstance(payload, bytes) else file.writelines(payload)
        file.truncate()
        return file.tell()


class ChdbBackend:
    engine = "chdb"

    def __init__(self, path: str, max_memory_bytes: int = 0):
        self.path = path
        self.max_memory_bytes = max_memory_bytes
        self._session = _session(path, max_memory_bytes)
        self._spool = _Spool(path)

    def query_arrow(self, sql: str, params: dict[str, str]) -> pa.Table:
        return _run(self._session, sql, "ArrowTable", params)

    def command(self, sql: str, params: dict[str, str] | None = None) -> None:
        _run(self._session, sql, "CSV", params)

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        columns = ", ".join(check_identifier(c) for c in data.column_names)
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, data.schema) as writer:
            writer.write_table(data)
        self.insert_formatted(f"INSERT INTO {check_identifier(table)} ({columns})", "ArrowStream", sink.getvalue(), {})
        return data.num_rows

    def insert_formatted(self, insert_sql: str, fmt: str, payload: bytes | Sequence[bytes],
                         settings: dict[str, str]) -> None:
        """Insert bytes in ``fmt`` and raise if any row, view or storage step fails.

        chDB's streaming inserter reports success even when a materialised view or the storage
        rejects the rows, so the payload goes through a private file and ``FROM INFILE`` on the
        ordinary query path, which raises every engine error.
        """
        clause = ""
        if settings:
            # Setting names are identifiers from code; values are quoted literals.
            clause = " SETTINGS " + ", ".join(f"{check_identifier(k)} = {_literal(v)}" for k, v in settings.items())
        with self._spool.holding(payload) as path:
            _run(self._session, f"{insert_sql} FROM INFILE {_literal(path)}{clause} FORMAT {check_identifier(fmt)}",
                 "CSV")

    def new_writer(self) -> "ChdbBackend":
        return ChdbBackend(self.path, self.max_memory_bytes)

    def ping(self) -> None:
        self.command("SELECT 1")

    def close(self) -> None:
        self._spool.close()
        self._session.close()


_SAFE_PATH = re.compile(r"^[A-Za-z0-9_./-]+$")


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
