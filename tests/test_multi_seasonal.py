"""MSTL and dynamic harmonic regression (models/mstl.py, models/dhr.py) against statsmodels
called directly and Fourier terms written out by hand; both on a series with two cycles."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.tsa.seasonal import MSTL
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast_bench import models
from forecast_bench.case import random_walk
from forecast_bench.models.dhr import fourier_terms, harmonic_frequencies
from forecast_bench.models.errors import ConfigError, ModelError


def two_cycles(n: int, seed: int = 0) -> np.ndarray:
    """Hourly-like values: a daily (24) and a weekly (168) cycle on a slow random walk."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    daily = 10 * np.sin(2 * np.pi * t / 24) + 4 * np.cos(4 * np.pi * t / 24)
    weekly = 15 * np.cos(2 * np.pi * t / 168) + 6 * np.sin(4 * np.pi * t / 168)
    return 200 + np.cumsum(rng.normal(0, 0.3, n)) + daily + weekly + rng.normal(0, 1, n)


def test_mstl_decomposes_as_statsmodels_and_repeats_each_last_cycle():
    y = random_walk().to_numpy()[:120] + 5 * np.sin(2 * np.pi * np.arange(120) / 12)
    model = models.get("mstl", periods=[12, 4], trend_params={"components": "ANN"}).fit(y)
    direct = MSTL(y, periods=(4, 12)).fit().seasonal  # columns in ascending period order
    np.testing.assert_allclose(model.components_, direct, rtol=1e-12, atol=1e-12)
    adjusted = y - direct.sum(axis=1)
    np.testing.assert_allclose(model.trend_.y_train_, adjusted, rtol=1e-12)
    ets = models.get("ets", components="ANN").fit(adjusted)
    steps = np.arange(30)
    by_hand = (ets.predict(30) + direct[120 - 4 + steps % 4, 0]
               + direct[120 - 12 + steps % 12, 1])
    np.testing.assert_allclose(model.predict(30), by_hand, rtol=1e-10)


def test_fourier_terms_by_hand():
    t = np.arange(400)
    terms = fourier_terms(t, harmonic_frequencies([24, 168], [12, 8]))
    daily = [f(2 * np.pi * k * t / 24) for k in range(1, 13) for f in (np.cos, np.sin)
             if not (k == 12 and f is np.sin)]  # sin(pi t) is zero
    weekly = [f(2 * np.pi * k * t / 168) for k in (1, 2, 3, 4, 5, 6, 8) for f in (np.cos, np.sin)]
    np.testing.assert_allclose(terms, np.column_stack(daily + weekly), atol=1e-9)  # k=7: 24's 1
    yearly = fourier_terms(t, harmonic_frequencies([365.25]))  # default K: 10
    by_hand = [f(2 * np.pi * k * t / 365.25) for k in range(1, 11) for f in (np.cos, np.sin)]
    np.testing.assert_allclose(yearly, np.column_stack(by_hand), atol=1e-9)
    assert len(harmonic_frequencies([4])) == 2  # 1/4 (cos, sin) and 1/2 (cos only)


def test_dhr_equals_sarimax_with_the_same_regressors():
    rng, t = np.random.default_rng(4), np.arange(200)
    noise = np.zeros(200)
    for i in range(1, 200):  # AR(1) errors: a well-identified likelihood
        noise[i] = 0.6 * noise[i - 1] + rng.normal()
    y = 50 + noise + 3 * np.cos(2 * np.pi * t / 52.18) + np.sin(2 * np.pi * t / 7)
    model = models.get("dhr", periods=[7, 52.18], harmonics=[2, 3], order=[1, 0, 0]).fit(y[:150])
    exog = np.column_stack([f(2 * np.pi * k * t / p) for p, ks in ((7, 2), (52.18, 3))
                            for k in range(1, ks + 1) for f in (np.cos, np.sin)])
    direct = SARIMAX(y[:150], exog=exog[:150], order=(1, 0, 0), trend="c")
    # the same parameters: the filter and the terms continued past the origin, exactly
    at_fit = direct.filter(model.result_.params)
    np.testing.assert_allclose(model.predict(12), at_fit.forecast(12, exog=exog[150:162]),
                               rtol=1e-8)
    later = at_fit.apply(y[:170], exog=exog[:170]).get_forecast(12, exog=exog[170:182])
    forecast = model.forecast(y, [170], 12, levels=[95])
    np.testing.assert_allclose(forecast.point[0], later.predicted_mean, rtol=1e-8)
    np.testing.assert_allclose(forecast.upper[0, 0], later.conf_int(alpha=0.05)[:, 1],
                               rtol=1e-8)
    # the estimate: L-BFGS on a flat likelihood stops within about 1e-4 of the other run's
    fitted = direct.fit(disp=False, maxiter=model.config.maxiter, cov_type="none")
    np.testing.assert_allclose(model.result_.llf, fitted.llf, rtol=1e-4)
    np.testing.assert_allclose(model.predict(12), fitted.forecast(12, exog=exog[150:162]),
                               rtol=1e-3)


@pytest.mark.parametrize(("name", "params"), [
    ("mstl", {"trend_params": {"components": "AAN"}}),
    ("mstl", {"trend_model": "arima", "trend_params": {"order": [1, 1, 0]}}),
    ("dhr", {"harmonics": [3, 4], "order": [1, 1, 0]}),
])
def test_two_cycles_are_forecast_much_better_than_naive(name, params):
    y = two_cycles(4 * 168 + 48)
    model = models.get(name, **params).with_periods((24, 168.0)).fit(y[:4 * 168])
    origins = np.arange(4 * 168, len(y) - 24 + 1, 6)
    targets = origins[:, None] + np.arange(24)
    errors = np.abs(model.predict_origins(y, origins, 24) - y[targets]).mean()
    naive = np.abs(y[origins - 1][:, None] - y[targets]).mean()
    assert errors < 0.3 * naive, (errors, naive)


def test_periods_are_required_when_used_alone_and_checked():
    y = random_walk().to_numpy()
    for name in ("mstl", "dhr"):
        with pytest.raises(ModelError, match="periods"):
            models.get(name).fit(y)
        assert models.get(name).with_periods((7, 365.25)).params()["periods"] == (7, 365.25)
        with pytest.raises(ConfigError, match="periods"):
            models.get(name, periods=[0.5])
    with pytest.raises(ModelError, match="at least 49"):  # two cycles of 24 and one value
        models.get("mstl", periods=[24]).fit(y[:40])
