"""Theta's analytic intervals: the SES variance sigma^2 (1 + (h - 1) alpha^2) (R's thetaf; the
ARIMA(0,1,1)-with-drift variance of Hyndman & Billah 2003), sigma^2 = SSE / n of Theta's own
one-step errors on the adjusted training part. Checked by hand, against statsmodels' ETS(A,N,N)
on the theta-2 line, its ARIMA(0,1,1) with drift and its ThetaModel with the same parameters;
re-seasonalised on a seasonal series; blind to later values."""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast_bench import models
from forecast_bench.models.statistical import Theta
from tests.test_seasonality import m3_series, seasonal_series
from tests.test_smoothing_intervals import rescaled_bounds

LEVELS = (80, 95)
HORIZON = 6
NAMES = ["N2161", "N2500"]  # yearly, not seasonal; SES alpha 0.61 and 0.30 on the theta-2 line


def z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 200)


def fitted(name: str) -> tuple[Theta, np.ndarray, int]:
    y = m3_series(name)
    n = len(y) - 18
    model = models.get("theta", period=1).fit(y[:n])
    assert not model.season_.seasonal and 0.1 < model.ses_.alpha < 0.9
    return model, y, n


def one_step_errors_by_hand(model: Theta, x: np.ndarray) -> np.ndarray:
    """x_t minus Theta's forecast of it from x[:t]: half the line plus half the SES level."""
    level, alpha, errors = model.ses_.level0, model.ses_.alpha, []
    for t, value in enumerate(x, start=1):
        line = model.intercept_ + model.slope_ * t
        errors.append(value - (0.5 * line + 0.5 * level))
        level += alpha * ((2 * value - line) - level)
    return np.array(errors)


@pytest.mark.parametrize("name", NAMES)
def test_bounds_equal_the_ses_variance_by_hand(name):
    model, y, n = fitted(name)
    errors = one_step_errors_by_hand(model, y[:n])
    assert model.sigma2_ == pytest.approx(np.mean(errors**2), rel=1e-12)
    sd = np.sqrt(model.sigma2_ * (1 + np.arange(HORIZON) * model.ses_.alpha**2))
    origins = [n, n + 1, n + 7, len(y) - HORIZON, len(y)]
    forecast = model.forecast(y, origins, HORIZON, levels=LEVELS)
    assert forecast.interval_method == model.interval_method == "analytic"
    for index, level in enumerate(LEVELS):
        np.testing.assert_allclose(forecast.lower[index], forecast.point - z(level) * sd,
                                   rtol=0, atol=1e-6)
        np.testing.assert_allclose(forecast.upper[index], forecast.point + z(level) * sd,
                                   rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_bounds_are_half_statsmodels_ses_bounds_on_the_theta_line(name):
    """Our bounds = half the line + half statsmodels' exact ETS(A,N,N) bounds of the theta-2
    line, with our alpha and initial level and that SES's sigma^2 (4 times ours: its errors are
    twice Theta's), rescaled to it at a later origin as statsmodels re-estimates it."""
    model, y, n = fitted(name)
    time = np.arange(1, len(y) + 1)
    line = model.intercept_ + model.slope_ * time
    theta2 = 2 * y - line
    for origin in (n, n + 7):
        sm = ETSModel(pd.Series(theta2[:origin]), error="add", initialization_method="known",
                      initial_level=model.ses_.level0).smooth([model.ses_.alpha])
        if origin == n:
            assert sm.mse == pytest.approx(4 * model.sigma2_, rel=1e-12)
        prediction = sm.get_prediction(start=origin, end=origin + HORIZON - 1)
        mean, lower, upper = rescaled_bounds(prediction, LEVELS, 4 * model.sigma2_ / sm.mse)
        forecast = model.forecast(y, [origin], HORIZON, levels=LEVELS)
        half_line = 0.5 * line[origin:origin + HORIZON]
        np.testing.assert_allclose(forecast.point[0], half_line + 0.5 * mean, rtol=0, atol=1e-6)
        for index in range(len(LEVELS)):
            np.testing.assert_allclose(forecast.lower[index, 0], half_line + 0.5 * lower[index],
                                       rtol=0, atol=1e-6)
            np.testing.assert_allclose(forecast.upper[index, 0], half_line + 0.5 * upper[index],
                                       rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_variance_equals_statsmodels_arima011_with_drift(name):
    """The Kalman filter's exact h-step variance of ARIMA(0,1,1) with drift, MA coefficient
    alpha - 1 and our sigma^2 (the model statsmodels' ThetaModel cites for its intervals)."""
    model, y, n = fitted(name)
    forecast = model.forecast(y, [n], HORIZON, levels=[95])
    sd = (forecast.upper[0, 0] - forecast.point[0]) / z(95)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arima = SARIMAX(y[:n], order=(0, 1, 1), trend="c").smooth(
            [model.slope_ / 2, model.ses_.alpha - 1, model.sigma2_])
        variance = arima.get_forecast(HORIZON).var_pred_mean
    np.testing.assert_allclose(sd**2, variance, rtol=1e-9)


@pytest.mark.numerics
@pytest.mark.parametrize("name", NAMES)
def test_points_and_first_step_bounds_equal_statsmodels_theta_model(name):
    """statsmodels' ThetaModelResults with our alpha, sigma^2 and slope (its b0), its SES
    one-step value chosen so its forecasts are ours: equal points and equal h = 1 bounds. For
    h > 1 its prediction_intervals use sigma^2 (1 + (h - 1)(1 + (alpha - 1)^2)), not the SES
    variance (see models.statistical.Theta), so they are compared no further."""
    model, y, n = fitted(name)
    alpha, b0 = model.ses_.alpha, model.slope_
    forecast = model.forecast(y, [n], HORIZON, levels=LEVELS)
    one_step = forecast.point[0, 0] - 0.5 * b0 * (1 - (1 - alpha) ** n) / alpha
    theirs = ThetaModelResults(b0, alpha, model.sigma2_, one_step, np.empty(0), False,
                               ThetaModel(y[:n], deseasonalize=False))
    np.testing.assert_allclose(theirs.forecast(HORIZON).to_numpy(), forecast.point[0],
                               rtol=0, atol=1e-6)
    for index, level in enumerate(LEVELS):
        bounds = theirs.prediction_intervals(HORIZON, alpha=1 - level / 100)
        assert bounds["lower"].iloc[0] == pytest.approx(forecast.lower[index, 0, 0], abs=1e-6)
        assert bounds["upper"].iloc[0] == pytest.approx(forecast.upper[index, 0, 0], abs=1e-6)


def test_seasonal_bounds_are_the_adjusted_bounds_times_the_index():
    y = seasonal_series(n=120)
    model = models.get("theta", period=12).fit(y[:96])
    season = model.season_
    assert season.seasonal
    x = season.adjust(y)
    assert model.sigma2_ == pytest.approx(np.mean(one_step_errors_by_hand(model, x[:96]) ** 2),
                                          rel=1e-12)  # from the adjusted training part
    origins = np.array([96, 101, 110, 120 - HORIZON, 120])
    factors = season.factors(origins[:, None] + np.arange(HORIZON))
    assert np.ptp(factors) > 0.3
    sd = np.sqrt(model.sigma2_ * (1 + np.arange(HORIZON) * model.ses_.alpha**2)) * factors
    forecast = model.forecast(y, origins, HORIZON, levels=LEVELS)
    for index, level in enumerate(LEVELS):
        np.testing.assert_allclose(forecast.upper[index] - forecast.point, z(level) * sd,
                                   rtol=1e-12)
        np.testing.assert_allclose(forecast.point - forecast.lower[index], z(level) * sd,
                                   rtol=1e-12)


def test_bounds_see_no_later_value():
    y = seasonal_series(n=120)
    model = models.get("theta", period=12).fit(y[:96])
    origins = [96, 100, 107, 114]
    forecast = model.forecast(y, origins, HORIZON, levels=LEVELS)
    assert forecast.interval_method == models.get("theta").interval_method == "analytic"
    rng = np.random.default_rng(8)
    for row, origin in enumerate(origins):
        changed = y.copy()
        changed[origin:] = changed[origin:] * 1.7 + rng.normal(0, 20, len(y) - origin)
        again = model.forecast(changed, origins, HORIZON, levels=LEVELS)
        np.testing.assert_array_equal(again.lower[:, row], forecast.lower[:, row])
        np.testing.assert_array_equal(again.upper[:, row], forecast.upper[:, row])
