"""Types of the C module warehouse/_spanrows.c."""

Buffer = bytes | bytearray | memoryview

def rows(envelopes: Buffer | list[Buffer]) -> memoryview:
    """Length-delimited trace envelopes as RowBinary rows of otlp_spans_rows (schema 0024). The view is
    over this thread's buffer: use it before this thread calls rows() again. ValueError if malformed."""

def format_double(value: float) -> str:
    """A Float64 as ClickHouse prints it."""

def release() -> None:
    """Free this thread's rows buffer."""
