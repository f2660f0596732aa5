"""Per-series networks trained as one batched computation: a series gets the network it gets
when trained alone (masked padding, frozen Adam state on idle steps), the batched cells equal
hand-written ones, no look-ahead within or across series, seeded determinism."""

from __future__ import annotations

import numpy as np
import pytest

from forecast_bench import models
from forecast_bench.models.errors import ConfigError
from forecast_bench.models.local_nets import _trainer, forward, init_params
from tests.conftest import random_walk

CELLS = ["lstm", "rnn", "mlp"]
SMALL = {"look_back": 4, "units": 3, "epochs": 3, "batch_size": 8}
TOL = 1e-5  # float32 networks; forecasts are ~100


def walk(n: int, seed: int) -> np.ndarray:
    return random_walk(n, seed=seed).to_numpy()


def fit(cell: str, series: list[np.ndarray], **params) -> models.Forecaster:
    model = models.get(f"{cell}_local", **{**SMALL, **params})
    return model.fit_collection(series, [1] * len(series))


@pytest.mark.parametrize("cell", CELLS)
def test_a_series_in_a_collection_gets_the_network_it_gets_alone(cell):
    """Panel of three (61, 41 and 21 windows, so 8, 6 and 3 batches an epoch): series 0's
    weights and forecasts equal those of series 0 fitted alone with the same seed."""
    y = walk(140, 1)
    panel = [y[:70], walk(50, 2), walk(30, 3) + 40]
    alone = fit(cell, [y[:70]])
    together = fit(cell, panel)
    for a, b in zip(alone.params_, together.params_, strict=True):
        np.testing.assert_allclose(b[0], a[0], rtol=0, atol=1e-6)
    assert not np.allclose(together.params_[0][1], together.params_[0][0])  # not all one net
    origins = np.arange(70, 130, 7)
    expected = alone.forecast(y, origins, 3).point
    got = together.forecast_collection([y, walk(50, 2), walk(30, 3) + 40],
                                       [origins, [50], [30]], 3)[0].point
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)


@pytest.mark.parametrize("cell", CELLS)
def test_a_short_series_trained_beside_a_long_one_is_unchanged(cell):
    """5 windows (one padded batch an epoch) beside 80 (ten batches): the short series is idle
    on nine steps of each epoch, and still ends where it ends alone."""
    short, long = walk(18, 4), walk(93, 5)
    alone = fit(cell, [short], epochs=4)
    together = fit(cell, [long, short], epochs=4)
    for a, b in zip(alone.params_, together.params_, strict=True):
        np.testing.assert_allclose(b[1], a[0], rtol=0, atol=1e-6)


def adam_step(cell: str, weights, m, v, t, windows, targets, idx, mask):
    step = _trainer(cell, windows.shape[2])
    out = step(weights, m, v, t, windows, targets, idx, mask, np.float32(0.01))
    return [[np.asarray(a) for a in group] for group in out[:3]], np.asarray(out[3])


@pytest.mark.parametrize("cell", CELLS)
def test_masked_slots_and_idle_series_change_nothing(cell):
    """One Adam step on two series: a masked slot's window and target (huge here) do not matter,
    and a series with no real window this step keeps its weights, moments and step count
    (with non-zero moments plain Adam would still move it)."""
    rng = np.random.default_rng(0)
    weights = [np.stack([w, w]) for w in init_params(cell, 4, 3, seed=0)]
    m = [rng.normal(size=w.shape).astype(np.float32) for w in weights]
    v = [rng.uniform(0.1, 1, size=w.shape).astype(np.float32) for w in weights]
    t = np.array([3.0, 3.0], np.float32)
    windows = rng.uniform(size=(2, 3, 4)).astype(np.float32)
    targets = rng.uniform(size=(2, 3)).astype(np.float32)
    mask = np.array([[1, 1, 0], [0, 0, 0]], np.float32)
    idx = np.array([[0, 1, 0], [0, 1, 2]], np.int32)
    base = adam_step(cell, weights, m, v, t, windows, targets, idx, mask)
    junk_windows, junk_targets = windows.copy(), targets.copy()
    junk_windows[0, 2], junk_targets[0, 2] = 1e6, -1e6
    junk = adam_step(cell, weights, m, v, t, junk_windows, junk_targets,
                     np.array([[0, 1, 2], [0, 1, 2]], np.int32), mask)
    for got, expected in zip(junk[0], base[0], strict=True):
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    (new_w, new_m, new_v), new_t = base
    np.testing.assert_array_equal(new_t, [4.0, 3.0])
    for new, old in zip(new_w + new_m + new_v, weights + m + v, strict=True):
        np.testing.assert_array_equal(new[1], old[1])
        assert not np.array_equal(new[0], old[0])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def numpy_forward(cell: str, params: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """One network, one window at a time, float64: the textbook equations."""
    if cell == "mlp":
        kernel, bias, out, out_bias = params
        return float(sigmoid(x @ kernel + bias) @ out + out_bias)
    kernel, recurrent, bias, out, out_bias = params
    units = recurrent.shape[0]
    h, c = np.zeros(units), np.zeros(units)
    for value in x:
        z = value * kernel + h @ recurrent + bias
        if cell == "rnn":
            h = np.tanh(z)
        else:
            i, f, g, o = np.split(z, 4)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
    return float(h @ out + out_bias)


@pytest.mark.parametrize("cell", CELLS)
def test_batched_cells_equal_hand_written_ones(cell):
    """Two series with different random weights, three windows each: the batched forward pass
    equals each network run by hand (gate order i, f, g, o)."""
    rng = np.random.default_rng(1)
    nets = [[w + rng.normal(0, 0.5, w.shape).astype(np.float32)
             for w in init_params(cell, 5, 4, seed=s)] for s in (0, 1)]
    params = [np.stack(ws) for ws in zip(*nets, strict=True)]
    x = rng.normal(size=(2, 3, 5)).astype(np.float32)
    got = np.asarray(forward(cell, params, x))
    expected = [[numpy_forward(cell, [w.astype(float) for w in nets[s]], x[s, b].astype(float))
                 for b in range(3)] for s in range(2)]
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5)


def test_initial_weights_follow_keras():
    kernel, recurrent, bias, out, out_bias = init_params("lstm", 12, 5, seed=3)
    assert kernel.shape == (20,) and recurrent.shape == (5, 20) and out.shape == (5,)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(5), atol=1e-5)  # orthogonal
    assert out_bias == 0 and kernel.dtype == np.float32
    assert not np.array_equal(init_params("lstm", 12, 5, seed=4)[1], recurrent)


def test_no_lookahead_within_or_across_series():
    """Changing values at or after a series' origin, or another series entirely, moves none of
    its forecasts."""
    a, b = walk(120, 6), walk(110, 7)
    model = fit("lstm", [a[:80], b[:70]])
    origins = [np.array([80, 95, 117]), np.array([70, 100])]
    base = model.forecast_collection([a, b], origins, 3)
    rng = np.random.default_rng(2)
    for row, origin in enumerate(origins[0]):
        changed = a.copy()
        changed[origin:] += rng.normal(0, 25, len(a) - origin) + 40
        again = model.forecast_collection([changed, b * 2 + 7], [origins[0][: row + 1], [70]], 3)
        np.testing.assert_allclose(again[0].point[row], base[0].point[row], rtol=0, atol=TOL)


def test_same_seed_same_forecasts_and_the_seed_matters():
    series = [walk(90, 8), walk(70, 9)]
    runs = [fit("rnn", series, seed=s).forecast_collection(series, [[80], [60]], 2)
            for s in (5, 5, 6)]
    for i in range(2):
        np.testing.assert_array_equal(runs[0][i].point, runs[1][i].point)
        assert not np.allclose(runs[0][i].point, runs[2][i].point)


def test_members_are_the_networks_of_their_seeds():
    y = walk(100, 10)
    pair = fit("mlp", [y[:80]], n_seeds=2, seed=3).forecast(y, [80, 90], 2)
    for k, seed in enumerate((3, 4)):
        single = fit("mlp", [y[:80]], seed=seed).forecast(y, [80, 90], 2)
        np.testing.assert_allclose(pair.members[k], single.point, rtol=0, atol=TOL)
    np.testing.assert_allclose(pair.point, pair.members.mean(axis=0))


def test_the_networks_learn_a_pattern():
    """A noise-free seasonal pattern, preprocessing off: 150 epochs (450 steps) forecast it
    far better than the last value does."""
    y = 10 + np.sin(np.arange(110) * 2 * np.pi / 6)
    model = fit("lstm", [y[:90]], units=8, epochs=150, batch_size=32, learning_rate=0.01,
                deseasonalize="never", boxcox=False, detrend="none", scale="minmax")
    origins = np.arange(90, 104)
    errors = model.forecast(y, origins, 6).point - y[origins[:, None] + np.arange(6)]
    naive = y[origins - 1, None] - y[origins[:, None] + np.arange(6)]
    assert np.sqrt(np.mean(errors**2)) < 0.2 * np.sqrt(np.mean(naive**2))


def test_each_series_gets_its_own_preprocessing():
    seasonal = 100 + 30 * np.tile([1, 2, 3, 4, 3, 2, 1, 0, -1, -2, -1, 0], 8)
    trend = 50 + np.arange(96) * 2.0 + np.sin(np.arange(96))
    model = fit("mlp", [seasonal, trend], deseasonalize="test")
    model.fit_collection([seasonal, trend], [12, 12])
    assert model.pipelines_[0].season.seasonal and not model.pipelines_[1].season.seasonal
    assert fit("mlp", [seasonal]).pipelines_[0].season.period == 1  # period 1 given
    fixed = models.get("mlp_local", **SMALL, period=12).fit_collection([seasonal], [1])
    assert fixed.pipelines_[0].season.seasonal  # the config's period wins


@pytest.mark.parametrize("bad", [{"detrend": "cubic"}, {"units": 0}, {"learning_rate": 0},
                                 {"period": 0}, {"boxcox": "yes"}])
def test_bad_config_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        models.get("lstm_local", **bad)
