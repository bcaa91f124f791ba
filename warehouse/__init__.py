"""The only door to ClickHouse.

``get_warehouse()`` returns the configured engine (chDB embedded, or a ClickHouse server);
callers run named, project-scoped queries and insert columnar batches, and cannot tell which
engine answers.
"""

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime

import polars as pl
import pyarrow as pa

from warehouse.backends import Backend
from warehouse.config import WarehouseConfig, parse_url
from warehouse.errors import (
    BadInput,
    BadQuery,
    ResourceLimit,
    SchemaError,
    WarehouseError,
    WarehouseUnavailable,
)
from warehouse.params import serialise
from warehouse.queries import QueryDefinitionError, load

logger = logging.getLogger(__name__)

__all__ = [
    "BadInput",
    "BadQuery",
    "ResourceLimit",
    "SchemaError",
    "Warehouse",
    "WarehouseError",
    "WarehouseUnavailable",
    "get_warehouse",
    "reset_warehouse",
]


def open_backend(config: WarehouseConfig) -> Backend:
    if config.engine == "chdb":
        from warehouse.backends.chdb_backend import ChdbBackend

        return ChdbBackend(config.path, config.max_memory_bytes)
    from warehouse.backends.server_backend import ServerBackend

    return ServerBackend(config)


class Warehouse:
    """Named queries, columnar inserts and raw-format inserts over one backend."""

    def __init__(self, config: WarehouseConfig, backend: Backend | None = None):
        self.config = config
        self.backend = backend or open_backend(config)

    def run_query(self, name: str, *, project_id: int, start: datetime, end: datetime, **params: object) -> pl.DataFrame:
        """Run the named query for one project over [start, end) with every other value bound."""
        query = load(name)
        values: dict[str, object] = {"project_id": int(project_id), "start": start, "end": end, **params}
        missing = set(query.placeholders) - set(values)
        extra = set(values) - set(query.placeholders)
        if missing or extra:
            raise QueryDefinitionError(f"{name}: missing parameters {sorted(missing)}, unexpected {sorted(extra)}")
        if end < start:
            raise BadQuery(f"{name}: end {end.isoformat()} is before start {start.isoformat()}")
        began = time.perf_counter()
        table = self.backend.query_arrow(query.sql, serialise(values))
        logger.debug("warehouse query", extra={"query": name, "project_id": project_id,
                                               "ms": round((time.perf_counter() - began) * 1000, 1)})
        return _frame(table)

    def insert_frame(self, table: str, frame: pl.DataFrame | pa.Table) -> int:
        """Insert a columnar batch (one INSERT, never row by row)."""
        data = frame.to_arrow() if isinstance(frame, pl.DataFrame) else frame
        return self.backend.insert_arrow(table, data)

    def insert_formatted(self, insert_sql: str, fmt: str, payload: bytes | Sequence[bytes],
                         settings: dict[str, str]) -> None:
        """Insert bytes the engine parses itself (e.g. OTLP protobuf envelopes), whole or as a sequence of
        chunks that follow each other; raises on any failure of the parse, a materialised view or the
        storage, so that nothing is acknowledged wrongly."""
        self.backend.insert_formatted(insert_sql, fmt, payload, settings)

    def writer(self) -> "Warehouse":
        """A warehouse with its own connection/session, for one writer thread."""
        return Warehouse(self.config, self.backend.new_writer())

    def admin_query(self, sql: str, params: dict[str, object] | None = None) -> pl.DataFrame:
        """Unscoped reads for schema management and health checks only (not for app data)."""
        return _frame(self.backend.query_arrow(sql, serialise(params or {})))

    def command(self, sql: str, params: dict[str, object] | None = None) -> None:
        self.backend.command(sql, serialise(params or {}) if params else None)

    def close(self) -> None:
        self.backend.close()


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table) if table.num_columns else pl.DataFrame()
    assert isinstance(frame, pl.DataFrame)
    return frame


_instance: Warehouse | None = None
_instance_lock = threading.Lock()


def get_warehouse() -> Warehouse:
    """The process-wide warehouse, configured from Django settings."""
    global _instance
    with _instance_lock:
        if _instance is None:
            from django.conf import settings

            config = parse_url(settings.CLICKHOUSE_URL, settings.CLICKHOUSE_CLUSTER,
                               settings.CLICKHOUSE_MAX_MEMORY_BYTES)
            _instance = Warehouse(config)
        return _instance


def reset_warehouse() -> None:
    """Close the process-wide warehouse (tests, shutdown)."""
    global _instance
    with _instance_lock:
        if _instance is not None:
            _instance.close()
        _instance = None
