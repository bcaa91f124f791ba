"""Types of the C module warehouse/_spanrows.c."""

Buffer = bytes | bytearray | memoryview

def rows(envelopes: Buffer | list[Buffer]) -> list[memoryview]:
    """Length-delimited trace envelopes as one Native block of otlp_spans_rows (schema 0024), in pieces to
    write in order. The views are over this thread's buffers: use them before this thread calls rows()
    again. ValueError if malformed."""

def format_double(value: float) -> str:
    """A Float64 as ClickHouse prints it."""

def release() -> None:
    """Free this thread's rows buffers."""
