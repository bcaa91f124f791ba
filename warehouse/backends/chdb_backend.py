"""Embedded ClickHouse through chDB: one data folder, owned by this process.

chDB must never be forked after import (a child touching the engine hangs), so it is imported
lazily here and nowhere else; distributed-mode processes never load it.
"""

import io
import logging
import threading
from pathlib import Path

import pyarrow as pa

from warehouse.backends import check_identifier
from warehouse.errors import WarehouseError, map_engine_error

logger = logging.getLogger(__name__)

_OPEN_PATH: str | None = None
_OPEN_LOCK = threading.Lock()


def _session(path: str, max_memory_bytes: int):
    global _OPEN_PATH
    import chdb.session

    with _OPEN_LOCK:
        if _OPEN_PATH not in (None, path):
            raise WarehouseError(f"chDB already opened {_OPEN_PATH}; one process may open only one data folder")
        Path(path).mkdir(parents=True, exist_ok=True)
        _OPEN_PATH = path
        try:
            session = chdb.session.Session(path)
        except Exception as exc:  # noqa: BLE001 - chDB raises plain RuntimeError for lock failures
            raise map_engine_error(exc) from exc
    if max_memory_bytes:
        session.query(f"SET max_memory_usage = {int(max_memory_bytes)}")
    return session


class ChdbBackend:
    engine = "chdb"

    def __init__(self, path: str, max_memory_bytes: int = 0):
        self.path = path
        self.max_memory_bytes = max_memory_bytes
        self._session = _session(path, max_memory_bytes)
        # A session carries one streaming insert at a time; reads may run concurrently.
        self._insert_lock = threading.Lock()

    def query_arrow(self, sql: str, params: dict[str, str]) -> pa.Table:
        try:
            return self._session.query(sql, "ArrowTable", params=params or None)
        except Exception as exc:  # noqa: BLE001 - chDB raises RuntimeError subclasses only
            raise map_engine_error(exc) from exc

    def command(self, sql: str, params: dict[str, str] | None = None) -> None:
        try:
            self._session.query(sql, "CSV", params=params or None)
        except Exception as exc:  # noqa: BLE001
            raise map_engine_error(exc) from exc

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        columns = ", ".join(check_identifier(c) for c in data.column_names)
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, data.schema) as writer:
            writer.write_table(data)
        return self.insert_formatted(f"INSERT INTO {check_identifier(table)} ({columns})", "ArrowStream",
                                     sink.getvalue(), {})

    def insert_formatted(self, insert_sql: str, fmt: str, payload: bytes, settings: dict[str, str]) -> int:
        if settings:
            # Settings values are bound by the engine as string literals of known setting names.
            insert_sql += " SETTINGS " + ", ".join(f"{check_identifier(k)} = {_literal(v)}" for k, v in settings.items())
        with self._insert_lock:
            try:
                with self._session.send_insert(insert_sql, fmt) as inserter:
                    inserter.append(payload)
                    result = inserter.finish()
            except Exception as exc:  # noqa: BLE001
                raise map_engine_error(exc) from exc
        return int(getattr(result, "rows_written", 0) or 0)

    def new_writer(self) -> "ChdbBackend":
        return ChdbBackend(self.path, self.max_memory_bytes)

    def ping(self) -> None:
        self.command("SELECT 1")

    def close(self) -> None:
        self._session.close()


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
