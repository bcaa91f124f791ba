"""Posting costs to the warehouse ledger: cost a window with a price version, then bring the ledger in
line with it — post what is new, reverse and repost what changed, leave what still holds. Postings
are never edited; a figure is replaced by a reversal (sign −1) and a new posting in one insert, so
totals change exactly once and both versions stay in the ledger.

Pure parts (``desired_lines`` from frames, ``reconcile``) are separate from the I/O (``cost_window``).
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl

from . import catalogue, gpu
from .pricing import COST_COLUMNS, MONEY, PriceBook, money, price_spans

TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")
LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.UInt64(), "timestamp": pl.Datetime("ns", "UTC"), "line_key": pl.UInt64(),
    "posting": pl.UInt64(), "sign": pl.Int8(), "run_id": pl.UInt64(), "price_version": pl.UInt32(),
    "kind": pl.String(), "method": pl.String(), "price_ref": pl.String(), "trace_id": pl.Binary(),
    "span_id": pl.Binary(), "service_name": pl.String(), "endpoint": pl.String(), "operation": pl.String(),
    "provider": pl.String(), "model": pl.String(), "tenant": pl.String(), "host": pl.String(), "gpu_id": pl.String(),
    "dim_names": pl.List(pl.String()), "dim_values": pl.List(pl.String()), "requests": pl.UInt8(),
    "is_error": pl.UInt8(), "is_retry": pl.UInt8(), "is_blocked": pl.UInt8(),
    **{column: pl.UInt64() for column in TOKEN_COLUMNS}, "gpu_seconds": pl.Float64(),
    **{column: MONEY for column in (*COST_COLUMNS, "gpu_cost", "total_cost")},
}
# What makes two postings the same figure (the price version is not part of it: an unchanged figure
# keeps the version that first produced it).
FIGURE = [c for c in LEDGER_SCHEMA if c not in ("project_id", "posting", "sign", "run_id", "price_version")]
_DEFAULTS = {"kind": "llm", "method": "unpriced", "price_ref": "", "trace_id": b"\0" * 16, "span_id": b"\0" * 8,
             "service_name": "", "endpoint": "", "operation": "", "provider": "", "model": "", "tenant": "",
             "host": "", "gpu_id": "", "requests": 0, "is_error": 0, "is_retry": 0, "is_blocked": 0,
             "gpu_seconds": 0.0}


def binary_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Queries send ids as hex (``trace_hex``, ``span_hex``); the ledger stores the bytes."""
    if "trace_hex" not in frame.columns:
        return frame
    return frame.with_columns(trace_id=pl.col("trace_hex").str.decode("hex"),
                              span_id=pl.col("span_hex").str.decode("hex")).drop("trace_hex", "span_hex")


def conform(frame: pl.DataFrame, **constants) -> pl.DataFrame:
    """The frame with exactly the ledger's columns and types (missing ones at their zero value)."""
    columns = []
    for name, dtype in LEDGER_SCHEMA.items():
        if name in constants:
            columns.append(pl.lit(constants[name]).cast(dtype).alias(name))
        elif name in frame.columns:
            columns.append(pl.col(name).cast(dtype))
        elif name in ("dim_names", "dim_values"):
            columns.append(pl.lit([], dtype=dtype).alias(name))
        elif dtype == MONEY:
            columns.append(pl.lit(money(0)).cast(MONEY).alias(name))
        else:
            columns.append(pl.lit(_DEFAULTS.get(name, 0)).cast(dtype).alias(name))
    return frame.select(columns)


@dataclass(frozen=True)
class Inputs:
    """What a window's costing reads from the warehouse."""

    spans: pl.DataFrame          # cost.llm_spans
    minutes: pl.DataFrame        # cost.gpu_minutes
    start: datetime
    end: datetime
    dimensions: list[str]


def gpu_key(host: str, gpu_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{host}\0{gpu_id}".encode(), digest_size=8).digest(), "little")


def gpu_price_table(book: PriceBook, inputs: Inputs) -> pl.DataFrame:
    """Per GPU and day of the window: the minute cost (1e-15 USD) of every GPU a pool prices."""
    models = dict(((h, g), m) for h, g, m in inputs.minutes.select("host", "gpu_id", "gpu_model").iter_rows() if m)
    gpus = set(models) | {(h, g) for h, g in inputs.spans.filter(pl.col("gpu_id") != "")
                          .select("host", "gpu_id").unique().iter_rows()}
    days = _days(inputs.start, inputs.end)
    rows = []
    for host, gpu_id in sorted(gpus):
        for day in days:
            entry = book.gpu_price(host, models.get((host, gpu_id), ""), day)
            if entry is not None:
                minute = Decimal(entry["hourly_usd"]) / 60 * Decimal("1E15")
                rows.append({"host": host, "gpu_id": gpu_id, "day": day, "gpu_key": gpu_key(host, gpu_id),
                             "minute_femto": int(minute.to_integral_value()),
                             "price_ref": f"gpu pool #{entry['id']} {entry['name']} ({entry['pricing']})"})
    schema = {"host": pl.String, "gpu_id": pl.String, "day": pl.Date, "gpu_key": pl.UInt64,
              "minute_femto": pl.Int128, "price_ref": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _days(start: datetime, end: datetime) -> list[date]:
    first = (start - timedelta(hours=1)).date()
    return [first + timedelta(days=i) for i in range((end.date() - first).days + 1)]


def gpu_priced(book: PriceBook, spans: pl.DataFrame, prices: pl.DataFrame) -> pl.DataFrame:
    """The spans that pay for GPU time: served on a priced GPU by a serving engine of our own (or by
    a provider nobody lists a price for). A hosted API called from a GPU host keeps its list price."""
    on_gpu = spans.with_columns(day=pl.col("timestamp").dt.date()).join(
        prices.select("host", "gpu_id", "day"), on=["host", "gpu_id", "day"], how="semi")
    own = pl.col("provider").is_in(list(catalogue.SELF_HOSTED)) | (pl.col("provider") == "")
    unlisted = [(p, m, t, d) for p, m, t, d in on_gpu.filter(~own).select("provider", "model", "tenant", "day")
                .unique().iter_rows()
                if book.card(p, m, t, datetime.combine(d, datetime.min.time(), tzinfo=UTC)) is None]
    if not unlisted:
        return on_gpu.filter(own).drop("day")
    keys = pl.DataFrame(unlisted, schema=["provider", "model", "tenant", "day"], orient="row")
    return pl.concat([on_gpu.filter(own), on_gpu.join(keys, on=["provider", "model", "tenant", "day"], how="semi")
                      .filter(~own)]).drop("day")


def desired_lines(book: PriceBook, inputs: Inputs) -> pl.DataFrame:
    """Every ledger line the window should hold under ``book`` (without posting ids)."""
    spans = binary_ids(inputs.spans).with_columns(dim_names=pl.lit(inputs.dimensions, dtype=pl.List(pl.String)))
    # A span stored twice (an exporter's retry) is one call.
    spans = spans.unique(subset="line_key", keep="first", maintain_order=True)
    prices = gpu_price_table(book, inputs)
    on_priced_gpu = gpu_priced(book, spans, prices)
    listed = spans.join(on_priced_gpu.select("line_key"), on="line_key", how="anti").filter(
        pl.col("timestamp") >= inputs.start)
    parts = [conform(price_spans(listed, book).with_columns(requests=pl.lit(1)))]
    if not prices.is_empty():
        minutes = inputs.minutes.with_columns(minute_ns=pl.col("minute").dt.epoch("ns"))
        running = gpu.span_minutes(on_priced_gpu, inputs.start, inputs.end)
        priced = gpu.gpu_minutes(minutes, running, prices)
        parts.append(conform(gpu.span_lines(gpu.allocate(running, priced))))
        parts.append(conform(gpu.idle_lines(priced)))
    lines = pl.concat(parts)
    return lines.with_columns(total_cost=pl.sum_horizontal(*COST_COLUMNS, "gpu_cost").cast(MONEY))


def fingerprint(frame: pl.DataFrame) -> pl.Expr:
    parts = []
    for name in FIGURE:
        dtype = frame.schema[name]
        if dtype == pl.Binary:
            parts.append(pl.col(name).bin.encode("hex"))
        elif isinstance(dtype, pl.List):
            parts.append(pl.col(name).list.join("\x1e"))
        else:
            parts.append(pl.col(name).cast(pl.String))
    return pl.concat_str(parts, separator="\x1f").alias("_fp")


@dataclass(frozen=True)
class Changes:
    rows: pl.DataFrame           # reversals, corrections and new postings, ready to insert
    posted: int
    reversed: int
    unchanged: int


def reconcile(desired: pl.DataFrame, live: pl.DataFrame, *, project_id: int, posting: int,
              version: int) -> Changes:
    """What to insert so that the postings in force become exactly ``desired``.

    ``live`` holds every posting of the window whose rows do not cancel, with its net count. Per line,
    one live posting that equals the desired figure stays in force (net brought to 1); every other
    posting is brought to net 0 (reversed, or, after an interrupted run reversed it twice, re-added);
    a desired line with no such posting is posted anew."""
    desired = conform(binary_ids(desired), project_id=project_id)
    net = live["net"].cast(pl.Int64) if "net" in live.columns else pl.Series("net", [1] * live.height, pl.Int64)
    live = conform(binary_ids(live), project_id=project_id).with_columns(net=net)
    desired = desired.with_columns(fingerprint(desired))
    live = live.with_columns(fingerprint(live))
    kept = (live.join(desired.select("line_key", "_fp"), on=["line_key", "_fp"], how="semi")
            .group_by("line_key").agg(pl.col("posting").min()).with_columns(_target=pl.lit(1, pl.Int64)))
    live = (live.join(kept, on=["line_key", "posting"], how="left")
            .with_columns(_delta=pl.col("_target").fill_null(0) - pl.col("net")))
    corrections = (live.filter(pl.col("_delta") != 0)
                   .with_columns(sign=pl.col("_delta").sign(), _copy=pl.int_ranges(0, pl.col("_delta").abs()))
                   .explode("_copy"))
    postings = desired.join(kept, on="line_key", how="anti").drop("_fp")
    rows = pl.concat([
        conform(corrections, run_id=posting),
        conform(postings, sign=1, run_id=posting, posting=posting, price_version=version),
    ])
    reversed_rows = corrections.filter(pl.col("sign") < 0).height
    return Changes(rows, posted=postings.height + corrections.height - reversed_rows, reversed=reversed_rows,
                   unchanged=kept.height)
