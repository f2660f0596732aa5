"""Global networks (models.global_nets) beyond the shared contract (tests/test_conformance.py).

A panel of three seasonal series of different lengths. Tests of what the network is given stub
the training out; the others share two tiny trained networks (a few seconds each).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from forecast_bench import models
from forecast_bench.models import global_nets
from forecast_bench.models.errors import ConfigError
from forecast_bench.models.global_nets import RESIDUAL_STEPS, pooled_windows
from forecast_bench.models.preprocess import Pipeline

TINY = {"look_back": 4, "units": [3], "epochs": 2, "batch_size": 16}
PERIODS = [4, 4, 1]
N_TRAIN = [40, 55, 48]
N_TEST = 12


def make_collection() -> list[np.ndarray]:
    """Positive series (Box-Cox applies) with a season of 4, different levels and lengths."""
    rng = np.random.default_rng(3)
    out = []
    for i, n in enumerate(N_TRAIN):
        t = np.arange(n + N_TEST)
        season = 1 + 0.2 * np.sin(2 * np.pi * t / 4)
        out.append((40.0 * (i + 1) + np.cumsum(rng.normal(0.3, 1.0, len(t)))) * season)
    return out


PANEL = make_collection()
TRAIN = [y[:n] for y, n in zip(PANEL, N_TRAIN, strict=True)]
ORIGINS = [np.array([n, n + 4, n + 9]) for n in N_TRAIN]


def forecasts(model, panel=PANEL, origins=ORIGINS, horizon=3) -> list[np.ndarray]:
    return [f.point for f in model.forecast_collection(panel, origins, horizon)]


@pytest.fixture(scope="module")
def lstm_model():
    return models.get("lstm_global", **TINY).fit_collection(TRAIN, PERIODS)


@pytest.fixture
def spy(monkeypatch):
    """Training replaced by a recorder of what the network would be trained on."""
    calls = []

    def record(build, seed, x, y, *, validation_data, **options):
        calls.append({"x": x, "y": y, "validation": validation_data})
        return build(), {"loss": [0.0]}

    monkeypatch.setattr(global_nets, "fit_network", record)
    return calls


# -- windows -----------------------------------------------------------------------------------


def test_pooled_windows_never_cross_a_series_nor_its_end():
    """Values encode series * 1000 + position: every window is consecutive positions of one
    series, its target the next position of that series, within that series' part."""
    lengths, starts, look_back = [9, 3, 12], [1, 0, 0], 3
    parts = [i * 1000.0 + np.arange(n) for i, n in enumerate(lengths)]
    x, y, owners, positions = pooled_windows(parts, look_back, starts)
    assert x.shape == (5 + 0 + 9, look_back) and len(y) == len(owners) == len(positions)
    series, where = np.divmod(x, 1000)
    assert (series == owners[:, None]).all() and (y // 1000 == owners).all()
    np.testing.assert_array_equal(where, positions[:, None] - look_back + np.arange(look_back))
    np.testing.assert_array_equal(y % 1000, positions)
    assert (positions < np.array(lengths)[owners]).all()
    assert (where >= np.array(starts)[owners, None]).all()
    expected = {(i, p) for i, n in enumerate(lengths) for p in range(starts[i] + look_back, n)}
    assert set(zip(owners.tolist(), positions.tolist(), strict=True)) == expected


def test_the_network_sees_the_pooled_windows_of_each_preprocessed_training_part(spy):
    model = models.get("mlp_global", **TINY, detrend="diff", validation=2,
                       patience=1).fit_collection(TRAIN, PERIODS)
    (call,) = spy
    parts = [Pipeline.fit(y, p, model.config.steps()).transform(y)
             for y, p in zip(TRAIN, PERIODS, strict=True)]
    x, y, owners, positions = pooled_windows(parts, 4, [1, 1, 1])
    held = positions >= np.array(N_TRAIN)[owners] - 2  # each series' last two targets
    np.testing.assert_array_equal(call["x"], x[~held])
    np.testing.assert_array_equal(call["y"], y[~held])
    np.testing.assert_array_equal(call["validation"][1], y[held].astype("float32"))
    assert held.sum() == 2 * len(TRAIN) and model.n_windows_ == (~held).sum()


def test_each_series_is_preprocessed_on_its_own_training_part_only(spy):
    model = models.get("mlp_global", **TINY).fit_collection(TRAIN, PERIODS)
    other = models.get("mlp_global", **TINY).fit_collection([TRAIN[0], TRAIN[1] * 7 + 3, TRAIN[2]],
                                                            PERIODS)

    def same(pipe: Pipeline, y: np.ndarray, period: int) -> None:
        alone = Pipeline.fit(y, period, model.config.steps())
        assert dataclasses.replace(pipe, season=alone.season) == alone
        np.testing.assert_array_equal(pipe.season.indices, alone.season.indices)

    for i, (y, period) in enumerate(zip(TRAIN, PERIODS, strict=True)):
        same(model.pipelines_[i], y, period)
        same(other.pipelines_[i], y if i != 1 else y * 7 + 3, period)
    assert model.pipelines_[0].season.seasonal and model.pipelines_[0].season.period == 4
    assert model.pipelines_[2].season.period == 1  # each series' own period
    # the harness clones the first series' model (its period filled in by with_period) and
    # passes every series' period: those win over the config's
    first = models.get("mlp_global", **TINY).with_period(4).fit_collection(TRAIN, PERIODS)
    assert [pipe.season.period for pipe in first.pipelines_] == PERIODS


# -- forecasts ---------------------------------------------------------------------------------


def test_no_lookahead_within_or_across_series(lstm_model):
    """Later values of series 1 move none of its forecasts from earlier origins, nor any
    forecast of the others; forecasting leaves the pipelines as fitted."""
    base = forecasts(lstm_model)
    pipelines = [id(pipe) for pipe in lstm_model.pipelines_]
    for origin in ORIGINS[1]:
        changed = list(PANEL)
        changed[1] = PANEL[1].copy()
        changed[1][origin:] = changed[1][origin:] * 3 + 50
        again = forecasts(lstm_model, changed)
        for i, (a, b) in enumerate(zip(again, base, strict=True)):
            rows = ORIGINS[i] <= origin if i == 1 else slice(None)
            np.testing.assert_allclose(a[rows], b[rows], rtol=0, atol=lstm_model.batch_tolerance)
        later = ORIGINS[1] > origin
        assert not later.any() or not np.allclose(again[1][later], base[1][later])
    assert [id(pipe) for pipe in lstm_model.pipelines_] == pipelines


def test_same_seed_same_forecasts_another_seed_others(lstm_model):
    again = models.get("lstm_global", **TINY).fit_collection(TRAIN, PERIODS)
    for a, b in zip(forecasts(again), forecasts(lstm_model), strict=True):
        np.testing.assert_array_equal(a, b)
    assert again.histories_ == lstm_model.histories_ and len(again.histories_[0]["loss"]) == 2
    other = models.get("lstm_global", **TINY, seed=1).fit_collection(TRAIN, PERIODS)
    assert not np.allclose(forecasts(other)[0], forecasts(lstm_model)[0])


def test_permuting_the_series_permutes_windows_and_forecasts_up_to_training_order():
    """The pooled windows are the same set in another order. Keras shuffles window indices, so
    the batches and the trained weights depend on the order: permuted forecasts are equal only
    when training barely moves the weights (a learning rate of 1e-9), not in general."""
    order = [2, 0, 1]
    parts = [Pipeline.fit(y, p, models.get("mlp_global").config.steps()).transform(y)
             for y, p in zip(TRAIN, PERIODS, strict=True)]
    x, y, _, _ = pooled_windows(parts, 4, [1, 1, 1])
    xp, yp, _, _ = pooled_windows([parts[i] for i in order], 4, [1, 1, 1])
    assert sorted(map(tuple, np.column_stack([x, y]))) == sorted(
        map(tuple, np.column_stack([xp, yp])))

    def permuted_pair(**params) -> tuple[list[np.ndarray], list[np.ndarray]]:
        def run(idx):
            model = models.get("mlp_global", **{**TINY, "epochs": 1, **params}).fit_collection(
                [TRAIN[i] for i in idx], [PERIODS[i] for i in idx])
            return forecasts(model, [PANEL[i] for i in idx], [ORIGINS[i] for i in idx])
        return [run([0, 1, 2])[i] for i in order], run(order)

    frozen, frozen_permuted = permuted_pair(learning_rate=1e-9)
    for a, b in zip(frozen, frozen_permuted, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    trained, trained_permuted = permuted_pair(learning_rate=0.01)
    assert not all(np.array_equal(a, b) for a, b in zip(trained, trained_permuted, strict=True))


def test_a_collection_of_one_is_the_plain_forecaster():
    y = PANEL[0]
    alone = models.get("mlp_global", **TINY, period=4).fit(TRAIN[0])
    panel = models.get("mlp_global", **TINY).fit_collection([TRAIN[0]], [4])
    np.testing.assert_array_equal(alone.predict_origins(y, ORIGINS[0], 3),
                                  forecasts(panel, [y], ORIGINS[:1])[0])


# -- hybrid_global -----------------------------------------------------------------------------


def test_hybrid_global_is_each_linear_forecast_plus_the_residual_networks():
    """Every part called by hand: ETS per series with the series' period, in-sample one-step
    residuals from ETS's min_train_size, one mlp_global (two seeds) on all residuals; sums."""
    residual_params, ets = {**TINY, "n_seeds": 2}, {"components": "ANZ"}  # ANZ: fewer fits
    model = models.get("hybrid_global", linear_params=ets,
                       residual_params=residual_params).fit_collection(TRAIN, PERIODS)
    linears = [models.get("ets", period=p, **ets).fit(y)
               for y, p in zip(TRAIN, PERIODS, strict=True)]
    assert [m.describe_fit()[:10] for m in linears] == ["ETS(A,N,A)"] * 2 + ["ETS(A,N,N)"]
    assert [m.config.period for m in model.linears_] == PERIODS

    def residuals(linear, y, end):
        start = linear.min_train_size
        one_step = linear.predict_origins(y[:end], np.arange(start, end), 1)[:, 0]
        loop = [linear.predict(1, history=y[:t])[0] for t in range(start, end)]
        np.testing.assert_allclose(one_step, loop, rtol=1e-9)
        return y[start:end] - one_step

    net = models.get("mlp_global", **RESIDUAL_STEPS, **residual_params).fit_collection(
        [residuals(m, y, len(y)) for m, y in zip(linears, TRAIN, strict=True)], PERIODS)
    nets = net.forecast_collection(
        [residuals(m, y, o.max()) for m, y, o in zip(linears, PANEL, ORIGINS, strict=True)],
        [o - m.min_train_size for m, o in zip(linears, ORIGINS, strict=True)], 3)
    got = model.forecast_collection(PANEL, ORIGINS, 3)
    for linear, y, o, n, g in zip(linears, PANEL, ORIGINS, nets, got, strict=True):
        by_hand = linear.predict_origins(y, o, 3)
        np.testing.assert_array_equal(g.point, by_hand + n.point)
        np.testing.assert_array_equal(g.members, by_hand[None] + n.members)
        assert g.members.shape == (2, len(o), 3)


def test_hybrid_global_residual_network_defaults_and_errors():
    hybrid = models.get("hybrid_global", seed=5, residual_params={"scale": "minmax"})
    residual = hybrid.config.make_residual().config
    assert (residual.deseasonalize, residual.boxcox, residual.detrend) == ("never", False,
                                                                           "none")
    assert residual.scale == "minmax" and residual.seed == 5
    with pytest.raises(ConfigError, match="residual must be one of"):
        models.get("hybrid_global", residual="mlp")
    with pytest.raises(ConfigError, match="patience needs"):
        models.get("lstm_global", patience=2)
    with pytest.raises(ConfigError, match="units"):
        models.get("mlp_global", units=[0])
