"""Price arithmetic (STANDARDS §7 and §10 "Cost"): the catalogue's rates, the cliff tier, date-effective
prices, cache and reasoning tokens, overrides — and agreement with genai-prices' own calculation."""

import random
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest
from genai_prices import Usage, calc_price, data_snapshot

from apps.cost import catalogue
from apps.cost.pricing import PriceBook, money, price_spans

CATALOGUE_ONLY = PriceBook(version=1)


def spans(*rows: dict) -> pl.DataFrame:
    defaults = {"provider": "openai", "model": "gpt-4o-mini", "tenant": "", "input_tokens": 0, "output_tokens": 0,
                "cache_read_tokens": 0, "cache_write_tokens": 0, "reasoning_tokens": 0}
    frame = [{**defaults, **row} for row in rows]
    return pl.DataFrame(frame).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC"))


def one(book: PriceBook = CATALOGUE_ONLY, **row) -> dict:
    return price_spans(spans(row), book).to_dicts()[0]


def test_anthropic_cache_rule_prices_uncached_input_apart_from_cache_reads_and_writes():
    # Anthropic reports raw input 100, cache read 50, cache creation 25; stored as the total 175.
    row = one(timestamp=datetime(2026, 1, 5, tzinfo=UTC), provider="anthropic", model="claude-sonnet-4-5",
              input_tokens=175, cache_read_tokens=50, cache_write_tokens=25, output_tokens=10)
    assert row["input_cost"] == money("0.0003")                 # 100 uncached × $3/MTok
    assert row["cache_read_cost"] == money("0.000015")          # 50 × $0.30/MTok
    assert row["cache_write_cost"] == money("0.00009375")       # 25 × $3.75/MTok
    assert row["output_cost"] == money("0.00015")               # 10 × $15/MTok
    assert row["total_cost"] == money("0.00055875")
    assert row["method"] == "catalogue" and row["price_ref"] == "anthropic/claude-sonnet-4-5"


def test_the_tier_is_a_cliff_at_200000_input_tokens():
    at = datetime(2026, 1, 5, tzinfo=UTC)
    base = one(timestamp=at, provider="anthropic", model="claude-sonnet-4-5", input_tokens=200_000,
               output_tokens=1000)
    tier = one(timestamp=at, provider="anthropic", model="claude-sonnet-4-5", input_tokens=200_001,
               output_tokens=1000)
    assert base["input_cost"] == money("0.6")                   # 200,000 × $3
    assert base["output_cost"] == money("0.015")                # 1,000 × $15
    assert tier["input_cost"] == money("1.200006")              # the whole input at $6
    assert tier["output_cost"] == money("0.0225")               # and the output at the tier's $22.50


def test_date_effective_price_o3_before_and_from_2025_06_10():
    before = one(timestamp=datetime(2025, 6, 9, 23, 59, tzinfo=UTC), model="o3", input_tokens=1_000_000,
                 output_tokens=1_000_000)
    after = one(timestamp=datetime(2025, 6, 10, 0, 0, tzinfo=UTC), model="o3", input_tokens=1_000_000,
                output_tokens=1_000_000)
    assert (before["input_cost"], before["output_cost"]) == (money(10), money(40))
    assert (after["input_cost"], after["output_cost"]) == (money(2), money(8))


def test_reasoning_tokens_bill_as_output_unless_the_model_prices_them():
    at = datetime(2026, 1, 5, tzinfo=UTC)
    o3 = one(timestamp=at, model="o3", input_tokens=10, output_tokens=1000, reasoning_tokens=800)
    assert o3["output_cost"] + o3["reasoning_cost"] == money("0.008")        # all 1,000 at $8
    deep = one(timestamp=at, provider="perplexity", model="sonar-deep-research", input_tokens=0,
               output_tokens=1000, reasoning_tokens=800)
    assert deep["output_cost"] == money("0.0016")                            # 200 text × $8
    assert deep["reasoning_cost"] == money("0.0024")                         # 800 reasoning × $3


def test_unknown_and_self_hosted_models_are_unpriced_not_guessed():
    at = datetime(2026, 1, 5, tzinfo=UTC)
    for provider, model in [("openai", "no-such-model-xyz"), ("vllm", "meta-llama/Llama-3.3-70B-Instruct")]:
        row = one(timestamp=at, provider=provider, model=model, input_tokens=100, output_tokens=10)
        assert (row["method"], row["total_cost"], row["price_ref"]) == ("unpriced", money(0), "")


def override(**fields) -> dict:
    return {"id": 1, "name": "negotiated", "provider": "", "tenant": "", "match": "equals", "pattern": "",
            "kind": "price", "input": None, "output": None, "cache_read": None, "cache_write": None,
            "reasoning": None, "discount_percent": None, "effective_from": "2026-01-01", "effective_to": None,
            "priority": 100, **fields}


def test_overrides_price_custom_models_by_pattern_and_discount_list_prices_from_their_date():
    book = PriceBook(version=2, overrides=[
        override(id=1, name="our fine-tunes", match="glob", pattern="ft:gpt-4o-mini:acme:*", input="0.30",
                 output="1.20"),
        override(id=2, name="enterprise deal", provider="openai", match="regex", pattern=r"gpt-4o(-mini)?",
                 kind="discount", discount_percent="12.5", effective_from="2026-02-01"),
    ])
    fine_tune = one(book, timestamp=datetime(2026, 1, 5, tzinfo=UTC), model="ft:gpt-4o-mini:acme:support:x1",
                    input_tokens=1000, output_tokens=1000)
    assert fine_tune["total_cost"] == money("0.0015") and fine_tune["method"] == "override"
    january = one(book, timestamp=datetime(2026, 1, 31, tzinfo=UTC), input_tokens=1_000_000)
    february = one(book, timestamp=datetime(2026, 2, 1, tzinfo=UTC), input_tokens=1_000_000)
    assert january["total_cost"] == money("0.15") and january["method"] == "catalogue"
    assert february["total_cost"] == money("0.13125") and february["method"] == "override"
    assert "12.5% off openai/gpt-4o-mini" in february["price_ref"]


def test_tenant_overrides_apply_to_that_tenant_only():
    book = PriceBook(version=2, overrides=[override(tenant="acme", match="equals", pattern="gpt-4o-mini",
                                                    input="0.10", output="0.40")])
    at = datetime(2026, 3, 1, tzinfo=UTC)
    acme = one(book, timestamp=at, tenant="acme", input_tokens=1_000_000)
    other = one(book, timestamp=at, tenant="globex", input_tokens=1_000_000)
    assert (acme["total_cost"], other["total_cost"]) == (money("0.1"), money("0.15"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_costs_equal_genai_prices_own_calculation(seed):
    rng = random.Random(seed)
    models = [(p.id, m.id) for p in data_snapshot.get_snapshot().providers for m in p.models
              if p.id in ("openai", "anthropic", "google", "mistral", "deepseek", "x-ai", "groq")]
    rows, expected = [], []
    for provider, model in rng.sample(models, 60):
        at = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)
        total = rng.choice([rng.randint(0, 5000), rng.randint(150_000, 300_000)])
        cache_read = rng.randint(0, total // 2)
        cache_write = rng.randint(0, (total - cache_read) // 2)
        output = rng.randint(0, 4000)
        usage = Usage(input_tokens=total, cache_read_tokens=cache_read, cache_write_tokens=cache_write,
                      output_tokens=output)
        try:
            listed = calc_price(usage, model, provider_id=provider, genai_request_timestamp=at).total_price
        except (LookupError, ValueError):
            continue
        if catalogue.catalogue_card(provider, model, at) is None:
            continue
        rows.append({"timestamp": at.replace(tzinfo=None), "provider": provider, "model": model,
                     "input_tokens": total, "cache_read_tokens": cache_read, "cache_write_tokens": cache_write,
                     "output_tokens": output})
        expected.append(money(listed))
    priced = price_spans(spans(*rows), CATALOGUE_ONLY)
    assert len(rows) > 30
    assert priced["total_cost"].to_list() == expected


def test_money_is_exact_decimal():
    assert money("0.1") + money("0.2") == Decimal("0.3")


def test_impossible_token_counts_price_as_zero_not_a_wrapped_integer():
    row = one(timestamp=datetime(2026, 1, 5, tzinfo=UTC), model="o3", input_tokens=100, cache_read_tokens=500,
              output_tokens=10, reasoning_tokens=50)
    assert row["input_cost"] == money(0)                                    # no negative uncached input
    assert row["cache_read_cost"] == money("0.00025")                       # 500 × $0.50
    assert row["output_cost"] == money(0) and row["reasoning_cost"] == money("0.0004")   # 50 × $8


def test_a_model_without_a_provider_is_not_matched_to_some_provider():
    row = one(timestamp=datetime(2026, 1, 5, tzinfo=UTC), provider="", model="gpt-4o-mini", input_tokens=100)
    assert row["method"] == "unpriced"
