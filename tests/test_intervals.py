"""models.intervals: levels, Gaussian bounds and rolling conformal bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from forecast_bench import models
from forecast_bench.models.base import Forecaster
from forecast_bench.models.errors import ModelError
from forecast_bench.models.intervals import (
    CALIBRATION_WINDOW,
    check_levels,
    conformal_bounds,
    conformal_rank,
    gaussian_bounds,
    level_name,
)
from tests.test_check_forecaster import _Peeking  # forecasts y[origin]: a cheat


class _Zero(Forecaster):
    """Forecasts 0 at every step: on i.i.d. data its errors are exchangeable."""

    def _fit(self, y):
        pass

    def _predict(self, history, horizon):
        return np.zeros(horizon)


def test_levels_are_checked_sorted_and_named():
    assert check_levels([95, 80, 95]) == (80.0, 95.0)
    assert [level_name(v) for v in (80.0, 97.5)] == ["80", "97.5"]
    for bad in (0, 100, -5, "95", True):
        with pytest.raises(ModelError, match="between 0 and 100"):
            check_levels([bad])


def test_gaussian_bounds_use_normal_quantiles():
    point, sd = np.array([[10.0, 20.0]]), np.array([[1.0, 2.0]])
    lower, upper = gaussian_bounds(point, sd, (80.0, 95.0))
    np.testing.assert_allclose(upper[1] - point, 1.959963985 * sd, rtol=1e-9)
    np.testing.assert_allclose(point - lower[0], 1.281551566 * sd, rtol=1e-9)


def test_conformal_rank_is_the_finite_sample_quantile():
    assert conformal_rank(19, 95) == 19  # ceil(20 * 0.95)
    assert conformal_rank(18, 95) is None  # ceil(19 * 0.95) = 19 > 18: no finite bound
    assert conformal_rank(99, 80) == 80
    assert conformal_rank(4, 50) == 3  # ceil(2.5)


def test_conformal_bounds_equal_a_plain_loop():
    rng = np.random.default_rng(0)
    calibration = np.arange(10, 70)
    errors = rng.normal(size=(len(calibration), 3))
    errors[-5:, 1:] = np.nan  # targets not yet known
    origins = np.array([30, 45, 70, 71])
    point = rng.normal(size=(len(origins), 3))
    levels = (50.0, 90.0)
    lower, upper = conformal_bounds(point, origins, calibration, errors, levels, window=25)
    for r, origin in enumerate(origins):
        for j in range(3):
            eligible = [abs(errors[i, j]) for i, o in enumerate(calibration)
                        if o + j <= origin - 1][-25:]  # the 25 most recent origins
            usable = sorted(e for e in eligible if np.isfinite(e))
            for k, level in enumerate(levels):
                rank = math.ceil((len(usable) + 1) * level / 100)
                if rank > len(usable):
                    assert np.isnan(upper[k, r, j])
                else:
                    assert upper[k, r, j] == pytest.approx(point[r, j] + usable[rank - 1])
                    assert lower[k, r, j] == pytest.approx(point[r, j] - usable[rank - 1])


def test_conformal_window_bounds_the_errors_used():
    calibration = np.arange(1000)
    errors = np.where(calibration < 1000 - CALIBRATION_WINDOW, 100.0, 1.0)[:, None]
    _, upper = conformal_bounds(np.zeros((1, 1)), np.array([1000]), calibration, errors,
                                (95.0,))
    assert upper[0, 0, 0] == 1.0  # the old, large errors are outside the window


def test_conformal_coverage_is_at_least_nominal_on_exchangeable_data():
    y = np.random.default_rng(1).normal(size=3200)
    model = _Zero().fit(y[:200])
    origins = np.arange(1200, 3200 - 2)
    forecast = model.forecast(y, origins, 2, levels=[80, 95])
    assert forecast.interval_method == "conformal"
    targets = origins[:, None] + np.arange(2)
    inside = (forecast.lower <= y[targets]) & (y[targets] <= forecast.upper)
    coverage = inside.mean(axis=(1, 2)) * 100
    # nominal or more, up to Monte Carlo error (sd about 0.6 and 0.3 points here)
    assert coverage[0] >= 80 - 1.5 and coverage[1] >= 95 - 1.0, coverage
    assert coverage[0] <= 80 + 2.5 and coverage[1] <= 95 + 1.5, coverage  # not trivially wide


def test_conformal_bounds_see_no_later_value_even_for_a_cheating_model():
    # the bound's calibration errors come from before the origin; only the point peeks
    y = np.random.default_rng(2).normal(size=300)
    model = _Peeking().fit(y[:100])
    base = model.forecast(y, [200], 3, levels=[90])
    changed = y.copy()
    changed[200:] += 50
    again = model.forecast(changed, [200], 3, levels=[90])
    np.testing.assert_allclose(again.upper - again.point, base.upper - base.point, rtol=0,
                               atol=1e-12)


def test_too_little_history_gives_nan_bounds_not_an_error():
    y = np.random.default_rng(3).normal(size=40)
    model = models.get("mlp", lags=2, hidden=[2], max_iter=50).fit(y[:12])
    forecast = model.forecast(y, [12], 1, levels=[95])
    assert np.isnan(forecast.lower).all() and np.isnan(forecast.upper).all()
    assert np.isfinite(forecast.point).all()


def test_analytic_naive_bounds_are_point_plus_minus_z_sigma_sqrt_h():
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0])
    model = models.get("naive").fit(y)
    forecast = model.forecast(y, [6], 3, levels=[95])
    sigma = math.sqrt(np.mean(np.diff(y) ** 2))
    half = norm.ppf(0.975) * sigma * np.sqrt([1, 2, 3])
    np.testing.assert_allclose(forecast.upper[0, 0], 6 + half, rtol=1e-9)
    np.testing.assert_allclose(forecast.lower[0, 0], 6 - half, rtol=1e-9)
    assert forecast.interval_method == "analytic"
