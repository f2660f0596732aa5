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
from sklearn.neural_network import MLPRegressor

from forecast_bench.models import registry, windows
from forecast_bench.models.base import Forecast, Forecaster, ModelConfig
from forecast_bench.models.blas import one_blas_thread
from forecast_bench.models.lstm import TEST_NETWORK
from forecast_bench.models.mlp import MlpConfig, standard_scale, train_networks

RESIDUALS = ("in_sample", "out_of_sample")


@dataclasses.dataclass(frozen=True)
class HybridConfig(ModelConfig):
    linear: str = "arima"  # any registered model
    linear_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    residual: str = "lstm"  # any registered model, fitted on the residual series
    residual_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    residuals: str = "in_sample"  # or out_of_sample
    inner_folds: int = 4  # out_of_sample: linear refits over the training part's second half
    value_lags: int = 0  # > 0: the residual model (mlp) also sees the last value_lags values
    seed: int = 0  # passed to the residual model unless residual_params sets one
    period: int | None = None  # the linear model's, unless linear_params sets one; None: series'

    def validate(self) -> None:
        self.require_choices(residuals=RESIDUALS)
        self.require_ints(inner_folds=1, seed=0, value_lags=0)
        self.require_optional_ints(period=1)
        for field in ("linear_params", "residual_params"):
            if not isinstance(getattr(self, field), dict):
                raise ValueError(f"{field} must be a table of parameters")
        self.make_linear()  # unknown names or parameters fail now, not mid-run
        self.make_residual()
        if self.value_lags and self.residual != "mlp":
            raise ValueError("value_lags needs residual = 'mlp' (a model of two input series); "
                             f"got residual = {self.residual!r}")

    def make_linear(self) -> Forecaster:
        linear = registry.get(self.linear, **self.linear_params)
        return linear.with_period(self.period) if self.period else linear

    def make_residual(self) -> Forecaster:
        params = dict(self.residual_params)
        if "seed" in registry.parameters(self.residual):
            params.setdefault("seed", self.seed)
        return registry.get(self.residual, **params)


@registry.register("hybrid")
class Hybrid(Forecaster):
    """ARIMA + LSTM on ARIMA's residuals (Zhang 2003); both parts are configurable."""

    config_class = HybridConfig
    config: HybridConfig
    period_param = "period"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"linear_params": {"order": [1, 1, 0]}, "residual": "mlp",
                 "residual_params": {"lags": 2, "hidden": [3], "max_iter": 200}},
                {"linear_params": {"order": [1, 0, 0]}, "residual": "lstm",
                 "residual_params": {**TEST_NETWORK, "look_back": 3},
                 "residuals": "out_of_sample"},
                {"linear_params": {"order": [1, 1, 0]}, "residual": "mlp", "value_lags": 3,
                 "residual_params": {"lags": 2, "hidden": [3], "n_seeds": 2},
                 "residuals": "out_of_sample"}]

    @property
    def batch_tolerance(self) -> float:
        """As exact as the looser of its two parts (a float32 network makes it 1e-5)."""
        cfg = self.config
        return max(cfg.make_linear().batch_tolerance, cfg.make_residual().batch_tolerance)

    @property
    def min_train_size(self) -> int:
        cfg = self.config
        needed = (cfg.make_linear().residual_start + cfg.make_residual().min_train_size
                  + cfg.value_lags)
        return 2 * needed if cfg.residuals == "out_of_sample" else needed

    def _fit(self, y: np.ndarray) -> None:
        cfg = self.config
        self.linear_ = cfg.make_linear().fit(y)
        self.residual_start_ = self.linear_.residual_start
        if cfg.residuals == "in_sample":
            first = self.residual_start_
            residuals = self._residuals(self.linear_, y, first, len(y))
        else:
            first, residuals = self._out_of_sample_residuals(y)
        residual = cfg.make_residual()
        self.residual_: Forecaster | _ResidualsAndValues
        if cfg.value_lags:
            if not isinstance(residual.config, MlpConfig):  # validate() already ensures it
                raise TypeError("value_lags needs residual = 'mlp'")
            learner = _ResidualsAndValues(residual.config, cfg.value_lags)
            self.residual_ = learner.fit(residuals, y, first)
        else:
            self.residual_ = residual.fit(residuals)

    def _out_of_sample_residuals(self, y: np.ndarray) -> tuple[int, np.ndarray]:
        """One-step errors over y's second half, each from a linear model fitted before it;
        returns the position of the first error and the errors."""
        cuts = np.linspace(len(y) // 2, len(y), self.config.inner_folds + 1).astype(int)
        parts = [
            self._residuals(self.config.make_linear().fit(y[:start]), y, start, end)
            for start, end in itertools.pairwise(cuts) if end > start
        ]
        return int(cuts[0]), np.concatenate(parts)

    @staticmethod
    def _residuals(linear: Forecaster, y: np.ndarray, start: int, end: int) -> np.ndarray:
        """y[t] minus the linear model's one-step forecast from y[:t], for start <= t < end."""
        one_step = linear.predict_origins(y[:end], np.arange(start, end), 1)[:, 0]
        return y[start:end] - one_step

    def describe_fit(self) -> str:
        parts = [self.linear_.describe_fit(), self.residual_.describe_fit()]
        return " + residuals: ".join(part for part in parts if part) or self.config.linear

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast(history, np.array([len(history)]), horizon).point[0]

    def _forecast(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> Forecast:
        """Linear forecast + residual forecast; residuals before each origin come from the
        fitted linear model's one-step errors (one batched call each). Members: the linear
        forecast plus each of the residual model's members."""
        start = self.residual_start_
        linear = self.linear_.predict_origins(y, origins, horizon)
        residuals = self._residuals(self.linear_, y, start, int(origins.max()))
        if isinstance(self.residual_, _ResidualsAndValues):  # value_lags > 0
            members = self.residual_.forecast(residuals, y, start, origins, linear)
            residual = members.mean(axis=0)
        else:
            forecast = self.residual_.forecast(residuals, origins - start, horizon)
            members, residual = forecast.members, forecast.point
        if len(members) < 2:
            return Forecast.single(linear + residual)
        return Forecast(linear + residual, linear[None] + members)


class _ResidualsAndValues:
    """The residual model when lagged values are inputs too: MLPs on the last `lags` residuals
    and the last `value_lags` values, both standardised with training statistics. Multi-step
    forecasts are recursive: each step's residual and value forecasts extend the paths."""

    def __init__(self, config: MlpConfig, value_lags: int) -> None:
        self.config, self.value_lags = config, value_lags

    def fit(self, residuals: np.ndarray, y: np.ndarray, first: int) -> _ResidualsAndValues:
        """residuals[i] is the error at time first + i; y holds the values from time 0."""
        lags, value_lags = self.config.lags, self.value_lags
        self.scales_ = (*standard_scale(residuals), *standard_scale(y))
        targets = np.arange(first + lags, len(y))
        targets = targets[targets >= value_lags]
        inputs = self._inputs(windows.origin_paths(residuals, targets - first, lags),
                              windows.origin_paths(y, targets, value_lags))
        r_mean, r_scale = self.scales_[:2]
        self.networks_ = train_networks(self.config, inputs,
                                        (residuals[targets - first] - r_mean) / r_scale)
        return self

    def _inputs(self, residual_paths: np.ndarray, value_paths: np.ndarray) -> np.ndarray:
        r_mean, r_scale, y_mean, y_scale = self.scales_
        return np.hstack([(residual_paths - r_mean) / r_scale, (value_paths - y_mean) / y_scale])

    def describe_fit(self) -> str:
        return (f"MLP on {self.config.lags} residual and {self.value_lags} value lags, "
                f"iterations {[net.n_iter_ for net in self.networks_]}")

    def forecast(self, residuals: np.ndarray, y: np.ndarray, first: int, origins: np.ndarray,
                 linear: np.ndarray) -> np.ndarray:
        """Residual forecasts of every network: shape (members, origins, horizon)."""
        with one_blas_thread():
            return np.stack([self._paths(network, residuals, y, first, origins, linear)
                             for network in self.networks_])

    def _paths(self, network: MLPRegressor, residuals: np.ndarray, y: np.ndarray, first: int,
               origins: np.ndarray, linear: np.ndarray) -> np.ndarray:
        """One network's residual forecasts (origins x horizon), recursive over the steps."""
        r_mean, r_scale = self.scales_[:2]
        r_paths = windows.origin_paths(residuals, origins - first, self.config.lags)
        v_paths = windows.origin_paths(y, origins, self.value_lags)
        out = np.empty(linear.shape)
        for step in range(linear.shape[1]):
            out[:, step] = network.predict(self._inputs(r_paths, v_paths)) * r_scale + r_mean
            value = linear[:, step] + out[:, step]
            r_paths = np.concatenate([r_paths[:, 1:], out[:, step:step + 1]], axis=1)
            v_paths = np.concatenate([v_paths[:, 1:], value[:, None]], axis=1)
        return out
