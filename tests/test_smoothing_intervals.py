"""SES, Holt and damped trend's analytic intervals (the class-1 ETS forecast variance, HKOS 2008
Table 6.1): equal to statsmodels' ETSModel smoothed with the same parameters, initial states and
sigma^2; re-seasonalised on a seasonal series; blind to later values; covering their level on
simulated ETS(A,N,N) data."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecast_bench import models
from forecast_bench.models.smoothing import Smoothing
from tests.test_seasonality import m3_series, seasonal_series

KINDS = ("ses", "holt", "damped")
LEVELS = (80, 95)
HORIZON = 6


def statsmodels_bounds(fitted: Smoothing, x: np.ndarray, origin: int,
                       sigma2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """statsmodels' point forecasts and exact bounds (levels x HORIZON) from `origin`: ETSModel on
    x[:origin] with our initial states ("known") smoothed with our parameters (its trend
    smoothing is our alpha * beta), its variance rescaled from its own scale (SSE / origin, over
    x[:origin]) to `sigma2`; also that scale. (A pandas Series: statsmodels 0.15's
    get_prediction fails on a plain array.)"""
    params, known = [fitted.alpha], {"initial_level": fitted.level0}
    if fitted.has_trend:
        params.append(fitted.alpha * fitted.beta)
        known["initial_trend"] = fitted.trend0
    damped = fitted.phi < 1
    if damped:
        params.append(fitted.phi)
    model = ETSModel(pd.Series(x[:origin]), error="add", trend="add" if fitted.has_trend else None,
                     damped_trend=damped, initialization_method="known", **known)
    result = model.smooth(params)
    prediction = result.get_prediction(start=origin, end=origin + HORIZON - 1)
    mean, lower, upper = rescaled_bounds(prediction, LEVELS, sigma2 / result.mse)
    return mean, lower, upper, float(result.mse)


def rescaled_bounds(prediction, levels: tuple[float, ...],
                    variance_ratio: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """statsmodels' ETS prediction (`get_prediction`) as points and bounds (levels x steps),
    the interval's half-widths scaled by sqrt(variance_ratio): statsmodels' variance at another
    sigma^2 (it re-estimates sigma^2 over the data up to each origin)."""
    rescale = np.sqrt(variance_ratio)
    lower, upper = [], []
    for level in levels:
        frame = prediction.summary_frame(alpha=1 - level / 100)
        mean = frame["mean"].to_numpy()
        lower.append(mean - (mean - frame["pi_lower"].to_numpy()) * rescale)
        upper.append(mean + (frame["pi_upper"].to_numpy() - mean) * rescale)
    return mean, np.array(lower), np.array(upper)


def largest_difference(model: models.Forecaster, x: np.ndarray, y: np.ndarray,
                       origins: list[int], factors: np.ndarray | None = None) -> float:
    """Largest absolute difference of the model's points and bounds on y from statsmodels' on
    the adjusted series x, multiplied by the seasonal `factors` (origins x HORIZON) if given."""
    forecast = model.forecast(y, origins, HORIZON, levels=LEVELS)
    assert forecast.interval_method == "analytic"
    worst = 0.0
    for row, origin in enumerate(origins):
        point, lower, upper, _ = statsmodels_bounds(model.smoothing_, x, origin, model.sigma2_)
        scale = np.ones(HORIZON) if factors is None else factors[row]
        for got, expected in ((forecast.point[row], point * scale),
                              (forecast.lower[:, row], lower * scale),
                              (forecast.upper[:, row], upper * scale)):
            worst = max(worst, float(np.abs(got - expected).max()))
    return worst


@pytest.mark.numerics
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["N2161", "N2701"])  # smoothing parameters well inside (0, 1)
def test_bounds_equal_statsmodels_ets(kind, name):
    y = m3_series(name)
    n = len(y) - 18
    model = models.get(kind, period=1).fit(y[:n])
    assert not model.season_.seasonal
    # the same sigma^2: SSE / n of the training part's one-step errors, statsmodels' scale
    _, _, _, mse = statsmodels_bounds(model.smoothing_, y, n, model.sigma2_)
    assert model.sigma2_ == pytest.approx(mse, rel=1e-12)
    origins = [n, n + 1, n + 7, len(y) - HORIZON, len(y)]
    assert largest_difference(model, y, y, origins) < 1e-6  # values in the thousands


def test_variance_factors_equal_the_state_space_sum():
    """1 + sum_{j<h} c_j^2 with c_j = w' F^(j-1) g, by matrix powers (HKOS 2008, ch. 6)."""
    alpha, beta, phi = 0.4, 0.25, 0.9
    fitted = Smoothing(alpha, beta, phi, has_trend=True)
    w, big_f, g = np.array([1.0, phi]), np.array([[1.0, phi], [0.0, phi]]), np.array(
        [alpha, alpha * beta])
    expected, total = [], 1.0
    for h in range(1, 11):
        expected.append(total)
        total += float(w @ np.linalg.matrix_power(big_f, h - 1) @ g) ** 2
    np.testing.assert_allclose(fitted.variance_factors(10), expected, rtol=1e-14)
    np.testing.assert_allclose(Smoothing(alpha).variance_factors(4),
                               1 + alpha**2 * np.arange(4), rtol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_seasonal_bounds_are_the_adjusted_bounds_times_the_index(kind):
    y = seasonal_series(n=120)
    model = models.get(kind, period=12).fit(y[:96])
    season = model.season_
    assert season.seasonal
    x = season.adjust(y)
    _, _, _, mse = statsmodels_bounds(model.smoothing_, x, 96, model.sigma2_)
    assert model.sigma2_ == pytest.approx(mse, rel=1e-12)  # from the adjusted training part
    origins = [96, 101, 110, 120 - HORIZON, 120]
    factors = season.factors(np.array(origins)[:, None] + np.arange(HORIZON))
    assert np.ptp(factors) > 0.3
    assert largest_difference(model, x, y, origins, factors) < 1e-9


@pytest.mark.parametrize("kind", KINDS)
def test_bounds_see_no_later_value(kind):
    y = seasonal_series(n=120)
    model = models.get(kind, period=12).fit(y[:96])
    origins = [96, 100, 107, 114]
    forecast = model.forecast(y, origins, HORIZON, levels=LEVELS)
    rng = np.random.default_rng(8)
    for row, origin in enumerate(origins):
        changed = y.copy()
        changed[origin:] = changed[origin:] * 1.7 + rng.normal(0, 20, len(y) - origin)
        again = model.forecast(changed, origins, HORIZON, levels=LEVELS)  # later rows may change
        np.testing.assert_array_equal(again.lower[:, row], forecast.lower[:, row])
        np.testing.assert_array_equal(again.upper[:, row], forecast.upper[:, row])


def test_smoothing_models_and_theta_are_analytic_comb_and_naive2_conformal():
    y = seasonal_series(n=120)
    for name in ("ses", "holt", "damped", "comb", "theta", "naive2"):
        forecast = models.get(name, period=12).fit(y[:96]).forecast(y, [100], 2, levels=[90])
        expected = "analytic" if name in (*KINDS, "theta") else "conformal"
        assert forecast.interval_method == models.get(name).interval_method == expected


# -- coverage on simulated ETS(A,N,N): y_t = l_{t-1} + e_t, l_t = l_{t-1} + alpha e_t --

N_SERIES, N_TRAIN, N_TEST = 12, 300, 350  # 12 x 347 = 4,164 origins
STEPS = (1, 4)
TOLERANCE = 1.5  # percentage points around 95
SHRINK = 0.8  # the same bounds, half-width x 0.8: must fall outside the band


def simulate_ann(rng: np.random.Generator, n: int, alpha: float = 0.3) -> np.ndarray:
    errors = rng.normal(0, 1, n)
    levels = 50 + alpha * np.concatenate([[0.0], np.cumsum(errors[:-1])])
    return levels + errors


@functools.cache
def ann_coverage() -> dict[int, tuple[float, float]]:
    """step -> percent of targets inside the 95% interval, and inside it shrunk by SHRINK."""
    rng = np.random.default_rng(20261130)
    horizon = max(STEPS)
    hits = {step: [0, 0] for step in STEPS}
    total = 0
    for _ in range(N_SERIES):
        y = simulate_ann(rng, N_TRAIN + N_TEST)
        model = models.get("ses", period=1).fit(y[:N_TRAIN])
        origins = np.arange(N_TRAIN, len(y) - horizon + 1)
        forecast = model.forecast(y, origins, horizon, levels=[95])
        targets = y[origins[:, None] + np.arange(horizon)]
        total += len(origins)
        for step in STEPS:
            j = step - 1
            miss = np.abs(targets[:, j] - forecast.point[:, j])
            half = (forecast.upper[0, :, j] - forecast.lower[0, :, j]) / 2
            hits[step][0] += int(np.sum(miss <= half))
            hits[step][1] += int(np.sum(miss <= SHRINK * half))
    return {step: (100 * inside / total, 100 * narrow / total)
            for step, (inside, narrow) in hits.items()}


@pytest.mark.parametrize("step", STEPS)
def test_ses_95_interval_covers_simulated_ann(step):
    coverage, narrow = ann_coverage()[step]
    assert abs(coverage - 95) <= TOLERANCE, f"step {step}: covers {coverage:.2f}%"
    assert narrow < 95 - TOLERANCE, f"step {step}: the narrower interval covers {narrow:.2f}%"
