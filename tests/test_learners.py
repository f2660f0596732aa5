"""The window learners (models/learners.py) beyond the shared contract (test_conformance.py).

Forecasts of each strategy are recomputed by hand (numpy windows, a 1-nearest-neighbour search,
the fitted preprocessing's inverse) and compared; the other tests check the preprocessing is
applied, the horizon and strategy limits, the members' mean, look-ahead and min_train_size.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.dummy import DummyRegressor

from forecast_bench import models
from forecast_bench.models.errors import ConfigError, ModelError
from forecast_bench.models.learners import STRATEGIES, SvrConfig, WindowRegressor
from forecast_bench.models.preprocess import Pipeline, Steps

N_TRAIN, LAGS, H = 80, 6, 4
PLAIN = {"deseasonalize": "never", "boxcox": False, "detrend": "none", "scale": "none"}


def seasonal(n: int = 100, seed: int = 0) -> np.ndarray:
    """Positive monthly-like data: trend times a yearly pattern times log-normal noise."""
    t = np.arange(n)
    noise = np.exp(np.random.default_rng(seed).normal(0, 0.03, n))
    return (100 + 0.8 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * noise


def knn(strategy: str, n_neighbors: int = 1, **params) -> WindowRegressor:
    """k nearest neighbours (one by default) with the default preprocessing, period 12."""
    return models.get("knn", n_neighbors=n_neighbors, lags=LAGS, strategy=strategy, horizon=H,
                      period=12, **params)


def by_hand(y: np.ndarray, origins: list[int], strategy: str, steps: Steps) -> np.ndarray:
    """1-nearest-neighbour forecasts, computed one origin and one step at a time."""
    pipeline = Pipeline.fit(y[:N_TRAIN], 12, steps)
    z = pipeline.transform(y)
    train = z[pipeline.first_valid:N_TRAIN]

    def nearest(path: np.ndarray, ahead: int, width: int) -> np.ndarray:
        """The `width` values from `ahead` steps after the window closest to `path`."""
        rows = len(train) - LAGS - (ahead + width - 1) + 1
        distances = [np.sum((train[i:i + LAGS] - path) ** 2) for i in range(rows)]
        i = int(np.argmin(distances))
        return train[i + LAGS + ahead - 1: i + LAGS + ahead - 1 + width]

    out = np.empty((len(origins), H))
    for row, origin in enumerate(origins):
        path = z[origin - LAGS:origin]
        if strategy == "multi":
            out[row] = nearest(path, 1, H)
        for k in range(1, H + 1):
            if strategy == "direct":
                out[row, k - 1] = nearest(path, k, 1)[0]
            elif strategy == "iterative":
                out[row, k - 1] = nearest(path, 1, 1)[0]
                path = np.append(path[1:], out[row, k - 1])
    return pipeline.inverse(out, np.array(origins), y)


# -- forecasts by hand ---------------------------------------------------------------------------


@pytest.mark.parametrize("detrend", ["cox_stuart", "diff"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_strategy_equals_a_hand_computation(strategy, detrend):
    y = seasonal()
    model = knn(strategy, detrend=detrend).fit(y[:N_TRAIN])
    steps = Steps("test", True, detrend, "minmax")  # the defaults but for detrend
    assert model.config.steps() == steps
    pipeline = model.pipeline_
    assert pipeline.season.seasonal and pipeline.boxcox is not None  # all steps in effect
    assert pipeline.detrend == ("linear" if detrend == "cox_stuart" else "diff")
    origins = [N_TRAIN, 85, 90, len(y)]
    np.testing.assert_allclose(model.predict_origins(y, origins, H),
                               by_hand(y, origins, strategy, steps), rtol=1e-12, atol=0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_estimator_learns_the_preprocessed_windows(strategy, monkeypatch):
    from sklearn.neighbors import KNeighborsRegressor

    seen = []
    original = KNeighborsRegressor.fit

    def spy(self, x, t):
        seen.append((np.array(x), np.array(t)))
        return original(self, x, t)

    monkeypatch.setattr(KNeighborsRegressor, "fit", spy)
    y = seasonal()
    model = knn(strategy).fit(y[:N_TRAIN])
    z = model.pipeline_.transform(y[:N_TRAIN])[model.pipeline_.first_valid:]
    assert len(seen) == (H if strategy == "direct" else 1)
    for k, (x, t) in enumerate(seen, start=1):
        rows = len(z) - LAGS - (k if strategy == "direct" else model.config.steps_ahead) + 1
        assert x.shape == (rows, LAGS)
        np.testing.assert_array_equal(x, [z[i:i + LAGS] for i in range(rows)])
        if strategy == "multi":
            np.testing.assert_array_equal(t, [z[i + LAGS:i + LAGS + H] for i in range(rows)])
        else:
            np.testing.assert_array_equal(t, z[LAGS + k - 1:LAGS + k - 1 + rows])


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("detrend", ["linear", "diff", "cox_stuart", "none"])
def test_detrending_makes_a_straight_line_exact(strategy, detrend):
    y = 50.0 + 2.0 * np.arange(40)
    model = models.get("knn", n_neighbors=1, lags=3, strategy=strategy, horizon=5,
                       **{**PLAIN, "detrend": detrend, "scale": "minmax"}).fit(y[:30])
    origins = np.array([30, 33, 35])
    errors = model.predict_origins(y, origins, 5) - (50.0 + 2.0 * (origins[:, None] + range(5)))
    if detrend == "none":  # nearest neighbours cannot go beyond the training values
        assert np.abs(errors).max() > 10
    else:
        np.testing.assert_allclose(errors, 0.0, rtol=0, atol=1e-9)


# -- horizon and strategy limits -----------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["direct", "multi"])
def test_horizon_beyond_the_learnt_one_fails_and_a_shorter_one_truncates(strategy):
    y = seasonal()
    model = knn(strategy).fit(y[:N_TRAIN])
    with pytest.raises(ModelError, match=rf"learnt {H} steps and cannot forecast {H + 1}"):
        model.predict_origins(y, [N_TRAIN], H + 1)
    with pytest.raises(ModelError, match="set horizon"):
        model.predict(H + 1)
    full = model.predict_origins(y, [N_TRAIN, 90], H)
    np.testing.assert_array_equal(model.predict_origins(y, [N_TRAIN, 90], 2), full[:, :2])


def test_iterative_forecasts_any_horizon():
    model = knn("iterative").fit(seasonal()[:N_TRAIN])
    assert np.isfinite(model.predict(3 * H)).all()


def test_svr_has_no_multi_output_but_direct_works():
    with pytest.raises(ValueError, match="'multi' is impossible for svr"):
        SvrConfig(strategy="multi")
    with pytest.raises(ConfigError, match="use 'direct'"):
        models.get("svr", strategy="multi")
    model = models.get("svr", lags=3, strategy="direct", horizon=3).fit(seasonal()[:N_TRAIN])
    assert len(model.estimators_[0]) == 3
    assert model.predict(3).shape == (3,)


# -- members -------------------------------------------------------------------------------------


class SeedConstant(WindowRegressor):
    """Predicts its seed in the model's space: shows which seed each member got."""

    def make_estimator(self, seed: int) -> DummyRegressor:
        return DummyRegressor(strategy="constant", constant=float(seed))


@pytest.mark.parametrize("strategy", ["iterative", "direct"])
def test_members_have_consecutive_seeds_and_the_point_is_their_mean(strategy):
    model = SeedConstant(lags=2, strategy=strategy, horizon=3, seed=4, n_seeds=3, **PLAIN)
    forecast = model.fit(seasonal()[:40]).forecast(seasonal(), [40, 50], 3)
    assert forecast.members.shape == (3, 2, 3)
    np.testing.assert_array_equal(forecast.members[:, 0, 0], [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(forecast.point, np.full((2, 3), 5.0))
    single = SeedConstant(lags=2, strategy=strategy, horizon=3, seed=4, **PLAIN)
    assert single.fit(seasonal()[:40]).forecast(seasonal(), [40, 50], 3).members.shape == (
        0, 2, 3)


# -- look-ahead, training size, configuration ----------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_lookahead(strategy):
    y = seasonal()
    model = knn(strategy, detrend="diff").fit(y[:N_TRAIN])
    origins = [N_TRAIN, 88, len(y) - H]
    base = model.predict_origins(y, origins, H)
    rng = np.random.default_rng(1)
    for row, origin in enumerate(origins):
        changed = y.copy()
        changed[origin:] *= rng.uniform(0.3, 3.0, len(y) - origin)
        again = model.predict_origins(changed, origins[: row + 1], H)
        np.testing.assert_array_equal(again[row], base[row])


@pytest.mark.parametrize(("params", "expected"), [
    ({}, 1 + 12 + 24),  # differencing may be chosen, 12 lags, 24 windows
    ({"detrend": "linear"}, 12 + 24),
    ({"strategy": "direct"}, 1 + 12 + 17 + 24),  # the 18th step's windows
    ({"strategy": "multi", "horizon": 5, "lags": 3}, 1 + 3 + 4 + 10),
    ({"n_neighbors": 30}, 1 + 12 + 30),  # as many windows as neighbours
])
def test_min_train_size(params, expected):
    assert models.get("knn", **params).min_train_size == expected


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_smallest_training_part_fits_and_forecasts(strategy):
    y = seasonal()
    model = knn(strategy, detrend="diff", n_neighbors=3)
    n = model.min_train_size
    with pytest.raises(ModelError, match=f"at least {n}"):
        model.fit(y[:n - 1])
    model.fit(y[:n])
    assert model.estimators_[0][-1].n_samples_fit_ == model.min_windows == 12
    assert np.isfinite(model.predict_origins(y, [n, n + 5], H)).all()


def test_a_history_the_preprocessing_cannot_transform_is_a_model_error():
    y = seasonal()
    model = knn("iterative").fit(y[:N_TRAIN])
    y[N_TRAIN - 2] = -5.0  # Box-Cox needs values > 0
    with pytest.raises(ModelError, match="cannot transform"):
        model.predict_origins(y, [N_TRAIN], 2)


def test_defaults_are_the_papers_preprocessing_and_described():
    params = models.get("knn").params()
    assert {k: params[k] for k in ("lags", "strategy", "horizon", "deseasonalize", "boxcox",
                                   "detrend", "scale", "period", "n_neighbors")} == {
        "lags": 12, "strategy": "iterative", "horizon": 18, "deseasonalize": "test",
        "boxcox": True, "detrend": "cox_stuart", "scale": "minmax", "period": None,
        "n_neighbors": 5}
    model = models.get("cart").with_period(12).fit(seasonal())
    assert model.describe_fit().startswith("12 lags, iterative, deseasonalised (period 12), "
                                           "Box-Cox lambda")


@pytest.mark.parametrize(("name", "params", "field"), [
    ("knn", {"strategy": "recursive"}, "strategy"), ("knn", {"horizon": 0}, "horizon"),
    ("knn", {"lags": 0}, "lags"), ("knn", {"detrend": "quadratic"}, "detrend"),
    ("knn", {"scale": "robust"}, "scale"), ("knn", {"boxcox": "yes"}, "boxcox"),
    ("knn", {"deseasonalize": "maybe"}, "deseasonalize"), ("knn", {"period": 0}, "period"),
    ("knn", {"n_neighbors": 0}, "n_neighbors"), ("cart", {"min_samples_leaf": 0},
                                                 "min_samples_leaf"),
    ("svr", {"C": 0}, "C"), ("svr", {"epsilon": -0.1}, "epsilon"),
    ("svr", {"epsilon": True}, "epsilon"), ("gpr", {"restarts": -1}, "restarts"),
    ("gpr", {"n_seeds": 0}, "n_seeds"),
])
def test_bad_config_names_the_field(name, params, field):
    with pytest.raises(ConfigError, match=rf"\b{field}\b"):
        models.get(name, **params)
