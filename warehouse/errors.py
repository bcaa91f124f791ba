"""The small set of exceptions that warehouse callers handle; engine errors are mapped onto them."""

import re


class WarehouseError(Exception):
    """Base class: something went wrong in the warehouse layer."""

    code: int | None = None

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class WarehouseUnavailable(WarehouseError):
    """The engine cannot be reached or refused the connection; retrying later may help."""


class BadQuery(WarehouseError):
    """The query or its parameters are wrong (syntax, unknown column, type mismatch)."""


class ResourceLimit(WarehouseError):
    """The query hit a memory, time or size limit."""


class SchemaError(WarehouseError):
    """Migrations are inconsistent: edited history, missing files, or a held lock."""


class BadInput(WarehouseError):
    """Inserted data could not be parsed by the engine."""


_CODE = re.compile(r"Code:\s*(\d+)")

# ClickHouse error codes grouped by what a caller can do about them.
# 252 (too many parts) is overload, not bad data: the same rows go in once merges catch up; so are
# 202 (too many simultaneous queries) and 243 (not enough disk space): the same request works later.
_UNAVAILABLE = {3, 32, 76, 159, 198, 202, 209, 210, 225, 242, 243, 252, 394, 425}
_RESOURCE = {158, 160, 241, 396, 307, 306}
_INPUT = {6, 26, 27, 33, 38, 69, 72, 73, 117, 131, 434, 444}


def map_engine_error(exc: BaseException) -> WarehouseError:
    """Translate an engine exception (chDB or clickhouse-driver) into one of ours."""
    text = str(exc)
    match = _CODE.search(text)
    code = int(match.group(1)) if match else getattr(exc, "code", None)
    # Engines append stack traces; keep the message itself, on one line.
    message = " ".join(text.split("Stack trace:")[0].split())[:1000] or type(exc).__name__
    if code == 32 and "InputFormat" in text:  # the input ended mid-message: bad data, not a lost connection
        return BadInput(message, code)
    if code in _UNAVAILABLE:
        return WarehouseUnavailable(message, code)
    if code in _RESOURCE:
        return ResourceLimit(message, code)
    if code in _INPUT:
        return BadInput(message, code)
    return BadQuery(message, code)
