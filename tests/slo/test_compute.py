"""The SRE Workbook arithmetic and the multi-window decision, on literal per-minute frames."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from apps.slo import compute

DAY = 86400
END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("period_days, expected", [
    (30, [14.4, 6.0, 3.0, 1.0]),
    (28, [13.44, 5.6, 2.8, 0.9333]),
])
def test_burn_rate_thresholds_per_period(period_days, expected):
    factors = [w.factor for w in compute.alert_windows(period_days * DAY)]
    assert factors == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("factor, error_ratio", [(14.4, 0.0144), (6, 0.006), (3, 0.003), (1, 0.001)])
def test_error_ratio_thresholds_for_a_999_slo(factor, error_ratio):
    assert factor * (1 - 0.999) == pytest.approx(error_ratio)


def test_at_100_percent_errors_the_1h_pair_fires_after_51_84_seconds():
    assert compute.time_to_fire_s(0.999, 1.0, 3600, 14.4) == pytest.approx(51.84)


def test_one_hour_at_14_4x_consumes_2_percent_of_a_30_day_budget():
    assert compute.budget_consumed(14.4, 3600, 30 * DAY) == pytest.approx(0.02)


@pytest.mark.parametrize("burn, hours", [(14.4, 50), (6, 120), (3, 240), (1, 720)])
def test_time_to_exhaustion(burn, hours):
    assert compute.time_to_exhaustion_s(30 * DAY, burn) == pytest.approx(hours * 3600)


def minutes(rows: list[tuple[int, int, int]]) -> pl.DataFrame:
    """(minutes before END, good, total) → a frame like the SLI selectors return."""
    return pl.DataFrame({"minute": [END - timedelta(minutes=m) for m, _, _ in rows],
                         "good": [g for _, g, _ in rows], "total": [t for _, _, t in rows]},
                        schema={"minute": pl.Datetime("us", "UTC"), "good": pl.UInt64, "total": pl.UInt64})


def steady(bad_minutes: dict[int, int], span_minutes: int = 4320, per_minute: int = 100) -> pl.DataFrame:
    return minutes([(m, per_minute - bad_minutes.get(m, 0), per_minute) for m in range(1, span_minutes + 1)])


def run(frame: pl.DataFrame, objective: float = 0.999, timeslice: float | None = None) -> compute.Evaluation:
    period = 30 * DAY
    return compute.evaluate(frame, END, objective, END - timedelta(seconds=period), period,
                            compute.alert_windows(period), timeslice)


def test_one_bad_minute_fires_the_page_through_both_windows_of_the_fast_pair():
    evaluation = run(steady({1: 100}))
    fast = evaluation.rows[0]
    assert fast.long_burn == pytest.approx(100 / 6000 / 0.001) and fast.short_burn == pytest.approx(100 / 500 / 0.001)
    assert fast.firing and evaluation.firing("page") and not evaluation.firing("ticket")


def test_a_long_window_alone_does_not_fire_once_the_short_window_has_recovered():
    evaluation = run(steady({20: 100}))        # the burst left the 5 m window, not the 1 h one
    fast = evaluation.rows[0]
    assert fast.long_burn > fast.factor and fast.short_burn == 0
    assert not evaluation.firing("page")


def test_a_slow_steady_burn_opens_a_ticket_not_a_page():
    evaluation = run(steady({m: 1 for m in range(1, 4321, 2)}))   # 0.5 % errors for three days: 5x
    assert evaluation.firing("ticket") and not evaluation.firing("page")


def test_budget_and_exhaustion_follow_the_period_so_far():
    evaluation = run(steady({m: 1 for m in range(1, 61)}))     # 1 % errors for the last hour: 10x
    assert evaluation.total == 432_000 and evaluation.good == 432_000 - 60
    assert evaluation.budget_remaining == pytest.approx(1 - (60 / 432_000) / 0.001)
    hours_left = evaluation.budget_remaining * 30 * 24 / 10
    assert abs(evaluation.exhaustion_at - (END + timedelta(hours=hours_left))) < timedelta(seconds=1)


def test_an_overspent_budget_is_exhausted_now():
    evaluation = run(steady({m: 10 for m in range(1, 61)}))    # 600 bad of 432,000 is over 0.1 %
    assert evaluation.budget_remaining < 0 and evaluation.exhaustion_at == END


def test_no_traffic_spends_no_budget():
    evaluation = run(minutes([]))
    assert (evaluation.sli, evaluation.budget_remaining, evaluation.exhaustion_at) == (1.0, 1.0, None)
    assert not evaluation.firing("page") and not evaluation.firing("ticket")


def test_timeslices_count_bad_minutes_not_bad_events():
    # Three minutes at 90 % good miss a 95 % slice target; every other minute is perfect.
    evaluation = run(steady({1: 10, 2: 10, 3: 10}), objective=0.99, timeslice=0.95)
    five_minutes = next(r for r in evaluation.rows if r.short_s == 300)
    assert five_minutes.short_burn == pytest.approx((3 / 5) / 0.01)
    assert evaluation.total == 30 * 24 * 60 and evaluation.good == 30 * 24 * 60 - 3
