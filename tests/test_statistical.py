"""Naive2, SES, Holt, damped, Comb and Theta: against plain loops and statsmodels called
directly with the same parameters; estimates at least as good as statsmodels' own."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.holtwinters import Holt, SimpleExpSmoothing
from statsmodels.tsa.seasonal import seasonal_decompose

from forecast_bench import models
from forecast_bench.models.smoothing import Smoothing, fit_smoothing
from tests.test_seasonality import m3_series, seasonal_series

SEASONAL_MODELS = ["naive2", "ses", "holt", "damped", "comb", "theta"]


def statsmodels_forecast(fitted: Smoothing, y: np.ndarray, horizon: int) -> np.ndarray:
    """statsmodels' forecast from the end of y with our parameters and initial states."""
    if not fitted.has_trend:
        model = SimpleExpSmoothing(y, initialization_method="known",
                                   initial_level=fitted.level0)
        return model.fit(smoothing_level=fitted.alpha, optimized=False).forecast(horizon)
    damped = fitted.phi < 1
    model = Holt(y, damped_trend=damped, initialization_method="known",
                 initial_level=fitted.level0, initial_trend=fitted.trend0)
    return model.fit(smoothing_level=fitted.alpha, smoothing_trend=fitted.beta,
                     damping_trend=fitted.phi if damped else None,
                     optimized=False).forecast(horizon)


@pytest.mark.parametrize("kind", ["ses", "holt", "damped"])
@pytest.mark.parametrize("name", ["N1402", "N2000"])
def test_smoothing_forecasts_equal_statsmodels(kind, name):
    y = m3_series(name)
    train = y[:-18]
    fitted = fit_smoothing(train, kind)
    for origin in (len(train), len(train) + 7):
        ours = fitted.forecast(y, np.array([origin]), 18)[0]
        np.testing.assert_allclose(ours, statsmodels_forecast(fitted, y[:origin], 18),
                                   rtol=1e-6, atol=1e-6)


@pytest.mark.numerics
@pytest.mark.parametrize("kind", ["ses", "holt", "damped"])
@pytest.mark.parametrize("name", ["N1402", "N1650", "N2000", "N2500"])
def test_estimates_fit_at_least_as_well_as_statsmodels_ets(kind, name):
    """Least squares of one-step errors (the likelihood's optimum for ETS(A,*,N)): our SSE is
    no worse than statsmodels' ETSModel maximum likelihood within the same bounds."""
    train = m3_series(name)[:-18]
    ours = np.sum(fit_smoothing(train, kind).fitted_errors(train) ** 2)
    bounds = {"damping_trend": (0.8, 0.98)} if kind == "damped" else None
    theirs = ETSModel(train, error="add", trend=None if kind == "ses" else "add",
                      damped_trend=kind == "damped", bounds=bounds).fit(disp=False)
    assert ours <= np.sum(theirs.resid**2) * (1 + 1e-6)


@pytest.mark.numerics
def test_ses_recovers_its_parameter():
    rng = np.random.default_rng(3)
    level, values = 50.0, []
    for _ in range(3000):
        error = rng.normal()
        values.append(level + error)
        level += 0.3 * error
    assert abs(fit_smoothing(np.array(values), "ses").alpha - 0.3) < 0.03


def test_naive2_equals_a_plain_loop():
    y = seasonal_series(n=108)
    train = y[:96]
    indices = seasonal_decompose(train, model="multiplicative", period=12).seasonal[:12]
    model = models.get("naive2", period=12).fit(train)
    for origin in (96, 100):
        expected = [y[origin - 1] / indices[(origin - 1) % 12] * indices[(origin + k) % 12]
                    for k in range(6)]
        np.testing.assert_allclose(model.predict(6, history=y[:origin]), expected, rtol=1e-12)
    noise = 100 + np.random.default_rng(4).normal(0, 1, 96)  # not seasonal: the random walk
    np.testing.assert_array_equal(models.get("naive2", period=12).fit(noise).predict(3),
                                  np.full(3, noise[-1]))


def test_comb_is_the_mean_of_ses_holt_damped():
    y = seasonal_series(n=108)
    origins = [96, 101]
    parts = [models.get(name, period=12).fit(y[:96]).predict_origins(y, origins, 5)
             for name in ("ses", "holt", "damped")]
    comb = models.get("comb", period=12).fit(y[:96]).predict_origins(y, origins, 5)
    np.testing.assert_allclose(comb, np.mean(parts, axis=0), rtol=1e-12)


def test_theta_equals_line_plus_ses_by_hand():
    y = m3_series("N2000")
    train, horizon = y[:-18], 18
    model = models.get("theta", period=1).fit(train)
    time = np.arange(1, len(train) + 1)
    slope, intercept = np.polyfit(time, train, 1)
    line_ahead = intercept + slope * (len(train) + np.arange(1, horizon + 1))
    ses = model.ses_
    theta2 = 2 * train - (intercept + slope * time)
    smoothed = SimpleExpSmoothing(theta2, initialization_method="known",
                                  initial_level=ses.level0)
    ses_ahead = smoothed.fit(smoothing_level=ses.alpha, optimized=False).forecast(horizon)
    np.testing.assert_allclose(model.predict(horizon), 0.5 * line_ahead + 0.5 * ses_ahead,
                               rtol=1e-9)


@pytest.mark.parametrize("name", SEASONAL_MODELS)
def test_seasonal_batched_equals_loop_and_no_lookahead(name):
    y = seasonal_series(n=120)
    model = models.get(name, period=12).fit(y[:96])
    assert model.season_.seasonal
    origins = [96, 100, 110]
    batched = model.predict_origins(y, origins, 8)
    looped = np.vstack([model.predict(8, history=y[:o]) for o in origins])
    np.testing.assert_allclose(batched, looped, rtol=0, atol=1e-8)
    for row, origin in enumerate(origins):
        changed = y.copy()
        changed[origin:] *= 1.7
        again = model.predict_origins(changed, origins[: row + 1], 8)[row]
        np.testing.assert_allclose(again, batched[row], rtol=0, atol=1e-8)


@pytest.mark.parametrize("name", SEASONAL_MODELS)
def test_seasonal_models_beat_the_random_walk_on_a_seasonal_series(name):
    y = seasonal_series(n=120, amplitude=0.3)
    forecast = models.get(name, period=12).fit(y[:102]).predict(18)
    naive_error = np.mean(np.abs(y[101] - y[102:]))
    assert np.mean(np.abs(forecast - y[102:])) < naive_error / 2
    assert "seasonally adjusted (period 12)" in models.get(name, period=12).fit(
        y[:102]).describe_fit()


def test_bad_config_is_a_config_error():
    with pytest.raises(models.ConfigError, match="deseasonalize must be one of"):
        models.get("theta", deseasonalize="maybe")
    with pytest.raises(models.ConfigError, match="period must be an integer"):
        models.get("ses", period=0)
