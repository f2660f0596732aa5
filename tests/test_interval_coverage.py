"""Analytic prediction intervals: coverage on simulated series whose model is known, and the
naive baselines' bounds against the textbook formulas (Hyndman & Athanasopoulos, FPP3 5.5)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy.stats import norm

from forecast_bench import models

LEVELS = (80, 95)
TOLERANCE = {80: 2.0, 95: 1.5}  # percentage points
STEPS = (1, 5)  # checked steps: the first and a later one
N_SERIES, N_TRAIN, N_TEST = 60, 500, 400  # 60 x 396 = 23,760 origins per case
SHRINK = 0.8  # a deliberately too narrow interval: the same bounds, half-width x 0.8


def random_walk(rng: np.random.Generator, n: int) -> np.ndarray:
    """A Gaussian random walk without drift, steps N(0, 1)."""
    return 100 + np.cumsum(rng.normal(0, 1, n))


def ar1(rng: np.random.Generator, n: int, phi: float = 0.7, mean: float = 10.0) -> np.ndarray:
    """A Gaussian AR(1) started from its stationary distribution, innovations N(0, 1)."""
    noise = rng.normal(0, 1, n)
    out = np.empty(n)
    out[0] = mean + noise[0] / math.sqrt(1 - phi**2)
    for t in range(1, n):
        out[t] = mean + phi * (out[t - 1] - mean) + noise[t]
    return out


SIMULATIONS = {"random walk": random_walk, "AR(1)": ar1}
CASES = {  # (simulated process, model name, model parameters): the model's own assumptions
    "naive on random walk": ("random walk", "naive", {}),
    "ARIMA(0,1,0) on random walk": ("random walk", "arima", {"order": [0, 1, 0]}),
    "ARIMA(1,0,0)+c on AR(1)": ("AR(1)", "arima", {"order": [1, 0, 0], "trend": "c"}),
}


@functools.cache
def coverages(case: str) -> dict[tuple[float, int], tuple[float, float]]:
    """(level, step) -> percent of targets inside the interval, and inside the same interval
    shrunk by SHRINK, over N_SERIES simulated series, each fitted on its first N_TRAIN values
    and forecast from every origin of the rest."""
    process, name, params = CASES[case]
    rng = np.random.default_rng([20261129, list(CASES).index(case)])
    horizon = max(STEPS)
    inside = {(level, step): [0, 0] for level in LEVELS for step in STEPS}
    total = 0
    for _ in range(N_SERIES):
        y = SIMULATIONS[process](rng, N_TRAIN + N_TEST)
        model = models.get(name, **params).fit(y[:N_TRAIN])
        origins = np.arange(N_TRAIN, len(y) - horizon + 1)
        forecast = model.forecast(y, origins, horizon, levels=LEVELS)
        targets = y[origins[:, None] + np.arange(horizon)]
        half = SHRINK * (forecast.upper - forecast.lower) / 2
        total += len(origins)
        for i, level in enumerate(LEVELS):
            for step in STEPS:
                j = step - 1
                target, point = targets[:, j], forecast.point[:, j]
                hits = (forecast.lower[i, :, j] <= target) & (target <= forecast.upper[i, :, j])
                inside[level, step][0] += int(hits.sum())
                inside[level, step][1] += int((np.abs(target - point) <= half[i, :, j]).sum())
    return {key: (100 * hit / total, 100 * narrow / total) for key, (hit, narrow) in inside.items()}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("level", LEVELS)
def test_analytic_intervals_cover_their_level(case, step, level):
    coverage, narrow = coverages(case)[level, step]
    tolerance = TOLERANCE[level]
    assert abs(coverage - level) <= tolerance, (
        f"{case}: {level}% interval at step {step} covers {coverage:.2f}%")
    # the check can fail: the same intervals, a little too narrow, fall outside the band
    assert narrow < level - tolerance, (
        f"{case}: the {SHRINK}x narrower {level}% interval at step {step} covers {narrow:.2f}%")


# -- the naive baselines against FPP3's formulas, by hand on a short series --

Y = np.array([3.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0, 12.0, 10.0, 11.0, 13.0, 12.0])
T = 8  # training values
ORIGINS = (8, 10, 12)
HORIZON = 6
M = 4  # seasonal period


def hand_bounds(point: float, sd: float) -> list[tuple[float, float]]:
    """(lower, upper) for each level: point -+ the normal quantile times sd."""
    return [(point - norm.ppf(0.5 + level / 200) * sd, point + norm.ppf(0.5 + level / 200) * sd)
            for level in LEVELS]


def naive_hand(origin: int, h: int) -> list[tuple[float, float]]:
    """Naive: y_T; sigma from the T - 1 one-step changes; sd sigma sqrt(h)."""
    changes = [Y[t] - Y[t - 1] for t in range(1, T)]
    sigma = math.sqrt(sum(e * e for e in changes) / len(changes))
    return hand_bounds(Y[origin - 1], sigma * math.sqrt(h))


def drift_hand(origin: int, h: int) -> list[tuple[float, float]]:
    """Drift: y_T + h (y_T - y_1) / (T - 1); sigma with one parameter; sd
    sigma sqrt(h (1 + h / T))."""
    slope = (Y[T - 1] - Y[0]) / (T - 1)
    residuals = [Y[t] - Y[t - 1] - slope for t in range(1, T)]
    sigma = math.sqrt(sum(e * e for e in residuals) / (len(residuals) - 1))
    return hand_bounds(Y[origin - 1] + h * slope, sigma * math.sqrt(h * (1 + h / T)))


def seasonal_naive_hand(origin: int, h: int) -> list[tuple[float, float]]:
    """Seasonal naive: y_{T + h - m (k + 1)} with k = floor((h - 1) / m); sd sigma sqrt(k + 1)."""
    k = (h - 1) // M
    residuals = [Y[t] - Y[t - M] for t in range(M, T)]
    sigma = math.sqrt(sum(e * e for e in residuals) / len(residuals))
    return hand_bounds(Y[origin + h - M * (k + 1) - 1], sigma * math.sqrt(k + 1))


@pytest.mark.parametrize(("name", "params", "hand"), [
    ("naive", {}, naive_hand), ("drift", {}, drift_hand),
    ("seasonal_naive", {"period": M}, seasonal_naive_hand),
])
def test_naive_bounds_are_the_textbook_ones(name, params, hand):
    model = models.get(name, **params).fit(Y[:T])
    forecast = model.forecast(Y, ORIGINS, HORIZON, levels=LEVELS)
    assert forecast.interval_method == "analytic"
    for row, origin in enumerate(ORIGINS):
        for h in range(1, HORIZON + 1):
            for i, (lower, upper) in enumerate(hand(origin, h)):
                assert forecast.lower[i, row, h - 1] == pytest.approx(lower, abs=1e-12)
                assert forecast.upper[i, row, h - 1] == pytest.approx(upper, abs=1e-12)
