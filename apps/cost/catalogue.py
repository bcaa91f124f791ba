"""The list-price catalogue: the pinned ``genai-prices`` package, offline (its opt-in updater is never
started, so a price version names exactly the data that produced a figure).

A request's price is linear in its token counts once its tier is known (the tier is chosen by total
input tokens, a cliff: past a tier's start every token pays that tier's price). So for each model
price and tier we ask the library itself for the USD per token of each token kind, and cost whole
columns of spans with those rates (see ``pricing.py``); a test checks the two agree on every model.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

import genai_prices
from genai_prices import data_snapshot, types

VERSION = f"genai-prices {genai_prices.__version__}"

# Providers as OTel GenAI names them (gen_ai.provider.name) → genai-prices provider ids.
PROVIDER_IDS = {
    "openai": "openai", "azure.ai.openai": "azure", "azure.ai.inference": "azure", "anthropic": "anthropic",
    "gcp.gemini": "google", "gcp.vertex_ai": "google", "gcp.gen_ai": "google", "aws.bedrock": "aws",
    "mistral_ai": "mistral", "x_ai": "x-ai", "deepseek": "deepseek", "groq": "groq", "cohere": "cohere",
    "perplexity": "perplexity", "together": "together", "fireworks": "fireworks", "cerebras": "cerebras",
}
# Serving engines: a model they serve runs on our own GPUs and is priced by GPU time, never from a
# hosted provider's list price for a similarly named model.
SELF_HOSTED = frozenset({"vllm", "sglang", "tgi", "triton", "nim", "ollama", "llama.cpp", "llamacpp",
                         "lmdeploy", "tensorrt_llm", "self_hosted"})
# Probe sizes: large enough that every per-token rate comes out exactly (prices are per million).
_PROBE = 1_000_000


@dataclass(frozen=True)
class Rates:
    """USD per token (per request for ``request``) of each kind, for one tier of one price."""

    input: Decimal          # uncached input tokens
    cache_read: Decimal
    cache_write: Decimal
    output: Decimal         # output tokens that are not reasoning
    reasoning: Decimal      # reasoning tokens (the output rate unless the model prices them apart)
    request: Decimal = Decimal(0)

    def scaled(self, factor: Decimal) -> "Rates":
        return Rates(*(value * factor for value in (self.input, self.cache_read, self.cache_write, self.output,
                                                     self.reasoning, self.request)))


@dataclass(frozen=True)
class RateCard:
    """The rates a request pays, by tier: ``tiers`` is ((start, rates), …) ascending, the first start
    −1; a request whose total input is greater than a start pays that tier's rates on every token."""

    source: str                                 # catalogue | override
    ref: str                                    # what matched: "openai/o3", "override #4 ft:gpt-4o*"
    tiers: tuple[tuple[int, Rates], ...]

    def rates_for(self, input_tokens: int) -> Rates:
        chosen = self.tiers[0][1]
        for start, rates in self.tiers:
            if input_tokens > start:
                chosen = rates
        return chosen


def catalogue_card(provider: str, model: str, at: datetime) -> RateCard | None:
    """The list price of ``model`` from ``provider`` at ``at``; None when the catalogue has no
    match (unpriced: never guessed) or the model is self-hosted."""
    found = _lookup(provider.lower(), model.lower())
    if found is None:
        return None
    provider_info, model_info = found
    price = model_info.get_prices(at if at.tzinfo else at.replace(tzinfo=UTC))
    tiers = _tiers_of(price)
    if tiers is None:
        return None
    return RateCard("catalogue", f"{provider_info.id}/{model_info.id}", tiers)


def is_time_of_day_priced(provider: str, model: str) -> bool:
    """Whether the model's price changes within a day (off-peak hours), not only by date."""
    found = _lookup(provider.lower(), model.lower())
    if found is None or not isinstance(found[1].prices, list):
        return False
    return any(isinstance(c.constraint, types.TimeOfDateConstraint) for c in found[1].prices)


# Model names come from telemetry: bounded, so a flood of distinct names cannot grow it without end.
@lru_cache(maxsize=4096)
def _lookup(provider: str, model: str) -> tuple[types.Provider, types.ModelInfo] | None:
    # Without a provider the model name alone would pick one (a self-hosted Llama would get some cloud's
    # price): unpriced instead, unless an override says what it costs.
    if not model or not provider or provider in SELF_HOSTED:
        return None
    provider_id = PROVIDER_IDS.get(provider, provider)
    snapshot = data_snapshot.get_snapshot()
    try:
        return snapshot.find_provider_model(model, None, provider_id, None)
    except LookupError:
        return None


# Model prices are objects of the loaded snapshot (not hashable): remembered by identity, and held so
# that an identity is never reused.
_TIERS: dict[int, tuple[types.ModelPrice, tuple[tuple[int, Rates], ...] | None]] = {}


def _tiers_of(price: types.ModelPrice) -> tuple[tuple[int, Rates], ...] | None:
    known = _TIERS.get(id(price))
    if known is None:
        known = _TIERS[id(price)] = (price, _tiers_probed(price))
    return known[1]


def _tiers_probed(price: types.ModelPrice) -> tuple[tuple[int, Rates], ...] | None:
    starts = sorted({tier.start for value in price.__dict__.values() if isinstance(value, types.TieredPrices)
                     for tier in value.tiers})
    bounds = [-1, *starts]
    try:
        return tuple((start, _probe(price, start + 1 if start >= 0 else _base_probe(starts))) for start in bounds)
    except (ValueError, ArithmeticError, KeyError):
        return None     # prices in units we do not meter (images, audio seconds …): unpriced


def _base_probe(starts: list[int]) -> int:
    # The base tier covers totals up to the first tier start: probe inside it.
    return min(_PROBE, starts[0]) if starts and starts[0] > 0 else _PROBE


def _probe(price: types.ModelPrice, total_input: int) -> Rates:
    """Per-token rates at a total input of ``total_input`` tokens, read from the library's own
    arithmetic: each token kind is priced alone (the rest held at zero) and divided back."""
    n = Decimal(total_input)

    def cost(**usage: int) -> Decimal:
        return price.calc_price(types.Usage(**usage))["total_price"]

    request = cost()
    base_input = cost(input_tokens=total_input) - request
    out = cost(input_tokens=total_input, output_tokens=total_input) - request - base_input
    reasoning = cost(input_tokens=total_input, output_tokens=total_input,
                     output_reasoning_tokens=total_input) - request - base_input
    return Rates(
        input=base_input / n,
        cache_read=(cost(input_tokens=total_input, cache_read_tokens=total_input) - request) / n,
        cache_write=(cost(input_tokens=total_input, cache_write_tokens=total_input) - request) / n,
        output=out / n,
        reasoning=reasoning / n,
        request=request,
    )


def search(text: str, at: datetime, limit: int = 200) -> list[dict]:
    """Catalogue rows matching ``text`` (provider or model id/name), with their prices at ``at``."""
    needle = text.strip().lower()
    rows = []
    for provider in data_snapshot.get_snapshot().providers:
        for model in provider.models:
            label = f"{provider.id}/{model.id} {model.name or ''}".lower()
            if needle and needle not in label:
                continue
            rows.append({"provider": provider.id, "model": model.id, "name": model.name or model.id,
                         "prices": str(model.get_prices(at)), "context_window": model.context_window})
            if len(rows) >= limit:
                return rows
    return rows
