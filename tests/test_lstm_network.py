"""The network `models.lstm.build_network` makes: parameter counts against the closed-form
formulas and the stacking of recurrent, dropout and dense layers (built only, never trained).
"""

from __future__ import annotations

import pytest

from forecast_bench import models
from forecast_bench.models import lstm
from forecast_bench.models.lstm import LstmConfig, build_network

# -- 1. parameter counts (build only, no fit) -------------------------------------------------


def expected_params(cell: str, n_features: int, units, dense) -> int:
    total, d = 0, n_features
    for h in units:
        if cell == "lstm":
            total += 4 * (h * (h + d) + h)
        else:  # GRU, reset_after=True: two bias vectors
            total += 3 * (h * (h + d) + 2 * h)
        d = h
    for width in (*dense, 1):
        total += d * width + width
        d = width
    return total


def test_default_preset_is_the_tutorial_network():
    cfg = LstmConfig()
    assert (cfg.look_back, cfg.units, cfg.dense, cfg.dropout) == (60, (50, 50), (25,), 0.2)
    network = build_network(cfg, n_features=1)
    assert network.count_params() == 31_901
    assert expected_params("lstm", 1, (50, 50), (25,)) == 31_901


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize(
    ("n_features", "units", "dense"),
    [
        (1, (50, 50), (25,)),
        (3, (50, 50), ()),
        (1, (8,), ()),
        (3, (8,), (25,)),
        (3, (16, 8, 4), (25,)),
        (1, (16, 8, 4), (6, 3)),
    ],
)
def test_param_count_matches_formula(cell, n_features, units, dense):
    cfg = LstmConfig(look_back=7, units=units, dense=dense, cell=cell)
    network = build_network(cfg, n_features)
    assert network.count_params() == expected_params(cell, n_features, units, dense)


# -- 2. stacking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "units", "dense", "dropout"),
    [
        ("lstm", (8,), (), 0.0),
        ("lstm", (6, 5), (3,), 0.2),
        ("gru", (16, 8, 4), (5, 2), 0.3),
        ("gru", (4, 3), (), 0.0),
    ],
)
def test_network_stacking(cell, units, dense, dropout):
    keras = lstm.keras_module()
    recurrent_class = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
    other_class = keras.layers.GRU if cell == "lstm" else keras.layers.LSTM
    cfg = LstmConfig(look_back=5, units=units, dense=dense, dropout=dropout, cell=cell)
    network = build_network(cfg, n_features=2)
    layers = network.layers

    recurrent = [layer for layer in layers if isinstance(layer, recurrent_class)]
    assert not any(isinstance(layer, other_class) for layer in layers)
    assert [layer.units for layer in recurrent] == list(units)
    assert [layer.return_sequences for layer in recurrent] == [True] * (len(units) - 1) + [False]

    dropouts = [layer for layer in layers if isinstance(layer, keras.layers.Dropout)]
    assert len(dropouts) == (len(units) if dropout > 0 else 0)
    assert all(layer.rate == pytest.approx(dropout) for layer in dropouts)

    kinds = [type(layer).__name__ for layer in layers]
    one_block = [recurrent_class.__name__] + (["Dropout"] if dropout else [])
    assert kinds == one_block * len(units) + ["Dense"] * (len(dense) + 1)
    assert [layer.units for layer in layers if isinstance(layer, keras.layers.Dense)] == [
        *dense,
        1,
    ]
    assert tuple(network.input_shape) == (None, 5, 2)
    assert tuple(network.output_shape) == (None, 1)


def test_gru_model_builds_gru_cells():
    assert models.get("gru").config.cell == "gru"
    assert models.get("lstm").config.cell == "lstm"
