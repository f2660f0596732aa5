"""The competitions' seasonality test, classical multiplicative and additive decomposition and
Box-Cox, checked against plain loops, numpy by hand and statsmodels/scipy called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf

from forecast_bench.benchmarks.data.collection import M3_FILE
from forecast_bench.models.seasonality import (
    BoxCox,
    Deseasonalizer,
    additive_indices,
    autocorrelations,
    is_seasonal,
    multiplicative_indices,
)


def seasonal_series(n: int = 96, period: int = 12, amplitude: float = 0.3,
                    seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pattern = 1 + amplitude * np.sin(2 * np.pi * np.arange(n) / period)
    return (100 + 0.5 * np.arange(n)) * pattern * np.exp(rng.normal(0, 0.02, n))


def m3_series(name: str) -> np.ndarray:
    rows = pd.read_csv(M3_FILE, usecols=["series", "y"])
    return rows.loc[rows.series == name, "y"].to_numpy()


def seasonal_by_loop(y: np.ndarray, m: int) -> bool:
    """The M4 benchmarks' SeasonalityTest, written out as a plain loop."""
    n = len(y)
    if n < 3 * m:
        return False
    mean = sum(y) / n
    denom = sum((v - mean) ** 2 for v in y)
    r = [sum((y[t] - mean) * (y[t - k] - mean) for t in range(k, n)) / denom
         for k in range(1, m + 1)]
    limit = 1.645 * ((1 + 2 * sum(rk**2 for rk in r[: m - 1])) / n) ** 0.5
    return abs(r[m - 1]) > limit


def test_autocorrelations_equal_statsmodels():
    y = seasonal_series()
    np.testing.assert_allclose(autocorrelations(y, 15), acf(y, nlags=15, fft=False)[1:],
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("amplitude", [0.0, 0.02, 0.3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seasonality_test_equals_a_plain_loop(amplitude, seed):
    y = seasonal_series(amplitude=amplitude, seed=seed)
    assert is_seasonal(y, 12) == seasonal_by_loop(list(y), 12)


def test_seasonality_test_tells_seasonal_from_not():
    assert is_seasonal(seasonal_series(amplitude=0.3), 12)
    rng = np.random.default_rng(5)
    assert not is_seasonal(100 + rng.normal(0, 1, 96), 12)
    assert not is_seasonal(seasonal_series(n=35), 12)  # fewer than three periods
    assert not is_seasonal(seasonal_series(), 1)


def test_seasonality_test_on_m3_monthly_series_by_hand():
    names = ["N1402", "N1500", "N1650", "N2000", "N2500", "N2801"]
    found = [is_seasonal(m3_series(name)[:-18], 12) for name in names]
    assert found == [seasonal_by_loop(list(m3_series(name)[:-18]), 12) for name in names]
    assert len(set(found)) == 2  # both outcomes occur


@pytest.mark.parametrize("period", [4, 7, 12])
def test_indices_equal_statsmodels_decomposition(period):
    y = seasonal_series(n=10 * period + 3, period=period)
    expected = seasonal_decompose(y, model="multiplicative", period=period).seasonal[:period]
    np.testing.assert_allclose(multiplicative_indices(y, period), expected, rtol=1e-12)


def test_deseasonalizer_adjusts_by_position_and_inverts():
    y = seasonal_series()
    season = Deseasonalizer.fit(y, 12)
    assert season.seasonal and season.period == 12 and not season.additive
    np.testing.assert_array_equal(season.sd_scales(np.arange(30)), season.factors(np.arange(30)))
    adjusted = season.adjust(y)
    np.testing.assert_allclose(adjusted * season.factors(np.arange(len(y))), y, rtol=1e-12)
    assert np.std(np.diff(np.log(adjusted))) < np.std(np.diff(np.log(y))) / 3
    origins = np.array([50, 61])
    flat = np.ones((2, 14))
    np.testing.assert_array_equal(season.reseasonalize(flat, origins)[1],
                                  season.indices[(61 + np.arange(14)) % 12])


def additive_by_hand(y: np.ndarray, m: int) -> np.ndarray:
    """Classical additive decomposition written out: a centred moving average of order m (2 x m
    for even m), the detrended values' mean per position, normalised to sum 0."""
    half = m // 2
    trend = np.full(len(y), np.nan)
    for t in range(half, len(y) - half):
        window = y[t - half: t + half + 1]
        trend[t] = window.mean() if m % 2 else (window[1:-1].sum() + 0.5 * (window[0]
                                                                            + window[-1])) / m
    means = np.array([np.nanmean((y - trend)[j::m]) for j in range(m)])
    return means - means.mean()


@pytest.mark.parametrize("period", [4, 7, 12])
def test_additive_indices_equal_numpy_by_hand_and_statsmodels(period):
    y = seasonal_series(n=10 * period + 5, period=period, amplitude=0.6) - 80
    y[[3, 17]] = 0.0
    indices = additive_indices(y, period)
    np.testing.assert_allclose(indices, additive_by_hand(y, period), rtol=0, atol=1e-10)
    expected = seasonal_decompose(y, model="additive", period=period).seasonal[:period]
    np.testing.assert_allclose(indices, expected, rtol=0, atol=1e-10)
    assert abs(indices.sum()) < 1e-10


def test_deseasonalizer_modes():
    y = seasonal_series()
    assert not Deseasonalizer.fit(y, 12, "never").seasonal
    noise = 100 + np.random.default_rng(5).normal(0, 1, 96)
    assert not Deseasonalizer.fit(noise, 12, "test").seasonal
    assert Deseasonalizer.fit(noise, 12, "always").seasonal
    with pytest.raises(ValueError, match="mode must be one of"):
        Deseasonalizer.fit(y, 12, "sometimes")


@pytest.mark.parametrize("change", ["zero", "negative", "tiny index"])
def test_non_positive_values_get_an_additive_decomposition(change):
    """As statsforecast's Theta: additive when a value is <= 0 or an index would be < 0.01."""
    y = seasonal_series(amplitude=0.6)
    assert not Deseasonalizer.fit(y, 12).additive
    if change == "zero":
        y[40] = 0.0
    elif change == "negative":
        y -= np.quantile(y, 0.2)
    else:
        y[::12] = 1e-4 * y[::12]  # positive, but position 0's index is about 1e-4
        assert multiplicative_indices(y, 12).min() < 0.01
    season = Deseasonalizer.fit(y, 12)
    assert season.seasonal and season.additive and season.describe() == "additive, period 12"
    np.testing.assert_allclose(season.indices, additive_indices(y, 12), rtol=0, atol=1e-12)
    positions = np.arange(len(y))
    np.testing.assert_allclose(season.adjust(y), y - season.indices[positions % 12], rtol=1e-14)
    np.testing.assert_allclose(season.restore(season.adjust(y), positions), y, atol=1e-9)
    np.testing.assert_array_equal(season.sd_scales(positions[:5, None] + np.arange(3)),
                                  np.ones((5, 3)))
    origins = np.array([50, 61])
    np.testing.assert_array_equal(season.reseasonalize(np.ones((2, 14)), origins)[1],
                                  1 + season.indices[(61 + np.arange(14)) % 12])


@pytest.mark.parametrize("lam", [0.0, 0.5, -0.3, 1.0])
def test_box_cox_equals_scipy_and_inverts(lam):
    y = seasonal_series()
    transform = BoxCox(lam)
    np.testing.assert_allclose(transform.transform(y), stats.boxcox(y, lmbda=lam), rtol=1e-12)
    np.testing.assert_allclose(transform.inverse(transform.transform(y)), y, rtol=1e-10)


def test_box_cox_lambda_is_guerreros_minimum():
    y = np.exp(np.linspace(0, 3, 120)) * (1 + 0.2 * np.sin(np.arange(120)))
    fitted = BoxCox.fit(y, period=12)
    blocks = y.reshape(-1, 12)
    means, sds = blocks.mean(axis=1), blocks.std(axis=1, ddof=1)

    def variation(lam: float) -> float:
        ratio = sds / means ** (1 - lam)
        return np.std(ratio, ddof=1) / np.mean(ratio)

    grid = np.linspace(-1, 2, 3001)
    best = grid[np.argmin([variation(lam) for lam in grid])]
    assert abs(fitted.lam - best) < 2e-3
    assert -0.5 < fitted.lam < 0.5  # exponential growth: close to the log
    with pytest.raises(ValueError, match="values > 0"):
        BoxCox.fit(y - 10)
