"""ARIMA's analytic prediction intervals against statsmodels called directly."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast_bench import models
from forecast_bench.models import arima
from tests.conftest import random_walk

LEVELS = (80, 95)
HORIZON = 3
N_TRAIN = 150


def seasonal(n: int) -> np.ndarray:
    """A period-12 sine with a little noise, on a slow random walk."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    return 10 + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, n) + np.cumsum(
        rng.normal(0, 0.1, n))


def integrated_arma(n: int, seed: int) -> np.ndarray:
    """An ARIMA(1, 1, 1) path, for which the auto search picks a non-trivial order."""
    noise = np.random.default_rng(seed).normal(0, 1, n + 1)
    changes = np.zeros(n)
    for t in range(1, n):
        changes[t] = 0.6 * changes[t - 1] + noise[t + 1] + 0.4 * noise[t]
    return 50 + np.cumsum(changes)


def statsmodels_bounds(y: np.ndarray, origin: int, spec: dict, params: np.ndarray,
                       horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """statsmodels' point forecast and bounds (levels x horizon) from `origin`, with the
    parameters held fixed."""
    prediction = SARIMAX(y[:origin], **spec).filter(params).get_forecast(horizon)
    intervals = [prediction.conf_int(alpha=1 - level / 100) for level in LEVELS]
    return (prediction.predicted_mean, np.array([ci[:, 0] for ci in intervals]),
            np.array([ci[:, 1] for ci in intervals]))


def max_difference(model: models.Forecaster, y: np.ndarray, spec: dict,
                   origins: list[int]) -> float:
    """Largest absolute difference of the model's point forecasts and bounds from statsmodels'."""
    forecast = model.forecast(y, origins, HORIZON, levels=LEVELS)
    assert forecast.interval_method == "analytic"
    worst = 0.0
    for row, origin in enumerate(origins):
        point, lower, upper = statsmodels_bounds(y, origin, spec, model.result_.params, HORIZON)
        for got, expected in ((forecast.point[row], point), (forecast.lower[:, row], lower),
                              (forecast.upper[:, row], upper)):
            worst = max(worst, float(np.abs(got - expected).max()))
    return worst


def spread_origins(n: int) -> list[int]:
    """The training end, a few origins inside the test part, the last full one and the end."""
    return [N_TRAIN, N_TRAIN + 1, N_TRAIN + 17, n - HORIZON, n]


@pytest.mark.parametrize(("order", "trend"), [
    ((1, 1, 1), "n"), ((1, 1, 0), "c"), ((2, 0, 1), "c"), ((0, 1, 1), "t"), ((1, 0, 0), "t"),
])
def test_bounds_equal_statsmodels_fixed_orders(order, trend):
    y = random_walk(200, seed=3).to_numpy()
    model = models.get("arima", order=list(order), trend=trend).fit(y[:N_TRAIN])
    spec = {"order": order, "trend": trend}
    assert max_difference(model, y, spec, spread_origins(len(y))) < 1e-6


@pytest.mark.parametrize(("order", "seasonal_order"), [
    ((1, 0, 0), (1, 0, 0, 12)), ((0, 1, 1), (0, 1, 1, 12)),
])
def test_bounds_equal_statsmodels_seasonal_orders(order, seasonal_order):
    y = seasonal(200)
    model = models.get("arima", order=list(order), seasonal_order=list(seasonal_order))
    model.fit(y[:N_TRAIN])
    trend = "c" if order[1] + seasonal_order[1] == 0 else "n"  # the default trend
    spec = {"order": order, "seasonal_order": seasonal_order, "trend": trend}
    assert max_difference(model, y, spec, spread_origins(len(y))) < 1e-6


@pytest.mark.parametrize(("y", "params"), [
    (integrated_arma(200, seed=1), {"max_p": 2, "max_q": 2}),  # ARIMA(1, 1, 1) with drift
    (seasonal(200), {"max_p": 1, "max_q": 1, "seasonal_period": 12}),
])
def test_bounds_equal_statsmodels_auto_order(y, params):
    model = models.get("arima", order="auto", **params).fit(y[:N_TRAIN])
    spec = {"order": model.order_, "seasonal_order": model.seasonal_order_,
            "trend": model.trend_}
    assert max_difference(model, y, spec, spread_origins(len(y))) < 1e-6


@pytest.mark.parametrize("params", [{"order": [1, 1, 1]}, {"order": [0, 1, 1], "trend": "t"}])
def test_bounds_see_no_later_value_and_batching_changes_nothing(params):
    y = random_walk(200, seed=8).to_numpy()
    model = models.get("arima", **params).fit(y[:N_TRAIN])
    origins = list(range(N_TRAIN, len(y) + 1))
    batched = model.forecast(y, origins, HORIZON, levels=LEVELS)
    rng = np.random.default_rng(1)
    for row, origin in enumerate(origins[::9]):
        changed = y.copy()
        changed[origin:] += rng.normal(0, 25, len(y) - origin) + 40
        alone = model.forecast(changed, [origin], HORIZON, levels=LEVELS)
        for got, expected in ((alone.lower, batched.lower), (alone.upper, batched.upper)):
            np.testing.assert_allclose(got[:, 0], expected[:, 9 * row], rtol=0, atol=1e-9,
                                       err_msg=f"bounds from origin {origin} saw later values")


def test_time_varying_fallback_gives_the_same_bounds(monkeypatch):
    y = random_walk(200, seed=3).to_numpy()
    model = models.get("arima", order=[1, 1, 1], trend="c").fit(y[:N_TRAIN])
    origins = spread_origins(len(y))
    batched = model.forecast(y, origins, HORIZON, levels=LEVELS)
    monkeypatch.setattr(arima, "_time_varying", lambda ssm: True)
    looped = model.forecast(y, origins, HORIZON, levels=LEVELS)
    for got, expected in ((looped.lower, batched.lower), (looped.upper, batched.upper)):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_the_interval_widens_with_the_step_for_an_integrated_model():
    y = random_walk(200, seed=2).to_numpy()
    model = models.get("arima", order=[0, 1, 0]).fit(y[:N_TRAIN])
    forecast = model.forecast(y, [N_TRAIN, 180], 4, levels=LEVELS)
    width = forecast.upper - forecast.lower
    sigma = np.sqrt(model.result_.params[-1])  # sigma2: a random walk's sd grows as sqrt(h)
    np.testing.assert_allclose(width[1] / (2 * 1.959963984540054 * sigma),
                               np.tile(np.sqrt([1, 2, 3, 4]), (2, 1)), rtol=1e-9)
