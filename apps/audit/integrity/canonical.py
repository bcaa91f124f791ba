"""Canonical JSON (RFC 8785, JCS) for the values audit records hold: objects with keys sorted by
their UTF-16 code units, no whitespace, strings escaped as JSON does, integers, booleans and null.
Floats are refused: records keep numbers as integers or text, so every verifier hashes the same bytes."""

import json


def canonical(value) -> bytes:
    if isinstance(value, dict) and _flat(value):
        # The common record: ASCII keys (UTF-16 order = code point order) and scalar values, for which
        # json.dumps writes exactly the bytes _encode would, five times faster.
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return _encode(value).encode("utf-8")


def _flat(record: dict) -> bool:
    for key, value in record.items():
        if not (isinstance(key, str) and key.isascii()):
            return False
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > 2**53:
                return False            # _encode refuses it with a clear error
        elif not (value is None or isinstance(value, (str, bool))):
            return False
    return True


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
