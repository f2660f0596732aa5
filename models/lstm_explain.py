"""NumPy forward passes of Keras LSTM/GRU layers from their own weights, to open the network up.

Keras 3 layout (keras/src/layers/rnn/lstm.py and gru.py), for input size d and h units:

LSTM: kernel (d, 4h), recurrent_kernel (h, 4h), bias (4h,); column blocks in gate order i, f, c, o.
    z = x_t W + h_(t-1) U + b;  i = s(z_i), f = s(z_f), c~ = tanh(z_c), o = s(z_o)
    c_t = f * c_(t-1) + i * c~;  h_t = o * tanh(c_t)
GRU (reset_after=True, the default): kernel (d, 3h), recurrent_kernel (h, 3h), bias (2, 3h):
row 0 the input bias b, row 1 the recurrent bias rb; column blocks in order z, r, h~.
    z = s(x W_z + b_z + h U_z + rb_z),  r = s(x W_r + b_r + h U_r + rb_r)
    h~ = tanh(x W_h + b_h + r * (h U_h + rb_h));  h_t = z * h_(t-1) + (1 - z) * h~
s is the logistic sigmoid. Everything here is computed in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

GATES_LSTM = ("input", "forget", "candidate", "output")  # Keras column-block order i, f, c, o
GATES_GRU = ("update", "reset", "candidate")  # Keras column-block order z, r, h~
QUANTITIES = {"lstm": (*GATES_LSTM, "cell", "hidden"), "gru": (*GATES_GRU, "hidden")}
RECURRENT = {"LSTM": "lstm", "GRU": "gru"}  # Keras layer class name -> cell
Result = np.ndarray | tuple[Any, ...]


def sigmoid(v: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-v)), written with tanh so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * v))


_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda v: v, "relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh,
    "sigmoid": sigmoid}


def _prepare(x: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, blocks: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    recurrent = np.asarray(recurrent_kernel, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, features), got {x.shape}")
    h = recurrent.shape[0]
    if kernel.shape != (x.shape[2], blocks * h) or recurrent.shape != (h, blocks * h):
        raise ValueError(f"expected kernel ({x.shape[2]}, {blocks * h}) and recurrent kernel "
                         f"({h}, {blocks * h}); got {kernel.shape} and {recurrent.shape}")
    return x, kernel, recurrent, h


def _state(value: np.ndarray | None, batch: int, h: int) -> np.ndarray:
    if value is None:
        return np.zeros((batch, h))
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (batch, h)).copy()


def _returns(hs: np.ndarray, states: tuple[np.ndarray, ...], return_sequences: bool,
             return_state: bool, record: dict[str, np.ndarray] | None) -> Result:
    """Like Keras: output, then the final states if asked; the trace last if asked."""
    out: list[Any] = [hs if return_sequences else hs[:, -1]]
    if return_state:
        out += states
    if record is not None:
        out.append(record)
    return out[0] if len(out) == 1 else tuple(out)


def lstm_forward(x: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray,
                 bias: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 trace: bool = False) -> Result:
    """A Keras LSTM layer on x (batch, time, d): h_T (batch, h), or every h (batch, time, h);
    return_state adds h_T and c_T; trace adds {quantity: (batch, time, h)} for each gate, c, h."""
    x, kernel, recurrent, h = _prepare(x, kernel, recurrent_kernel, 4)
    batch, steps, _ = x.shape
    hidden, cell = _state(h0, batch, h), _state(c0, batch, h)
    inputs = x @ kernel + np.asarray(bias, dtype=np.float64).reshape(4 * h)
    hs = np.empty((batch, steps, h))
    record = {q: np.empty((batch, steps, h)) for q in QUANTITIES["lstm"]} if trace else None
    for t in range(steps):
        z = inputs[:, t] + hidden @ recurrent
        i, f, o = sigmoid(z[:, :h]), sigmoid(z[:, h:2 * h]), sigmoid(z[:, 3 * h:])
        candidate = np.tanh(z[:, 2 * h:3 * h])
        cell = f * cell + i * candidate
        hidden = o * np.tanh(cell)
        hs[:, t] = hidden
        if record is not None:
            for name, value in zip(QUANTITIES["lstm"], (i, f, candidate, o, cell, hidden),
                                   strict=True):
                record[name][:, t] = value
    return _returns(hs, (hidden, cell), return_sequences, return_state, record)


def gru_forward(x: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray,
                bias: np.ndarray, h0: np.ndarray | None = None, return_sequences: bool = False,
                return_state: bool = False, trace: bool = False) -> Result:
    """A Keras GRU layer (reset_after=True) on x (batch, time, d), returning like lstm_forward
    (the only state is h); trace holds update, reset, candidate and hidden."""
    x, kernel, recurrent, h = _prepare(x, kernel, recurrent_kernel, 3)
    bias = np.asarray(bias, dtype=np.float64)
    if bias.shape != (2, 3 * h):
        raise ValueError(f"reset_after GRU bias must have shape (2, {3 * h}), got {bias.shape}")
    batch, steps, _ = x.shape
    hidden = _state(h0, batch, h)
    inputs = x @ kernel + bias[0]
    hs = np.empty((batch, steps, h))
    record = {q: np.empty((batch, steps, h)) for q in QUANTITIES["gru"]} if trace else None
    for t in range(steps):
        inner = hidden @ recurrent + bias[1]
        z = sigmoid(inputs[:, t, :h] + inner[:, :h])
        r = sigmoid(inputs[:, t, h:2 * h] + inner[:, h:2 * h])
        candidate = np.tanh(inputs[:, t, 2 * h:] + r * inner[:, 2 * h:])
        hidden = z * hidden + (1.0 - z) * candidate
        hs[:, t] = hidden
        if record is not None:
            for name, value in zip(QUANTITIES["gru"], (z, r, candidate, hidden), strict=True):
                record[name][:, t] = value
    return _returns(hs, (hidden,), return_sequences, return_state, record)


def _name(function: Any) -> str:
    return getattr(function, "__name__", str(function))


def _check_recurrent(layer: Any, cell: str) -> None:
    problems = [_name(layer.activation) != "tanh",
                _name(layer.recurrent_activation) != "sigmoid", not layer.use_bias,
                layer.go_backwards, layer.return_state, cell == "gru" and not layer.reset_after]
    if any(problems):
        raise ValueError(f"layer {layer.name}: only the Keras defaults are reproduced (tanh, "
                         "sigmoid, bias, forward, no returned state, GRU reset_after=True)")


def layer_outputs(network: Any, x: np.ndarray, trace: bool = False
                  ) -> list[tuple[Any, np.ndarray, dict[str, np.ndarray] | None]]:
    """(layer, its output, its trace or None) for every layer of a Sequential network."""
    out, rows = np.asarray(x, dtype=np.float64), []
    for layer in network.layers:
        kind, record = type(layer).__name__, None
        if kind in RECURRENT:
            _check_recurrent(layer, RECURRENT[kind])
            forward = lstm_forward if kind == "LSTM" else gru_forward
            kernel, recurrent_kernel, bias = layer.get_weights()
            result = forward(out, kernel, recurrent_kernel, bias, return_sequences=True,
                             trace=trace)
            hs, record = result if trace else (result, None)
            out = hs if layer.return_sequences else hs[:, -1]
        elif kind == "Dense":
            activation = _ACTIVATIONS.get(_name(layer.activation))
            if activation is None or not layer.use_bias:
                raise ValueError(f"layer {layer.name}: unsupported Dense configuration")
            kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
            out = activation(out @ kernel + bias)
        elif kind not in ("Dropout", "InputLayer"):  # dropout is the identity at inference
            raise ValueError(f"layer {layer.name}: {kind} is not supported")
        rows.append((layer, out, record))
    return rows


def network_forward(network: Any, x: np.ndarray) -> np.ndarray:
    """The Sequential network of models.lstm.build_network on x (batch, look_back, features),
    layer by layer in NumPy: what network.predict(x) returns, in float64."""
    return layer_outputs(network, x)[-1][1]


def formula_count(cell: str, d: int, h: int) -> int:
    """Parameters of one layer with input size d and h units: LSTM 4(h(h+d)+h),
    GRU (reset_after) 3(h(h+d)+2h), Dense d*h + h."""
    counts = {"lstm": 4 * (h * (h + d) + h), "gru": 3 * (h * (h + d) + 2 * h),
              "dense": d * h + h}
    if cell not in counts:
        raise ValueError(f"cell must be one of {', '.join(counts)}, got {cell!r}")
    return counts[cell]


_WEIGHT_FORMULAS = {  # (cell, weight) -> the shape in symbols, then in numbers (m = blocks * h)
    ("lstm", "kernel"): ("d x 4h", "{d} x {m}"),
    ("lstm", "recurrent_kernel"): ("h x 4h", "{h} x {m}"),
    ("lstm", "bias"): ("4h", "{m}"),
    ("gru", "kernel"): ("d x 3h", "{d} x {m}"),
    ("gru", "recurrent_kernel"): ("h x 3h", "{h} x {m}"),
    ("gru", "bias"): ("2 x 3h", "2 x {m} (input bias, recurrent bias)"),
    ("dense", "kernel"): ("d x n", "{d} x {h}"),
    ("dense", "bias"): ("n", "{h}"),
}
_LAYER_FORMULAS = {"lstm": "4(h(h+d)+h) = 4({h}({h}+{d})+{h})",
                   "gru": "3(h(h+d)+2h) = 3({h}({h}+{d})+2*{h})",
                   "dense": "d*n + n = {d}*{h} + {h}"}


def parameter_table(network: Any) -> pd.DataFrame:
    """One row per weight: layer, type, weight, shape, count, d (input size), h (units), formula."""
    rows = []
    for layer in network.layers:
        kind = type(layer).__name__
        cell = RECURRENT.get(kind, "dense" if kind == "Dense" else None)
        weights = layer.get_weights()
        if not weights:
            continue
        if cell is None:
            raise ValueError(f"layer {layer.name}: {kind} is not supported")
        d, h = int(weights[0].shape[0]), int(layer.units)
        blocks = {"lstm": 4, "gru": 3, "dense": 1}[cell]
        for variable, value in zip(layer.weights, weights, strict=True):
            weight = variable.name.rsplit("/", 1)[-1]
            symbols, numbers = _WEIGHT_FORMULAS[(cell, weight)]
            rows.append({"layer": layer.name, "type": kind, "weight": weight,
                         "shape": " x ".join(map(str, value.shape)), "count": int(value.size),
                         "d": d, "h": h,
                         "formula": f"{symbols} = " + numbers.format(d=d, h=h, m=blocks * h)})
    return pd.DataFrame(rows, columns=["layer", "type", "weight", "shape", "count", "d", "h",
                                       "formula"])


def layer_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per layer of a parameter_table: its count and the closed-form formula that gives it."""
    rows = []
    for layer, part in table.groupby("layer", sort=False):
        kind, d, h = part["type"].iloc[0], int(part["d"].iloc[0]), int(part["h"].iloc[0])
        cell = RECURRENT.get(kind, "dense")
        count = int(part["count"].sum())
        if count != formula_count(cell, d, h):
            raise ValueError(f"layer {layer}: {count} weights, the formula gives "
                             f"{formula_count(cell, d, h)}")
        rows.append({"layer": layer, "type": kind, "d": d, "h": h, "count": count,
                     "formula": f"{_LAYER_FORMULAS[cell].format(d=d, h=h)} = {count}"})
    return pd.DataFrame(rows, columns=["layer", "type", "d", "h", "count", "formula"])


def trace_window(network: Any, window: np.ndarray) -> pd.DataFrame:
    """Long table (layer, step, unit, quantity, value) of every recurrent layer's gates and
    states over one scaled input window of shape (look_back, n_features)."""
    window = np.asarray(window, dtype=np.float64)
    if window.ndim != 2:
        raise ValueError(f"window must have shape (look_back, n_features), got {window.shape}")
    return trace_table(layer_outputs(network, window[None], trace=True))


def trace_table(rows: list[tuple[Any, np.ndarray, dict[str, np.ndarray] | None]]
                ) -> pd.DataFrame:
    """The trace_window table of the first window in layer_outputs(..., trace=True) rows."""
    frames = []
    for layer, _, record in rows:
        for quantity, values in (record or {}).items():
            steps, units = values.shape[1:]
            frames.append(pd.DataFrame({
                "layer": layer.name, "step": np.repeat(np.arange(steps), units),
                "unit": np.tile(np.arange(units), steps), "quantity": quantity,
                "value": values[0].reshape(-1)}))
    return pd.concat(frames, ignore_index=True)
