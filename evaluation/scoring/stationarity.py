"""Unit-root (ADF) and stationarity (KPSS) tests with plain-language verdicts.

The two tests have opposite null hypotheses: ADF's null is a unit root (non-stationary), KPSS's
null is stationarity. Reading both guards against the low power of either one alone.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import InterpolationWarning, SingularMatrixWarning
from statsmodels.tsa import stattools

from forecast_bench.models.errors import DataError

MIN_VALUES = 20
TABLE_COLUMNS = ["test", "series", "statistic", "pvalue", "lags", "verdict"]
ADF_REGRESSIONS = ("c", "ct", "ctt", "n")
KPSS_REGRESSIONS = ("c", "ct")


def _percent(alpha: float) -> str:
    """0.05 -> '5%', 0.025 -> '2.5%'."""
    return f"{alpha * 100:g}%"


@dataclass(frozen=True)
class AdfResult:
    """Augmented Dickey-Fuller test; null hypothesis: a unit root (non-stationary).

    nobs is the number of observations in the test regression (values - lags - 1).
    """

    test: ClassVar[str] = "ADF"
    name: str
    statistic: float
    pvalue: float
    lags: int
    nobs: int
    critical_values: dict[str, float]
    alpha: float
    regression: str = "c"

    @property
    def stationary(self) -> bool:
        return self.pvalue < self.alpha

    @property
    def verdict(self) -> str:
        level = _percent(self.alpha)
        if self.stationary:
            return f"stationary (reject unit root at {level})"
        return f"non-stationary (cannot reject unit root at {level})"


@dataclass(frozen=True)
class KpssResult:
    """KPSS test; null hypothesis: (level or trend) stationary.

    statsmodels interpolates the p-value in a table covering 0.01 .. 0.10. pvalue_bound is True
    when the statistic falls outside it: the reported p-value is then the bound, and the true one
    is smaller (at 0.01) or larger (at 0.10). nobs is the number of finite values tested.
    """

    test: ClassVar[str] = "KPSS"
    name: str
    statistic: float
    pvalue: float
    lags: int
    nobs: int
    critical_values: dict[str, float]
    alpha: float
    pvalue_bound: bool
    regression: str = "c"

    @property
    def stationary(self) -> bool:
        return not self.pvalue < self.alpha

    @property
    def verdict(self) -> str:
        level = _percent(self.alpha)
        if self.stationary:
            text = f"stationary (cannot reject stationarity at {level})"
        else:
            text = f"non-stationary (reject stationarity at {level})"
        if self.pvalue_bound:
            side = "<" if self.pvalue <= 0.01 + 1e-12 else ">"
            text += f"; p {side} {self.pvalue:g} (table bound)"
        return text


def changes(series: pd.Series) -> tuple[pd.Series, str]:
    """Simple returns y_t / y_(t-1) - 1 ("returns") if every value is positive, else differences
    y_t - y_(t-1) ("differences"): a return after a value <= 0 is infinite or meaningless (a
    yearly sunspot count of 0). The first value is NaN."""
    if (series > 0).all():
        return series.pct_change(), "returns"
    return series.diff(), "differences"


def _finite_values(series: pd.Series | np.ndarray, name: str, test: str) -> np.ndarray:
    """The series as float64 with NaNs dropped; DataError on inf, constant or too-short input."""
    values = np.asarray(series, dtype=float).ravel()
    values = values[~np.isnan(values)]
    if np.isinf(values).any():
        raise DataError(f"{name}: {test} got {int(np.isinf(values).sum())} infinite values; "
                        "remove them (a zero price makes returns infinite)")
    if values.size < MIN_VALUES:
        raise DataError(f"{name}: {test} needs at least {MIN_VALUES} finite values, "
                        f"got {values.size}; pass a longer series")
    if np.ptp(values) == 0:
        raise DataError(f"{name}: {test} got a constant series; it has nothing to test")
    return values


def _check_args(alpha: float, regression: str, allowed: tuple[str, ...], test: str) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"{test}: alpha must be between 0 and 1, got {alpha}")
    if regression not in allowed:
        raise ValueError(f"{test}: regression must be one of {allowed}, got {regression!r}")


def adf(
    series: pd.Series | np.ndarray, name: str = "series", alpha: float = 0.05,
    regression: str = "c",
) -> AdfResult:
    """Augmented Dickey-Fuller test, lag length chosen by AIC; NaNs are dropped first.

    The lag search fits regressions that are rank-deficient or fit exactly on a series with
    repeating patterns (statsmodels then uses the pseudo-inverse, and AIC is -inf): those two
    warnings are silenced, any other is passed on.
    """
    _check_args(alpha, regression, ADF_REGRESSIONS, "ADF")
    values = _finite_values(series, name, "ADF")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SingularMatrixWarning)
        warnings.filterwarnings("ignore", "divide by zero encountered in log", RuntimeWarning)
        res = stattools.adfuller(values, regression=regression, autolag="AIC",
                                 result_object=True)
    return AdfResult(
        name=name, statistic=float(res.statistic), pvalue=float(res.pvalue), lags=int(res.lags),
        nobs=int(res.nobs), critical_values={k: float(v) for k, v in res.critical_values.items()},
        alpha=alpha, regression=regression,
    )


def kpss(
    series: pd.Series | np.ndarray, name: str = "series", alpha: float = 0.05,
    regression: str = "c",
) -> KpssResult:
    """KPSS test with statsmodels' automatic lag choice; NaNs are dropped first.

    Only statsmodels' InterpolationWarning is silenced (recorded as pvalue_bound); any other
    warning is passed on.
    """
    _check_args(alpha, regression, KPSS_REGRESSIONS, "KPSS")
    values = _finite_values(series, name, "KPSS")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InterpolationWarning)
        res = stattools.kpss(values, regression=regression, nlags="auto", result_object=True)
    bound = False
    for item in caught:
        if issubclass(item.category, InterpolationWarning):
            bound = True
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return KpssResult(
        name=name, statistic=float(res.statistic), pvalue=float(res.pvalue), lags=int(res.lags),
        nobs=int(values.size),
        critical_values={k: float(v) for k, v in res.critical_values.items()},
        alpha=alpha, pvalue_bound=bound, regression=regression,
    )


def stationarity_table(results: list[AdfResult | KpssResult]) -> pd.DataFrame:
    """One row per test result: test, series, statistic, pvalue, lags, verdict."""
    rows = [
        {"test": r.test, "series": r.name, "statistic": r.statistic, "pvalue": r.pvalue,
         "lags": r.lags, "verdict": r.verdict}
        for r in results
    ]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
