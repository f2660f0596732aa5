"""A small feed-forward network on the last `lags` values (scikit-learn's MLPRegressor), like
the ANNs of Zhang (2003): a models.learners.WindowRegressor whose defaults are Zhang's set-up,
standardised with the training part's mean and std, no other preprocessing, horizons beyond
one step forecast recursively (one batched call per step for all origins). The strategy and
preprocessing options of WindowRegressor give the MLPs of Makridakis et al. (2018)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from sklearn.neural_network import MLPRegressor

from forecast_bench.models.blas import one_blas_thread
from forecast_bench.models.learners import WindowConfig, WindowRegressor, require_number
from forecast_bench.models.registry import register

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
SOLVERS = ("lbfgs", "adam")


@dataclasses.dataclass(frozen=True)
class MlpConfig(WindowConfig):
    lags: int = 4  # inputs: the last `lags` values
    deseasonalize: str = "never"
    boxcox: bool = False
    detrend: str = "none"
    scale: str = "standard"  # (y - mean) / std of the training part
    hidden: tuple[int, ...] = (4,)  # hidden layer sizes
    activation: str = "logistic"  # Zhang used logistic hidden units
    solver: str = "lbfgs"  # lbfgs suits small series; deterministic on one CPU type
    alpha: float = 1e-4  # L2 penalty
    max_iter: int = 2000

    def validate(self) -> None:
        hidden = tuple(self.hidden) if isinstance(self.hidden, list | tuple) else ()
        if not hidden or not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1
                                 for h in hidden):
            raise ValueError(f"hidden must be a list of integers >= 1, got {self.hidden!r}")
        object.__setattr__(self, "hidden", hidden)
        super().validate()
        self.require_ints(max_iter=1)
        self.require_choices(activation=ACTIVATIONS, solver=SOLVERS)
        require_number(self, "alpha", 0)


@register("mlp")
class Mlp(WindowRegressor):
    """Feed-forward network on the last `lags` values (scikit-learn MLPRegressor)."""

    config_class = MlpConfig
    config: MlpConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"lags": 3, "hidden": [3], "max_iter": 200},
                {"lags": 2, "hidden": [4, 2], "activation": "tanh", "n_seeds": 2},
                {"lags": 3, "hidden": [3], "max_iter": 200, "strategy": "direct", "horizon": 3,
                 "detrend": "cox_stuart", "scale": "minmax"}]

    def make_estimator(self, seed: int) -> MLPRegressor:
        return network(self.config, seed)

    def describe_fit(self) -> str:
        cfg = self.config
        outputs = cfg.horizon if cfg.strategy == "multi" else 1
        iterations = [net.n_iter_ for member in self.estimators_ for net in member]
        return (f"MLP {cfg.lags}-{list(cfg.hidden)}-{outputs} {cfg.activation}, {cfg.solver}, "
                f"iterations {iterations}, {cfg.strategy}, {self.pipeline_.describe()}")


def network(cfg: MlpConfig, seed: int) -> MLPRegressor:
    """An unfitted MLPRegressor with the config's settings and random_state `seed`."""
    return MLPRegressor(hidden_layer_sizes=cfg.hidden, activation=cfg.activation,
                        solver=cfg.solver, alpha=cfg.alpha, max_iter=cfg.max_iter,
                        random_state=seed)


def standard_scale(values: np.ndarray) -> tuple[float, float]:
    """Mean and std for standardising; a constant series has std 0, or ~1e-17 of float noise
    (e.g. 0.1 repeated), and is scaled by 1 instead (as Steps(scale="standard"))."""
    mean, scale = float(values.mean()), float(values.std())
    return mean, scale if scale > 1e-12 * max(1.0, abs(mean)) else 1.0


def train_networks(cfg: MlpConfig, inputs: np.ndarray, targets: np.ndarray) -> list[MLPRegressor]:
    """One fitted MLPRegressor per seed (seed, seed+1, ...), with the config's settings, on
    one BLAS thread."""
    with one_blas_thread():
        return [network(cfg, cfg.seed + member).fit(inputs, targets)
                for member in range(cfg.n_seeds)]
