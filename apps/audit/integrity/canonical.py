"""Canonical JSON (RFC 8785, JCS) for the values audit records hold: objects with keys sorted by
their UTF-16 code units, no whitespace, strings escaped as JSON does, integers, booleans and null.
Floats are refused: records keep numbers as integers or text, so every verifier hashes the same bytes."""

import json


def canonical(value) -> bytes:
    if isinstance(value, dict) and _flat(value):
        # The common record: ASCII keys (UTF-16 order = code point order) and scalar values, for which
        # json.dumps writes exactly the bytes _encode would, several times faster.
        return _FLAT.encode(value).encode("utf-8")
    return _encode(value).encode("utf-8")


_FLAT = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_SCALARS = frozenset({str, int, bool, type(None)})
_LIMIT = 2**53


def _flat(record: dict) -> bool:
    try:
        if not "".join(record).isascii():
            return False
    except TypeError:
        return False                    # a key that is not text
    values = record.values()
    # Exact types only: subclasses (and integers _encode refuses) take the careful path.
    return _SCALARS.issuperset(map(type, values)) and all(-_LIMIT <= v <= _LIMIT for v in values if type(v) is int)


def _encode(value) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise ValueError("integers beyond 2^53 have no exact JSON form: store them as text")
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(f"{_encode(k)}:{_encode(v)}" for k, v in items) + "}"
    raise TypeError(f"audit records hold no {type(value).__name__} values (use int or str)")
