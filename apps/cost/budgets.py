"""Pure budget arithmetic: month-to-date spend, the month-end forecast and the thresholds crossed.

Forecast = spend so far + the recent daily run rate × the time left in the month. The run rate is
the mean of the last (up to) seven complete days of the month; on the first day, today's spend
divided by the part of the day gone once six hours have passed (before that, no extrapolation). A straight line, stated as such on the page: finance reads
it as "where this month ends if the last week repeats".
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from .pricing import money

DEFAULT_THRESHOLDS = (50, 80, 100)
RUN_RATE_DAYS = 7
MIN_DAY_FOR_RATE = Decimal("0.25")          # on the 1st, extrapolate only after six hours


def month_start(moment: datetime) -> date:
    return moment.astimezone(UTC).date().replace(day=1)


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1]) + timedelta(days=1)


@dataclass(frozen=True)
class BudgetStatus:
    month: date
    amount: Decimal
    spend: Decimal
    forecast: Decimal
    run_rate: Decimal                    # per day
    daily: list[tuple[date, Decimal]]    # spend per day of the month so far

    @property
    def spent_share(self) -> Decimal:
        return money(self.spend / self.amount) if self.amount else Decimal(0)

    @property
    def forecast_share(self) -> Decimal:
        return money(self.forecast / self.amount) if self.amount else Decimal(0)

    def burn_down(self) -> list[tuple[date, Decimal]]:
        """Budget left at the end of each day so far."""
        left, out = self.amount, []
        for day, spent in self.daily:
            left -= spent
            out.append((day, left))
        return out


def status(amount: Decimal, daily: dict[date, Decimal], now: datetime) -> BudgetStatus:
    """The month of ``now``: spend, run rate and forecast from the spend per day."""
    now = now.astimezone(UTC)
    first, today = month_start(now), now.date()
    days = [(first + timedelta(days=i), daily.get(first + timedelta(days=i), Decimal(0)))
            for i in range((today - first).days + 1)]
    spend = sum((value for _, value in days), Decimal(0))
    complete = days[:-1][-RUN_RATE_DAYS:]
    day_gone = Decimal((now - datetime.combine(today, time(0), tzinfo=UTC)).total_seconds()) / 86_400
    if complete:
        rate = sum((value for _, value in complete), Decimal(0)) / len(complete)
    elif day_gone >= MIN_DAY_FOR_RATE:
        rate = days[-1][1] / day_gone
    else:
        rate = Decimal(0)       # minutes into a month, a burst would extrapolate to a month of it
    left = Decimal((month_end(first) - today).days) - day_gone
    return BudgetStatus(first, money(amount), money(spend), money(spend + rate * left), money(rate), days)


def crossed(state: BudgetStatus, thresholds: list[int]) -> list[tuple[int, str]]:
    """(threshold %, "actual" | "forecast") for every threshold the spend or the forecast reached."""
    out = []
    for threshold in sorted(thresholds):
        line = state.amount * threshold / 100
        if state.spend >= line:
            out.append((threshold, "actual"))
        if state.forecast >= line:
            out.append((threshold, "forecast"))
    return out
