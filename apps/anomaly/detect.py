"""Explainable anomaly detection on per-minute series (STANDARDS.md §8), as pure functions.

Each point of the recent window gets a score against a baseline the SRE can check by hand:
- **robust** (the default): the modified z-score M = 0.6745·(x − median)/MAD over the recent history
  (Iglewicz & Hoaglin), anomalous past |M| > 3.5;
- **seasonal**, once at least three seasons of history exist: the prediction for a minute is the
  median of the same minute in past seasons, shifted by how the current season's level differs from
  theirs (SigNoz's seasonal formula, made robust with medians), and the score is the residual over
  the residuals' MAD-scaled spread, anomalous past z = 3.
An anomaly *opens* only when enough of the window's points are anomalous in the same direction and
the change is large enough to matter (per series kind), so a one- or two-minute blip never pages.
A sustained shift is also located: the change point is the split of the series that leaves the least
squared error around the two segments' means (l2, as in PELT with one change)."""

from dataclasses import dataclass

import numpy as np

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class Params:
    threshold: float = 3.5          # |modified z-score| past which a point is anomalous (robust)
    seasonal_threshold: float = 3.0  # |z| past which a point is anomalous (seasonal)
    window: int = 7                 # minutes examined (the most recent)
    min_points: int = 5             # of which at least this many must be anomalous: the minimum duration
    direction: str = "up"           # up | down | both
    min_change: float = 0.0         # and the change from expected at least this much (series units) ...
    min_relative: float = 0.0       # ... and at least this fraction of the expected value
    history: int = 360              # minutes of history the robust baseline uses
    season: int = 1440              # minutes in a season (a day)
    max_seasons: int = 6


@dataclass(frozen=True)
class Verdict:
    anomalous: bool
    method: str                     # robust | seasonal | none (too little history)
    direction: str                  # up | down
    observed: float                 # the window's median
    expected: float                 # what the baseline predicts for it
    score: float                    # the window's median score
    anomalous_points: int
    started: int | None             # index of the first anomalous point of the current run
    change_point: int | None        # where a sustained shift began (index), if one did
    scores: np.ndarray


def detect(values: np.ndarray, params: Params) -> Verdict:
    """Judge the last ``params.window`` points of ``values`` (one per minute, NaN where empty)."""
    values = np.asarray(values, dtype=float)
    window = values[-params.window:]
    prior = values[:-params.window]
    if np.count_nonzero(~np.isnan(prior)) < max(20, params.window * 3):
        return _quiet(values, "none")
    seasonal = len(prior) >= 3 * params.season and _seasons_covered(prior, params.season) >= 3
    expected, scale = (_seasonal(values, params) if seasonal else _robust(prior[-params.history:]))
    scores = (window - expected) / scale
    limit = params.seasonal_threshold if seasonal else params.threshold
    flagged = _flagged(window, expected, scores, limit, params)
    counted = int(np.count_nonzero(flagged))
    direction = "down" if counted and np.nanmedian(scores[flagged]) < 0 else "up"
    started = _run_start(flagged)
    opened = counted >= params.min_points
    offset = len(values) - len(window)
    recent = values[-(params.history + params.window):]
    shift = change_point(recent) if opened else None
    return Verdict(
        anomalous=opened, method="seasonal" if seasonal else "robust", direction=direction,
        observed=float(np.nanmedian(window)) if np.any(~np.isnan(window)) else float("nan"),
        expected=float(np.nanmedian(expected)), score=float(np.nanmedian(scores)) if counted else 0.0,
        anomalous_points=counted, started=offset + started if started is not None else None,
        change_point=len(values) - len(recent) + shift if shift is not None else None, scores=scores)


def _quiet(values: np.ndarray, method: str) -> Verdict:
    return Verdict(False, method, "up", float("nan"), float("nan"), 0.0, 0, None, None, np.zeros(0))


def _seasons_covered(prior: np.ndarray, season: int) -> int:
    full = len(prior) // season
    return sum(1 for k in range(full) if np.count_nonzero(~np.isnan(prior[len(prior) - (k + 1) * season:
                                                                          len(prior) - k * season])) > season // 2)


def _robust(history: np.ndarray) -> tuple[np.ndarray, float]:
    history = history[~np.isnan(history)]
    median = float(np.median(history))
    return np.full(1, median), _spread(history - median, median)


def _seasonal(values: np.ndarray, params: Params) -> tuple[np.ndarray, float]:
    """Per point of the window and of the recent history: median of the same minute in past seasons,
    plus the level difference between this season's recent minutes and theirs."""
    n, s = len(values), params.season
    seasons = min(params.max_seasons, (n - params.window) // s)
    recent = np.arange(n - params.window - params.history, n)
    recent = recent[recent >= seasons * s]
    past = np.stack([values[recent - k * s] for k in range(1, seasons + 1)])
    same_minute = np.nanmedian(past, axis=0)
    level_now = np.nanmedian(values[recent[:-params.window]])
    level_then = np.nanmedian(past[:, :-params.window])
    prediction = same_minute + (level_now - level_then)
    residuals = values[recent[:-params.window]] - prediction[:-params.window]
    residuals = residuals[~np.isnan(residuals)]
    return prediction[-params.window:], _spread(residuals - np.median(residuals), float(np.nanmedian(prediction)))


def _spread(deviations: np.ndarray, level: float) -> float:
    """σ estimated as 1.4826·MAD; a flat history (MAD 0) falls back to the mean absolute deviation,
    then to 1% of the level, so that a constant series still has a finite, meaningful scale."""
    mad = float(np.median(np.abs(deviations))) if len(deviations) else 0.0
    if mad > 0:
        return MAD_TO_SIGMA * mad
    mean_ad = float(np.mean(np.abs(deviations))) if len(deviations) else 0.0
    return max(1.2533 * mean_ad, 0.01 * abs(level), 1e-9)


def _flagged(window, expected, scores, limit: float, params: Params) -> np.ndarray:
    change = window - expected
    big_enough = (np.abs(change) >= params.min_change) & (np.abs(change) >= params.min_relative * np.abs(expected))
    if params.direction == "up":
        beyond = scores > limit
    elif params.direction == "down":
        beyond = scores < -limit
    else:
        beyond = np.abs(scores) > limit
    return beyond & big_enough & ~np.isnan(window)


def _run_start(flagged: np.ndarray) -> int | None:
    """Index in the window where the latest run of flagged points (allowing one gap) began."""
    if not flagged.any():
        return None
    start = int(np.flatnonzero(flagged)[-1])
    gaps = 0
    for i in range(start - 1, -1, -1):
        if flagged[i]:
            start = i
        else:
            gaps += 1
            if gaps > 1:
                break
    return start


def change_point(values: np.ndarray, min_size: int = 2) -> int | None:
    """The split of ``values`` that leaves the least squared error around the two segments' means
    (an l2 change point); None if no split beats keeping one segment."""
    x = values[~np.isnan(values)]
    n = len(x)
    if n < 2 * min_size:
        return None
    csum, csum2 = np.cumsum(x), np.cumsum(x * x)
    total = csum2[-1] - csum[-1] ** 2 / n
    k = np.arange(min_size, n - min_size + 1)
    left = csum2[k - 1] - csum[k - 1] ** 2 / k
    right = (csum2[-1] - csum2[k - 1]) - (csum[-1] - csum[k - 1]) ** 2 / (n - k)
    best = int(np.argmin(left + right))
    if left[best] + right[best] >= total * 0.9:
        return None
    # Map back to the index in ``values`` (NaN points were left out).
    return int(np.flatnonzero(~np.isnan(values))[k[best]])
