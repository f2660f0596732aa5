"""Preprocessing steps of the forecasting competitions, fitted on a training part only.

- `Deseasonalizer`: the M3/M4 seasonality test (autocorrelation at lag m beyond its 90% limit)
  and classical decomposition (centred moving average of order m, as R's `decompose`):
  multiplicative when every training value is > 0, additive when one is <= 0 or a
  multiplicative index would be below 0.01 (statsforecast's Theta rule); forecasts made on the
  adjusted series are re-seasonalised by the same indices.
- `BoxCox`: the power transform, lambda given or chosen by Guerrero's (1993) method.

Each step is fitted once, then maps any later values pointwise (the seasonal index of a value
depends only on its position in the series), so transforming a whole series with a step fitted
on its training part never lets one value change another's transform.
"""

from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np
from scipy import optimize

TCRIT_90 = 1.645  # one-sided 90% normal quantile, as the M4 benchmarks' SeasonalityTest
MIN_INDEX = 0.01  # a smaller multiplicative index: additive instead (as statsforecast's Theta)
DESEASONALIZE = ("test", "always", "never")


def autocorrelations(y: np.ndarray, max_lag: int) -> np.ndarray:
    """r_1 .. r_max_lag, the usual biased estimates (demeaned, divided by the lag-0 sum)."""
    x = np.asarray(y, dtype=float) - np.mean(y)
    denom = float(x @ x)
    if denom == 0.0:
        return np.zeros(max_lag)
    lagged = np.zeros(max_lag)  # sum_t x_t x_{t-k} for k = 1 .. max_lag (0 beyond n - 1)
    sums = np.correlate(x, x, mode="full")[len(x): len(x) + max_lag]
    lagged[: len(sums)] = sums
    return lagged / denom


def seasonality_limit(y: np.ndarray, period: int, tcrit: float = TCRIT_90,
                      r: np.ndarray | None = None) -> float:
    """The limit |r_m| must exceed: tcrit * sqrt((1 + 2 sum_{k<m} r_k^2) / n); `r`: r_1 ..
    r_{m-1} when already computed."""
    r = autocorrelations(y, period - 1) if r is None else r
    return tcrit * np.sqrt((1.0 + 2.0 * np.sum(r**2)) / len(y))


def is_seasonal(y: np.ndarray, period: int, tcrit: float = TCRIT_90) -> bool:
    """The competitions' test: seasonal when |r_m| exceeds its limit; never with period 1 or
    fewer than three full periods (as the M4 benchmarks' code)."""
    y = np.asarray(y, dtype=float)
    if period <= 1 or len(y) < 3 * period:
        return False
    r = autocorrelations(y, period)
    return bool(abs(r[-1]) > seasonality_limit(y, period, tcrit, r[:-1]))


def centred_moving_average(y: np.ndarray, period: int) -> np.ndarray:
    """The trend of classical decomposition: a centred MA of order m (2 x m for even m),
    NaN where the window does not fit."""
    weights = np.ones(period + 1 - period % 2)
    if period % 2 == 0:
        weights[[0, -1]] = 0.5
    weights /= period
    half = len(weights) // 2
    trend = np.full(len(y), np.nan)
    trend[half:len(y) - half] = np.convolve(y, weights, mode="valid")
    return trend


def multiplicative_indices(y: np.ndarray, period: int) -> np.ndarray:
    """Seasonal indices of classical multiplicative decomposition, one per position modulo
    `period` counted from the series' start, normalised to mean 1 (R's `decompose`)."""
    y = np.asarray(y, dtype=float)
    figure = _position_means(y / centred_moving_average(y, period), period)
    return figure / figure.mean()


def additive_indices(y: np.ndarray, period: int) -> np.ndarray:
    """Seasonal indices of classical additive decomposition (the means of the detrended values
    y - trend per position), normalised to sum 0 (R's `decompose(type = "additive")`)."""
    y = np.asarray(y, dtype=float)
    figure = _position_means(y - centred_moving_average(y, period), period)
    return figure - figure.mean()


def _position_means(detrended: np.ndarray, period: int) -> np.ndarray:
    """The mean of the non-NaN values at each position modulo `period`."""
    padded = np.full(-(-len(detrended) // period) * period, np.nan)
    padded[: len(detrended)] = detrended
    return np.nanmean(padded.reshape(-1, period), axis=0)


@dataclasses.dataclass(frozen=True)
class Deseasonalizer:
    """Seasonal indices fitted on a training part: factors (multiplicative) or offsets
    (`additive`); all ones, multiplicative, when the series is not adjusted. `factors(t)` is
    the index of position t of the series, for any t."""

    indices: np.ndarray
    seasonal: bool
    additive: bool = False

    @classmethod
    def fit(cls, y: np.ndarray, period: int, mode: str = "test") -> Deseasonalizer:
        """`mode`: "test" adjusts when the seasonality test says so, "always" whenever there
        are two full periods, "never" not at all. The decomposition is multiplicative when
        every value is > 0 and every index >= MIN_INDEX, else additive (as statsforecast's
        Theta: a multiplicative index is undefined with values <= 0)."""
        if mode not in DESEASONALIZE:
            raise ValueError(f"mode must be one of {', '.join(DESEASONALIZE)}, got {mode!r}")
        y = np.asarray(y, dtype=float)
        period = max(int(period), 1)
        wanted = {"test": lambda: is_seasonal(y, period), "never": lambda: False,
                  "always": lambda: period > 1 and len(y) >= 2 * period}[mode]()
        if not wanted:
            return cls(np.ones(period), False)
        if np.min(y) > 0:
            indices = multiplicative_indices(y, period)
            if np.min(indices) >= MIN_INDEX:
                return cls(indices, True)
        return cls(additive_indices(y, period), True, additive=True)

    @property
    def period(self) -> int:
        return len(self.indices)

    def describe(self) -> str:
        """E.g. "period 12" or "additive, period 12"."""
        return ("additive, " if self.additive else "") + f"period {self.period}"

    def factors(self, positions: np.ndarray) -> np.ndarray:
        """The seasonal index at each position (any shape) of the series."""
        return self.indices[np.asarray(positions) % self.period]

    def sd_scales(self, positions: np.ndarray) -> np.ndarray:
        """What a forecast sd of the adjusted series is multiplied by at each position: the
        index (multiplicative), 1 (additive: an offset leaves the sd as it is)."""
        return np.ones(np.shape(positions)) if self.additive else self.factors(positions)

    def adjust(self, y: np.ndarray) -> np.ndarray:
        """The series without its seasonal indices (positions 0 .. len(y)-1)."""
        y = np.asarray(y, dtype=float)
        factors = self.factors(np.arange(len(y)))
        return y - factors if self.additive else y / factors

    def restore(self, adjusted: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Adjusted values at `positions` (same shape) with their seasonal indices put back."""
        factors = self.factors(positions)
        return adjusted + factors if self.additive else adjusted * factors

    def reseasonalize(self, forecasts: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Forecasts (origins x horizon) of the adjusted series with the indices of their
        target positions put back: origin o's step k targets position o + k - 1."""
        horizon = forecasts.shape[1]
        return self.restore(forecasts, np.asarray(origins)[:, None] + np.arange(horizon))


@dataclasses.dataclass(frozen=True)
class BoxCox:
    """The Box-Cox transform with a fixed lambda (0: the natural log); values must be > 0."""

    lam: float

    @classmethod
    def fit(cls, y: np.ndarray, period: int = 1, lower: float = -1.0,
            upper: float = 2.0) -> BoxCox:
        """Lambda by Guerrero's method (as R's BoxCox.lambda): the one that makes the ratio
        sd / mean^(1 - lambda) of consecutive subseries most nearly constant."""
        y = np.asarray(y, dtype=float)
        if np.min(y) <= 0:
            raise ValueError("Box-Cox needs values > 0; shift the series or do not transform it")
        size = max(int(period), 2)
        usable = len(y) // size * size
        blocks = y[len(y) - usable:].reshape(-1, size)
        if len(blocks) < 2:
            return cls(1.0)
        means, sds = blocks.mean(axis=1), blocks.std(axis=1, ddof=1)

        def variation(lam: float) -> float:
            ratio = sds / means ** (1.0 - lam)
            return float(np.std(ratio, ddof=1) / np.mean(ratio))

        found = optimize.minimize_scalar(variation, bounds=(lower, upper), method="bounded",
                                         options={"xatol": 1e-6})
        return cls(float(found.x))

    def transform(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return np.log(y) if self.lam == 0 else (y**self.lam - 1.0) / self.lam

    def inverse(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        if self.lam == 0:
            return np.exp(z)
        # past the transform's range (z < -1/lambda for lambda > 0, > -1/lambda for lambda < 0)
        # the base would be <= 0: 0 below the range, a huge but finite value above it
        floor = 0.0 if self.lam > 0 else max(2.0 * math.pow(sys.float_info.max, self.lam),
                                             sys.float_info.min)
        return np.maximum(self.lam * z + 1.0, floor) ** (1.0 / self.lam)
