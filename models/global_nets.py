"""Global networks: ONE Keras network trained on windows pooled from every series of a panel
(Montero-Manso & Hyndman 2021; Hewamalage, Bergmeir & Bandara 2021), and a hybrid of per-series
statistical models with one global network on their residuals.

Each series gets its own `models.preprocess.Pipeline`, fitted on its own training part (the
defaults are Makridakis et al. 2018's best for ML: the seasonality test, Box-Cox, Cox-Stuart
detrending, min-max scaling). The network learns the next value in model space from the
`look_back` values before it; windows never cross a series boundary and, since `fit_collection` is
given training parts only, never reach past a training end. Forecasts are iterative, with one
batched predict per step for every origin of every series, then mapped back per series.

Defaults: look_back 24 (two years of months, near 1.25 x max(h = 18, m = 12) of Hewamalage
et al.; a 126-value training part gives ~100 windows), one hidden layer of 50 (the size of
the reference timings' network), batch 256 (pooled M3 monthly holds ~85,000 windows; 32
would make an epoch ~2,700 steps), 20 epochs, Adam at 1e-3.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from forecast_bench.models import registry
from forecast_bench.models.base import Forecast, ModelConfig
from forecast_bench.models.collection import CollectionForecaster
from forecast_bench.models.hybrid import Hybrid
from forecast_bench.models.lstm import (
    LstmConfig,
    _positive_ints,
    build_network,
    fit_network,
    keras_module,
)
from forecast_bench.models.preprocess import HasSteps, Pipeline
from forecast_bench.models.windows import lag_pairs

GLOBAL_NETS = ("mlp_global", "lstm_global")
# the residual network's preprocessing unless residual_params says otherwise: residuals can be
# <= 0 and have no trend or multiplicative season, so they are only standardised, per series
RESIDUAL_STEPS = {"deseasonalize": "never", "boxcox": False, "detrend": "none",
                  "scale": "standard"}


@dataclasses.dataclass(frozen=True)
class GlobalNetConfig(HasSteps, ModelConfig):
    look_back: int = 24  # model-space values in each input window
    units: tuple[int, ...] = (50,)  # LSTM layers (lstm_global) or ReLU dense layers (mlp_global)
    epochs: int = 20
    batch_size: int = 256
    learning_rate: float = 0.001  # Adam
    validation: int = 0  # each series' last `validation` training targets held out; 0: none
    patience: int = 0  # early stopping on the held-out targets (best weights kept); 0: off
    deseasonalize: str = "test"  # test, always or never (models.preprocess.Steps)
    boxcox: bool = True
    detrend: str = "cox_stuart"  # none, linear, diff or cox_stuart
    scale: str = "minmax"  # none, minmax or standard; always per series, on its training part
    # fit_collection takes each series' period as given (the harness resolves this field per
    # series); a plain fit uses this one (None: 1)
    period: int | None = None
    seed: int = 0
    n_seeds: int = 1  # networks with seeds seed, seed+1, ...; the point is their mean

    def validate(self) -> None:
        object.__setattr__(self, "units", _positive_ints(self.units, "units"))
        self.require_ints(look_back=1, epochs=1, batch_size=1, validation=0, patience=0, seed=0,
                          n_seeds=1)
        self.require_optional_ints(period=1)
        self.steps()  # raises ValueError naming a bad preprocessing switch
        rate = self.learning_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError(f"learning_rate must be a number > 0, got {rate!r}")
        if self.patience and not self.validation:
            raise ValueError("patience needs held-out targets: set validation, e.g. 6")


def pooled_windows(parts: Sequence[np.ndarray], look_back: int,
                   starts: Sequence[int] | None = None,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every window of `look_back` consecutive values of each part, from position starts[i]
    (default 0) on, with the value right after it as the target. Returns the inputs (windows x
    look_back), the targets, each window's series index and its target's position."""
    inputs, targets, owners, positions = [], [], [], []
    for i, z in enumerate(parts):
        start = 0 if starts is None else int(starts[i])
        x, t = lag_pairs(np.asarray(z, dtype=float)[start:], look_back)
        inputs.append(x)
        targets.append(t)
        owners.append(np.full(len(t), i))
        positions.append(start + look_back + np.arange(len(t)))
    return (np.concatenate(inputs).reshape(-1, look_back), np.concatenate(targets),
            np.concatenate(owners), np.concatenate(positions))


class _GlobalNet(CollectionForecaster):
    """Shared code of `lstm_global` and `mlp_global` (see the module docstring)."""

    config_class = GlobalNetConfig
    config: GlobalNetConfig
    period_param = "period"
    batch_tolerance = 1e-5  # float32 networks: batch composition moves the last bits

    @property
    def min_train_size(self) -> int:
        """A value lost to differencing, one window, and the held-out targets."""
        return self.config.look_back + 2 + self.config.validation

    @abstractmethod
    def _build(self, seed: int) -> Any:
        """A compiled network whose every initializer is seeded from `seed`."""

    def _inputs(self, windows: np.ndarray) -> np.ndarray:
        """Windows (n x look_back) as the network's input array."""
        return windows

    def _fit_collection(self, series: list[np.ndarray], periods: list[int]) -> None:
        cfg = self.config
        self.pipelines_ = [Pipeline.fit(y, period, cfg.steps())
                           for y, period in zip(series, periods, strict=True)]
        parts = [pipe.transform(y) for pipe, y in zip(self.pipelines_, series, strict=True)]
        x, t, owners, positions = pooled_windows(
            parts, cfg.look_back, [pipe.first_valid for pipe in self.pipelines_])
        held = positions >= np.array([len(y) for y in series])[owners] - cfg.validation
        x, validation = self._inputs(x), None
        if cfg.validation:
            validation = (x[held].astype("float32"), t[held].astype("float32"))
        self.n_windows_ = int((~held).sum())
        self.networks_, self.histories_ = [], []
        for seed in range(cfg.seed, cfg.seed + cfg.n_seeds):
            network, curves = fit_network(
                functools.partial(self._build, seed), seed, x[~held], t[~held],
                epochs=cfg.epochs, batch_size=cfg.batch_size, patience=cfg.patience,
                validation_data=validation)
            self.networks_.append(network)
            self.histories_.append(curves)

    def describe_fit(self) -> str:
        epochs = [len(h["loss"]) for h in self.histories_]
        return (f"{self.name} {list(self.config.units)}, {self.networks_[0].count_params()} "
                f"params, {self.n_windows_} windows of {self.n_series_} series, "
                f"epochs run {epochs}")

    def _forecast_collection(self, series: list[np.ndarray], origins: list[np.ndarray],
                             horizon: int) -> list[Forecast]:
        """Every member's iterative forecasts for all origins of all series at once, mapped
        back by each series' pipeline; the point is the members' mean."""
        look_back = self.config.look_back
        paths = np.concatenate([
            pipe.transform(y[:o.max()])[o[:, None] - look_back + np.arange(look_back)]
            for pipe, y, o in zip(self.pipelines_, series, origins, strict=True)])
        z = np.stack([self._iterate(network, paths, horizon) for network in self.networks_])
        bounds = np.cumsum([0] + [len(o) for o in origins])
        return [Forecast.from_members(np.stack([
                    pipe.inverse(member[a:b], o, y) for member in z]))
                for pipe, y, o, a, b in zip(self.pipelines_, series, origins, bounds[:-1],
                                            bounds[1:], strict=True)]

    def _iterate(self, network: Any, paths: np.ndarray, horizon: int) -> np.ndarray:
        out = np.empty((len(paths), horizon))
        for step in range(horizon):
            raw = network.predict_on_batch(self._inputs(paths).astype("float32"))
            out[:, step] = np.asarray(raw, dtype=float).reshape(-1)  # float64 before inverse
            paths = np.concatenate([paths[:, 1:], out[:, step:step + 1]], axis=1)
        return out


# a tiny network for test_params: the model contract (forecast_bench.testing) fits it fast
TEST_NETWORK = {"look_back": 5, "units": [4], "epochs": 2, "batch_size": 16}


@registry.register("lstm_global")
class LstmGlobal(_GlobalNet):
    """One LSTM trained on windows pooled from every series, each preprocessed on its own."""

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [TEST_NETWORK, {**TEST_NETWORK, "detrend": "diff", "scale": "standard",
                               "validation": 6, "patience": 1}]

    def _build(self, seed: int) -> Any:
        cfg = self.config
        recurrent = LstmConfig(look_back=cfg.look_back, units=cfg.units, dense=(), dropout=0.0,
                               learning_rate=cfg.learning_rate, seed=seed)
        return build_network(recurrent, 1, seed)

    def _inputs(self, windows: np.ndarray) -> np.ndarray:
        return windows[..., None]


@registry.register("mlp_global")
class MlpGlobal(_GlobalNet):
    """One feed-forward network (ReLU) trained on windows pooled from every series."""

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{**TEST_NETWORK, "n_seeds": 2}, {**TEST_NETWORK, "deseasonalize": "always",
                                                 "period": 5, "detrend": "linear"}]

    def _build(self, seed: int) -> Any:
        keras, cfg = keras_module(), self.config
        stream = random.Random(seed)  # a private stream: see models.lstm.build_network

        def glorot() -> Any:
            return keras.initializers.GlorotUniform(seed=stream.randrange(1, 2**31))

        layers: list[Any] = [keras.Input((cfg.look_back,))]
        layers += [keras.layers.Dense(units, activation="relu", kernel_initializer=glorot())
                   for units in cfg.units]
        layers.append(keras.layers.Dense(1, kernel_initializer=glorot()))
        network = keras.Sequential(layers)
        network.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="mse")
        return network


@dataclasses.dataclass(frozen=True)
class HybridGlobalConfig(ModelConfig):
    linear: str = "ets"  # any registered model, fitted per series (ETS: ~0.4 s a M3 series,
    linear_params: dict[str, Any] = dataclasses.field(default_factory=dict)  # auto-ARIMA ~2 s)
    residual: str = "mlp_global"  # or lstm_global: one network on every series' residuals
    residual_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    period: int | None = None  # as GlobalNetConfig.period
    seed: int = 0  # the residual network's, unless residual_params sets one

    def validate(self) -> None:
        self.require_choices(residual=GLOBAL_NETS)
        self.require_optional_ints(period=1)
        self.require_ints(seed=0)
        for field in ("linear_params", "residual_params"):
            if not isinstance(getattr(self, field), dict):
                raise ValueError(f"{field} must be a table of parameters")
        self.make_linear(1)  # unknown names or parameters fail now, not mid-run
        self.make_residual()

    def make_linear(self, period: int) -> Any:
        """The statistical model, with `period` unless linear_params sets one."""
        return registry.get(self.linear, **self.linear_params).with_period(period)

    def make_residual(self) -> _GlobalNet:
        params = {**RESIDUAL_STEPS, "seed": self.seed, **self.residual_params}
        return registry.get(self.residual, **params)  # type: ignore[return-value]


@registry.register("hybrid_global")
class HybridGlobal(CollectionForecaster):
    """Per-series ETS (or any model) + one global network on all series' residuals."""

    config_class = HybridGlobalConfig
    config: HybridGlobalConfig
    period_param = "period"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"residual_params": TEST_NETWORK}]

    @property
    def batch_tolerance(self) -> float:
        cfg = self.config
        return max(cfg.make_linear(1).batch_tolerance, cfg.make_residual().batch_tolerance)

    @property
    def min_train_size(self) -> int:
        cfg = self.config
        return cfg.make_linear(self.period_of()).residual_start + cfg.make_residual(
        ).min_train_size

    def _fit_collection(self, series: list[np.ndarray], periods: list[int]) -> None:
        """Each series' linear model on its training part, then one network on every series'
        in-sample one-step residuals (from the linear model's residual_start on)."""
        cfg = self.config
        self.linears_ = [cfg.make_linear(p).fit(y) for y, p in zip(series, periods, strict=True)]
        self.starts_ = [linear.residual_start for linear in self.linears_]
        residuals = [Hybrid._residuals(linear, y, start, len(y))
                     for linear, y, start in zip(self.linears_, series, self.starts_, strict=True)]
        self.residual_ = cfg.make_residual().fit_collection(residuals, periods)

    def describe_fit(self) -> str:
        return f"{self.config.linear} per series + residuals: {self.residual_.describe_fit()}"

    def _forecast_collection(self, series: list[np.ndarray], origins: list[np.ndarray],
                             horizon: int) -> list[Forecast]:
        """Linear forecast + the network's residual forecast; residuals before each origin are
        the fitted linear model's one-step errors. Members: linear + each network's."""
        parts = list(zip(self.linears_, series, origins, self.starts_, strict=True))
        linear = [model.predict_origins(y, o, horizon) for model, y, o, _ in parts]
        residuals = [Hybrid._residuals(model, y, start, int(o.max()))
                     for model, y, o, start in parts]
        nets = self.residual_.forecast_collection(residuals,
                                                  [o - start for _, _, o, start in parts],
                                                  horizon)
        return [Forecast.single(lin + net.point) if len(net.members) < 2
                else Forecast(lin + net.point, lin[None] + net.members)
                for lin, net in zip(linear, nets, strict=True)]
