"""LSTM/GRU forecasters (Keras 3 on TensorFlow, CPU). The `lstm` preset is the tutorial's net.

LSTM(50, return_sequences=True) -> Dropout(0.2) -> LSTM(50) -> Dropout(0.2) -> Dense(25) ->
Dense(1), Adam + MSE, 100 epochs, batch 32, on MinMax-scaled look-back windows of 60 closes.
Scalers are fitted on the fold's training part only, unless `scaler_fit="all"` (the tutorial's
leak, kept to measure it). Horizons > 1 are forecast recursively: each step's forecast is
appended to the window and the features are recomputed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sklearn.preprocessing import MinMaxScaler

from forecast_bench.models import windows
from forecast_bench.models.base import Forecast, Forecaster, ModelConfig
from forecast_bench.models.errors import ModelError
from forecast_bench.models.registry import register

CELLS = ("lstm", "gru")
TARGETS = ("level", "diff")
SCALER_FITS = ("train", "all")


def _positive_ints(value: Any, field: str, allow_empty: bool = False) -> tuple[int, ...]:
    items = tuple(value) if isinstance(value, list | tuple) else (value,)
    ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in items)
    if not ok or (not items and not allow_empty):
        raise ValueError(f"{field} must be a list of integers >= 1, got {value!r}")
    return items


@dataclasses.dataclass(frozen=True)
class LstmConfig(ModelConfig):
    features: tuple[str, ...] = ("close",)  # any of close, ma7, ma50, returns
    look_back: int = 60  # days in each input window (the tutorial: 60, or 30)
    units: tuple[int, ...] = (50, 50)  # one recurrent layer per entry
    dense: tuple[int, ...] = (25,)  # hidden dense layers before the 1-unit output
    dropout: float = 0.2  # after each recurrent layer
    cell: str = "lstm"  # lstm or gru
    epochs: int = 100
    batch_size: int = 32
    learning_rate: float = 0.001  # Adam
    validation: float = 0.0  # chronological tail of the training windows held out; 0: none
    patience: int = 0  # early stopping on the validation loss (best weights kept); 0: off
    target: str = "level"  # level (the tutorial) or diff (change from the last close)
    scaler_fit: str = "train"  # train, or all: the tutorial's leak (fit on the whole series)
    seed: int = 0
    n_seeds: int = 1  # networks trained with seeds seed, seed+1, ...; forecasts averaged

    def validate(self) -> None:
        set_ = object.__setattr__
        features = _names(self.features)
        unknown = [f for f in features if f not in windows.FEATURES]
        if unknown or not features:
            raise ValueError(f"features must be some of {', '.join(windows.FEATURES)}; "
                             f"got {self.features!r}")
        set_(self, "features", features)
        set_(self, "units", _positive_ints(self.units, "units"))
        set_(self, "dense", _positive_ints(self.dense, "dense", allow_empty=True))
        self.require_ints(look_back=1, epochs=1, batch_size=1, n_seeds=1, seed=0, patience=0)
        self.require_choices(cell=CELLS, target=TARGETS, scaler_fit=SCALER_FITS)
        for field, low, high in (("dropout", 0, 1), ("validation", 0, 1),
                                 ("learning_rate", 0, float("inf"))):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    low <= value < high) or (field == "learning_rate" and value == 0):
                raise ValueError(f"{field} must be a number in [{low}, {high}), got {value!r}"
                                 if field != "learning_rate" else
                                 f"learning_rate must be a number > 0, got {value!r}")
        if self.patience and not self.validation:
            raise ValueError("patience needs a validation tail: set validation, e.g. 0.1")


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


class _Recurrent(Forecaster):
    """Shared code of the `lstm` and `gru` forecasters (see the module docstring)."""

    config_class = LstmConfig
    config: LstmConfig
    batch_tolerance = 1e-5  # float32 networks: batch composition moves the last bits

    @property
    def leaky(self) -> bool:
        return self.config.scaler_fit == "all"

    @property
    def min_train_size(self) -> int:
        cfg = self.config
        return windows.warmup(cfg.features) + cfg.look_back + max(8, cfg.batch_size // 4)

    def _fit(self, y: np.ndarray, leak: np.ndarray | None = None) -> None:
        cfg = self.config
        if self.leaky and leak is None:
            raise ModelError("scaler_fit='all' scales with the whole series: call "
                             "fit(train, leak=whole_series), as the walk-forward harness does")
        warm = windows.warmup(cfg.features)
        scale_source = y if leak is None else leak  # leak: the whole fold, test part included
        self.scaler_ = MinMaxScaler().fit(windows.feature_matrix(scale_source, cfg.features)[warm:])
        self.target_scaler_ = MinMaxScaler().fit(_targets(scale_source, cfg.target)[warm:, None])
        rows = self.scaler_.transform(windows.feature_matrix(y, cfg.features)[warm:])
        targets = self.target_scaler_.transform(_targets(y, cfg.target)[warm:, None])[:, 0]
        x_train, y_train = windows.training_windows(rows, targets, cfg.look_back)
        self.networks_, self.histories_ = [], []
        for member in range(cfg.n_seeds):
            network, history = _train(cfg, cfg.seed + member, x_train, y_train)
            self.networks_.append(network)
            self.histories_.append(history)

    def describe_fit(self) -> str:
        epochs = [len(h["loss"]) for h in self.histories_]
        return (f"{self.config.cell.upper()} {list(self.config.units)}, "
                f"{self.networks_[0].count_params()} params, epochs run {epochs}")

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast(history, np.array([len(history)]), horizon).point[0]

    def _forecast(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> Forecast:
        """Each network forecasts every origin in one batched predict per step; the point is
        the members' mean."""
        members = np.stack([self._recursive(net, y, origins, horizon) for net in self.networks_])
        return Forecast.from_members(members)

    def _recursive(self, network: Any, y: np.ndarray, origins: np.ndarray,
                   horizon: int) -> np.ndarray:
        cfg = self.config
        length = windows.warmup(cfg.features) + cfg.look_back
        paths = windows.origin_paths(y, origins, length)
        out = np.empty((len(origins), horizon))
        for step in range(horizon):
            rows = windows.feature_matrix(paths, cfg.features)[:, -cfg.look_back:]
            scaled = self.scaler_.transform(rows.reshape(-1, rows.shape[-1])).reshape(rows.shape)
            # one compiled call on every origin's window; float64 before unscaling, or every
            # forecast would be a price rounded to float32 (7.6e-6 at $73)
            raw = np.asarray(network.predict_on_batch(scaled.astype("float32")), dtype=float)
            value = self.target_scaler_.inverse_transform(raw.reshape(-1, 1))[:, 0]
            out[:, step] = value + (paths[:, -1] if cfg.target == "diff" else 0.0)
            paths = np.concatenate([paths[:, 1:], out[:, step:step + 1]], axis=1)
        return out


def _targets(x: np.ndarray, target: str) -> np.ndarray:
    """What the network learns to predict at each time: the level or the change."""
    return x if target == "level" else np.concatenate([[np.nan], np.diff(x)])


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: TensorFlow's C++ logger writes there before absl is
    initialised, ignoring TF_CPP_MIN_LOG_LEVEL. Python exceptions still propagate; set
    FORECAST_BENCH_TF_LOGS=1 to see the native logs."""
    if os.environ.get("FORECAST_BENCH_TF_LOGS") == "1":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def keras_module() -> Any:
    """Import Keras quietly, on first use (TensorFlow takes seconds to import)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_silenced():
        import keras
        import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_op_determinism()
    return keras


def build_network(cfg: LstmConfig, n_features: int, seed: int | None = None) -> Any:
    """The stacked recurrent network: return_sequences on every recurrent layer but the last.

    Every initializer and dropout layer gets its own seed from a private stream started at
    `seed` (default cfg.seed). Unseeded Keras layers draw from Python's process-wide `random`,
    which another thread can advance between seeding and building (a dask worker's event loop
    does, in `dask.sizeof`).
    """
    keras = keras_module()
    stream = random.Random(cfg.seed if seed is None else seed)

    def next_seed() -> int:
        return stream.randrange(1, 2**31)

    def glorot() -> Any:
        return keras.initializers.GlorotUniform(seed=next_seed())

    cell = keras.layers.LSTM if cfg.cell == "lstm" else keras.layers.GRU
    layers: list[Any] = [keras.Input((cfg.look_back, n_features))]
    for i, units in enumerate(cfg.units):
        layers.append(cell(units, return_sequences=i < len(cfg.units) - 1,
                           kernel_initializer=glorot(),
                           recurrent_initializer=keras.initializers.Orthogonal(seed=next_seed()),
                           seed=next_seed()))
        if cfg.dropout:
            layers.append(keras.layers.Dropout(cfg.dropout, seed=next_seed()))
    layers += [keras.layers.Dense(units, kernel_initializer=glorot()) for units in cfg.dense]
    layers.append(keras.layers.Dense(1, kernel_initializer=glorot()))
    network = keras.Sequential(layers)
    network.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="mse")
    return network


# TensorFlow's global seed, which orders fit's shuffling, is process-wide: two threads training
# at once (a dask worker with several threads) would reseed each other's shuffles.
_TRAINING = threading.Lock()


def _train(cfg: LstmConfig, seed: int, x: np.ndarray, y: np.ndarray) -> tuple[Any, dict]:
    # Keras takes validation_split from the end of the data before shuffling: a chronological
    # tail
    return fit_network(lambda: build_network(cfg, x.shape[-1], seed), seed, x, y,
                       epochs=cfg.epochs, batch_size=cfg.batch_size, patience=cfg.patience,
                       validation_split=cfg.validation)


def fit_network(build: Callable[[], Any], seed: int, x: np.ndarray, y: np.ndarray, *,
                epochs: int, batch_size: int, patience: int = 0, validation_split: float = 0.0,
                validation_data: tuple[np.ndarray, np.ndarray] | None = None,
                ) -> tuple[Any, dict[str, list[float]]]:
    """Build a compiled network under TensorFlow's global seed `seed` and fit it, shuffling
    with that seed; the network and its curves per epoch (early stopping on the validation
    loss when `patience`). Holds the training lock: the global seed is process-wide."""
    keras = keras_module()
    import tensorflow as tf

    with _TRAINING:
        tf.random.set_seed(seed)
        network = build()
        callbacks = [keras.callbacks.TerminateOnNaN()]
        if patience:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=patience, restore_best_weights=True))
        with native_stderr_silenced():
            history = network.fit(
                np.ascontiguousarray(x, dtype="float32"), y.astype("float32"),
                epochs=epochs, batch_size=batch_size, validation_split=validation_split,
                validation_data=validation_data, callbacks=callbacks, shuffle=True, verbose=0)
    curves = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    losses = curves.get("loss", [])
    if losses and not np.isfinite(losses[-1]):
        raise ModelError(f"training diverged: the loss became {losses[-1]} at epoch "
                         f"{len(losses)} (seed {seed}); lower learning_rate or check the data")
    return network, curves


# a tiny network for test_params: the model contract (forecast_bench.testing) fits it fast
TEST_NETWORK = {"look_back": 5, "units": [4, 3], "dense": [2], "epochs": 2, "batch_size": 16}


@register("lstm")
class Lstm(_Recurrent):
    """Stacked LSTM on look-back windows; the defaults are the reference tutorial's network."""

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [TEST_NETWORK, {**TEST_NETWORK, "features": ["close", "ma7", "returns"],
                               "target": "diff", "validation": 0.2, "patience": 1}]


@dataclasses.dataclass(frozen=True)
class GruConfig(LstmConfig):
    cell: str = "gru"

    def validate(self) -> None:
        super().validate()
        if self.cell != "gru":
            raise ValueError(f"the gru model has cell 'gru'; use the lstm model for {self.cell!r}")


@register("gru")
class Gru(_Recurrent):
    """The same network with GRU cells (Keras default reset_after=True)."""

    config_class = GruConfig
    config: GruConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [TEST_NETWORK]
