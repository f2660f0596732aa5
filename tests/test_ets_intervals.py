"""ETS intervals: analytic for the six linear additive-error models (HKOS 2008 Table 6.1), equal
to statsmodels' exact ones with the same parameters, initial states and sigma^2; conformal when
the chosen model has a multiplicative component; blind to later values; covering their level on
simulated ETS(A,Ad,A) data."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecast_bench import models
from forecast_bench.models.ets import Ets
from forecast_bench.models.ets_recursion import EtsFit, statsmodels_spec, variance_factors
from tests.test_smoothing_intervals import rescaled_bounds

LINEAR = ["ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA"]
PERIOD, N, N_TRAIN = 4, 100, 80
LEVELS = (80, 95)
HORIZON = 9  # two full seasons ahead: the gamma terms at j = 4 and 8


def simulate_aada(n: int = N, seed: int = 3) -> np.ndarray:
    """ETS(A,Ad,A) data (alpha 0.5, beta 0.15, gamma 0.25, phi 0.9, sigma 1, period 4): every
    linear model fitted to its first 80 values has its smoothing parameters inside (0, 1)."""
    rng = np.random.default_rng(seed)
    alpha, beta, gamma, phi = 0.5, 0.15, 0.25, 0.9
    level, slope = 20.0, 0.3
    season = list(3 * np.sin(2 * np.pi * np.arange(PERIOD) / PERIOD))
    out = []
    for t in range(n):
        error = rng.normal()
        out.append(level + phi * slope + season[t] + error)
        level += phi * slope + alpha * error
        slope = phi * slope + beta * error
        season.append(season[t] + gamma * error)
    return np.array(out)


@functools.cache
def fitted(code: str, initialization: str = "estimated") -> Ets:
    trend = "A" if "A" in code[1:-1] else "N"
    damped = "d" in code if trend == "A" else None
    return models.get("ets", components=code[0] + trend + code[-1], damped=damped,
                      period=PERIOD, initialization=initialization).fit(simulate_aada()[:N_TRAIN])


def statsmodels_result(fit: EtsFit, y: np.ndarray, origin: int):
    """statsmodels' ETSModel on y[:origin] with our initial states ("known", seasons oldest
    first) smoothed with our parameters (statsmodels' beta, gamma are ours: the error-correction
    coefficients). A pandas Series: statsmodels 0.15's get_prediction fails on an array."""
    known = {"initial_level": fit.level}
    if fit.trend == "A":
        known["initial_trend"] = fit.slope
    if fit.season != "N":
        known["initial_seasonal"] = fit.seasonal
    model = ETSModel(pd.Series(y[:origin]), initialization_method="known", **known,
                     **statsmodels_spec(fit.error, fit.trend, fit.damped, fit.season, fit.period))
    values = {"smoothing_level": fit.alpha, "smoothing_trend": fit.beta,
              "smoothing_seasonal": fit.gamma, "damping_trend": fit.phi}
    return model.smooth([values[name] for name in model.param_names])


def statsmodels_bounds(fit: EtsFit, y: np.ndarray, origin: int,
                       sigma2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """statsmodels' points and exact bounds (levels x HORIZON) from `origin`, its variance
    rescaled from its own scale (SSE / origin over y[:origin]) to `sigma2`."""
    result = statsmodels_result(fit, y, origin)
    prediction = result.get_prediction(start=origin, end=origin + HORIZON - 1)
    assert prediction.method == "exact"
    return rescaled_bounds(prediction, LEVELS, sigma2 / result.mse)


@pytest.mark.parametrize(("code", "initialization"),
                         [(code, "estimated") for code in LINEAR] + [("AAdA", "heuristic")])
def test_bounds_equal_statsmodels_exact_intervals(code, initialization):
    y = simulate_aada()
    model = fitted(code, initialization)
    fit = model.fit_
    assert fit.code == code and fit.linear
    used = [fit.alpha] + [fit.beta] * (fit.trend == "A") + [fit.gamma] * (fit.season == "A")
    assert all(0.01 < value < 0.99 for value in used), used  # every c_j term matters
    assert model.scale_ != 1.0  # fitted on rescaled data: sigma^2 is in the data's units
    # sigma^2: SSE / n of the training one-step errors, statsmodels' mse at the training end
    assert model.sigma2_ == pytest.approx(statsmodels_result(fit, y, N_TRAIN).mse, rel=1e-10)
    origins = [N_TRAIN, N_TRAIN + 3, N_TRAIN + 10]
    forecast = model.forecast(y, origins, HORIZON, levels=LEVELS)
    assert forecast.interval_method == model.interval_method == "analytic"
    for row, origin in enumerate(origins):
        point, lower, upper = statsmodels_bounds(fit, y, origin, model.sigma2_)
        np.testing.assert_allclose(forecast.point[row], point, rtol=0, atol=1e-6)
        np.testing.assert_allclose(forecast.lower[:, row], lower, rtol=0, atol=1e-6)
        np.testing.assert_allclose(forecast.upper[:, row], upper, rtol=0, atol=1e-6)


def test_variance_factors_equal_the_state_space_sum():
    """1 + sum_{j<h} c_j^2 with c_j = w' F^(j-1) g (HKOS 2008, ch. 6), state (l, b, s_t, ...,
    s_{t-m+1}), for ETS(A,Ad,A) with m = 4 over three seasons."""
    alpha, beta, gamma, phi, m = 0.4, 0.2, 0.3, 0.9, 4
    fit = EtsFit("A", "A", True, "A", m, alpha, beta, gamma, phi, 0.0, 0.0, np.zeros(m))
    big_f = np.zeros((m + 2, m + 2))
    big_f[0, :2] = [1.0, phi]
    big_f[1, 1] = phi
    big_f[2, -1] = 1.0  # the newest season is the one m steps back
    big_f[3:, 2:-1] = np.eye(m - 1)
    w = np.zeros(m + 2)
    w[:2], w[-1] = [1.0, phi], 1.0
    g = np.zeros(m + 2)
    g[:3] = [alpha, beta, gamma]
    expected, total = [], 1.0
    for h in range(1, 13):
        expected.append(total)
        total += float(w @ np.linalg.matrix_power(big_f, h - 1) @ g) ** 2
    np.testing.assert_allclose(variance_factors(fit, 12), expected, rtol=1e-14)


def test_multiplicative_choice_keeps_conformal_intervals():
    y = simulate_aada()
    assert models.get("ets").interval_method == "conformal"  # before fit
    model = models.get("ets", components="MNN").fit(y[:N_TRAIN])
    assert model.fit_.code == "MNN" and not model.fit_.linear
    forecast = model.forecast(y, [N_TRAIN, N - 3], 3, levels=LEVELS)
    assert forecast.interval_method == model.interval_method == "conformal"
    assert np.isfinite(forecast.lower).all() and np.isfinite(forecast.upper).all()
    with pytest.raises(models.ModelError, match="no analytic intervals"):
        model._forecast_sd(y, np.array([N_TRAIN]), 3)


def test_automatic_choice_reports_its_method():
    y = simulate_aada() - 25.0  # values <= 0: only additive-error, additive-season candidates
    model = models.get("ets", period=PERIOD).fit(y[:N_TRAIN])
    assert model.fit_.linear
    assert model.forecast(y, [N_TRAIN], 2, levels=[90]).interval_method == "analytic"
    constant = models.get("ets").fit(np.full(30, 5.0))  # ETS(A,N,N), sigma^2 0
    forecast = constant.forecast(np.full(35, 5.0), [30, 33], 3, levels=[95])
    assert forecast.interval_method == "analytic" and constant.sigma2_ == 0.0
    np.testing.assert_array_equal(forecast.lower[0], forecast.point)


@pytest.mark.parametrize("code", ["AAdN", "AAdA"])
def test_bounds_see_no_later_value(code):
    y = simulate_aada()
    model = fitted(code)
    origins = [N_TRAIN, N_TRAIN + 4, N_TRAIN + 11]
    forecast = model.forecast(y, origins, HORIZON, levels=LEVELS)
    rng = np.random.default_rng(8)
    for row, origin in enumerate(origins):
        changed = y.copy()
        changed[origin:] = changed[origin:] * 1.7 + rng.normal(0, 5, N - origin)
        again = model.forecast(changed, origins, HORIZON, levels=LEVELS)
        np.testing.assert_array_equal(again.lower[:, row], forecast.lower[:, row])
        np.testing.assert_array_equal(again.upper[:, row], forecast.upper[:, row])


def test_aada_95_interval_covers_simulated_aada():
    """12 simulated ETS(A,Ad,A) series, fitted on 300 values, 4,164 origins: the 95% interval
    covers within 1.5 points at steps 1 and 5; shrunk to 0.8 of its width it falls short."""
    inside, narrow, total = np.zeros(2), np.zeros(2), 0
    steps = np.array([1, 5])
    for seed in range(12):
        y = simulate_aada(650, seed=100 + seed)
        model = models.get("ets", components="AAA", damped=True, period=PERIOD).fit(y[:300])
        origins = np.arange(300, len(y) - 4)
        forecast = model.forecast(y, origins, 5, levels=[95])
        miss = np.abs(y[origins[:, None] + steps - 1] - forecast.point[:, steps - 1])
        half = (forecast.upper[0][:, steps - 1] - forecast.lower[0][:, steps - 1]) / 2
        inside += np.sum(miss <= half, axis=0)
        narrow += np.sum(miss <= 0.8 * half, axis=0)
        total += len(origins)
    coverage, shrunk = 100 * inside / total, 100 * narrow / total
    assert np.all(np.abs(coverage - 95) <= 1.5), coverage
    assert np.all(shrunk < 95 - 1.5), shrunk
