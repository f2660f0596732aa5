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
    period: int = 5  # 5 trading days = one week for daily prices

    def validate(self) -> None:
        self.require_ints(period=1)


@register("seasonal_naive")
class SeasonalNaive(Forecaster):
    """Seasonal naive: the value one period before each target."""

    config_class = SeasonalNaiveConfig

    @property
    def min_train_size(self) -> int:
        return self.config.period

    def _fit(self, y: np.ndarray) -> None:
        pass

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        period = self.config.period
        return history[len(history) - period + np.arange(horizon) % period]

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        period = self.config.period
        return y[origins[:, None] - period + np.arange(horizon) % period]
