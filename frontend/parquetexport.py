"""Parquet downloads that stream: each batch becomes a row group and goes out as soon as it is
written, so an export of millions of rows never sits in memory whole."""

from collections.abc import Iterable, Iterator

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from django.http import StreamingHttpResponse


class _Chunks:
    """A write-only file that hands what was written to the response as it goes."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def parquet_stream(schema: pa.Schema, batches: Iterable[pl.DataFrame | pa.Table]) -> Iterator[bytes]:
    sink = _Chunks()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    for batch in batches:
        table = batch.to_arrow() if isinstance(batch, pl.DataFrame) else batch
        writer.write_table(table.cast(schema))
        if chunk := sink.drain():
            yield chunk
    writer.close()
    yield sink.drain()


def parquet_response(filename: str, schema: pa.Schema, batches: Iterable[pl.DataFrame | pa.Table]
                     ) -> StreamingHttpResponse:
    response = StreamingHttpResponse(parquet_stream(schema, batches), content_type="application/vnd.apache.parquet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
