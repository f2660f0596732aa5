"""The MLP forecaster beyond the shared contract (tests/test_conformance.py).

Each test recomputes one step of the pipeline by hand (training pairs, scaling, the network
call, the recursion, the seed mean) and compares; the AR(2) test checks them all together.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from forecast_bench import models
from forecast_bench.models.errors import ConfigError, ModelError
from forecast_bench.models.mlp import standard_scale, train_networks
from tests.conftest import random_walk

N_TRAIN = 120
SMALL = {"lags": 3, "hidden": [3]}


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    return random_walk(160).to_numpy()


@pytest.fixture(scope="module")
def model(y):
    return models.get("mlp", **SMALL).fit(y[:N_TRAIN])


def ar2(n: int) -> np.ndarray:
    """Noiseless y_t = 1.2 y_{t-1} - 0.5 y_{t-2} + 3: damped oscillation towards 10."""
    out = np.empty(n)
    out[:2] = 0.0, 20.0
    for t in range(2, n):
        out[t] = 1.2 * out[t - 1] - 0.5 * out[t - 2] + 3.0
    return out


# -- training pairs and scaling ------------------------------------------------------------------


def test_training_pairs_are_lag_windows_and_the_next_value(y, monkeypatch):
    seen = []
    original = MLPRegressor.fit

    def spy(self, x, t):
        seen.append((np.array(x), np.array(t)))
        return original(self, x, t)

    monkeypatch.setattr(MLPRegressor, "fit", spy)
    train, lags = y[:40], 3
    models.get("mlp", lags=lags, hidden=[2], max_iter=20).fit(train)
    z = (train - train.mean()) / train.std()
    x_loop = np.array([[z[i + j] for j in range(lags)] for i in range(len(z) - lags)])
    t_loop = np.array([z[i + lags] for i in range(len(z) - lags)])
    ((x, t),) = seen
    assert x.shape == (37, 3)
    np.testing.assert_array_equal(x, x_loop)  # the same floats: Steps(scale="standard")
    np.testing.assert_array_equal(t, t_loop)


def test_scaling_uses_the_training_values_only(y, model):
    train = y[:N_TRAIN]
    assert abs(y.mean() - train.mean()) > 0.5  # the whole series would scale differently
    assert model.pipeline_.shift == pytest.approx(train.mean(), rel=1e-12)
    assert model.pipeline_.scale == pytest.approx(train.std(), rel=1e-12)
    assert model.pipeline_.describe() == "scaled"  # nothing else by default
    changed = y.copy()
    changed[N_TRAIN:] = 3 * changed[N_TRAIN:] + 50
    other = models.get("mlp", **SMALL).fit(changed[:N_TRAIN])
    assert other.pipeline_ == model.pipeline_
    np.testing.assert_array_equal(other.predict_origins(changed, [N_TRAIN], 3),
                                  model.predict_origins(y, [N_TRAIN], 3))


@pytest.mark.parametrize("level", [5.0, 0.1])  # 0.1: float noise makes std 1e-17, not 0
def test_constant_series_scales_by_one(level):
    m = models.get("mlp", lags=2, hidden=[2]).fit(np.full(30, level))
    assert m.pipeline_.scale == 1.0
    np.testing.assert_allclose(m.predict(3), level, rtol=0, atol=1e-3)


def test_min_train_size(y):
    assert models.get("mlp", lags=3).min_train_size == 13  # 3 + 10
    assert models.get("mlp", lags=8).min_train_size == 24  # 8 + 16
    with pytest.raises(ModelError, match="at least 13"):
        models.get("mlp", lags=3).fit(y[:12])


# -- forecasts -----------------------------------------------------------------------------------


def test_forecast_is_the_network_on_the_standardised_last_lags(y, model):
    ((network,),) = model.estimators_
    origins = [N_TRAIN, 137, len(y)]
    rows = np.array([y[o - 3:o] for o in origins])
    mean, std = y[:N_TRAIN].mean(), y[:N_TRAIN].std()
    by_hand = network.predict((rows - mean) / std) * std + mean
    np.testing.assert_allclose(model.predict_origins(y, origins, 1)[:, 0], by_hand,
                               rtol=0, atol=1e-10)
    assert model.predict(1, history=y[:137])[0] == pytest.approx(by_hand[1], rel=0, abs=1e-10)


def test_each_step_is_one_step_from_the_history_extended_by_the_forecasts(y, model):
    origins = [N_TRAIN, 141, 156]
    forecasts = model.predict_origins(y, origins, 4)
    for row, origin in enumerate(origins):
        for step in range(1, 4):
            history = np.append(y[:origin], forecasts[row, :step])
            assert model.predict(1, history=history)[0] == pytest.approx(
                forecasts[row, step], rel=0, abs=1e-10)


def test_linear_network_recovers_a_noiseless_ar2():
    series = ar2(60)
    m = models.get("mlp", lags=2, activation="identity").fit(series[:40])
    origins = np.arange(m.min_train_size, len(series))
    errors = m.predict_origins(series, origins, 1)[:, 0] - series[origins]
    assert np.abs(errors).max() < 1e-3 * series.std()
    # the learned map is the recursion itself, also away from the training path
    pairs = np.random.default_rng(0).uniform(0, 27, (10, 2))
    got = [m.predict(1, history=np.append(series[:10], pair))[0] for pair in pairs]
    np.testing.assert_allclose(got, 1.2 * pairs[:, 1] - 0.5 * pairs[:, 0] + 3.0,
                               rtol=0, atol=1e-3 * series.std())


def test_seed_members_and_their_mean(y):
    m = models.get("mlp", **SMALL, n_seeds=3).fit(y[:N_TRAIN])
    origins = [N_TRAIN, 130, 150, 158]
    forecast = m.predict_origins(y, origins, 2)
    members = m.forecast(y, origins, 2).members
    assert members.shape == (3, 4, 2)
    np.testing.assert_allclose(forecast, members.mean(axis=0), rtol=0, atol=1e-12)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert np.abs(members[a] - members[b]).max() > 1e-6
    single = models.get("mlp", **SMALL, seed=2).fit(y[:N_TRAIN])  # member 2 has seed 0 + 2
    np.testing.assert_allclose(members[2], single.predict_origins(y, origins, 2),
                               rtol=0, atol=1e-10)
    assert re.fullmatch(r"MLP 3-\[3\]-1 logistic, lbfgs, iterations \[\d+, \d+, \d+\], "
                        r"iterative, scaled", m.describe_fit())


def test_forecast_returns_the_members_as_a_value(y, model):
    m = models.get("mlp", **SMALL, n_seeds=2).fit(y[:N_TRAIN])
    origins = [N_TRAIN, 140, 158]
    before = dict(vars(m))
    forecast = m.forecast(y, origins, 3)
    assert isinstance(forecast, models.Forecast)
    assert forecast.members.shape == (2, 3, 3)
    np.testing.assert_array_equal(forecast.point, forecast.members.mean(axis=0))
    np.testing.assert_array_equal(forecast.point, m.predict_origins(y, origins, 3))
    assert vars(m) == before  # nothing stored while predicting
    alone = model.forecast(y, origins, 3)  # one seed: no members
    assert alone.members.shape == (0, 3, 3)
    np.testing.assert_array_equal(alone.point, model.predict_origins(y, origins, 3))


def test_defaults_reproduce_the_former_mlp_bit_for_bit(y):
    """The mlp before it became a WindowRegressor (standard_scale, train_networks, a batched
    recursion, done here by hand): its forecasts must not move, not even in the last bit."""
    params = {"lags": 4, "hidden": [4], "n_seeds": 2}
    train, origins = y[:N_TRAIN], np.arange(N_TRAIN, len(y) + 1)
    mean, scale = standard_scale(train)
    z = (train - mean) / scale
    networks = train_networks(models.get("mlp", **params).config,
                              sliding_window_view(z, 4)[:-1], z[4:])
    members = []
    for network in networks:
        paths, out = (np.array([y[o - 4:o] for o in origins]) - mean) / scale, []
        for _ in range(6):
            out.append(network.predict(paths))
            paths = np.column_stack([paths[:, 1:], out[-1]])
        members.append(np.column_stack(out) * scale + mean)
    forecast = models.get("mlp", **params).fit(train).forecast(y, origins, 6)
    np.testing.assert_array_equal(forecast.members, members)
    np.testing.assert_array_equal(forecast.point, np.mean(members, axis=0))


@pytest.mark.parametrize(("strategy", "networks", "outputs"), [("direct", 3, 1), ("multi", 1, 3)])
def test_the_strategies_and_preprocessing_of_makridakis_2018(y, strategy, networks, outputs):
    m = models.get("mlp", **SMALL, max_iter=200, strategy=strategy, horizon=3,
                   deseasonalize="always", period=5, boxcox=True, detrend="cox_stuart",
                   scale="minmax").fit(y[:N_TRAIN])
    (member,) = m.estimators_
    assert len(member) == networks and {net.n_outputs_ for net in member} == {outputs}
    assert re.fullmatch(rf"MLP 3-\[3\]-{outputs} logistic, lbfgs, iterations \[[\d, ]+\], "
                        rf"{strategy}, deseasonalised \(period 5\), Box-Cox lambda .*, scaled",
                        m.describe_fit())
    assert np.isfinite(m.predict_origins(y, [N_TRAIN, 150], 3)).all()


def test_convergence_warning_reaches_the_caller(y):
    m = models.get("mlp", lags=2, hidden=[3], max_iter=1)
    with pytest.warns(ConvergenceWarning):
        m.fit(y[:40])
    assert m.describe_fit() == "MLP 2-[3]-1 logistic, lbfgs, iterations [1], iterative, scaled"


# -- configuration -------------------------------------------------------------------------------


def test_toml_lists_become_tuples_and_round_trip():
    m = models.get("mlp", hidden=[5, 2], solver="adam", activation="tanh", alpha=0)
    assert m.config.hidden == (5, 2)
    assert m.clone().params() == m.params()


@pytest.mark.parametrize(("params", "field"), [
    ({"lags": 0}, "lags"), ({"lags": True}, "lags"), ({"lags": 2.0}, "lags"),
    ({"hidden": []}, "hidden"), ({"hidden": [4, 0]}, "hidden"), ({"hidden": [True]}, "hidden"),
    ({"hidden": 4}, "hidden"), ({"activation": "softmax"}, "activation"),
    ({"solver": "sgd"}, "solver"), ({"alpha": -1e-3}, "alpha"), ({"alpha": "0.1"}, "alpha"),
    ({"alpha": True}, "alpha"), ({"max_iter": 0}, "max_iter"), ({"seed": -1}, "seed"),
    ({"n_seeds": 0}, "n_seeds"), ({"n_seeds": False}, "n_seeds"), ({"layers": [3]}, "layers"),
])
def test_bad_config_names_the_field(params, field):
    with pytest.raises(ConfigError, match=rf"\b{field}\b"):
        models.get("mlp", **params)
