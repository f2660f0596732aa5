"""Simple exponential smoothing for forecast-bench, added through an entry point.

statsmodels estimates the smoothing level and the initial level on the training part only;
a forecast from any origin reruns the level recursion over the values before that origin
with those two numbers held fixed (no refit, no look-ahead).
"""

import dataclasses

import numpy as np
from statsmodels.tsa.holtwinters import SimpleExpSmoothing

from forecast_bench import Forecaster, ModelConfig


@dataclasses.dataclass(frozen=True)
class SesConfig(ModelConfig):
    alpha: float | None = None  # smoothing level in (0, 1]; None: estimated by statsmodels

    def validate(self) -> None:
        ok = isinstance(self.alpha, int | float) and not isinstance(self.alpha, bool)
        if self.alpha is not None and not (ok and 0 < self.alpha <= 1):
            raise ValueError(f"alpha must be a number in (0, 1] or None, got {self.alpha!r}")


class SimpleExpSmoothingForecaster(Forecaster):
    """Simple exponential smoothing (statsmodels): a flat forecast at the smoothed level."""

    config_class = SesConfig
    min_history = 10  # statsmodels' estimates need a few values

    @classmethod
    def test_params(cls) -> list[dict]:  # what forecast_bench.testing checks; default [{}]
        return [{}, {"alpha": 0.5}]

    def _fit(self, y: np.ndarray) -> None:
        fixed = {} if self.config.alpha is None else {"smoothing_level": self.config.alpha}
        result = SimpleExpSmoothing(y, initialization_method="estimated").fit(**fixed)
        self.alpha_ = float(result.params["smoothing_level"])
        self.level0_ = float(result.params["initial_level"])

    def describe_fit(self) -> str:
        return f"alpha={self.alpha_:.3f}, initial level {self.level0_:.2f}"

    def _levels(self, y: np.ndarray) -> np.ndarray:
        """levels[t]: the smoothed level after y[0..t], starting from the fitted level."""
        levels, level = np.empty(len(y)), self.level0_
        for t, value in enumerate(y):
            level += self.alpha_ * (value - level)
            levels[t] = level
        return levels

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return np.full(horizon, self._levels(history)[-1])

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        levels = self._levels(y[: origins.max()])  # one pass; origin o reads levels[o - 1]
        return np.repeat(levels[origins - 1, None], horizon, axis=1)
