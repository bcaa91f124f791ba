"""Budgets: burn-down and month-end forecast on a known spend curve; a threshold alert fires once and
goes out through the project's alert channels (a real local HTTP receiver)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from apps.alerts import services as alerts_services
from apps.alerts.models import Delivery
from apps.cost import budgets, services
from apps.cost.models import Budget, BudgetAlert, CostRun
from apps.cost.pricing import money
from tests.alerts.receivers import Receiver
from tests.cost.sending import Call, send_calls


def test_forecast_extends_the_last_weeks_run_rate_to_month_end():
    # November: $10 a day for 14 days, $5 so far on the 15th at noon.
    daily = {date(2026, 11, d): Decimal(10) for d in range(1, 15)} | {date(2026, 11, 15): Decimal(5)}
    state = budgets.status(Decimal(250), daily, datetime(2026, 11, 15, 12, tzinfo=UTC))
    assert (state.spend, state.run_rate) == (money(145), money(10))
    assert state.forecast == money(145 + 10 * 15.5)                    # 15.5 days left
    assert state.burn_down()[0] == (date(2026, 11, 1), Decimal(240))
    assert state.burn_down()[-1] == (date(2026, 11, 15), Decimal(105))
    assert budgets.crossed(state, [50, 80, 100]) == [(50, "actual"), (50, "forecast"), (80, "forecast"),
                                                     (100, "forecast")]


def test_minutes_into_a_month_a_burst_is_not_extrapolated():
    state = budgets.status(Decimal(100), {date(2026, 12, 1): Decimal("0.70")}, datetime(2026, 12, 1, 0, 3, tzinfo=UTC))
    assert (state.run_rate, state.forecast) == (money(0), money("0.70"))


def test_first_day_forecast_uses_the_part_of_the_day_gone():
    state = budgets.status(Decimal(100), {date(2026, 12, 1): Decimal(2)}, datetime(2026, 12, 1, 6, tzinfo=UTC))
    assert state.run_rate == money(8)                                   # $2 in a quarter day
    assert state.forecast == money(2 + 8 * Decimal("30.75"))


@pytest.mark.clickhouse
@pytest.mark.django_db(transaction=True)
def test_a_threshold_alert_fires_once_through_the_alert_channels(ingest_server, ingest_key, project):
    now = datetime.now(UTC)
    first = budgets.month_start(now)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    # $0.15 per call (1M input tokens of gpt-4o-mini): 4 calls on the 1st of the month.
    send_calls(ingest_server, ingest_key, [Call(start + timedelta(hours=1, minutes=i), "gpt-4o-mini",
                                                input_tokens=1_000_000) for i in range(4)])
    services.cost_window(project, start, start + timedelta(hours=2), kind=CostRun.Kind.SWEEP)
    receiver = Receiver()
    try:
        alerts_services.channel_create(project, name="finance pager", kind="pagerduty",
                                       config={"url": receiver.url, "routing_key": "R0UT1NGKEY0123456789abcdefABCDEF"})
        budget = Budget.objects.create(project=project, name="gpt budget", scope="model", scope_value="gpt-4o-mini",
                                       monthly_usd=Decimal("1.00"), thresholds=[50, 100])
        Budget.objects.create(project=project, name="other model", scope="model", scope_value="o3",
                              monthly_usd=Decimal("1.00"), thresholds=[50])
        fired = services.budgets_check(project, now)
        assert {(a.threshold, a.basis) for a in fired if a.budget == budget} >= {(50, "actual")}
        assert all(a.budget == budget for a in fired)
        assert services.budgets_check(project, now) == []              # once per month and threshold
        assert BudgetAlert.objects.filter(budget=budget, threshold=50, basis="actual").count() == 1
        state = services.budget_status(budget, now)
        assert state.spend == money("0.60")
        delivery = Delivery.objects.get(message_id__contains=f"budget-{budget.pk}-{first:%Y%m}-50-actual")
        assert alerts_services.delivery_attempt(delivery.pk) == "delivered"
        sent = receiver.requests[-1].json()
        assert sent["payload"]["class"] == "budget_threshold"
        assert "gpt budget" in sent["payload"]["summary"] and "50%" in sent["payload"]["summary"]
        assert sent["payload"]["custom_details"]["spend_usd"] == "0.60"
    finally:
        receiver.close()
