"""Detection on constructed series: a level shift and a spike open anomalies (with where they began),
a daily pattern with three seasons of history does not, and a blip shorter than the minimum duration
does not either."""

import numpy as np

from apps.anomaly.detect import Params, change_point, detect

RNG = np.random.default_rng(7)
PARAMS = Params(min_relative=0.2)


def noise(n: int, level: float = 100.0, sd: float = 5.0) -> np.ndarray:
    return RNG.normal(level, sd, n)


def test_a_level_shift_opens_and_its_change_point_is_found():
    series = np.concatenate([noise(600), noise(12, level=160)])
    verdict = detect(series, PARAMS)
    assert verdict.anomalous and verdict.method == "robust" and verdict.direction == "up"
    assert abs(verdict.change_point - 600) <= 1
    assert verdict.observed > 150 and abs(verdict.expected - 100) < 3 and verdict.score > 3.5


def test_a_spike_lasting_the_minimum_duration_opens():
    series = np.concatenate([noise(600), noise(5, level=1000)])
    verdict = detect(series, PARAMS)
    assert verdict.anomalous and verdict.anomalous_points == 5 and verdict.started == 600


def test_a_blip_shorter_than_the_minimum_duration_does_not_open():
    series = np.concatenate([noise(600), noise(2, level=1000), noise(5)])
    verdict = detect(series, PARAMS)
    assert not verdict.anomalous and verdict.anomalous_points == 2
    assert not detect(np.concatenate([noise(600), noise(2, level=1000)]), PARAMS).anomalous


def test_a_daily_pattern_with_three_seasons_of_history_does_not_alert():
    """Traffic triples every morning at 08:00: with three days of history that is expected."""
    minutes = np.arange(3 * 1440 + 487)             # ends at 08:07 on the fourth day
    daytime = (minutes % 1440 >= 480) & (minutes % 1440 < 1200)
    series = np.where(daytime, 300.0, 100.0) + RNG.normal(0, 5, len(minutes))
    verdict = detect(series, PARAMS)
    assert verdict.method == "seasonal" and not verdict.anomalous
    assert abs(verdict.expected - 300) < 10
    # The same morning judged without seasons (too little history for them) looks like an anomaly.
    assert detect(series[-700:], PARAMS).anomalous
    # A real shift on top of the pattern still opens.
    shifted = series.copy()
    shifted[-7:] += 150
    assert detect(shifted, PARAMS).anomalous


def test_down_moves_and_small_changes_follow_the_series_kind():
    drop = np.concatenate([noise(600), noise(7, level=40)])
    assert not detect(drop, PARAMS).anomalous, "up-only series ignore drops"
    both = Params(direction="both", min_relative=0.2)
    assert detect(drop, both).anomalous and detect(drop, both).direction == "down"
    tiny = np.concatenate([noise(600, sd=0.1), noise(7, level=100.8, sd=0.1)])
    assert detect(tiny, Params()).anomalous and not detect(tiny, PARAMS).anomalous, "under 20% is not worth a page"


def test_flat_and_sparse_series_are_handled():
    flat = np.concatenate([np.full(600, 0.0), np.full(7, 0.3)])
    assert detect(flat, Params(min_change=0.05)).anomalous, "a zero-error series that starts failing"
    sparse = np.full(607, np.nan)
    sparse[::50] = 1.0
    assert detect(sparse, PARAMS).method == "none" and not detect(sparse, PARAMS).anomalous
    assert change_point(np.concatenate([np.zeros(50), np.ones(50)])) == 50
    assert change_point(noise(100)) is None
