"""Pure GPU-time pricing: self-hosted requests pay for the GPU time they used.

Each priced GPU-minute costs its GPU-hour price ÷ 60. The minute's measured utilisation (mean
``gpu.utilization``; taken as fully busy when a request ran but no utilisation was reported) splits
it into busy and idle cost; the busy part is shared among the requests running on that GPU in that
minute in proportion to their time on it, and the idle part is reported as idle cost, never hidden.
Amounts are whole 1e-15 USD, shared by largest remainder, so the shares and the idle cost of a
minute add up to the minute's cost exactly.
"""

from datetime import datetime
from decimal import Decimal

import polars as pl

from .pricing import MONEY

MINUTE_NS = 60_000_000_000
_FEMTO = Decimal("1E-15")
_LINE_MIX = 1_000_003                # line keys of a span's minutes: span key × this + minute (wrapping)


def femto_to_money(column: str) -> pl.Expr:
    return (pl.col(column).cast(pl.Decimal(38, 0)) * pl.lit(_FEMTO)).cast(MONEY)


def span_minutes(spans: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """One row per (span, minute of [start, end) it ran in), with the nanoseconds it ran there."""
    lo, hi = int(start.timestamp() * 1e9), int(end.timestamp() * 1e9)
    ts = pl.col("timestamp").dt.epoch("ns")
    ends = pl.max_horizontal(pl.col("end_timestamp").dt.epoch("ns"), ts + 1)
    return (spans.with_columns(_ts=ts, _end=ends)
            .with_columns(_first=(pl.max_horizontal("_ts", pl.lit(lo)) // MINUTE_NS) * MINUTE_NS,
                          _last=((pl.min_horizontal("_end", pl.lit(hi)) - 1) // MINUTE_NS) * MINUTE_NS)
            .filter(pl.col("_first") <= pl.col("_last"))
            .with_columns(minute_ns=pl.int_ranges("_first", pl.col("_last") + 1, MINUTE_NS))
            .explode("minute_ns")
            .with_columns(overlap_ns=pl.min_horizontal("_end", pl.col("minute_ns") + MINUTE_NS)
                          - pl.max_horizontal("_ts", "minute_ns"),
                          starts_here=(pl.col("_ts") // MINUTE_NS * MINUTE_NS) == pl.col("minute_ns"))
            .drop("_ts", "_end", "_first", "_last"))


def gpu_minutes(minutes: pl.DataFrame, running: pl.DataFrame, prices: pl.DataFrame) -> pl.DataFrame:
    """Every priced GPU-minute: seen by the metrics or by a request; its cost split into busy and idle.

    ``minutes``: host, gpu_id, minute_ns, utilisation (null: not reported).
    ``running``: span_minutes() rows. ``prices``: host, gpu_id, day, minute_femto, price_ref."""
    busy_time = running.group_by("host", "gpu_id", "minute_ns").agg(weight=pl.col("overlap_ns").sum())
    seen = (minutes.select("host", "gpu_id", "minute_ns", "utilisation")
            .join(busy_time, on=["host", "gpu_id", "minute_ns"], how="full", coalesce=True)
            .with_columns(weight=pl.col("weight").fill_null(0),
                          day=pl.from_epoch("minute_ns", "ns").dt.date()))
    busy = (pl.when(pl.col("weight") == 0).then(0.0)
            .otherwise(pl.col("utilisation").fill_null(1.0)))
    return (seen.join(prices, on=["host", "gpu_id", "day"], how="inner")
            .with_columns(busy=busy)
            .with_columns(attributed=(pl.col("minute_femto").cast(pl.Float64) * pl.col("busy")).round()
                          .cast(pl.Int128))
            .with_columns(idle=pl.col("minute_femto") - pl.col("attributed")))


def allocate(running: pl.DataFrame, priced: pl.DataFrame) -> pl.DataFrame:
    """Each span-minute's share of its GPU-minute's busy cost (largest remainder, exact)."""
    group = ["host", "gpu_id", "minute_ns"]
    joined = running.join(priced.select(*group, "attributed", "weight", "busy", "price_ref"), on=group, how="inner")
    product = pl.col("attributed") * pl.col("overlap_ns").cast(pl.Int128)
    shared = (joined.with_columns(_floor=product // pl.col("weight"), _rem=product % pl.col("weight"))
              .sort([*group, "_rem", "line_key"], descending=[False, False, False, True, False])
              .with_columns(_rank=pl.int_range(pl.len()).over(group),
                            _extra=(pl.col("attributed") - pl.col("_floor").sum().over(group))))
    return (shared.with_columns(share=pl.col("_floor") + (pl.col("_rank") < pl.col("_extra")).cast(pl.Int128))
            .drop("_floor", "_rem", "_rank", "_extra"))


def span_lines(allocated: pl.DataFrame) -> pl.DataFrame:
    """Ledger lines of GPU-time priced requests: one per span-minute; the tokens and the request
    count ride on the line of the minute the request started in, so they count once."""
    first = pl.col("starts_here")
    return allocated.with_columns(
        line_key=pl.col("line_key") * pl.lit(_LINE_MIX, pl.UInt64) + (pl.col("minute_ns") // 1_000_000_000).cast(pl.UInt64),
        timestamp=pl.from_epoch("minute_ns", "ns").dt.replace_time_zone("UTC"),
        kind=pl.lit("llm"), method=pl.lit("gpu_time"),
        requests=first.cast(pl.UInt8),
        gpu_seconds=(pl.col("overlap_ns") / 1e9 * pl.col("busy")).round(6),
        gpu_cost=femto_to_money("share"),
        **{column: pl.when(first).then(pl.col(column)).otherwise(0)
           for column in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                          "reasoning_tokens")})


def idle_lines(priced: pl.DataFrame) -> pl.DataFrame:
    """One ledger line per priced GPU-minute for its idle cost."""
    return priced.select(
        "host", "gpu_id", "price_ref",
        line_key=pl.col("gpu_key") * pl.lit(_LINE_MIX, pl.UInt64) + (pl.col("minute_ns") // 1_000_000_000).cast(pl.UInt64),
        timestamp=pl.from_epoch("minute_ns", "ns").dt.replace_time_zone("UTC"),
        kind=pl.lit("gpu_idle"), method=pl.lit("gpu_time"),
        gpu_seconds=((1.0 - pl.col("busy")) * 60.0).round(6),
        gpu_cost=femto_to_money("idle"))
