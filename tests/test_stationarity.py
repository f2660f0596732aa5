"""ADF/KPSS wrappers equal statsmodels called directly; verdicts on known processes."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import adfuller
from statsmodels.tsa.stattools import kpss as sm_kpss

from forecast_bench.evaluation.scoring.stationarity import (
    TABLE_COLUMNS,
    AdfResult,
    KpssResult,
    adf,
    kpss,
    stationarity_table,
)
from forecast_bench.models.errors import DataError


def random_walk(n: int = 1000, seed: int = 42) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(100 + np.cumsum(rng.normal(0, 1, n)),
                     index=pd.bdate_range("2015-01-01", periods=n), name="Close")


@pytest.fixture(scope="module")
def walk_tests() -> dict[str, AdfResult]:
    """ADF with autolag on n = 1000 takes ~0.2 s; compute the shared results once."""
    walk = random_walk()
    return {"price": adf(walk, name="price"), "diff": adf(walk.diff(), name="diff"),
            "price_ct": adf(walk, name="price", regression="ct")}


def test_adf_equals_adfuller_called_directly():
    walk = random_walk()
    returns = walk.pct_change()  # starts with a NaN, which must be dropped
    for values in (walk, returns):
        got = adf(values, name="x")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stat, pvalue, lags, nobs, crit, _ = adfuller(values.dropna().to_numpy(),
                                                         regression="c", autolag="AIC")
        assert got.statistic == pytest.approx(stat, abs=1e-12)
        assert got.pvalue == pytest.approx(pvalue, abs=1e-12)
        assert (got.lags, got.nobs) == (lags, nobs)
        assert got.critical_values == pytest.approx(crit, abs=1e-12)
        assert set(got.critical_values) == {"1%", "5%", "10%"}


def test_adf_trend_regression_is_passed_on(walk_tests):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat = adfuller(random_walk().to_numpy(), regression="ct", autolag="AIC")[0]
    trend = walk_tests["price_ct"]
    assert trend.regression == "ct"
    assert trend.statistic == pytest.approx(stat, abs=1e-12)
    assert trend.statistic != pytest.approx(walk_tests["price"].statistic)


def test_random_walk_non_stationary_differences_stationary(walk_tests):
    level, diffs = walk_tests["price"], walk_tests["diff"]
    assert level.pvalue > 0.05 and not level.stationary
    assert level.verdict == "non-stationary (cannot reject unit root at 5%)"
    assert diffs.pvalue < 0.01 and diffs.stationary
    assert diffs.verdict == "stationary (reject unit root at 5%)"
    assert diffs.nobs == 1000 - 1 - diffs.lags - 1  # one NaN dropped, lags + 1 lost


def test_kpss_equals_statsmodels_and_flags_table_bound():
    walk = random_walk()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, pvalue, lags, crit = sm_kpss(walk.to_numpy(), regression="c", nlags="auto")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the InterpolationWarning must not escape
        got = kpss(walk, name="price")
    assert got.statistic == pytest.approx(stat, abs=1e-12)
    assert (got.pvalue, got.lags, got.nobs) == (pvalue, lags, len(walk))
    assert got.critical_values == pytest.approx(crit)
    assert got.pvalue == 0.01 and got.pvalue_bound and not got.stationary
    assert got.verdict == "non-stationary (reject stationarity at 5%); p < 0.01 (table bound)"


def test_kpss_white_noise_is_stationary():
    noise = np.random.default_rng(7).normal(size=500)
    got = kpss(noise, name="noise", alpha=0.1)
    assert got.stationary
    assert got.verdict.startswith("stationary (cannot reject stationarity at 10%)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert got.statistic == pytest.approx(sm_kpss(noise, nlags="auto")[0], abs=1e-12)


def test_alpha_is_used_in_verdict(walk_tests):
    level = dataclasses.replace(walk_tests["price"], alpha=0.99)
    assert level.pvalue < 0.99 and level.verdict == "stationary (reject unit root at 99%)"
    diffs = dataclasses.replace(walk_tests["diff"], alpha=0.025)
    assert diffs.verdict == "stationary (reject unit root at 2.5%)"
    noise = np.random.default_rng(1).normal(size=100)
    assert adf(noise, alpha=0.001).alpha == 0.001  # the argument reaches the result


@pytest.mark.parametrize("test", [adf, kpss])
def test_too_short_input_raises_data_error(test):
    short = np.r_[np.nan, np.arange(19.0)]  # 19 finite values
    with pytest.raises(DataError, match="at least 20 finite values, got 19"):
        test(short, name="tiny")
    test(np.r_[np.nan, np.random.default_rng(0).normal(size=20)])  # 20 is enough


@pytest.mark.parametrize("test", [adf, kpss])
def test_constant_and_infinite_input_raise_data_error(test):
    with pytest.raises(DataError, match="constant"):
        test(np.ones(50))
    with pytest.raises(DataError, match="infinite"):
        test(np.r_[np.inf, np.arange(50.0)])


def test_results_are_frozen(walk_tests):
    result = walk_tests["price"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.pvalue = 0.0  # type: ignore[misc]


def test_stationarity_table(walk_tests):
    results = [walk_tests["price"], walk_tests["diff"], kpss(random_walk(), name="price")]
    table = stationarity_table(results)
    assert list(table.columns) == TABLE_COLUMNS
    assert table["test"].tolist() == ["ADF", "ADF", "KPSS"]
    assert table["series"].tolist() == ["price", "diff", "price"]
    assert table["pvalue"].tolist() == [r.pvalue for r in results]
    assert table["verdict"].tolist() == [r.verdict for r in results]
    assert isinstance(results[0], AdfResult) and isinstance(results[2], KpssResult)
    assert list(stationarity_table([]).columns) == TABLE_COLUMNS


def test_adf_on_a_repeating_series_is_silent_and_equals_adfuller():
    """A series whose lag regressions are rank-deficient (a repeating pattern) made statsmodels
    print SingularMatrixWarning (`results[lag] = mod_instance.fit()`) to the terminal."""
    values = np.tile([1.0, 2.0, 3.0, 5.0], 10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = adf(values, name="pattern")
    assert [str(w.message) for w in caught] == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, pvalue, lags, *_ = adfuller(values, regression="c", autolag="AIC")
    assert (got.statistic, got.pvalue, got.lags) == pytest.approx((stat, pvalue, lags))


def test_adf_passes_other_warnings_on(monkeypatch):
    def warns(*args, **kwargs):
        warnings.warn("something else", UserWarning, stacklevel=1)
        return adfuller(*args, **kwargs)

    monkeypatch.setattr("forecast_bench.evaluation.scoring.stationarity.stattools.adfuller", warns)
    with pytest.warns(UserWarning, match="something else"):
        adf(random_walk(60), name="walk")
