"""Naive baselines: random walk, random walk with drift, seasonal naive."""

from __future__ import annotations

import dataclasses

import numpy as np

from models.base import Forecaster, ModelConfig
from models.registry import register


@register("naive")
class Naive(Forecaster):
    """Random walk: every step forecasts the last observed value."""

    def _fit(self, y: np.ndarray) -> None:
        pass

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return np.full(horizon, history[-1])

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return np.repeat(y[origins - 1, None], horizon, axis=1)


@register("drift")
class Drift(Forecaster):
    """Random walk with drift: last value plus the training part's mean change per step."""

    min_history = 2

    def _fit(self, y: np.ndarray) -> None:
        self.slope_ = (y[-1] - y[0]) / (len(y) - 1)

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return history[-1] + self.slope_ * np.arange(1, horizon + 1)

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return y[origins - 1, None] + self.slope_ * np.arange(1, horizon + 1)


@dataclasses.dataclass(frozen=True)
class SeasonalNaiveConfig(ModelConfig):
    period: int | None = None  # None: the series' seasonal period (with_period), else 1

    def validate(self) -> None:
        self.require_optional_ints(period=1)


@register("seasonal_naive")
class SeasonalNaive(Forecaster):
    """Seasonal naive: the value one period before each target.

    With `period` None and no period given by the harness (`with_period`), the period is 1:
    the random walk.
    """

    config_class = SeasonalNaiveConfig
    period_param = "period"

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
        pass

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        period = self._period
        return history[len(history) - period + np.arange(horizon) % period]

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        period = self._period
        return y[origins[:, None] - period + np.arange(horizon) % period]
