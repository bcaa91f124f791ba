"""ClickHouse server or cluster over the native protocol (clickhouse-driver).

Reads and columnar inserts use the native protocol with server-side ``{name:Type}`` parameters.
Inserts of raw OTLP payloads (``FORMAT Protobuf``) go over the HTTP interface, because the
native protocol leaves format parsing to the client and we want ClickHouse to parse them.
"""

import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

import pyarrow as pa

from warehouse.backends import check_identifier
from warehouse.config import WarehouseConfig
from warehouse.errors import WarehouseError, WarehouseUnavailable, map_engine_error

logger = logging.getLogger(__name__)


class ServerBackend:
    engine = "server"

    def __init__(self, config: WarehouseConfig):
        self.config = config
        self._local = threading.local()

    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            from clickhouse_driver import Client

            settings: dict[str, object] = {"server_side_params": True}
            if self.config.max_memory_bytes:
                settings["max_memory_usage"] = self.config.max_memory_bytes
            client = Client(
                host=self.config.host,
                port=self.config.port,
                user=self.config.user,
                password=self.config.password,
                database=self.config.database,
                secure=self.config.secure,
                connect_timeout=5,
                send_receive_timeout=300,
                settings=settings,
            )
            self._local.client = client
        return client

    def _execute(self, sql: str, params=None, **kwargs):
        from clickhouse_driver import errors as ch_errors

        client = self._client()
        try:
            return client.execute(sql, params, **kwargs)
        except (ch_errors.NetworkError, ch_errors.SocketTimeoutError, EOFError, OSError) as exc:
            # Drop the broken connection; the next call reconnects.
            client.disconnect()
            raise WarehouseUnavailable(f"ClickHouse server unreachable: {exc}") from exc
        except ch_errors.Error as exc:
            raise map_engine_error(exc) from exc

    def query_arrow(self, sql: str, params: dict[str, str]) -> pa.Table:
        rows, types = self._execute(sql, params or None, with_column_types=True, columnar=True)
        columns = rows or [[] for _ in types]
        return pa.table({name: pa.array(list(col), type=arrow_type(ch_type))
                         for (name, ch_type), col in zip(types, columns, strict=True)})

    def command(self, sql: str, params: dict[str, str] | None = None) -> None:
        self._execute(sql, params or None)

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        columns = ", ".join(check_identifier(c) for c in data.column_names)
        values = [data.column(i).to_pylist() for i in range(data.num_columns)]
        self._execute(f"INSERT INTO {check_identifier(table)} ({columns}) VALUES", values, columnar=True)
        return data.num_rows

    def insert_formatted(self, insert_sql: str, fmt: str, payload: bytes | Sequence[bytes],
                         settings: dict[str, str]) -> None:
        scheme = "https" if self.config.secure else "http"
        # wait_end_of_query: the status line is sent only once the insert (and its views) finished,
        # so a failure can never hide behind an early 200.
        query = {"query": f"{insert_sql} FORMAT {check_identifier(fmt)}", "database": self.config.database,
                 "wait_end_of_query": "1"}
        query.update(settings)
        url = f"{scheme}://{self.config.host}:{self.config.http_port}/?{urllib.parse.urlencode(query)}"
        body = payload if isinstance(payload, bytes) else b"".join(payload)
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("X-ClickHouse-User", self.config.user)
        request.add_header("X-ClickHouse-Key", self.config.password)
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            error = map_engine_error(Exception(exc.read().decode("utf-8", "replace")))
            raise error from exc
        except (urllib.error.URLError, OSError) as exc:
            raise WarehouseUnavailable(f"ClickHouse HTTP interface unreachable: {exc}") from exc

    def new_writer(self) -> "ServerBackend":
        return ServerBackend(self.config)

    def ping(self) -> None:
        self.command("SELECT 1")

    def close(self) -> None:
        client = getattr(self._local, "client", None)
        if client is not None:
            client.disconnect()
            self._local.client = None


_SIMPLE_TYPES = {
    "UInt8": pa.uint8(), "UInt16": pa.uint16(), "UInt32": pa.uint32(), "UInt64": pa.uint64(),
    "Int8": pa.int8(), "Int16": pa.int16(), "Int32": pa.int32(), "Int64": pa.int64(),
    "Float32": pa.float32(), "Float64": pa.float64(), "String": pa.string(), "Bool": pa.bool_(),
    "Date": pa.date32(), "Date32": pa.date32(), "DateTime": pa.timestamp("s", tz="UTC"),
}


def arrow_type(ch_type: str) -> pa.DataType | None:
    """The Arrow type for a ClickHouse column type name; None lets pyarrow infer (Decimal, Tuple, Map...)."""
    for wrapper in ("Nullable(", "LowCardinality("):
        if ch_type.startswith(wrapper):
            return arrow_type(ch_type[len(wrapper):-1])
    if ch_type.startswith("Array("):
        inner = arrow_type(ch_type[len("Array("):-1])
        return pa.list_(inner) if inner is not None else None
    if ch_type.startswith("DateTime64("):
        precision = int(ch_type[len("DateTime64("):-1].split(",")[0])
        # Every time InferOps stores is UTC; chDB returns DateTime64 as UTC timestamps too.
        return pa.timestamp("s" if precision == 0 else "ms" if precision <= 3 else "us", tz="UTC")
    if ch_type.startswith("DateTime("):
        return pa.timestamp("s", tz="UTC")
    if ch_type.startswith(("FixedString(", "Enum8(", "Enum16(")):
        return pa.string()
    return _SIMPLE_TYPES.get(ch_type)


__all__ = ["ServerBackend", "WarehouseError"]
