"""Engine backends. Only this package imports chdb or clickhouse_driver, and only lazily."""

import re
from collections.abc import Sequence
from typing import Protocol

import pyarrow as pa

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def check_identifier(name: str) -> str:
    """Identifiers cannot be bound; they must come from code and match this pattern."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"invalid identifier {name!r}")
    return name


class Backend(Protocol):
    """What every engine offers; application code never sees which one runs."""

    engine: str

    def query_arrow(self, sql: str, params: dict[str, str]) -> pa.Table: ...

    def command(self, sql: str, params: dict[str, str] | None = None) -> None: ...

    def insert_arrow(self, table: str, data: pa.Table) -> int: ...

    def insert_formatted(self, insert_sql: str, fmt: str, payload: bytes | Sequence[bytes],
                         settings: dict[str, str]) -> None: ...

    def new_writer(self) -> "Backend": ...

    def ping(self) -> None: ...

    def close(self) -> None: ...
