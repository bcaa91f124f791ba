"""Pure pricing: a price book (one price version: the catalogue plus a project's overrides) and the
vectorised cost of a frame of LLM spans. No I/O; figures are exact decimals (USD, 15 places).

Cost of one request (STANDARDS §7), with T the tier chosen by total input tokens:
    uncached_in = input − cache_read − cache_write
    cost = uncached_in·in(T) + cache_read·cr(T) + cache_write·cw(T) + (output − reasoning)·out(T)
           + reasoning·reasoning(T) + request(T)
"""

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl

from . import catalogue
from .catalogue import RateCard, Rates

SCALE = 15                                   # 1e-15 USD: exact for any list price with ≤ 9 decimals per MTok
MONEY = pl.Decimal(38, SCALE)
_QUANTUM = Decimal(1).scaleb(-SCALE)
MTOK = Decimal(1_000_000)
RATE_COLUMNS = ("r_input", "r_cache_read", "r_cache_write", "r_output", "r_reasoning", "r_request")
COST_COLUMNS = ("input_cost", "cache_read_cost", "cache_write_cost", "output_cost", "reasoning_cost",
                "request_cost")
MATCH_KINDS = ("equals", "starts_with", "glob", "regex")
MODEL_NAME_MAX = 256


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)


def model_matches(kind: str, pattern: str, model: str) -> bool:
    """Whether an override's model pattern matches a model name (case-insensitive)."""
    name, pat = model.lower(), pattern.lower()
    if kind == "equals":
        return name == pat
    if kind == "starts_with":
        return name.startswith(pat)
    if kind == "glob":
        return fnmatch.fnmatchcase(name, pat)
    if kind == "regex":
        # Model names come from telemetry: matched up to a bounded length (patterns are vetted on save).
        return re.fullmatch(pattern, model[:MODEL_NAME_MAX], flags=re.IGNORECASE) is not None
    raise ValueError(f"unknown match kind {kind!r}")


def _in_effect(entry: dict, day: date) -> bool:
    start = date.fromisoformat(entry["effective_from"])
    end = date.fromisoformat(entry["effective_to"]) if entry.get("effective_to") else None
    return start <= day and (end is None or day < end)


def _per_token(value: str | None, fallback: Decimal) -> Decimal:
    return fallback if value in (None, "") else Decimal(value) / MTOK


@dataclass
class PriceBook:
    """One price version: the catalogue at a pinned version, and a project's overrides (dicts as
    stored in the version's snapshot, so the version prices the same way forever)."""

    version: int
    overrides: list[dict] = field(default_factory=list)
    gpu_prices: list[dict] = field(default_factory=list)

    def card(self, provider: str, model: str, tenant: str, at: datetime) -> RateCard | None:
        """The rates for one request: the first override in priority order that matches its
        provider, model, tenant and date; else the catalogue; else None (unpriced)."""
        day = at.astimezone(UTC).date() if at.tzinfo else at.date()
        for entry in sorted(self.overrides, key=lambda e: (e.get("priority", 100), e["id"])):
            if (entry.get("provider") and entry["provider"].lower() != provider.lower()) or \
               (entry.get("tenant") and entry["tenant"] != tenant) or not _in_effect(entry, day) or \
               not model_matches(entry["match"], entry["pattern"], model):
                continue
            card = self._override_card(entry, provider, model, at)
            if card is not None:
                return card
        return catalogue.catalogue_card(provider, model, at)

    def _override_card(self, entry: dict, provider: str, model: str, at: datetime) -> RateCard | None:
        ref = f"override #{entry['id']} {entry['name']}"
        if entry["kind"] == "discount":
            listed = catalogue.catalogue_card(provider, model, at)
            if listed is None:
                return None         # a discount on a price we do not know stays unpriced
            factor = 1 - Decimal(entry["discount_percent"]) / 100
            return RateCard("override", f"{ref} ({entry['discount_percent']}% off {listed.ref})",
                            tuple((start, rates.scaled(factor)) for start, rates in listed.tiers))
        input_rate = _per_token(entry["input"], Decimal(0))
        output_rate = _per_token(entry["output"], Decimal(0))
        rates = Rates(input=input_rate, cache_read=_per_token(entry.get("cache_read"), input_rate),
                      cache_write=_per_token(entry.get("cache_write"), input_rate), output=output_rate,
                      reasoning=_per_token(entry.get("reasoning"), output_rate))
        return RateCard("override", ref, ((-1, rates),))

    def gpu_price(self, host: str, gpu_model: str, day: date) -> dict | None:
        """The GPU-hour price of one GPU, or None when no pool covers it."""
        for entry in sorted(self.gpu_prices, key=lambda e: (e.get("priority", 100), e["id"])):
            if _in_effect(entry, day) and \
               (not entry.get("host_pattern") or fnmatch.fnmatchcase(host.lower(), entry["host_pattern"].lower())) and \
               (not entry.get("gpu_model") or entry["gpu_model"].lower() in gpu_model.lower()):
                return entry
        return None


def rate_table(book: PriceBook, keys: Iterable[tuple[str, str, str, datetime]]) -> pl.DataFrame:
    """One row per (provider, model, tenant, at, tier) with that tier's input range and rates."""
    rows = []
    for provider, model, tenant, at in keys:
        card = book.card(provider, model, tenant, at)
        if card is None:
            continue
        bounds = [start for start, _ in card.tiers][1:] + [2**62]
        for (start, rates), end in zip(card.tiers, bounds, strict=True):
            rows.append({"provider": provider, "model": model, "tenant": tenant, "at": at,
                         "tier_start": start, "tier_end": end, "method": card.source, "price_ref": card.ref,
                         **{column: money(value) for column, value in zip(RATE_COLUMNS, _values(rates), strict=True)}})
    schema = {"provider": pl.String, "model": pl.String, "tenant": pl.String, "at": pl.Datetime("us", "UTC"),
              "tier_start": pl.Int64, "tier_end": pl.Int64, "method": pl.String, "price_ref": pl.String,
              **dict.fromkeys(RATE_COLUMNS, MONEY)}
    return pl.DataFrame(rows, schema=schema)


def _values(rates: Rates) -> tuple[Decimal, ...]:
    return (rates.input, rates.cache_read, rates.cache_write, rates.output, rates.reasoning, rates.request)


def price_spans(spans: pl.DataFrame, book: PriceBook) -> pl.DataFrame:
    """Cost every span in the frame (columns: timestamp, provider, model, tenant and the five token
    counts); adds method, price_ref, the cost of each token kind and total_cost. Spans without a
    price get method "unpriced" and zero cost, never a guess."""
    spans = spans.with_columns(at=_price_moment(spans))
    keys = spans.select("provider", "model", "tenant", "at").unique().iter_rows()
    rates = rate_table(book, keys)
    joined = (spans.with_row_index("_row")
              .join(rates, on=["provider", "model", "tenant", "at"], how="left")
              .filter(pl.col("tier_start").is_null() |
                      ((pl.col("input_tokens") > pl.col("tier_start")) &
                       (pl.col("input_tokens") <= pl.col("tier_end"))))
              .sort("_row"))
    # Signed before subtracting: token counts are unsigned, and a span reporting more cached than total
    # input tokens must price as zero uncached input, not wrap around to 1.8e19.
    def count(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.Int64)

    tokens = {
        "input_cost": (count("input_tokens") - count("cache_read_tokens") - count("cache_write_tokens")).clip(0),
        "cache_read_cost": count("cache_read_tokens"),
        "cache_write_cost": count("cache_write_tokens"),
        "output_cost": (count("output_tokens") - count("reasoning_tokens")).clip(0),
        "reasoning_cost": count("reasoning_tokens"),
        "request_cost": pl.lit(1),
    }
    costs = {name: (count.cast(pl.Decimal(38, 0)) * pl.col(rate)).cast(MONEY).fill_null(money(0))
             for (name, count), rate in zip(tokens.items(), RATE_COLUMNS, strict=True)}
    return (joined.with_columns(**costs)
            .with_columns(total_cost=pl.sum_horizontal(*COST_COLUMNS).cast(MONEY),
                          method=pl.col("method").fill_null("unpriced"),
                          price_ref=pl.col("price_ref").fill_null(""))
            .drop("_row", "at", "tier_start", "tier_end", *RATE_COLUMNS))


def _price_moment(spans: pl.DataFrame) -> pl.Expr:
    """Prices change by date, and a few by time of day: resolve them per UTC day, per minute for
    the models priced by time of day (so a day of traffic needs a handful of look-ups, not one per span)."""
    pairs = spans.select("provider", "model").unique()
    by_minute = [list(pair) for pair in pairs.iter_rows() if catalogue.is_time_of_day_priced(*pair)]
    ts = pl.col("timestamp").dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    if not by_minute:
        return ts.dt.truncate("1d")
    minute_priced = pl.concat_str("provider", pl.lit("\x00"), "model").is_in(
        [f"{p}\x00{m}" for p, m in by_minute])
    return pl.when(minute_priced).then(ts.dt.truncate("1m")).otherwise(ts.dt.truncate("1d"))
