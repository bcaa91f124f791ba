"""What a dashboard shows: the window, its bucket size and the filters, parsed from a URL's query.

State lives in the URL (UI.md), so pages and API endpoints share this one parser and a pasted link
opens the same picture.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

RANGES = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "6h": timedelta(hours=6),
          "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
DEFAULT_RANGE = "1h"
MAX_WINDOW = timedelta(days=400)
# Bucket sizes a chart may use: about 60–200 points whatever the window.
STEPS_S = (60, 120, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400)
TARGET_POINTS = 120
DIMENSIONS = ("service", "endpoint", "model", "provider", "tenant", "host")
MAX_FILTER_VALUES = 20


class QueryError(ValueError):
    """A dashboard or search parameter is malformed; the message says which and why."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    range_name: str  # "" for an absolute window

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def step_s(self) -> int:
        wanted = self.seconds / TARGET_POINTS
        return next((s for s in STEPS_S if s >= wanted), STEPS_S[-1])


@dataclass(frozen=True)
class Filters:
    values: dict[str, list[str]] = field(default_factory=dict)

    def get(self, dimension: str) -> list[str]:
        return self.values.get(dimension, [])

    def as_params(self) -> dict[str, list[str]]:
        return {f"{d}s": self.get(d) for d in DIMENSIONS}


def parse_window(params, now: datetime | None = None) -> Window:
    """``range=1h`` (relative to now) or ``start``/``end`` in ISO 8601; defaults to the last hour."""
    now = now or datetime.now(UTC)
    start_text, end_text = params.get("start", ""), params.get("end", "")
    if start_text or end_text:
        start, end = parse_instant(start_text, "start"), parse_instant(end_text, "end") if end_text else now
        if start >= end:
            raise QueryError("start must be before end")
        if end - start > MAX_WINDOW:
            raise QueryError(f"the window may span at most {MAX_WINDOW.days} days")
        return Window(start, end, "")
    name = params.get("range", "") or DEFAULT_RANGE
    if name not in RANGES:
        raise QueryError(f"range must be one of {', '.join(RANGES)} (or give start and end), got {name[:20]!r}")
    return Window(now - RANGES[name], now, name)


def parse_day(text: str, name: str) -> date | None:
    """A UTC day given as 2026-01-31 (or a full ISO time, whose UTC date is taken); None when empty."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]) if len(text) <= 10 else parse_instant(text, name).date()
    except (ValueError, QueryError):
        raise QueryError(f"{name} must be a date such as 2026-01-31, got {text[:40]!r}") from None


def parse_instant(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{name} must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got {text[:40]!r}") from None
    if value.tzinfo is None:
        raise QueryError(f"{name} needs a timezone (e.g. a trailing Z for UTC)")
    return value.astimezone(UTC)


def parse_filters(params) -> Filters:
    """Repeated ``service=…``, ``model=…`` … parameters; each dimension holds values to match any of."""
    values: dict[str, list[str]] = {}
    for dimension in DIMENSIONS:
        chosen = [v for v in _getlist(params, dimension) if v]
        if len(chosen) > MAX_FILTER_VALUES:
            raise QueryError(f"at most {MAX_FILTER_VALUES} values per filter ({dimension})")
        if any(len(v) > 512 for v in chosen):
            raise QueryError(f"a {dimension} filter value is longer than 512 characters")
        if chosen:
            values[dimension] = chosen
    return Filters(values)


def _getlist(params, name: str) -> list[str]:
    return params.getlist(name) if hasattr(params, "getlist") else list(params.get(name, []) or [])


def parse_choice(params, name: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(name, "") or default
    if value not in choices:
        raise QueryError(f"{name} must be one of {', '.join(choices)}, got {value[:40]!r}")
    return value


# -- trace search ----------------------------------------------------------------------------------

SORTS = ("start", "duration", "tokens", "spans", "errors")
ATTRIBUTE_OPS = {"=": "eq", "!=": "ne", "contains": "contains"}
MAX_ATTRIBUTE_FILTERS = 10
PAGE_SIZES = (25, 50, 100, 200)


@dataclass(frozen=True)
class AttributeFilter:
    key: str
    op: str  # eq | ne | contains
    value: str

    @property
    def text(self) -> str:
        symbol = {v: k for k, v in ATTRIBUTE_OPS.items()}[self.op]
        return f"{self.key} {symbol} {self.value}"


@dataclass(frozen=True)
class TraceSearch:
    window: Window
    filters: Filters
    attributes: tuple[AttributeFilter, ...]
    status: str
    min_duration_ms: float | None
    max_duration_ms: float | None
    min_tokens: int | None
    max_tokens: int | None
    gpus: tuple[str, ...]
    sort: str
    descending: bool
    limit: int
    cursor: tuple[int, str] | None


def parse_attribute_filter(text: str) -> AttributeFilter:
    """``key = value``, ``key != value`` or ``key contains value`` (spaces around the operator)."""
    # The first operator wins, so values may themselves hold "=" or "contains".
    found = [(text.find(symbol), symbol) for symbol in ("!=", " contains ", "=") if text.find(symbol) > 0]
    if found:
        at, symbol = min(found)
        key, value = text[:at].strip(), text[at + len(symbol):].strip()
        op = ATTRIBUTE_OPS[symbol.strip()]
        if key and len(key) <= 256 and len(value) <= 1024 and (value or op != "contains"):
            return AttributeFilter(key, op, value)
    raise QueryError(f"an attribute filter looks like 'key = value', 'key != value' or 'key contains value'; "
                     f"got {text[:80]!r}")


def parse_trace_search(params, now: datetime | None = None) -> TraceSearch:
    attributes = tuple(parse_attribute_filter(t) for t in _getlist(params, "attr") if t.strip())
    if len(attributes) > MAX_ATTRIBUTE_FILTERS:
        raise QueryError(f"at most {MAX_ATTRIBUTE_FILTERS} attribute filters")
    gpus = tuple(g for g in _getlist(params, "gpu") if g)
    if any(len(g) > 64 for g in gpus) or len(gpus) > MAX_FILTER_VALUES:
        raise QueryError("gpu filters are GPU indices or ids (at most 20, each under 64 characters)")
    return TraceSearch(
        window=parse_window(params, now), filters=parse_filters(params), attributes=attributes,
        status=parse_choice(params, "status", ("", "ok", "error"), ""),
        min_duration_ms=_number(params, "min_duration_ms"), max_duration_ms=_number(params, "max_duration_ms"),
        min_tokens=_integer(params, "min_tokens"), max_tokens=_integer(params, "max_tokens"), gpus=gpus,
        sort=parse_choice(params, "sort", SORTS, "start"),
        descending=parse_choice(params, "order", ("desc", "asc"), "desc") == "desc",
        limit=int(parse_choice(params, "limit", tuple(str(s) for s in PAGE_SIZES), "50")),
        cursor=parse_cursor(params.get("after", "")))


def _number(params, name: str) -> float | None:
    text = params.get(name, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise QueryError(f"{name} must be a number, got {text[:40]!r}") from None
    if not 0 <= value < 1e12:
        raise QueryError(f"{name} must be between 0 and 1e12")
    return value


def _integer(params, name: str) -> int | None:
    value = _number(params, name)
    if value is not None and value != int(value):
        raise QueryError(f"{name} must be a whole number")
    return None if value is None else int(value)


def parse_cursor(text: str) -> tuple[int, str] | None:
    """``<sort key>.<trace id>`` from the previous page's last row."""
    if not text:
        return None
    key, _, trace_id = text.partition(".")
    try:
        return int(key), _trace_id(trace_id)
    except ValueError:
        raise QueryError("after must be the cursor a previous page returned") from None


def cursor_text(sort_key: int, trace_id: str) -> str:
    return f"{sort_key}.{trace_id}"


def _trace_id(text: str) -> str:
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text.lower()):
        raise ValueError(text)
    return text.lower()


def parse_trace_id(text: str) -> str:
    try:
        return _trace_id(text)
    except ValueError:
        raise QueryError("a trace id is 32 hexadecimal characters") from None


def parse_span_id(text: str) -> str:
    if len(text) != 16 or any(c not in "0123456789abcdef" for c in text.lower()):
        raise QueryError("a span id is 16 hexadecimal characters")
    return text.lower()


def window_json(window: Window) -> dict:
    return {"start": window.start, "end": window.end, "range": window.range_name, "step_s": window.step_s()}
