"""The LSTM/GRU forecasters beyond the shared contract (tests/test_conformance.py).

Fitting even a tiny Keras network costs seconds, so only three networks are trained, in two
module-scoped fixtures shared by the tests that only forecast; tests of the scaler logic
replace the network training with a stub.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest

from forecast_bench import models
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import run_walk_forward
from forecast_bench.models import lstm, windows
from forecast_bench.models.errors import ConfigError, ModelError
from tests.conftest import random_walk

TINY = {"look_back": 5, "units": [4, 3], "dense": [2], "epochs": 1, "batch_size": 16}
N_TRAIN = 120
N = 160
DIFF = {**TINY, "features": ["close", "ma7"], "target": "diff", "epochs": 50, "validation": 0.3,
        "patience": 1}


# -- shared fitted models ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    return random_walk(N).to_numpy()


@pytest.fixture(scope="module")
def diff_model(y):
    """Change-from-last-close target on close + 7-day mean, with early stopping on a
    chronological validation tail (up to 50 epochs of a tiny net on ~110 windows)."""
    return models.get("lstm", **DIFF).fit(y[:N_TRAIN])


@pytest.fixture(scope="module")
def harness_run():
    """One walk-forward fold of a leaky (scaler_fit="all"), level-target, two-seed LSTM.

    A spy on _fit captures the clone the harness fits, with what it was given; that fitted
    two-network model also serves the ensemble and level-target tests.
    """
    calls = []
    original = lstm._Recurrent._fit

    def spy(self, values, leak=None):
        original(self, values, leak=leak)
        calls.append(SimpleNamespace(model=self, values=values, leak=leak))

    series = random_walk(200, seed=1)
    series.iloc[-40:] += 15.0  # the test part reaches a new high: the leak shows in the scaler
    folds = WalkForward(test_size=40, folds=1, horizon=2).split(len(series))
    prototype = models.get("lstm", **TINY, n_seeds=2, scaler_fit="all")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lstm._Recurrent, "_fit", spy)
        result = run_walk_forward(series, folds, {"lstm_leaky": prototype}, horizon=2)
    assert len(calls) == 1, result.status.reason.tolist()
    return SimpleNamespace(result=result, fold=folds[0], y=series.to_numpy(), **vars(calls[0]))


@pytest.fixture(scope="module")
def ensemble(harness_run):
    return harness_run.model


@pytest.fixture
def no_training(monkeypatch):
    """Skip the Keras training: for tests that only look at the scalers fitted before it."""

    def fake_train(cfg, seed, x, y):
        return None, {"loss": []}

    monkeypatch.setattr(lstm, "_train", fake_train)


def fit_like_harness(model, series: np.ndarray):
    """What run_walk_forward does: fit on the training part, hand a leaky model the fold."""
    return model.fit(series[:N_TRAIN], leak=series if model.leaky else None)


def minmax(values, scaler):
    """MinMaxScaler.transform written out."""
    return (values - scaler.data_min_) / (scaler.data_max_ - scaler.data_min_)


def inverse_minmax(values, scaler):
    return values * (scaler.data_max_ - scaler.data_min_) + scaler.data_min_


def network_output(model, net, history: np.ndarray) -> float:
    """One-step output of `net` on the last window of `history`, back in price units."""
    cfg = model.config
    rows = windows.feature_matrix(history, cfg.features)[-cfg.look_back :]
    assert np.isfinite(rows).all()
    scaled = minmax(rows, model.scaler_)[None].astype("float32")
    raw = float(np.asarray(net(scaled, training=False)).reshape(-1)[0])
    return float(inverse_minmax(raw, model.target_scaler_)[0])


# -- 1. scalers see the training part only (unless the leak is asked for) ---------------------


def test_scaler_fitted_on_training_part_only(y, diff_model, no_training):
    changed = y.copy()
    changed[N_TRAIN:] *= 10
    pairs = [
        (fit_like_harness(models.get("lstm", **TINY), y),
         fit_like_harness(models.get("lstm", **TINY), changed)),
        (diff_model, fit_like_harness(models.get("lstm", **DIFF), changed)),  # a real fit
    ]
    for fitted, other in pairs:
        for name in ("scaler_", "target_scaler_"):
            a, b = getattr(fitted, name), getattr(other, name)
            np.testing.assert_array_equal(a.data_min_, b.data_min_)
            np.testing.assert_array_equal(a.data_max_, b.data_max_)

    train = y[:N_TRAIN]
    level = pairs[0][0]
    for scaler in (level.scaler_, level.target_scaler_):
        np.testing.assert_array_equal(scaler.data_min_, [train.min()])
        np.testing.assert_array_equal(scaler.data_max_, [train.max()])
    # diff model: rows from the end of the 7-day warm-up on
    rows = windows.feature_matrix(train, ("close", "ma7"))[6:]
    np.testing.assert_allclose(diff_model.scaler_.data_min_, rows.min(axis=0), rtol=1e-12)
    np.testing.assert_allclose(diff_model.scaler_.data_max_, rows.max(axis=0), rtol=1e-12)
    changes = np.diff(train)[5:]  # the change at t, for t >= 6
    np.testing.assert_allclose(diff_model.target_scaler_.data_min_, [changes.min()], rtol=1e-12)
    np.testing.assert_allclose(diff_model.target_scaler_.data_max_, [changes.max()], rtol=1e-12)


def test_leaky_scaler_sees_the_test_part(y, no_training):
    """scaler_fit='all' reproduces the tutorial's leak, so the check above can fail."""
    changed = y.copy()
    changed[N_TRAIN:] *= 10
    leaky = fit_like_harness(models.get("lstm", **TINY, scaler_fit="all"), y)
    leaky_changed = fit_like_harness(models.get("lstm", **TINY, scaler_fit="all"), changed)
    for scaler in (leaky.scaler_, leaky.target_scaler_):  # level target: same values
        np.testing.assert_array_equal(scaler.data_min_, [y.min()])
        np.testing.assert_array_equal(scaler.data_max_, [y.max()])
    np.testing.assert_array_equal(leaky_changed.scaler_.data_max_, [changed.max()])
    assert leaky_changed.scaler_.data_max_[0] > y[:N_TRAIN].max()
    assert leaky_changed.scaler_.data_max_[0] != leaky.scaler_.data_max_[0]
    np.testing.assert_array_equal(leaky.y_train_, y[:N_TRAIN])  # trained on the train part
    diff = fit_like_harness(models.get("lstm", **DIFF, scaler_fit="all"), changed)
    np.testing.assert_allclose(diff.target_scaler_.data_max_, [np.diff(changed).max()])


def test_leak_flag_and_refusal():
    assert models.get("lstm", scaler_fit="all").leaky is True
    assert models.get("gru", scaler_fit="all").leaky is True
    assert models.get("lstm").leaky is False
    model = models.get("lstm", **TINY)
    series = random_walk(60).to_numpy()
    with pytest.raises(ModelError, match="not leaky"):
        model.fit(series[:40], leak=series)
    assert not hasattr(model, "y_train_")


def test_min_train_size_enforced_before_training():
    model = models.get("lstm", **TINY, features=["close", "ma7"])
    assert model.min_train_size == 6 + 5 + 8
    with pytest.raises(ModelError, match="at least 19"):
        model.fit(random_walk(18).to_numpy())
    assert models.get("lstm", **{**TINY, "batch_size": 64}).min_train_size == 0 + 5 + 16


# -- 2. inverse scaling and the diff target ---------------------------------------------------


def test_target_scaler_round_trips(ensemble, diff_model):
    rng = np.random.default_rng(3)
    for model, values in [
        (ensemble, rng.uniform(50, 150, (40, 1))),
        (diff_model, rng.normal(0, 2, (40, 1))),
    ]:
        scaler = model.target_scaler_
        back = scaler.inverse_transform(scaler.transform(values))
        np.testing.assert_allclose(back, values, rtol=1e-12, atol=1e-12)


def test_diff_forecast_is_last_close_plus_network_change(y, diff_model):
    for origin in (N_TRAIN, N_TRAIN + 17, N):
        history = y[:origin]
        change = network_output(diff_model, diff_model.networks_[0], history)
        got = diff_model.predict(1, history=history)[0]
        assert got == pytest.approx(history[-1] + change, abs=1e-5)


def test_level_forecast_is_the_inverse_scaled_output(harness_run, ensemble):
    history = harness_run.y[:170]
    members = ensemble.forecast(history, [len(history)], 1).members
    for member, net in enumerate(ensemble.networks_):
        expected = network_output(ensemble, net, history)
        assert members[member, 0, 0] == pytest.approx(expected, abs=1e-5)


# -- 3. seed ensembles ------------------------------------------------------------------------


def test_ensemble_averages_its_members(harness_run, ensemble):
    assert len(ensemble.networks_) == 2
    assert len(ensemble.histories_) == 2
    y = harness_run.y
    origins = list(range(160, len(y) - 1, 4))
    forecast = ensemble.predict_origins(y, origins, 2)
    members = ensemble.forecast(y, origins, 2).members
    assert members.shape == (2, len(origins), 2)
    np.testing.assert_array_equal(forecast, members.mean(axis=0))
    assert not np.allclose(members[0], members[1])
    first = ensemble.networks_[0].get_weights()
    second = ensemble.networks_[1].get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert "epochs run [1, 1]" in ensemble.describe_fit()


# -- 4. recursive multi-step ------------------------------------------------------------------


@pytest.mark.parametrize("origin", [N_TRAIN, N_TRAIN + 11])
def test_multi_step_is_recursive(y, diff_model, origin):
    history = y[:origin]
    f = diff_model.predict(3, history=history)
    assert f[0] == pytest.approx(diff_model.predict(1, history=history)[0], abs=1e-5)
    for step in (1, 2):
        extended = np.append(history, f[:step])
        again = diff_model.predict(1, history=extended)[0]
        assert f[step] == pytest.approx(again, abs=1e-5), f"step {step + 1}"


# -- 5. config validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"features": ["close", "vol"]}, "features"),
        ({"features": []}, "features"),
        ({"look_back": 0}, "look_back"),
        ({"look_back": 2.5}, "look_back"),
        ({"units": []}, "units"),
        ({"units": [0]}, "units"),
        ({"units": [8, True]}, "units"),
        ({"dense": [4, -1]}, "dense"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"validation": 1.0}, "validation"),
        ({"cell": "rnn"}, "cell"),
        ({"target": "pct"}, "target"),
        ({"scaler_fit": "some"}, "scaler_fit"),
        ({"patience": 2, "validation": 0}, "patience"),
        ({"patience": -1}, "patience"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"n_seeds": 0}, "n_seeds"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"layers": 2}, "layers"),
    ],
)
def test_bad_config_raises_naming_the_field(params, field):
    with pytest.raises(ConfigError, match=field):
        models.get("lstm", **params)


@pytest.mark.parametrize("field", ["look_back", "epochs", "batch_size", "n_seeds"])
def test_scalar_int_fields_reject_lists(field):
    with pytest.raises(ConfigError, match=field):
        models.get("lstm", **{field: [5]})


def test_toml_lists_become_tuples():
    model = models.get("lstm", units=[8, 4], dense=[], features=["close", "ma7"])
    assert model.config.units == (8, 4)
    assert model.config.dense == ()
    assert model.config.features == ("close", "ma7")
    assert models.get("lstm", features="returns").config.features == ("returns",)
    assert models.get("lstm", units=16).config.units == (16,)
    assert model.clone().config == model.config
    hash(model.config)  # frozen and hashable: no lists left inside


# -- 6. early stopping ------------------------------------------------------------------------


def test_early_stopping(diff_model):
    history = diff_model.histories_[0]
    assert set(history) == {"loss", "val_loss"}
    n_epochs = len(history["loss"])
    assert 1 <= n_epochs <= 50
    assert len(history["val_loss"]) == n_epochs
    val = history["val_loss"]
    # patience 1: training goes on only while the validation loss improves
    assert all(b < a for a, b in itertools.pairwise(val[:-1]))
    if n_epochs < 50:
        assert val[-1] >= min(val[:-1])
    assert f"epochs run [{n_epochs}]" in diff_model.describe_fit()


def test_early_stopping_keeps_the_best_weights(y, diff_model):
    """The validation tail is the chronological end of the training windows (Keras takes
    validation_split before shuffling); the kept network scores the best val_loss on it."""
    cfg = diff_model.config
    train = y[:N_TRAIN]
    rows = diff_model.scaler_.transform(windows.feature_matrix(train, cfg.features)[6:])
    targets = diff_model.target_scaler_.transform(np.diff(train)[5:, None])[:, 0]
    x, target = windows.training_windows(rows, targets, cfg.look_back)
    split_at = int(np.floor(len(x) * (1 - cfg.validation)))
    x_val, y_val = x[split_at:], target[split_at:]
    out = np.asarray(diff_model.networks_[0](x_val.astype("float32"), training=False))[:, 0]
    mse = float(np.mean((out - y_val) ** 2))
    assert mse == pytest.approx(min(diff_model.histories_[0]["val_loss"]), rel=1e-4)


# -- 7. the leak through the walk-forward harness ---------------------------------------------


def test_leaky_model_runs_through_the_harness(harness_run):
    result, fold = harness_run.result, harness_run.fold
    assert (result.status.status == "ok").all(), result.status.reason.tolist()
    assert "epochs run [1, 1]" in result.status.fitted.iloc[0]
    assert np.isfinite(result.forecasts.y_pred).all()
    assert len(result.forecasts) == 2 * len(fold.origins)

    whole = harness_run.y[fold.train_start : fold.test_end]
    np.testing.assert_array_equal(harness_run.values, whole[: fold.train_size])
    np.testing.assert_array_equal(harness_run.leak, whole)  # the fold's test part included
    np.testing.assert_array_equal(harness_run.model.scaler_.data_max_, [whole.max()])
    assert whole.max() > harness_run.values.max()  # so the leak changed the scaling


def test_leaky_option_needs_the_whole_series_and_gru_stays_gru():
    with pytest.raises(models.ModelError, match="leak=whole_series"):
        models.get("lstm", scaler_fit="all", look_back=5, units=[2], epochs=1).fit(
            np.linspace(1.0, 2.0, 60))
    with pytest.raises(ConfigError, match="cell 'gru'"):
        models.get("gru", cell="lstm")
    with pytest.raises(ConfigError, match="learning_rate"):
        models.get("lstm", learning_rate=True)


# -- 8. threads -------------------------------------------------------------------------------


def test_networks_trained_in_two_threads_at_once_equal_one_at_a_time(y):
    """TensorFlow's global seed (fit's shuffling) is process-wide; training is serialised per
    process, so a dask worker with several threads gives the forecasts of a serial run."""
    from concurrent.futures import ThreadPoolExecutor

    def forecast(seed: int) -> np.ndarray:
        model = models.get("lstm", **{**TINY, "epochs": 2}, seed=seed).fit(y[:N_TRAIN])
        return model.predict_origins(y, [N_TRAIN, N_TRAIN + 9], 2)

    one_at_a_time = [forecast(seed) for seed in (0, 1)]
    assert not np.array_equal(*one_at_a_time)
    with ThreadPoolExecutor(2) as pool:
        for _ in range(2):
            at_once = list(pool.map(forecast, (0, 1)))
            for got, expected in zip(at_once, one_at_a_time, strict=True):
                np.testing.assert_array_equal(got, expected)
