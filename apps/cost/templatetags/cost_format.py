"""Money as finance reads it: dollars and cents for amounts of a dollar or more, more places below
(a single call costs fractions of a cent); the exact figure stays in the exports."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(value) -> str:
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    if abs(amount) >= 1 or amount == 0:
        return f"${amount:,.2f}" if amount >= 0 else f"−${-amount:,.2f}"
    text = f"{abs(amount):.8f}".rstrip("0")
    return ("−$" if amount < 0 else "$") + (text if not text.endswith(".") else text + "00")


@register.filter
def share(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.1f} %"
