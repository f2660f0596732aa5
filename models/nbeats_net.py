"""The networks, losses, window sampler and training loop of N-BEATS and N-HiTS (models.nbeats).

A network maps a look-back window (values, and a 0/1 mask that is 0 where the series is too
short and the window was zero-padded) to `horizon` forecasts. Doubly residual stacking: every
block reads the residual of the window, subtracts its backcast from it (the mask keeps padded
positions at 0) and adds its forecast to the sum of forecasts.

Input scaling: each window is divided by the largest absolute value of its observed part (1
when that is 0) before the first block, and the forecast multiplied back. The paper feeds raw
values; M3 and M4 levels reach the thousands, where Glorot-initialised ReLU layers start far
from a useful scale. The losses are scale-free, so the scaling changes no loss's optimum.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from forecast_bench.models.errors import ModelError
from forecast_bench.models.lstm import keras_module

LOSSES = ("smape", "mape", "mase")


# -- bases --

def trend_basis(n: int, degree: int) -> np.ndarray:
    """Rows t**0 .. t**degree over the grid t = 0, 1/n, ..., (n-1)/n: (degree + 1) x n."""
    t = np.arange(n) / n
    return np.stack([t ** p for p in range(degree + 1)])


def seasonality_basis(n: int, harmonics: int) -> np.ndarray:
    """A constant row, then cos and sin of 2 pi k t for k = 1..harmonics over the grid
    t = 0, 1/n, ..., (n-1)/n: (1 + 2 harmonics) x n."""
    t = np.arange(n) / n
    rows = [np.ones(n)]
    for k in range(1, harmonics + 1):
        rows += [np.cos(2 * np.pi * k * t), np.sin(2 * np.pi * k * t)]
    return np.stack(rows)


def interpolation_matrix(knots: int, n: int) -> np.ndarray:
    """Linear interpolation of `knots` values spread evenly over positions 0..n-1 to all n
    positions: knots x n (one knot gives a constant)."""
    if knots == 1:
        return np.ones((1, n))
    where = np.linspace(0, knots - 1, n)
    out = np.zeros((knots, n))
    low = np.minimum(np.floor(where).astype(int), knots - 2)
    frac = where - low
    out[low, np.arange(n)] = 1 - frac
    out[low + 1, np.arange(n)] += frac
    return out


# -- networks --

class _Builder:
    """Seeded layers from a private stream (models.lstm.build_network explains why)."""

    def __init__(self, seed: int) -> None:
        self.keras = keras_module()
        self.stream = random.Random(seed)

    def fixed(self, rows: np.ndarray) -> Any:
        """A linear map by constant rows (x @ rows), as a frozen Dense layer: a constant in
        ops.matmul made later fits in the process differ in their last bits (oneDNN)."""
        init = self.keras.initializers.Constant(rows.astype("float32"))
        layer = self.keras.layers.Dense(rows.shape[1], use_bias=False, kernel_initializer=init)
        layer.trainable = False
        return layer

    def dense(self, units: int, activation: str | None = None, bias: bool = True) -> Any:
        init = self.keras.initializers.GlorotUniform(seed=self.stream.randrange(1, 2**31))
        return self.keras.layers.Dense(units, activation=activation, use_bias=bias,
                                       kernel_initializer=init)

    def stack(self, layers: int, width: int) -> list[Any]:
        return [self.dense(width, "relu") for _ in range(layers)]


def _through(layers: Sequence[Any], x: Any) -> Any:
    for layer in layers:
        x = layer(x)
    return x


Block = Callable[[Any], tuple[Any, Any]]  # residual -> (backcast, forecast)


def generic_block(b: _Builder, lookback: int, horizon: int, layers: int, width: int) -> Block:
    """Fully connected ReLU layers, then linear projections to the backcast and forecast."""
    hidden, back, fore = b.stack(layers, width), b.dense(lookback), b.dense(horizon)

    def block(x: Any) -> tuple[Any, Any]:
        h = _through(hidden, x)
        return back(h), fore(h)
    return block


def basis_block(b: _Builder, back_basis: np.ndarray, fore_basis: np.ndarray, layers: int,
                width: int) -> Block:
    """Fully connected ReLU layers, then coefficients (no bias) of fixed basis rows."""
    hidden = b.stack(layers, width)
    back, fore = b.dense(len(back_basis), bias=False), b.dense(len(fore_basis), bias=False)
    back_rows, fore_rows = b.fixed(back_basis), b.fixed(fore_basis)

    def block(x: Any) -> tuple[Any, Any]:
        h = _through(hidden, x)
        return back_rows(back(h)), fore_rows(fore(h))
    return block


def hierarchical_block(b: _Builder, lookback: int, horizon: int, layers: int, width: int,
                       pool: int, downsample: int) -> Block:
    """N-HiTS: max-pool the input (kernel = stride = `pool`), fully connected ReLU layers, a
    full-resolution backcast and ceil(horizon / downsample) forecast knots linearly
    interpolated to the horizon."""
    keras, ops = b.keras, b.keras.ops
    pooling = keras.layers.MaxPooling1D(pool_size=pool, strides=pool, padding="same")
    hidden, back = b.stack(layers, width), b.dense(lookback)
    knots = max(1, math.ceil(horizon / downsample))
    fore, rows = b.dense(knots), b.fixed(interpolation_matrix(knots, horizon))

    def block(x: Any) -> tuple[Any, Any]:
        pooled = ops.reshape(pooling(ops.expand_dims(x, -1)), (-1, math.ceil(lookback / pool)))
        h = _through(hidden, pooled)
        return back(h), rows(fore(h))
    return block


def assemble(b: _Builder, lookback: int, horizon: int, stacks: Sequence[Sequence[Block]],
             parts: bool = False) -> Any:
    """The doubly residual network over `stacks` (lists of blocks, a block repeated to share
    weights). Inputs [values, mask] (batch x lookback each); output the forecast (batch x
    horizon), or with `parts` each stack's forecast (in the scaled units)."""
    keras, ops = b.keras, b.keras.ops
    values, mask = keras.Input((lookback,)), keras.Input((lookback,))
    scale = ops.max(ops.abs(values * mask), axis=1, keepdims=True)
    scale = ops.where(scale > 0, scale, ops.ones_like(scale))
    residual = values * mask / scale
    total, sums = None, []
    for stack in stacks:
        stack_sum = None
        for block in stack:
            backcast, forecast = block(residual)
            residual = (residual - backcast) * mask
            stack_sum = forecast if stack_sum is None else stack_sum + forecast
        sums.append(stack_sum)
        total = stack_sum if total is None else total + stack_sum
    return keras.Model([values, mask], sums if parts else total * scale)


# -- losses: mean over the observed targets (mask 1); 0/0 terms count as 0 --

def _masked_mean(terms: Any, mask: Any) -> Any:
    import tensorflow as tf
    return tf.reduce_sum(terms * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def smape(y: Any, f: Any, mask: Any, scale: Any = None) -> Any:
    """200 |y - f| / (|y| + |f|), percent."""
    import tensorflow as tf
    return _masked_mean(200 * tf.math.divide_no_nan(tf.abs(y - f), tf.abs(y) + tf.abs(f)),
                        mask)


def mape(y: Any, f: Any, mask: Any, scale: Any = None) -> Any:
    """100 |y - f| / |y|, percent (terms with y = 0 count as 0)."""
    import tensorflow as tf
    return _masked_mean(100 * tf.math.divide_no_nan(tf.abs(y - f), tf.abs(y)), mask)


def mase(y: Any, f: Any, mask: Any, scale: Any) -> Any:
    """|y - f| / scale, scale: the sample's series' in-sample seasonal naive MAE (batch x 1)."""
    import tensorflow as tf
    return _masked_mean(tf.abs(y - f) / scale, mask)


LOSS_FUNCTIONS = {"smape": smape, "mape": mape, "mase": mase}


def mase_scale(y: np.ndarray, period: int) -> float:
    """The in-sample seasonal naive MAE of a training part (lag 1 where the series is shorter
    than period + 1 or the seasonal one is 0; 1 where that is 0 too)."""
    for lag in (period, 1):
        if len(y) > lag:
            value = float(np.mean(np.abs(y[lag:] - y[:-lag])))
            if value > 0:
                return value
    return 1.0


# -- sampling --

class WindowSampler:
    """Training windows of series' training parts (N-BEATS' sampler): a series drawn uniformly,
    a cut point drawn uniformly among its last `history` x horizon positions (never the first),
    the `lookback` values before the cut as input and the `horizon` values from it as target,
    masked where the series starts later or ends earlier. Reads only the given values."""

    def __init__(self, series: Sequence[np.ndarray], periods: Sequence[int], lookback: int,
                 horizon: int, history: float) -> None:
        self.lookback, self.horizon = lookback, horizon
        self.lengths = np.array([len(y) for y in series])
        if self.lengths.min() < 2:
            raise ModelError("every training part needs at least 2 values to draw windows")
        width = lookback + self.lengths.max() + horizon
        # each row: `lookback` zeros, the series, zeros; time t sits at column lookback + t
        self.values = np.zeros((len(series), width), dtype="float32")
        self.observed = np.zeros((len(series), width), dtype="float32")
        for i, y in enumerate(series):
            self.values[i, lookback:lookback + len(y)] = y
            self.observed[i, lookback:lookback + len(y)] = 1
        self.first_cut = np.maximum(1, self.lengths - round(history * horizon))
        self.scales = np.array([[mase_scale(y, p)] for y, p in zip(series, periods, strict=True)],
                               dtype="float32")

    def draw(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        """x, x_mask (batch x lookback), y, y_mask (batch x horizon), scale (batch x 1), and
        each sample's series and cut (time of its first target)."""
        owner = rng.integers(0, len(self.lengths), batch)
        cut = rng.integers(self.first_cut[owner], self.lengths[owner])  # high exclusive
        columns = cut[:, None] + np.arange(self.lookback + self.horizon)  # t + lookback
        values = self.values[owner[:, None], columns]
        observed = self.observed[owner[:, None], columns]
        split = self.lookback
        return {"x": values[:, :split], "x_mask": observed[:, :split], "y": values[:, split:],
                "y_mask": observed[:, split:], "scale": self.scales[owner], "owner": owner,
                "cut": cut}


def origin_windows(series: Sequence[np.ndarray], origins: Sequence[np.ndarray],
                   lookback: int) -> tuple[np.ndarray, np.ndarray]:
    """The `lookback` values before each origin of each series (zero-padded, mask 0 there),
    all series' origins stacked: (total origins) x lookback, twice."""
    windows, masks = [], []
    for y, o in zip(series, origins, strict=True):
        padded = np.concatenate([np.zeros(lookback), y[:int(o.max())]])
        known = np.concatenate([np.zeros(lookback), np.ones(int(o.max()))])
        columns = o[:, None] + np.arange(lookback)  # times o - lookback .. o - 1, shifted
        windows.append(padded[columns])
        masks.append(known[columns])
    return (np.concatenate(windows).astype("float32"), np.concatenate(masks).astype("float32"))


# -- training --

def train(network: Any, sampler: WindowSampler, loss: str, *, steps: int, batch_size: int,
          learning_rate: float, seed: int) -> list[float]:
    """Adam on `steps` batches drawn with a generator seeded by `seed`, one compiled step each;
    the loss of every step. ModelError when the loss stops being finite."""
    keras = keras_module()
    import tensorflow as tf

    optimizer = keras.optimizers.Adam(learning_rate)
    variables = network.trainable_variables
    optimizer.build(variables)
    loss_of = LOSS_FUNCTIONS[loss]
    window = tf.TensorSpec((batch_size, sampler.lookback), tf.float32)
    target = tf.TensorSpec((batch_size, sampler.horizon), tf.float32)

    @tf.function(input_signature=[window, window, target, target,
                                  tf.TensorSpec((batch_size, 1), tf.float32)])
    def step(x: Any, x_mask: Any, y: Any, y_mask: Any, scale: Any) -> Any:
        with tf.GradientTape() as tape:
            value = loss_of(y, network([x, x_mask], training=True), y_mask, scale)
        optimizer.apply_gradients(zip(tape.gradient(value, variables), variables, strict=True))
        return value

    rng = np.random.default_rng(seed)
    curve = []
    for _ in range(steps):
        b = sampler.draw(rng, batch_size)
        curve.append(step(*(tf.constant(b[k]) for k in ("x", "x_mask", "y", "y_mask", "scale"))))
    losses = [float(v) for v in curve]
    if losses and not np.isfinite(losses[-1]):
        raise ModelError(f"training diverged: the {loss} loss became {losses[-1]} (seed "
                         f"{seed}); lower learning_rate or check the data")
    return losses
