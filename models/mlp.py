"""A small feed-forward network on the last `lags` values (scikit-learn's MLPRegressor), like
the ANNs of Zhang (2003). Standardised with the training part's mean and std; horizons beyond
one step are forecast recursively, one batched call per step for all origins."""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from models import windows
from models.base import Forecast, Forecaster, ModelConfig
from models.registry import register

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
SOLVERS = ("lbfgs", "adam")


@dataclasses.dataclass(frozen=True)
class MlpConfig(ModelConfig):
    lags: int = 4  # inputs: the last `lags` values
    hidden: tuple[int, ...] = (4,)  # hidden layer sizes
    activation: str = "logistic"  # Zhang used logistic hidden units
    solver: str = "lbfgs"  # lbfgs suits small series and is deterministic
    alpha: float = 1e-4  # L2 penalty
    max_iter: int = 2000
    seed: int = 0
    n_seeds: int = 1  # networks with seeds seed, seed+1, ...; forecast = their mean

    def validate(self) -> None:
        hidden = tuple(self.hidden) if isinstance(self.hidden, list | tuple) else ()
        if not hidden or not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1
                                 for h in hidden):
            raise ValueError(f"hidden must be a list of integers >= 1, got {self.hidden!r}")
        object.__setattr__(self, "hidden", hidden)
        self.require_ints(lags=1, max_iter=1, n_seeds=1, seed=0)
        self.require_choices(activation=ACTIVATIONS, solver=SOLVERS)
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int | float) or (
                self.alpha < 0):
            raise ValueError(f"alpha must be a number >= 0, got {self.alpha!r}")


@register("mlp")
class Mlp(Forecaster):
    """Feed-forward network on the last `lags` values (scikit-learn MLPRegressor)."""

    config_class = MlpConfig

    @property
    def min_train_size(self) -> int:
        return self.config.lags + max(10, 2 * self.config.lags)

    def _fit(self, y: np.ndarray) -> None:
        cfg = self.config
        self.mean_, self.scale_ = standard_scale(y)
        z = (y - self.mean_) / self.scale_
        inputs = sliding_window_view(z, cfg.lags)[:-1]  # z[i:i+lags] predicts z[i+lags]
        targets = z[cfg.lags:]
        self.networks_ = train_networks(cfg, inputs, targets)

    def describe_fit(self) -> str:
        cfg = self.config
        iterations = [net.n_iter_ for net in self.networks_]
        return (f"MLP {cfg.lags}-{list(cfg.hidden)}-1 {cfg.activation}, {cfg.solver}, "
                f"iterations {iterations}")

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast(history, np.array([len(history)]), horizon).point[0]

    def _forecast(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> Forecast:
        """Each network's recursive forecasts from every origin; the point is their mean."""
        start = (windows.origin_paths(y, origins, self.config.lags) - self.mean_) / self.scale_
        members = []
        for network in self.networks_:
            paths, out = start, np.empty((len(origins), horizon))
            for step in range(horizon):
                out[:, step] = network.predict(paths)
                paths = np.concatenate([paths[:, 1:], out[:, step:step + 1]], axis=1)
            members.append(out * self.scale_ + self.mean_)
        return Forecast.from_members(np.stack(members))


def standard_scale(values: np.ndarray) -> tuple[float, float]:
    """Mean and std for standardising; a constant series has std 0, or ~1e-17 of float noise
    (e.g. 0.1 repeated), and is scaled by 1 instead."""
    mean, scale = float(values.mean()), float(values.std())
    return mean, scale if scale > 1e-12 * max(1.0, abs(mean)) else 1.0


def train_networks(cfg: MlpConfig, inputs: np.ndarray, targets: np.ndarray) -> list[MLPRegressor]:
    """One fitted MLPRegressor per seed (seed, seed+1, ...), with the config's settings.

    One BLAS thread: on these tiny matrices OpenBLAS threads only contend, and lbfgs fits
    ran 5-60x slower on a busy 2-core machine (same results either way).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return [
            MLPRegressor(hidden_layer_sizes=cfg.hidden, activation=cfg.activation,
                         solver=cfg.solver, alpha=cfg.alpha, max_iter=cfg.max_iter,
                         random_state=cfg.seed + member).fit(inputs, targets)
            for member in range(cfg.n_seeds)
        ]
