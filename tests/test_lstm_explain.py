"""The NumPy LSTM/GRU forward passes (models/lstm_explain.py) against Keras, the parameter
formulas, the gate trace, and the files benchmarks/explain.py writes.

Random weights are drawn from N(0, 0.5) so that the gates spread over (0, 1) instead of sitting
near 0.5, where a wrong gate order could hide. Only three small networks are trained.
"""

from __future__ import annotations

import re

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from forecast_bench import models
from forecast_bench.benchmarks import explain
from forecast_bench.models import lstm_explain as lx
from forecast_bench.models import windows
from forecast_bench.models.errors import ConfigError
from forecast_bench.models.lstm import LstmConfig, build_network, keras_module
from tests.conftest import random_walk

TOL = 1e-5
FORWARD = {"lstm": lx.lstm_forward, "gru": lx.gru_forward}
N_STATES = {"lstm": 2, "gru": 1}
TINY = {"look_back": 8, "units": [6, 5], "dense": [3], "epochs": 2, "batch_size": 16}


@pytest.fixture(scope="module")
def keras():
    return keras_module()


def randomize(model, seed: int = 0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


def keras_outputs(model, x) -> list[np.ndarray]:
    out = model(x, training=False)
    return [np.asarray(o, dtype=float) for o in (out if isinstance(out, list | tuple) else [out])]


def as_list(result) -> list[np.ndarray]:
    return list(result) if isinstance(result, tuple) else [result]


def max_diff(got: list[np.ndarray], expected: list[np.ndarray]) -> float:
    assert [g.shape for g in got] == [e.shape for e in expected]
    return max(float(np.max(np.abs(g - e))) for g, e in zip(got, expected, strict=True))


def single_layer(keras, cell: str, d: int, h: int, steps: int, initial: bool = False, **kwargs):
    """A functional model around one LSTM/GRU layer (inputs: x, then the initial states)."""
    layer = (keras.layers.LSTM if cell == "lstm" else keras.layers.GRU)(h, **kwargs)
    x = keras.Input((steps, d))
    states = [keras.Input((h,)) for _ in range(N_STATES[cell])] if initial else []
    out = layer(x, initial_state=states) if initial else layer(x)
    return randomize(keras.Model([x, *states] if initial else x, out)), layer


# -- 1. NumPy equals Keras ---------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_single_layer_equals_keras(keras, cell, return_sequences, return_state):
    model, layer = single_layer(keras, cell, 3, 5, 7, return_sequences=return_sequences,
                                return_state=return_state)
    x = np.random.default_rng(1).normal(0, 1, (6, 7, 3)).astype("float32")
    got = as_list(FORWARD[cell](x, *layer.get_weights(), return_sequences=return_sequences,
                                return_state=return_state))
    assert len(got) == 1 + return_state * N_STATES[cell]
    assert max_diff(got, keras_outputs(model, x)) < TOL


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_initial_states_equal_keras(keras, cell):
    model, layer = single_layer(keras, cell, 2, 4, 6, initial=True, return_sequences=True,
                                return_state=True)
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, (5, 6, 2)).astype("float32")
    states = [rng.normal(0, 0.8, (5, 4)).astype("float32") for _ in range(N_STATES[cell])]
    names = ("h0", "c0")[:N_STATES[cell]]
    got = as_list(FORWARD[cell](x, *layer.get_weights(), **dict(zip(names, states, strict=True)),
                                return_sequences=True, return_state=True))
    assert max_diff(got, keras_outputs(model, [x, *states])) < TOL


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_stacked_network_equals_keras_layer_by_layer(keras, cell):
    network = randomize(build_network(LstmConfig(look_back=9, units=(6, 5), dense=(4,),
                                                 cell=cell), n_features=2), seed=3)
    x = np.random.default_rng(4).uniform(0, 1, (32, 9, 2)).astype("float32")
    probe = keras.Model(network.inputs, [layer.output for layer in network.layers])
    mine = [out for _, out, _ in lx.layer_outputs(network, x)]
    assert [m.shape for m in mine][:2] == [(32, 9, 6), (32, 9, 6)]  # sequences, then dropout
    assert max_diff(mine, keras_outputs(probe, x)) < TOL
    predicted = np.asarray(network.predict_on_batch(x), dtype=float)
    assert max_diff([lx.network_forward(network, x)], [predicted]) < TOL


# -- 2. a wrong gate order breaks the equality -------------------------------------------------


def permuted(weights: list[np.ndarray], order: tuple[int, ...]) -> list[np.ndarray]:
    """Reorder the gate column blocks of kernel, recurrent kernel and bias: reading the Keras
    weights with this order is what a forward pass with the wrong gate order would do."""
    return [np.concatenate([np.split(w, len(order), axis=-1)[i] for i in order], axis=-1)
            for w in weights]


@pytest.mark.parametrize(("cell", "order"), [
    ("lstm", (1, 0, 2, 3)),  # i and f swapped
    ("lstm", (0, 1, 3, 2)),  # read as i, f, o, c
    ("gru", (1, 0, 2)),  # z and r swapped
    ("gru", (0, 2, 1)),  # r and h~ swapped
])
def test_wrong_gate_order_breaks_the_equality(keras, cell, order):
    model, layer = single_layer(keras, cell, 3, 5, 7, return_sequences=True)
    x = np.random.default_rng(5).normal(0, 1, (6, 7, 3)).astype("float32")
    expected = keras_outputs(model, x)
    weights = layer.get_weights()
    right = FORWARD[cell](x, *weights, return_sequences=True)
    wrong = FORWARD[cell](x, *permuted(weights, order), return_sequences=True)
    assert max_diff([right], expected) < TOL
    assert max_diff([wrong], expected) > 0.05


def test_gru_bias_rows_are_input_then_recurrent(keras):
    model, layer = single_layer(keras, "gru", 3, 5, 7, return_sequences=True)
    x = np.random.default_rng(6).normal(0, 1, (6, 7, 3)).astype("float32")
    kernel, recurrent, bias = layer.get_weights()
    wrong = lx.gru_forward(x, kernel, recurrent, bias[::-1], return_sequences=True)
    assert max_diff([wrong], keras_outputs(model, x)) > 0.05


# -- 3. on trained forecasters -----------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    y = random_walk(120, seed=7).to_numpy()
    return {
        "lstm": models.get("lstm", **TINY, features=["close", "returns"], target="diff").fit(y),
        "gru": models.get("gru", **TINY).fit(y),
    }


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_trained_network_equals_keras(fitted, cell):
    model = fitted[cell]
    cfg, network, y = model.config, model.networks_[0], model.y_train_
    warm = windows.warmup(cfg.features)
    rows = model.scaler_.transform(windows.feature_matrix(y, cfg.features)[warm:])
    x, _ = windows.training_windows(rows, rows[:, 0], cfg.look_back)
    x = np.ascontiguousarray(x, dtype="float32")
    predicted = np.asarray(network.predict_on_batch(x), dtype=float)
    assert max_diff([lx.network_forward(network, x)], [predicted]) < TOL
    assert explain.keras_difference(network, np.random.default_rng(8).uniform(
        0, 1, (64, cfg.look_back, len(cfg.features)))) < TOL
    # the window explain reads is the one the forecaster forecasts from
    raw = lx.network_forward(network, explain.last_window(model, y)[None])[0, 0]
    value = model.target_scaler_.inverse_transform([[raw]])[0, 0]
    value += y[-1] if cfg.target == "diff" else 0.0
    assert value == pytest.approx(model.predict(1)[0], abs=1e-4)


# -- 4. parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize(("d", "h"), [(1, 1), (1, 50), (50, 50), (3, 8), (7, 2)])
def test_formula_count_equals_keras(keras, cell, d, h):
    layer = (keras.layers.LSTM if cell == "lstm" else keras.layers.GRU)(h)
    layer.build((None, 5, d))
    assert lx.formula_count(cell, d, h) == layer.count_params()


@pytest.mark.parametrize(("cell", "total"), [("lstm", 31_901), ("gru", 24_551)])
def test_parameter_table_of_the_tutorial_network(cell, total):
    network = build_network(LstmConfig(cell=cell), n_features=1)
    table = lx.parameter_table(network)
    assert table["count"].sum() == network.count_params() == total
    first = table.iloc[:3]
    assert list(first["weight"]) == ["kernel", "recurrent_kernel", "bias"]
    blocks = 4 if cell == "lstm" else 3
    expected_shapes = ["1 x " + str(50 * blocks), "50 x " + str(50 * blocks),
                       str(200) if cell == "lstm" else "2 x 150"]
    assert list(first["shape"]) == expected_shapes
    assert first["formula"].iloc[0] == f"d x {blocks}h = 1 x {50 * blocks}"
    totals = lx.layer_totals(table)
    assert list(totals["count"]) == [lx.formula_count(cell, 1, 50), lx.formula_count(cell, 50, 50),
                                     50 * 25 + 25, 26]
    assert totals["count"].sum() == total


# -- 5. the trace ------------------------------------------------------------------------------


def layer_arrays(trace: pd.DataFrame, layer: str) -> dict[str, np.ndarray]:
    """{quantity: (steps, units)} of one layer, read back from a trace_window table."""
    part = trace[trace["layer"] == layer]
    return {q: rows.pivot(index="step", columns="unit", values="value").to_numpy()
            for q, rows in part.groupby("quantity", sort=False)}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_trace_shapes_and_identities(cell):
    network = randomize(build_network(LstmConfig(look_back=9, units=(6, 5), dense=(), cell=cell),
                                      n_features=2), seed=9)
    window = np.random.default_rng(10).uniform(0, 1, (9, 2))
    trace = lx.trace_window(network, window)
    assert list(trace.columns) == ["layer", "step", "unit", "quantity", "value"]
    quantities = lx.QUANTITIES[cell]
    assert len(trace) == len(quantities) * 9 * (6 + 5)
    for layer, units in zip(trace["layer"].unique(), (6, 5), strict=True):
        arrays = layer_arrays(trace, layer)
        assert list(arrays) == list(quantities)
        assert all(a.shape == (9, units) for a in arrays.values())
        gates = np.concatenate([arrays[q] for q in explain.SIGMOID if q in arrays])
        assert np.ptp(gates) > 0.5  # random weights: the gates are far from all ~0.5
        h = arrays["hidden"]
        if cell == "lstm":
            np.testing.assert_allclose(h, arrays["output"] * np.tanh(arrays["cell"]), atol=1e-15)
            c_prev = np.vstack([np.zeros(units), arrays["cell"][:-1]])
            np.testing.assert_allclose(arrays["cell"], arrays["forget"] * c_prev
                                       + arrays["input"] * arrays["candidate"], atol=1e-12)
        else:
            h_prev = np.vstack([np.zeros(units), h[:-1]])
            z = arrays["update"]
            np.testing.assert_allclose(h, z * h_prev + (1 - z) * arrays["candidate"], atol=1e-12)
    last = trace[(trace.layer == trace.layer.unique()[-1]) & (trace.quantity == "hidden")]
    np.testing.assert_allclose(last[last.step == 8].value, lx.layer_outputs(
        network, window[None])[-2][1][0], atol=1e-12)  # before the Dense(1)


# -- 6. the written explanation ----------------------------------------------------------------


def check_explanation(model, y: np.ndarray, folder) -> str:
    path = explain.write_explanation(model, y, folder)
    network = model.networks_[0]
    text = path.read_text(encoding="utf-8")
    total = re.search(r"Total: ([\d,]+) parameters; Keras count_params\(\): ([\d,]+) \(equal\)",
                      text)
    assert total and int(total[1].replace(",", "")) == network.count_params()
    differences = [float(v) for v in re.findall(r"\| +(\d\.\de[-+]\d+) +\|", text)]
    assert len(differences) == 2 and max(differences) < TOL
    assert pd.read_csv(folder / "parameters.csv")["count"].sum() == network.count_params()
    gates = pd.read_csv(folder / "gates.csv")
    assert len(gates) == len(lx.trace_window(network, explain.last_window(model, y)))
    recurrent = [layer.name for layer in network.layers if type(layer).__name__ in lx.RECURRENT]
    assert list(gates["layer"].unique()) == recurrent
    for name in recurrent:
        for png in (folder / f"gates_{name}.png", folder / f"states_{name}.png"):
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert matplotlib.image.imread(png).shape[0] > 100
            assert f"({png.name})" in text
    return text


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_write_explanation(fitted, cell, tmp_path):
    model = fitted[cell]
    (tmp_path / "gates_old.png").write_bytes(b"stale")
    text = check_explanation(model, model.y_train_, tmp_path)
    assert not (tmp_path / "gates_old.png").exists()
    assert ("forget gate: mean" in text) == (cell == "lstm")
    assert ("update gate: mean" in text) == (cell == "gru")


def test_write_explanation_of_the_tutorial_network(tmp_path):
    y = random_walk(100, seed=11).to_numpy()
    model = models.get("lstm", epochs=1).fit(y)
    text = check_explanation(model, y, tmp_path)
    assert "Total: 31,901 parameters" in text
    assert "| lstm" in text and "(batch, 60, 50)" in text


def test_recurrent_model_is_chosen_or_refused():
    lstm, naive = models.get("lstm"), models.get("naive")
    assert explain.recurrent_model({"n": naive, "net": lstm}) == ("net", lstm)
    with pytest.raises(ConfigError, match="no LSTM or GRU model"):
        explain.recurrent_model({"n": naive})
    with pytest.raises(ConfigError, match="'n' is not an LSTM or GRU"):
        explain.recurrent_model({"n": naive, "net": lstm}, "n")
    with pytest.raises(ConfigError, match="no model 'x'"):
        explain.recurrent_model({"n": naive}, "x")
