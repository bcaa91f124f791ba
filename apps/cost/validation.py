"""Checks of what users submit for prices, GPU prices and budgets: each failure names the field and
the rule, and nothing is stored unless every field holds."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from .pricing import MATCH_KINDS


class Invalid(ValueError):
    pass


# Catastrophic backtracking needs a quantified group that itself holds a quantifier or an alternation;
# refusing those (and backreferences) keeps every accepted pattern linear enough on model names.
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*(?:[*+?}|])(?:[^()\\]|\\.)*\)\s*(?:[*+?]|\{\d)")
BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def text(data: dict, name: str, *, max_length: int, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise Invalid(f"{name}: must be text.")
    value = value.strip()
    if required and not value:
        raise Invalid(f"{name}: is required.")
    if len(value) > max_length:
        raise Invalid(f"{name}: at most {max_length} characters.")
    if any(ord(c) < 32 for c in value):
        raise Invalid(f"{name}: control characters are not allowed.")
    return value


def choice(data: dict, name: str, choices, default: str) -> str:
    value = data.get(name) or default
    if value not in choices:
        raise Invalid(f"{name}: one of {', '.join(choices)}.")
    return value


def amount(data: dict, name: str, *, required: bool, maximum: Decimal, places: int,
           minimum: Decimal = Decimal(0), exclusive_minimum: bool = False) -> Decimal | None:
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            raise Invalid(f"{name}: is required.")
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise Invalid(f"{name}: {str(raw)[:40]!r} is not a number.") from None
    if not value.is_finite() or value < minimum or (exclusive_minimum and value == minimum) or value > maximum:
        bound = "greater than" if exclusive_minimum else "at least"
        raise Invalid(f"{name}: must be {bound} {minimum} and at most {maximum}.")
    if -value.as_tuple().exponent > places:
        raise Invalid(f"{name}: at most {places} decimal places.")
    return value


def day(data: dict, name: str, *, required: bool) -> date | None:
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            raise Invalid(f"{name}: is required (YYYY-MM-DD).")
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise Invalid(f"{name}: {str(raw)[:40]!r} is not a date (YYYY-MM-DD).") from None


def integer(data: dict, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = data.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise Invalid(f"{name}: {str(raw)[:40]!r} is not a whole number.") from None
    if not minimum <= value <= maximum:
        raise Invalid(f"{name}: between {minimum} and {maximum}.")
    return value


def effective(data: dict) -> tuple[date, date | None]:
    start = day(data, "effective_from", required=True)
    end = day(data, "effective_to", required=False)
    if end is not None and end <= start:
        raise Invalid("effective_to: must be after effective_from.")
    return start, end


MTOK_MAX = Decimal(100_000)


def override_fields(data: dict) -> dict:
    match = choice(data, "match", MATCH_KINDS, "equals")
    pattern = text(data, "pattern", max_length=200)
    if match == "regex":
        try:
            re.compile(pattern)
        except re.error as error:
            raise Invalid(f"pattern: not a valid regular expression ({error}).") from None
        if NESTED_QUANTIFIER.search(pattern) or BACKREFERENCE.search(pattern):
            raise Invalid("pattern: repeated groups that repeat inside (like (a+)+) and backreferences are not "
                          "allowed: they can take exponential time; use glob or a simpler expression.")
    kind = choice(data, "kind", ("price", "discount"), "price")
    fields = {"name": text(data, "name", max_length=80), "provider": text(data, "provider", max_length=64, required=False),
              "tenant": text(data, "tenant", max_length=128, required=False), "match": match, "pattern": pattern,
              "kind": kind, "priority": integer(data, "priority", default=100, minimum=0, maximum=1000)}
    prices = {f"{k}_mtok": amount(data, f"{k}_mtok", required=kind == "price" and k in ("input", "output"),
                                  maximum=MTOK_MAX, places=9)
              for k in ("input", "output", "cache_read", "cache_write", "reasoning")}
    discount = amount(data, "discount_percent", required=kind == "discount", maximum=Decimal(100), places=2,
                      exclusive_minimum=True)
    if kind == "discount" and any(v is not None for v in prices.values()):
        raise Invalid("a discount override takes discount_percent only, not prices.")
    if kind == "price" and discount is not None:
        raise Invalid("a price override takes prices, not discount_percent.")
    start, end = effective(data)
    return {**fields, **prices, "discount_percent": discount, "effective_from": start, "effective_to": end}


def gpu_price_fields(data: dict) -> dict:
    start, end = effective(data)
    return {"name": text(data, "name", max_length=80),
            "host_pattern": text(data, "host_pattern", max_length=200, required=False),
            "gpu_model": text(data, "gpu_model", max_length=80, required=False),
            "hourly_usd": amount(data, "hourly_usd", required=True, maximum=Decimal(10_000), places=6,
                                 exclusive_minimum=True),
            "pricing": choice(data, "pricing", ("on_demand", "reserved", "amortised"), "on_demand"),
            "priority": integer(data, "priority", default=100, minimum=0, maximum=1000),
            "effective_from": start, "effective_to": end}


def budget_fields(data: dict) -> dict:
    scope = choice(data, "scope", ("project", "team", "tenant", "model"), "project")
    value = text(data, "scope_value", max_length=200, required=scope != "project")
    raw = data.get("thresholds") or "50,80,100"
    items = raw if isinstance(raw, list) else str(raw).split(",")
    try:
        thresholds = sorted({int(str(t).strip()) for t in items if str(t).strip()})
    except ValueError:
        raise Invalid("thresholds: whole percentages separated by commas, e.g. 50,80,100.") from None
    if not thresholds or len(thresholds) > 10 or not all(1 <= t <= 1000 for t in thresholds):
        raise Invalid("thresholds: one to ten percentages between 1 and 1000.")
    return {"name": text(data, "name", max_length=80), "scope": scope, "scope_value": "" if scope == "project" else value,
            "monthly_usd": amount(data, "monthly_usd", required=True, maximum=Decimal("999999999999.99"), places=2,
                                  exclusive_minimum=True),
            "thresholds": thresholds}


DIMENSION_NAME = re.compile(r"[a-z][a-z0-9_.]{0,39}")
ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_.:/\-]{1,128}")


def attribution_fields(data) -> dict[str, list[str]]:
    """Attribution dimensions: ``dimension = key, key, …`` one per line (text), or a mapping."""
    pairs = _attribution_pairs(data.get("attribution", ""))
    if len(pairs) > 12:
        raise Invalid("attribution: at most 12 dimensions.")
    out: dict[str, list[str]] = {}
    for name, keys in pairs:
        if not isinstance(name, str) or not DIMENSION_NAME.fullmatch(name):
            raise Invalid(f"attribution: {str(name)[:40]!r} is not a dimension name (lowercase letters, digits, _ and .).")
        if name in out:
            raise Invalid(f"attribution: {name} is given twice.")
        if not isinstance(keys, list) or not 1 <= len(keys) <= 8 or \
                not all(isinstance(k, str) and ATTRIBUTE_KEY.fullmatch(k) for k in keys):
            raise Invalid(f"attribution: {name} needs one to eight attribute keys (letters, digits, . _ : / -).")
        out[name] = keys
    return out


def _attribution_pairs(raw) -> list[tuple]:
    if isinstance(raw, dict):
        return list(raw.items())
    if not isinstance(raw, str):
        raise Invalid("attribution: text with one `dimension = key, key` per line, or an object.")
    pairs = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, keys = line.partition("=")
        if not sep:
            raise Invalid(f"attribution line {number}: write `dimension = key, key`.")
        pairs.append((name.strip(), [k.strip() for k in keys.split(",") if k.strip()]))
    return pairs
