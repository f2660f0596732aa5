"""The ARIMA + neural residual hybrid of Zhang (2003): a linear model fits the series, a second
model learns the linear model's one-step residuals, and the two forecasts are added.

Residuals for the second model come either `in_sample` (the linear model's one-step errors on
the training part, with parameters fitted on that same part: the classic recipe, which lets the
linear fit flatter the residuals) or `out_of_sample` (one-step errors of linear models refitted
in a walk forward over the second half of the training part, each error on data its model never
saw). Both use the fold's training part only.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np

from models import registry
from models.base import Forecaster, ModelConfig

RESIDUALS = ("in_sample", "out_of_sample")


@dataclasses.dataclass(frozen=True)
class HybridConfig(ModelConfig):
    linear: str = "arima"  # any registered model
    linear_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    residual: str = "lstm"  # any registered model, fitted on the residual series
    residual_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    residuals: str = "in_sample"  # or out_of_sample
    inner_folds: int = 4  # out_of_sample: linear refits over the training part's second half
    seed: int = 0  # passed to the residual model unless residual_params sets one

    def validate(self) -> None:
        if self.residuals not in RESIDUALS:
            raise ValueError(f"residuals must be one of {', '.join(RESIDUALS)}, "
                             f"got {self.residuals!r}")
        for field, lowest in (("inner_folds", 1), ("seed", 0)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ValueError(f"{field} must be an integer >= {lowest}, got {value!r}")
        for field in ("linear_params", "residual_params"):
            if not isinstance(getattr(self, field), dict):
                raise ValueError(f"{field} must be a table of parameters")
        self.make_linear()  # unknown names or parameters fail now, not mid-run
        self.make_residual()

    def make_linear(self) -> Forecaster:
        return registry.get(self.linear, **self.linear_params)

    def make_residual(self) -> Forecaster:
        params = dict(self.residual_params)
        if "seed" in registry.get(self.residual).params():
            params.setdefault("seed", self.seed)
        return registry.get(self.residual, **params)


@registry.register("hybrid")
class Hybrid(Forecaster):
    """ARIMA + LSTM on ARIMA's residuals (Zhang 2003); both parts are configurable."""

    config_class = HybridConfig

    @property
    def batch_tolerance(self) -> float:  # type: ignore[override]
        """As exact as the looser of its two parts (a float32 network makes it 1e-5)."""
        cfg = self.config
        return max(cfg.make_linear().batch_tolerance, cfg.make_residual().batch_tolerance)

    @property
    def min_train_size(self) -> int:
        cfg = self.config
        needed = cfg.make_linear().min_train_size + cfg.make_residual().min_train_size
        return 2 * needed if cfg.residuals == "out_of_sample" else needed

    def _fit(self, y: np.ndarray) -> None:
        cfg = self.config
        self.linear_ = cfg.make_linear().fit(y)
        self.residual_start_ = self.linear_.min_train_size
        if cfg.residuals == "in_sample":
            residuals = self._residuals(self.linear_, y, self.residual_start_, len(y))
        else:
            residuals = self._out_of_sample_residuals(y)
        self.residual_ = cfg.make_residual().fit(residuals)

    def _out_of_sample_residuals(self, y: np.ndarray) -> np.ndarray:
        """One-step errors over y's second half, each from a linear model fitted before it."""
        cuts = np.linspace(len(y) // 2, len(y), self.config.inner_folds + 1).astype(int)
        parts = [
            self._residuals(self.config.make_linear().fit(y[:start]), y, start, end)
            for start, end in itertools.pairwise(cuts) if end > start
        ]
        return np.concatenate(parts)

    @staticmethod
    def _residuals(linear: Forecaster, y: np.ndarray, start: int, end: int) -> np.ndarray:
        """y[t] minus the linear model's one-step forecast from y[:t], for start <= t < end."""
        one_step = linear.predict_origins(y[:end], np.arange(start, end), 1)[:, 0]
        return y[start:end] - one_step

    def describe_fit(self) -> str:
        parts = [self.linear_.describe_fit(), self.residual_.describe_fit()]
        return " + residuals: ".join(part for part in parts if part) or self.config.linear

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._predict_origins(history, np.array([len(history)]), horizon)[0]

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """Linear forecast + residual forecast; residuals before each origin come from the
        fitted linear model's one-step errors (one batched call each)."""
        start = self.residual_start_
        linear = self.linear_.predict_origins(y, origins, horizon)
        residuals = self._residuals(self.linear_, y, start, int(origins.max()))
        residual = self.residual_.predict_origins(residuals, origins - start, horizon)
        members = getattr(self.residual_, "member_forecasts_", [])
        if len(members) > 1:
            self.member_forecasts_ = linear[None] + members
        return linear + residual
