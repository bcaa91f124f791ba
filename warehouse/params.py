"""Serialise bound parameter values into ClickHouse's text form for ``{name:Type}`` placeholders.

The engine parses each value as its declared type; nothing here is spliced into SQL text.
"""

from datetime import UTC, date, datetime
from decimal import Decimal


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _element(value: object) -> str:
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_element(v) for v in value) + "]"
    return _quote(to_text(value)) if isinstance(value, (datetime, date)) else to_text(value)


def to_text(value: object) -> str:
    """The top-level text form of one parameter value."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime passed as a warehouse parameter; use timezone-aware UTC")
        utc = value.astimezone(UTC)
        return utc.strftime("%Y-%m-%d %H:%M:%S") + f".{utc.microsecond:06d}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_element(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    raise TypeError(f"unsupported warehouse parameter type {type(value).__name__}")


def serialise(params: dict[str, object]) -> dict[str, str]:
    return {name: to_text(value) for name, value in params.items()}
