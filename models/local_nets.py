"""One small network per series (LSTM, Elman RNN or MLP), every series' network trained at
once as a single batched TensorFlow computation (Makridakis, Spiliotis & Assimakopoulos 2018
fit one network per series; a loop of 1045 Keras fits is slow).

Every weight has a leading series axis (S, ...); a custom loop (GradientTape, Adam written out
per series) trains them together. Series i's mini-batches hold only its own windows, padded
with a mask to the step's widest batch, and the loss is the sum over series of each one's mean
squared error over its real windows, so series i's gradient is exactly its own loss's. Adam is
elementwise; its moments and step count are per series and frozen on the steps where a series
has no batch left in the epoch (it has fewer windows than the longest series), so each network
follows the trajectory it follows when trained alone. Initial weights (Keras' initializers:
Glorot, orthogonal recurrent, forget bias 1) and each series' shuffling come from the seed
only, never from a series' position: a series gets the same network alone or in any panel, as
a loop of per-series fits with one seed gives. Member k of `n_seeds` uses seed + k; members are
stacked on the series axis too. Plain TF ops: a GPU is used when present, none is needed.

Inputs: each series' own `Pipeline` (models.preprocess; defaults: the paper's best steps),
fitted on its training part; windows of `look_back` values predict the next one; horizons are
forecast recursively, all origins of all series in one batched call per step.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from forecast_bench.models.base import Forecast, ModelConfig
from forecast_bench.models.collection import CollectionForecaster
from forecast_bench.models.errors import ModelError
from forecast_bench.models.lstm import keras_module
from forecast_bench.models.preprocess import HasSteps, Pipeline
from forecast_bench.models.registry import register
from forecast_bench.models.windows import lag_pairs

GATES = {"lstm": 4, "rnn": 1, "mlp": 0}  # weight blocks of the input kernel; 0: feed-forward
MIN_WINDOWS = 8  # fewest training windows a series must give
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras' Adam defaults


@dataclasses.dataclass(frozen=True)
class LocalNetConfig(HasSteps, ModelConfig):
    """look_back 12: a year of monthly values (the paper chooses inputs per method and does not
    fix them); units 16: small, as one network learns from ~100 windows (the paper does not fix
    it either); 100 epochs of Adam at Keras' default rate, Keras' default batch of 32."""

    look_back: int = 12
    units: int = 16
    epochs: int = 100
    batch_size: int = 32
    learning_rate: float = 0.001
    seed: int = 0
    n_seeds: int = 1  # networks with seeds seed, seed+1, ...; the point is their mean
    period: int | None = None  # None: each series' seasonal period
    deseasonalize: str = "test"
    boxcox: bool = True
    detrend: str = "cox_stuart"
    scale: str = "minmax"

    def validate(self) -> None:
        self.require_ints(look_back=1, units=1, epochs=1, batch_size=1, seed=0, n_seeds=1)
        self.require_optional_ints(period=1)
        rate = self.learning_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError(f"learning_rate must be a number > 0, got {rate!r}")
        self.steps()  # raises ValueError naming a bad preprocessing switch


def init_params(cell: str, look_back: int, units: int, seed: int) -> list[np.ndarray]:
    """One network's float32 weights, as Keras initialises them (zero biases, Glorot uniform
    kernels, orthogonal recurrent kernel, LSTM forget-gate bias 1)."""
    rng = np.random.default_rng([seed, 0])

    def glorot(fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, (fan_in, fan_out))

    out = glorot(units, 1)[:, 0]
    if cell == "mlp":
        weights = [glorot(look_back, units), np.zeros(units), out, np.zeros(())]
    else:
        width = GATES[cell] * units
        q, r = np.linalg.qr(rng.normal(size=(width, units)))
        bias = np.zeros(width)
        if cell == "lstm":
            bias[units:2 * units] = 1.0  # gate order i, f, g, o
        weights = [glorot(1, width)[0], (q * np.sign(np.diag(r))).T, bias, out, np.zeros(())]
    return [w.astype(np.float32) for w in weights]


def forward(cell: str, params: list[Any], x: Any) -> Any:
    """Each series' network on its own windows: x (S, B, look_back) -> (S, B).

    mlp: sigmoid hidden layer; rnn: h = tanh(x W + h R + b); lstm: [i f g o] = x W + h R + b,
    c = sigmoid(f) c + sigmoid(i) tanh(g), h = sigmoid(o) tanh(c); then h . w + b_out."""
    import tensorflow as tf

    if cell == "mlp":
        kernel, bias, out, out_bias = params
        h = tf.sigmoid(tf.linalg.matmul(x, kernel) + bias[:, None])
    else:
        kernel, recurrent, bias, out, out_bias = params
        h = tf.zeros(tf.stack([tf.shape(x)[0], tf.shape(x)[1], tf.shape(recurrent)[1]]))
        c = h
        for t in range(x.shape[2]):
            z = x[:, :, t, None] * kernel[:, None] + bias[:, None] + tf.linalg.matmul(h, recurrent)
            if cell == "rnn":
                h = tf.tanh(z)
            else:
                i, f, g, o = tf.split(z, 4, axis=-1)
                c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
                h = tf.sigmoid(o) * tf.tanh(c)
    # batched matmuls (one per series): ~30% faster than the equivalent einsum on CPU
    return tf.linalg.matmul(h, out[:, :, None])[..., 0] + out_bias[:, None]


def _specs(cell: str, look_back: int) -> tuple[list[Any], Any]:
    import tensorflow as tf

    ranks = (3, 2, 2, 1) if cell == "mlp" else (2, 3, 2, 2, 1)
    params = [tf.TensorSpec([None] * r, tf.float32) for r in ranks]
    return params, tf.TensorSpec([None, None, look_back], tf.float32)


@functools.cache
def _predictor(cell: str, look_back: int) -> Any:
    """forward, compiled once per cell and look-back for any number of series and windows."""
    keras_module()  # imports TensorFlow quietly, with deterministic ops
    import tensorflow as tf

    params, x = _specs(cell, look_back)
    return tf.function(functools.partial(forward, cell), input_signature=[params, x])


@functools.cache
def _trainer(cell: str, look_back: int) -> Any:
    """One Adam step of every series' network on its own batch, compiled once per cell and
    look-back. Returns the new weights, moments and per-series step counts."""
    keras_module()
    import tensorflow as tf

    params, x = _specs(cell, look_back)
    vector, matrix = tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, None], tf.float32)
    signature = [params, params, params, vector, x, matrix, tf.TensorSpec([None, None], tf.int32),
                 matrix, tf.TensorSpec([], tf.float32)]

    def step(weights, m, v, t, windows, targets, idx, mask, rate):
        xb = tf.gather(windows, idx, batch_dims=1)  # (S, B, look_back)
        yb = tf.gather(targets, idx, batch_dims=1)
        with tf.GradientTape() as tape:
            tape.watch(weights)
            error = (forward(cell, weights, xb) - yb) * mask
            count = tf.reduce_sum(mask, axis=1)
            loss = tf.reduce_sum(tf.reduce_sum(error**2, axis=1) / tf.maximum(count, 1.0))
        grads = tape.gradient(loss, weights)
        active = count > 0  # a series without a batch this step keeps its weights and moments
        t = tf.where(active, t + 1.0, t)
        rate_t = rate * tf.sqrt(1.0 - BETA_2**t) / tf.maximum(1.0 - BETA_1**t, 1e-30)
        out: tuple[list[Any], list[Any], list[Any]] = ([], [], [])  # new weights, m, v
        for w, g, m_w, v_w in zip(weights, grads, m, v, strict=True):
            shape = tf.concat([[-1], tf.ones(tf.rank(w) - 1, tf.int32)], 0)
            on, lr = tf.reshape(active, shape), tf.reshape(rate_t, shape)
            m_new = m_w + (g - m_w) * (1.0 - BETA_1)
            v_new = v_w + (g * g - v_w) * (1.0 - BETA_2)
            w_new = w - lr * m_new / (tf.sqrt(v_new) + EPSILON)
            for store, new, old in zip(out, (w_new, m_new, v_new), (w, m_w, v_w), strict=True):
                store.append(tf.where(on, new, old))
        return (*out, t)

    return tf.function(step, input_signature=signature)


class _LocalNets(CollectionForecaster):
    """Shared code of the per-series networks (see the module docstring)."""

    config_class = LocalNetConfig
    config: LocalNetConfig
    period_param = "period"
    batch_tolerance = 1e-5  # float32 networks: batch composition may move the last bits
    cell = "lstm"

    @property
    def min_train_size(self) -> int:
        return self.config.look_back + 1 + MIN_WINDOWS  # one value lost to differencing

    def _fit_collection(self, series: list[np.ndarray], periods: list[int]) -> None:
        cfg = self.config
        self.pipelines_ = [Pipeline.fit(y, cfg.period or p, cfg.steps())
                           for y, p in zip(series, periods, strict=True)]
        data = [lag_pairs(p.transform(y)[p.first_valid:], cfg.look_back)
                for p, y in zip(self.pipelines_, series, strict=True)]
        counts = np.array([len(t) for _, t in data] * cfg.n_seeds)
        windows = np.zeros((len(counts), counts.max(), cfg.look_back), np.float32)
        targets = np.zeros(windows.shape[:2], np.float32)
        for j, (x, t) in enumerate(data * cfg.n_seeds):
            windows[j, :len(t)], targets[j, :len(t)] = x, t
        seeds = np.repeat(cfg.seed + np.arange(cfg.n_seeds), len(series))
        self.params_ = self._train(windows, targets, counts, seeds)
        fitted = self._run(windows)
        mask = np.arange(windows.shape[1]) < counts[:, None]
        self.train_mse_ = (((fitted - targets) ** 2 * mask).sum(1) / counts).reshape(
            cfg.n_seeds, len(series))
        if not np.isfinite(self.train_mse_).all():
            raise ModelError(f"model '{self.name}': training diverged (a non-finite loss); "
                             "lower learning_rate or check the data")

    def _train(self, windows: np.ndarray, targets: np.ndarray, counts: np.ndarray,
               seeds: np.ndarray) -> list[np.ndarray]:
        """Every series' network, trained together; returns the weights stacked on axis 0."""
        import tensorflow as tf

        cfg = self.config
        step = _trainer(self.cell, cfg.look_back)
        init = {s: init_params(self.cell, cfg.look_back, cfg.units, int(s)) for s in set(seeds)}
        weights = [tf.constant(np.stack(w)) for w in zip(*(init[s] for s in seeds), strict=True)]
        m = [tf.zeros_like(w) for w in weights]
        v = [tf.zeros_like(w) for w in weights]
        t = tf.zeros(len(counts))
        x, y, rate = tf.constant(windows), tf.constant(targets), tf.constant(cfg.learning_rate,
                                                                             tf.float32)
        size = cfg.batch_size
        n_steps = -(-int(counts.max()) // size)
        slots = np.arange(n_steps * size).reshape(n_steps, 1, size)
        mask = (slots < counts[:, None]).astype(np.float32)  # (steps, S, size)
        # real windows come first in each series' slots: a step computes only as many slots
        # as its fullest series fills (the last step of an epoch is mostly padding)
        widths = [int(min(size, counts.max() - k * size)) for k in range(n_steps)]
        # a series' shuffles depend on its seed and its number of windows only: equal pairs
        # draw the same orders, so one generator per pair serves them all
        keys = list(zip(seeds.tolist(), counts.tolist(), strict=True))
        rngs = {key: np.random.default_rng([key[0], 1]) for key in keys}
        for _ in range(cfg.epochs):
            orders = {key: rng.permutation(key[1]) for key, rng in rngs.items()}
            idx: np.ndarray = np.zeros((len(counts), n_steps * size), np.int32)
            for j, key in enumerate(keys):
                idx[j, :key[1]] = orders[key]
            idx = idx.reshape(len(counts), n_steps, size).transpose(1, 0, 2)
            for k, width in enumerate(widths):
                weights, m, v, t = step(weights, m, v, t, x, y, idx[k, :, :width],
                                        mask[k, :, :width], rate)
        return [w.numpy() for w in weights]

    def _run(self, windows: np.ndarray) -> np.ndarray:
        """Every network on its own windows (S, N, look_back) -> (S, N), float64."""
        predict = _predictor(self.cell, self.config.look_back)
        return np.asarray(predict(self.params_, windows.astype(np.float32)), dtype=float)

    def describe_fit(self) -> str:
        n = sum(int(np.prod(w.shape[1:])) for w in self.params_)
        return (f"{self.cell.upper()} per series, {self.config.units} units, {n} params each, "
                f"median training MSE {np.median(self.train_mse_):.4g} (model space)")

    def _forecast_collection(self, series: list[np.ndarray], origins: list[np.ndarray],
                             horizon: int) -> list[Forecast]:
        cfg, n = self.config, len(series)
        width = max(len(o) for o in origins)
        paths = np.zeros((n, width, cfg.look_back), np.float32)
        for i, (p, y, o) in enumerate(zip(self.pipelines_, series, origins, strict=True)):
            z = p.transform(y[:o.max()])
            paths[i, :len(o)] = z[o[:, None] - cfg.look_back + np.arange(cfg.look_back)]
        paths = np.tile(paths, (cfg.n_seeds, 1, 1))
        z_out: np.ndarray = np.empty((*paths.shape[:2], horizon))
        for k in range(horizon):
            z_out[..., k] = self._run(paths)
            paths = np.concatenate([paths[..., 1:], z_out[..., k, None]], axis=-1)
        z_out = z_out.reshape(cfg.n_seeds, n, width, horizon)
        return [Forecast.from_members(np.stack([
            p.inverse(z_out[k, i, :len(o)], o, y) for k in range(cfg.n_seeds)]))
            for i, (p, y, o) in enumerate(zip(self.pipelines_, series, origins, strict=True))]


# a tiny network for test_params: the model contract (forecast_bench.testing) fits it fast
TEST_NETWORK = {"look_back": 5, "units": 3, "epochs": 2, "batch_size": 16}


@register("lstm_local")
class LstmLocal(_LocalNets):
    """One LSTM (units cells, a linear output) per series, all trained at once."""

    cell = "lstm"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [TEST_NETWORK, {**TEST_NETWORK, "n_seeds": 2, "detrend": "diff",
                               "scale": "standard"}]


@register("rnn_local")
class RnnLocal(_LocalNets):
    """One simple recurrent (Elman) network per series, as the paper's RNN, trained at once."""

    cell = "rnn"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [TEST_NETWORK]


@register("mlp_local")
class MlpLocal(_LocalNets):
    """One MLP (a sigmoid hidden layer) per series, all trained at once."""

    cell = "mlp"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{**TEST_NETWORK, "deseasonalize": "always", "period": 5, "detrend": "linear"}]
