"""Naive baselines: random walk, random walk with drift, seasonal naive.

Their intervals are the textbook ones (Hyndman & Athanasopoulos, Forecasting: Principles and
Practice, 3rd ed., section 5.5), with sigma the residual standard deviation on the training
part (T values; residuals divided by their count less the parameters estimated):
naive sigma sqrt(h); seasonal naive sigma sqrt(floor((h - 1) / m) + 1); drift
sigma sqrt(h (1 + h / T)).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from forecast_bench.models.base import Forecaster, ModelConfig
from forecast_bench.models.registry import register


@register("naive")
class Naive(Forecaster):
    """Random walk: every step forecasts the last observed value."""

    interval_method = "analytic"

    def _fit(self, y: np.ndarray) -> None:
        self.sigma_ = residual_sd(np.diff(y), 0)

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return np.tile(self.sigma_ * np.sqrt(np.arange(1, horizon + 1)), (len(origins), 1))

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return np.full(horizon, history[-1])

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return np.repeat(y[origins - 1, None], horizon, axis=1)


@register("drift")
class Drift(Forecaster):
    """Random walk with drift: last value plus the training part's mean change per step."""

    min_history = 2
    interval_method = "analytic"

    def _fit(self, y: np.ndarray) -> None:
        self.slope_ = (y[-1] - y[0]) / (len(y) - 1)
        self.sigma_ = residual_sd(np.diff(y) - self.slope_, 1)
        self.n_train_ = len(y)

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        steps = np.arange(1, horizon + 1)
        sd = self.sigma_ * np.sqrt(steps * (1 + steps / self.n_train_))
        return np.tile(sd, (len(origins), 1))

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return history[-1] + self.slope_ * np.arange(1, horizon + 1)

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return y[origins - 1, None] + self.slope_ * np.arange(1, horizon + 1)


@dataclasses.dataclass(frozen=True)
class SeasonalNaiveConfig(ModelConfig):
    period: int | None = None  # None: the series' period ([data] period, or from its dates)

    def validate(self) -> None:
        self.require_optional_ints(period=1)


@register("seasonal_naive")
class SeasonalNaive(Forecaster):
    """Seasonal naive: the value one period before each target.

    With `period` None and no period given by the harness (`with_period`), the period is 1:
    the random walk.
    """

    config_class = SeasonalNaiveConfig
    config: SeasonalNaiveConfig
    period_param = "period"
    interval_method = "analytic"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"period": 5}, {}]

    @property
    def _period(self) -> int:
        """The period used: the config's, or 1 when it is None."""
        return self.config.period or 1

    @property
    def min_train_size(self) -> int:
        return self._period

    def describe_fit(self) -> str:
        return f"period {self._period}" if self._period > 1 else ""

    def _fit(self, y: np.ndarray) -> None:
        self.sigma_ = residual_sd(y[self._period:] - y[:-self._period], 0)

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        seasons = (np.arange(horizon) // self._period) + 1  # floor((h - 1) / m) + 1
        return np.tile(self.sigma_ * np.sqrt(seasons), (len(origins), 1))

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        period = self._period
        return history[len(history) - period + np.arange(horizon) % period]

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        period = self._period
        return y[origins[:, None] - period + np.arange(horizon) % period]


def residual_sd(residuals: np.ndarray, n_params: int) -> float:
    """sqrt(sum e^2 / (count - n_params)); NaN when there are too few residuals."""
    dof = len(residuals) - n_params
    return float(np.sqrt(np.sum(residuals**2) / dof)) if dof > 0 else math.nan
