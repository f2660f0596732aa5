"""`forecast-bench explain`: what a fitted LSTM/GRU forecaster's first network computes on the
window it reads last: its layers, the parameter formulas, how far the NumPy forward pass of
models/lstm_explain.py is from Keras, and the gates and states over the window's steps."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecast_bench.evaluation.reporting.plots import save_figure
from forecast_bench.evaluation.run_folder import results
from forecast_bench.models import lstm_explain, windows
from forecast_bench.models.base import Forecaster, as_values
from forecast_bench.models.errors import ConfigError, ModelError
from forecast_bench.models.lstm import Gru, Lstm

N_RANDOM = 64  # random windows on which NumPy and Keras are compared
NEAR = 0.05  # "saturated": a sigmoid within 0.05 of 0 or 1, a tanh within 0.05 of -1 or 1
STATE_UNITS = 4  # units drawn in states_<layer>.png
TITLES = {
    "input": "input gate i (0..1): how much new content is written",
    "forget": "forget gate f (0..1): how much of the old cell is kept",
    "output": "output gate o (0..1): how much of the cell is shown",
    "update": "update gate z (0..1): how much of the old state is kept",
    "reset": "reset gate r (0..1): how much old state enters the candidate",
    "cell": "cell state c (not squashed)",
}
SIGMOID = ("input", "forget", "output", "update", "reset")


def recurrent_model(models: Mapping[str, Forecaster], label: str | None = None
                    ) -> tuple[str, Forecaster]:
    """The model to explain: `label`, or the first LSTM or GRU; ConfigError otherwise."""
    if label is None:
        found = [name for name, model in models.items() if isinstance(model, Lstm | Gru)]
        if not found:
            raise ConfigError(f"no LSTM or GRU model to explain; the models are "
                              f"{', '.join(models) or 'none'}")
        label = found[0]
    if label not in models:
        raise ConfigError(f"no model '{label}'; the models are {', '.join(models)}")
    if not isinstance(models[label], Lstm | Gru):
        raise ConfigError(f"model '{label}' is not an LSTM or GRU; pass --model with one")
    return label, models[label]


def last_window(forecaster: Lstm | Gru, y_train: np.ndarray) -> np.ndarray:
    """The scaled window (look_back, n_features) the forecaster reads to forecast the value
    after y_train: the same rows and scaling as Lstm._recursive."""
    cfg = forecaster.config
    values = as_values(y_train, "y_train")
    length = windows.warmup(cfg.features) + cfg.look_back
    if len(values) < length:
        raise ModelError(f"explain needs at least {length} training values, got {len(values)}")
    rows = windows.feature_matrix(values[-length:], cfg.features)[-cfg.look_back:]
    return forecaster.scaler_.transform(rows)


def keras_difference(network: Any, x: np.ndarray) -> float:
    """Largest |NumPy - Keras| over the outputs on windows x, fed as float32 like the forecaster."""
    x = np.asarray(x, dtype="float32")
    keras_out = np.asarray(network.predict_on_batch(x), dtype=float)
    return float(np.max(np.abs(lstm_explain.network_forward(network, x) - keras_out)))


def _saturated(values: np.ndarray, sigmoid: bool) -> np.ndarray:
    return (np.minimum(values, 1 - values) < NEAR) if sigmoid else (np.abs(values) > 1 - NEAR)


def layer_facts(arrays: dict[str, np.ndarray]) -> list[str]:
    """Plain-words facts about one recurrent layer's gates and states over the window."""
    n = arrays["hidden"].shape[1]
    facts = []
    for gate in [q for q in arrays if q in SIGMOID]:
        v = arrays[gate]
        facts.append(f"{gate} gate: mean {v.mean():.3f} (min {v.min():.3f}, max {v.max():.3f}); "
                     f"{_saturated(v, True).mean():.0%} of its values lie within {NEAR} of 0 or "
                     f"1, and {_saturated(v, True).all(axis=0).sum()} of {n} units stay "
                     f"saturated at every step")
    if "forget" in arrays:
        keep = int((arrays["forget"] > 0.9).all(axis=0).sum())
        facts.append(f"units with f > 0.9 at every step, which carry their cell state across the "
                     f"whole window: {keep} of {n} (Keras starts the forget bias at 1, so an "
                     f"untrained forget gate sits near sigmoid(1) = 0.731)")
    if "update" in arrays:
        keep = int((arrays["update"] > 0.9).all(axis=0).sum())
        facts.append(f"units with z > 0.9 at every step, which hold their state across the whole "
                     f"window: {keep} of {n}")
    candidate = arrays["candidate"]
    facts.append(f"candidate: {_saturated(candidate, False).mean():.0%} of its values lie "
                 f"within {NEAR} of -1 or 1")
    h = np.abs(arrays["hidden"])
    if "cell" in arrays:
        c = np.abs(arrays["cell"])
        identity = np.abs(arrays["hidden"] - arrays["output"] * np.tanh(arrays["cell"])).max()
        facts.append(f"cell state: |c| up to {c.max():.3f}, and {(c > 1).any(axis=0).sum()} of "
                     f"{n} units go beyond 1 at some step; hidden state: |h| up to {h.max():.3f}"
                     f", inside (-1, 1) since h = o * tanh(c) (the trace satisfies this to "
                     f"{identity:.1e})")
    else:
        facts.append(f"hidden state: |h| up to {h.max():.3f}; it moves by at most "
                     f"{np.abs(np.diff(arrays['hidden'], axis=0)).max():.3f} per step")
    return facts


def _limits(quantity: str, values: np.ndarray) -> tuple[str, float, float]:
    if quantity in SIGMOID:
        return "viridis", 0.0, 1.0
    top = max(1.0, float(np.abs(values).max())) if quantity == "cell" else 1.0
    return "RdBu_r", -top, top


def _title(quantity: str, cell: str) -> str:
    if quantity == "candidate":
        return f"candidate {'c~' if cell == 'lstm' else 'h~'} (-1..1): the new content"
    if quantity == "hidden":
        return "hidden state h = o * tanh(c) (-1..1)" if cell == "lstm" else \
            "hidden state h (-1..1)"
    return TITLES[quantity]


def gates_figure(arrays: dict[str, np.ndarray], layer: str, cell: str) -> Figure:
    """One heatmap per gate and state: time step across, unit up."""
    nrows = math.ceil(len(arrays) / 2)
    fig, axes = plt.subplots(nrows, 2, figsize=(13, 3.4 * nrows), squeeze=False)
    for ax, (quantity, values) in zip(axes.flat, arrays.items(), strict=False):
        cmap, low, high = _limits(quantity, values)
        image = ax.imshow(values.T, aspect="auto", origin="lower", interpolation="nearest",
                          cmap=cmap, vmin=low, vmax=high)
        fig.colorbar(image, ax=ax)
        ax.set(title=_title(quantity, cell), xlabel="time step (0 = oldest in the window)",
               ylabel="unit")
    for ax in list(axes.flat)[len(arrays):]:
        ax.remove()
    units = arrays["hidden"].shape[1]
    fig.suptitle(f"{layer} ({cell.upper()}, {units} units) on the last training window")
    fig.tight_layout()
    return fig


def states_figure(arrays: dict[str, np.ndarray], layer: str, cell: str) -> Figure:
    """A few units' states over the steps: c and h for an LSTM (the units whose |c| grows
    most), h and the update gate z for a GRU (the units whose h moves most)."""
    if cell == "lstm":
        series, spread = ("cell", "c"), np.abs(arrays["cell"]).max(axis=0)
    else:
        series, spread = ("update", "z"), np.ptp(arrays["hidden"], axis=0)
    units = np.sort(np.argsort(-spread, kind="stable")[:STATE_UNITS])
    ncols = min(2, len(units))
    nrows = math.ceil(len(units) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.5 * ncols, 3.3 * nrows), squeeze=False,
                             sharex=True)
    steps = np.arange(arrays["hidden"].shape[0])
    for ax, unit in zip(axes.flat, units, strict=False):
        ax.plot(steps, arrays[series[0]][:, unit], color="tab:blue", label=series[1])
        ax.plot(steps, arrays["hidden"][:, unit], color="tab:orange", linestyle="--", label="h")
        for bound in (-1, 1):
            ax.axhline(bound, color="0.5", linestyle=":", linewidth=1)
        ax.set(title=f"unit {unit}", xlabel="time step", ylabel="value")
        ax.legend(loc="best", fontsize="small")
    for ax in list(axes.flat)[len(units):]:
        ax.remove()
    what = ("cell state c carries memory, h = o * tanh(c) stays inside the dotted ±1"
            if cell == "lstm" else "h and the update gate z (the share of h kept each step)")
    fig.suptitle(f"{layer}: {what}")
    fig.tight_layout()
    return fig


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _markdown(frame: pd.DataFrame, **options: Any) -> str:
    return frame.to_markdown(index=False, intfmt=",", **options)


def write_explanation(forecaster: Forecaster, y_train: np.ndarray, out_dir: Path) -> Path:
    """Write explain.md, gates.csv, parameters.csv, gates_<layer>.png and states_<layer>.png
    for the first network of a fitted lstm/gru forecaster; return the path of explain.md."""
    if not isinstance(forecaster, Lstm | Gru) or not hasattr(forecaster, "networks_"):
        raise ModelError("write_explanation needs a fitted lstm or gru forecaster")
    cfg, network, out_dir = forecaster.config, forecaster.networks_[0], Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    window = last_window(forecaster, y_train)
    random = np.random.default_rng(cfg.seed).uniform(0, 1, (N_RANDOM, *window.shape))
    differences = (keras_difference(network, window[None]), keras_difference(network, random))
    table = lstm_explain.parameter_table(network)
    totals = lstm_explain.layer_totals(table)
    traced = lstm_explain.layer_outputs(network, window[None], trace=True)
    trace = lstm_explain.trace_table(traced)
    results.write_csv(out_dir / "parameters.csv", table)
    results.write_csv(out_dir / "gates.csv", trace, float_format=None)

    layers = lstm_explain.layer_outputs(network, window[None].astype("float32"))
    raw = float(layers[-1][1][0, 0])
    value = forecaster.target_scaler_.inverse_transform([[raw]])[0, 0]
    value += as_values(y_train, "y_train")[-1] if cfg.target == "diff" else 0.0
    counts = dict(zip(totals["layer"], totals["count"], strict=True))
    listing = pd.DataFrame([{"layer": layer.name, "type": type(layer).__name__,
                             "output shape": str(("batch", *out.shape[1:])).replace("'", ""),
                             "parameters": counts.get(layer.name, 0)}
                            for layer, out, _ in layers])
    total, keras_total = int(table["count"].sum()), int(network.count_params())
    sections = [
        f"# What the {cfg.cell.upper()} network computes\n",
        f"Network 1 of {len(forecaster.networks_)} of the `{forecaster.name}` forecaster "
        f"(units {list(cfg.units)}, dense {list(cfg.dense)}, dropout {cfg.dropout}, features "
        f"{list(cfg.features)}, target {cfg.target}), trained on {len(y_train)} values. The "
        f"window below is the one it reads to forecast the next value: the last {cfg.look_back} "
        "feature rows of the training part, scaled with the forecaster's own scaler. "
        f"On it the network outputs {raw:.6f} (scaled), a forecast of {value:.4f}.\n",
        "## Layers\n", _markdown(listing) + "\n",
        "## Parameters\n",
        "Each weight (d: the layer's input size, h: its units; Keras's gate order is i, f, c, o "
        "for an LSTM and z, r, h~ for a GRU):\n", _markdown(table) + "\n",
        "Per layer:\n", _markdown(totals) + "\n",
        f"Total: {total:,} parameters; Keras count_params(): {keras_total:,} "
        f"({'equal' if total == keras_total else 'DIFFERENT'}).\n",
        "## NumPy forward pass vs Keras\n",
        "`models/lstm_explain.py` recomputes the whole network in float64 from "
        "`layer.get_weights()` (dropout is the identity at inference). Largest absolute "
        "difference from Keras's `predict_on_batch`, measured just now:\n",
        _markdown(pd.DataFrame({
            "input": ["the window above", f"{N_RANDOM} random windows, uniform in [0, 1]"],
            "max abs difference": [f"{d:.1e}" for d in differences]}),
            disable_numparse=True) + "\n",
        "Keras computes in float32, so differences around 1e-7 are rounding; the tests "
        "require less than 1e-5.\n",
        "## The gates on this window\n",
    ]
    written = []
    for layer, _, record in traced:
        if record is None:
            continue
        cell = lstm_explain.RECURRENT[type(layer).__name__]
        arrays = {quantity: values[0] for quantity, values in record.items()}  # (steps, units)
        gates_png, states_png = f"gates_{_safe(layer.name)}.png", f"states_{_safe(layer.name)}.png"
        save_figure(gates_figure(arrays, layer.name, cell), out_dir / gates_png)
        save_figure(states_figure(arrays, layer.name, cell), out_dir / states_png)
        written += [gates_png, states_png]
        n, steps = arrays["hidden"].shape[1], arrays["hidden"].shape[0]
        sections += [f"### {layer.name} ({cell.upper()}, {n} units, {steps} steps)\n",
                     "\n".join(f"- {fact}" for fact in layer_facts(arrays)) + "\n",
                     f"Plots: [{gates_png}]({gates_png}), [{states_png}]({states_png}).\n"]
    for stale in [*out_dir.glob("gates_*.png"), *out_dir.glob("states_*.png")]:
        if stale.name not in written:  # from an earlier explanation of another network
            stale.unlink()
    sections += [
        "## Files\n",
        f"- `gates.csv`: {len(trace):,} rows (layer, step, unit, quantity, value): every gate "
        "activation and hidden- and cell-state value over the window;",
        "- `parameters.csv`: the parameter table above;",
        "- " + ", ".join(f"`{name}`" for name in written) + ".\n",
    ]
    path = out_dir / "explain.md"
    results.write_text(path, "\n".join(sections))
    return path
