"""Pure computations on cost rows: period-over-period movers and daily series for charts."""

from datetime import date
from decimal import Decimal

from .pricing import money

# Idle GPU time (and the rare LLM call without a model name) has no model.
NO_MODEL = "(idle GPU time / no model)"


def movers(current: list[dict], previous: list[dict], key: str, top: int = 8) -> list[dict]:
    """The values of ``key`` whose cost moved most between the previous and the current period."""
    before = {row[key]: row["total_cost"] for row in previous}
    now = {row[key]: row["total_cost"] for row in current}
    rows = []
    for name in set(before) | set(now):
        a, b = before.get(name, Decimal(0)), now.get(name, Decimal(0))
        rows.append({key: name or (NO_MODEL if key == "model" else "(none)"), "previous": money(a), "current": money(b), "change": money(b - a),
                     "change_pct": float((b - a) / a * 100) if a else None})
    rows.sort(key=lambda r: (-abs(r["change"]), r[key]))
    return rows[:top]


def daily_series(rows: list[dict], key: str, top: int = 8) -> dict[str, dict[date, Decimal]]:
    """Cost per day for the ``top`` values of ``key`` by total; the rest folded into "other"."""
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], Decimal(0)) + row["total_cost"]
    keep = set(sorted(totals, key=lambda k: -totals[k])[:top])
    series: dict[str, dict[date, Decimal]] = {}
    for row in rows:
        name = row[key] if row[key] in keep else "other"
        days = series.setdefault(name or (NO_MODEL if key == "model" else "(none)"), {})
        days[row["period"]] = days.get(row["period"], Decimal(0)) + row["total_cost"]
    return series
