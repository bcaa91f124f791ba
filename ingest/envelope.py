"""Wrap an OTLP request's bytes into an envelope by appending fields (protobuf concatenation merges).

The envelope adds the authenticated project and accounting counts (field numbers 1001+, see
warehouse/proto/otlp_ingest.proto) without re-serialising the request, then length-prefixes it
so many envelopes can go into one ``FORMAT Protobuf`` insert.
"""

import time


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _bytes_field(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


DROP, HASH, KEEP = 0, 1, 2


def redaction_fields(mode: int, key: bytes = b"") -> bytes:
    """The envelope fields that tell the ingest views what to do with prompt and completion content:
    drop it, keep it, or replace it with HMAC-SHA-256 under ``key`` (given as the key's two pads,
    which is all the SQL needs to compute an RFC 2104 HMAC)."""
    inner = outer = b""
    if mode == HASH:
        padded = key.ljust(64, b"\0")
        inner, outer = bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)
    return _field(1006, mode) + _bytes_field(1007, inner) + _bytes_field(1008, outer)


DROP_CONTENT = redaction_fields(DROP)


def envelope(request_bytes: bytes, project_id: int, *, accepted_items: int = 0, rejected_items: int = 0,
             rejected_requests: int = 0, received_unix_nano: int | None = None, redaction: bytes = b"") -> bytes:
    """One length-delimited envelope message for a request of any signal; ``redaction`` (traces and
    logs) comes from ``redaction_fields``."""
    fields = b"".join((
        _field(1001, project_id),
        _field(1002, received_unix_nano or time.time_ns()),
        # Always written, even when zero: for repeated scalar fields the last occurrence wins, so a
        # client cannot smuggle its own project or counts in by sending these field numbers.
        _field(1003, rejected_items),
        _field(1004, rejected_requests),
        _field(1005, accepted_items),
        redaction,
    ))
    # One join: the request (up to 64 MB) is copied once, not again to prefix the length.
    return b"".join((_varint(len(request_bytes) + len(fields)), request_bytes, fields))


def rewrapped(envelope_bytes: bytes, request_length: int, transform) -> bytes:
    """The envelope with ``transform`` applied to the OTLP request at its head (``request_length``
    bytes) and its own fields (project, counts, redaction) kept as they were."""
    start = 1
    while envelope_bytes[start - 1] & 0x80:  # skip the length prefix (a varint)
        start += 1
    body = transform(envelope_bytes[start:start + request_length]) + envelope_bytes[start + request_length:]
    return _varint(len(body)) + body
