"""One contract for every registered model (scikit-learn's check_estimator, for forecasters).

A model added to the registry is picked up here automatically, with its default parameters
unless FAST_PARAMS gives cheaper ones for tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import threading
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import models
from evaluation.splits import WalkForward
from evaluation.walk_forward import SeriesPlan, run_panel, run_walk_forward
from models.base import Forecast, Forecaster
from models.errors import ConfigError, NotFittedError
from models.panel import PanelForecaster
from tests.conftest import random_walk

TINY_NET = {"look_back": 5, "units": [4, 3], "dense": [2], "epochs": 2, "batch_size": 16}
TINY_GLOBAL = {"look_back": 5, "units": [4], "epochs": 2, "batch_size": 16}
TINY_LOCAL = {"look_back": 5, "units": 3, "epochs": 2, "batch_size": 16}
FAST_PARAMS: dict[str, list[dict]] = {
    "arima": [{"order": [1, 1, 1]}, {"order": [2, 0, 0], "trend": "c"},
              {"order": "auto", "max_p": 2, "max_q": 2}],
    "lstm": [TINY_NET, {**TINY_NET, "features": ["close", "ma7", "returns"], "target": "diff",
                        "validation": 0.2, "patience": 1}],
    "gru": [TINY_NET],
    "lstm_global": [TINY_GLOBAL, {**TINY_GLOBAL, "detrend": "diff", "scale": "standard",
                                  "validation": 6, "patience": 1}],
    "mlp_global": [{**TINY_GLOBAL, "n_seeds": 2},
                   {**TINY_GLOBAL, "deseasonalize": "always", "period": 5, "detrend": "linear"}],
    "hybrid_global": [{"residual_params": TINY_GLOBAL}],
    "mlp": [{"lags": 3, "hidden": [3], "max_iter": 200},
            {"lags": 2, "hidden": [4, 2], "activation": "tanh", "n_seeds": 2},
            {"lags": 3, "hidden": [3], "max_iter": 200, "strategy": "direct", "horizon": 3,
             "detrend": "cox_stuart", "scale": "minmax"}],
    "knn": [{"lags": 3}, {"lags": 3, "strategy": "direct", "horizon": 3, "detrend": "diff"},
            {"lags": 2, "strategy": "multi", "horizon": 3, "deseasonalize": "always",
             "period": 5, "n_neighbors": 3}],
    "cart": [{"lags": 3}, {"lags": 3, "strategy": "multi", "horizon": 3, "n_seeds": 2}],
    "svr": [{"lags": 3}, {"lags": 3, "strategy": "direct", "horizon": 3}],
    "gpr": [{"lags": 3}, {"lags": 2, "strategy": "multi", "horizon": 3, "restarts": 1,
                          "n_seeds": 2}],
    "hybrid": [{"linear_params": {"order": [1, 1, 0]}, "residual": "mlp",
                "residual_params": {"lags": 2, "hidden": [3], "max_iter": 200}},
               {"linear_params": {"order": [1, 0, 0]}, "residual": "lstm",
                "residual_params": {**TINY_NET, "look_back": 3}, "residuals": "out_of_sample"},
               {"linear_params": {"order": [1, 1, 0]}, "residual": "mlp", "value_lags": 3,
                "residual_params": {"lags": 2, "hidden": [3], "n_seeds": 2},
                "residuals": "out_of_sample"}],
    "seasonal_naive": [{"period": 5}, {}],
    "global_ar": [{}, {"lags": 4, "alpha": 0, "period": 5, "deseasonalize": "always",
                       "boxcox": True, "detrend": "diff", "scale": "minmax"}],
    "lstm_local": [TINY_LOCAL, {**TINY_LOCAL, "n_seeds": 2, "detrend": "diff",
                                "scale": "standard"}],
    "rnn_local": [TINY_LOCAL],
    "mlp_local": [{**TINY_LOCAL, "deseasonalize": "always", "period": 5, "detrend": "linear"}],
}
CASES = [
    pytest.param(name, params, id=f"{name}-{i}")
    for name in models.available()
    for i, params in enumerate(FAST_PARAMS.get(name, [{}]))
]
FIRST_CASES = [case for case in CASES if case.id.endswith("-0")]  # one per registered model
HORIZONS = (1, 3)
N_TRAIN = 120


def make(name: str, params: dict) -> Forecaster:
    return models.get(name, **params)


_FITTED: dict[str, Forecaster] = {}


def case_key(name: str, params: dict) -> str:
    """One conformance case's key in the caches of fitted models."""
    return f"{name}{sorted(params.items())}"


def fitted(name: str, params: dict) -> Forecaster:
    """One model fitted on the first N_TRAIN values of the shared series, reused by the tests
    that only forecast (fitting a network takes seconds)."""
    key = case_key(name, params)
    if key not in _FITTED:
        _FITTED[key] = make(name, params).fit(random_walk()[:N_TRAIN])
    return _FITTED[key]


@dataclasses.dataclass(frozen=True)
class FreshFit:
    """A second model fitted on the same values as fitted(), as the tests that need their own
    fit see it: what fit returned, the params before the fit, each attribute's id right after
    the fit (before any predict)."""

    model: Forecaster
    returned: object
    params_before: dict
    ids_after_fit: dict[str, int]


_FRESH: dict[str, FreshFit] = {}


def fresh(name: str, params: dict) -> FreshFit:
    """One FreshFit per case, shared by the tests that need a fit of their own."""
    key = case_key(name, params)
    if key not in _FRESH:
        model = make(name, params)
        before = model.params()
        returned = model.fit(random_walk().to_numpy()[:N_TRAIN])  # fitted() gets a Series
        _FRESH[key] = FreshFit(model, returned, before, attribute_ids(model))
    return _FRESH[key]


def assert_no_lookahead(model: Forecaster, y: np.ndarray, origins: list[int], horizon: int):
    """Perturb every value at or after each origin; its forecast must not move."""
    base = model.predict_origins(y, origins, horizon)
    rng = np.random.default_rng(123)
    for row, origin in enumerate(origins):
        changed = y.copy()
        changed[origin:] += rng.normal(0, 25, len(y) - origin) + 40
        again = model.predict_origins(changed, origins[: row + 1], horizon)
        np.testing.assert_allclose(again[row], base[row], rtol=0, atol=model.batch_tolerance,
                                   err_msg=f"forecast from origin {origin} saw later values")


@contextlib.contextmanager
def another_thread_drawing_random_numbers() -> Iterator[None]:
    """A thread advancing Python's and NumPy's global generators while a model fits, as a dask
    worker's event loop does (`dask.sizeof` calls `random.sample`): a model must not take its
    randomness from them."""
    done = threading.Event()

    def draw() -> None:
        while not done.is_set():
            random.random()
            np.random.random()
            time.sleep(0.0002)

    thread = threading.Thread(target=draw, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@pytest.mark.parametrize(("name", "params"), CASES)
class TestConformance:
    def test_fit_returns_self_and_keeps_config(self, name, params):
        fit = fresh(name, params)
        assert fit.returned is fit.model
        assert fit.model.params() == fit.params_before
        assert fit.model.clone().params() == fit.params_before

    def test_predict_before_fit_raises(self, name, params, series):
        model = make(name, params)
        with pytest.raises(NotFittedError):
            model.predict(1)
        with pytest.raises(NotFittedError):
            model.predict_origins(series, [N_TRAIN], 1)

    @pytest.mark.parametrize("horizon", HORIZONS)
    def test_shapes_and_batched_equals_loop(self, name, params, series, horizon):
        model = fitted(name, params)
        assert model.predict(horizon).shape == (horizon,)
        y = series.to_numpy()
        origins = list(range(N_TRAIN, len(y) - horizon + 1, 3))
        batched = model.predict_origins(y, origins, horizon)
        assert batched.shape == (len(origins), horizon)
        assert np.isfinite(batched).all()
        looped = np.vstack([model.predict(horizon, history=y[:o]) for o in origins])
        np.testing.assert_allclose(batched, looped, rtol=0, atol=model.batch_tolerance)

    def test_same_seed_same_forecasts(self, name, params, series):
        y = series.to_numpy()
        origins = list(range(N_TRAIN, len(y) - 2))
        first = fitted(name, params).predict_origins(y, origins, 2)
        second = fresh(name, params).model.predict_origins(y, origins, 2)
        np.testing.assert_array_equal(first, second)

    def test_seeded_fit_ignores_global_random_generators(self, name, params, series):
        y = series.to_numpy()
        expected = fitted(name, params).predict_origins(y, [N_TRAIN, N_TRAIN + 9], 2)
        with another_thread_drawing_random_numbers():
            model = make(name, params).fit(y[:N_TRAIN])
        np.testing.assert_array_equal(model.predict_origins(y, [N_TRAIN, N_TRAIN + 9], 2),
                                      expected)

    @pytest.mark.parametrize("horizon", HORIZONS)
    def test_no_lookahead(self, name, params, series, horizon):
        model = fitted(name, params)
        y = series.to_numpy()
        assert_no_lookahead(model, y, [N_TRAIN, N_TRAIN + 7, len(y) - horizon], horizon)

    def test_fit_sees_only_training_data(self, name, params, series):
        y = series.to_numpy()
        changed = y.copy()
        changed[N_TRAIN:] *= 3
        a = fitted(name, params).predict_origins(y, [N_TRAIN], 2)
        b = make(name, params).fit(changed[:N_TRAIN]).predict_origins(changed, [N_TRAIN], 2)
        np.testing.assert_array_equal(a, b)

    def test_forecast_returns_point_and_members(self, name, params, series):
        model = fitted(name, params)
        y = series.to_numpy()
        origins = list(range(N_TRAIN, len(y) - 2, 5))
        forecast = model.forecast(y, origins, 2)
        assert isinstance(forecast, Forecast)
        np.testing.assert_array_equal(forecast.point, model.predict_origins(y, origins, 2))
        n_members = len(forecast.members)
        assert forecast.members.shape == (n_members, len(origins), 2) and n_members != 1
        if n_members:
            np.testing.assert_allclose(forecast.members.mean(axis=0), forecast.point,
                                       rtol=1e-12, atol=1e-9)

    def test_intervals_shape_order_and_no_lookahead(self, name, params, series):
        model = fitted(name, params)
        y = series.to_numpy()
        origins = [N_TRAIN, N_TRAIN + 7, len(y) - 3]
        forecast = model.forecast(y, origins, 3, levels=[95, 80])
        assert forecast.levels == (80.0, 95.0)
        assert forecast.interval_method == model.interval_method in ("analytic", "conformal")
        np.testing.assert_array_equal(forecast.point, model.predict_origins(y, origins, 3))
        lower, upper = forecast.lower, forecast.upper
        assert lower.shape == upper.shape == (2, len(origins), 3)
        assert np.isfinite(lower).all() and np.isfinite(upper).all()  # 120 values calibrate
        assert (lower[1] <= lower[0]).all() and (lower[0] <= forecast.point).all()
        assert (forecast.point <= upper[0]).all() and (upper[0] <= upper[1]).all()
        rng = np.random.default_rng(5)
        for row, origin in enumerate(origins):
            changed = y.copy()
            changed[origin:] += rng.normal(0, 25, len(y) - origin) + 40
            again = model.forecast(changed, origins[: row + 1], 3, levels=[80, 95])
            for got, expected in ((again.lower, lower), (again.upper, upper)):
                np.testing.assert_allclose(got[:, row], expected[:, row], rtol=0,
                                           atol=model.batch_tolerance,
                                           err_msg=f"bounds from origin {origin} saw later values")

    def test_predicting_writes_no_attribute(self, name, params, series):
        y = series.to_numpy()
        fit = fresh(name, params)  # its ids were taken right after the fit, before any predict
        fit.model.predict(2)
        fit.model.predict_origins(y, [N_TRAIN, N_TRAIN + 9], 2)
        fit.model.forecast(y, [N_TRAIN + 3], 1)
        fit.model.forecast(y, [N_TRAIN + 3], 2, levels=[90])
        assert attribute_ids(fit.model) == fit.ids_after_fit

    def test_with_period_fills_only_an_unset_period(self, name, params):
        model = fitted(name, params)
        copy = model.with_period(7)
        assert type(copy) is type(model) and copy is not model
        assert not hasattr(copy, "y_train_")
        expected = model.params()
        if model.period_param is not None:
            assert model.period_param in expected
            if expected[model.period_param] is None:
                expected[model.period_param] = 7
        assert copy.params() == expected
        assert model.params() == make(name, params).params()  # the original is unchanged
        for bad in (0, -1, 2.5, True, None):
            with pytest.raises(ConfigError, match="period"):
                model.with_period(bad)

    @pytest.mark.parametrize("window", ["expanding", 90])
    def test_walk_forward_windows(self, name, params, window):
        y = random_walk(200, seed=1)
        # two folds (a refit) with the expanding window, one with the rolling one
        split = WalkForward(test_size=40, folds=2 if window == "expanding" else 1, horizon=2,
                            window=window)
        folds = split.split(len(y))
        result = run_walk_forward(y, folds, {name: make(name, params)}, horizon=2)
        assert (result.status.status == "ok").all(), result.status.reason.tolist()
        assert len(result.forecasts) == 2 * sum(len(f.origins) for f in folds)
        assert np.isfinite(result.forecasts.y_pred).all()


@pytest.mark.parametrize(("name", "params"), FIRST_CASES)
def test_panel_no_lookahead_and_series_independence(name, params):
    """On a panel, a series' forecasts move neither when its values after its last origin
    change nor when another series changes (every registered model, its first case); a model
    fitted on the whole panel (a PanelForecaster) learns from B, so there only A changes."""
    split = WalkForward(test_size=12, folds=1, horizon=2)  # the last origin is 148
    panel = {"A": random_walk(150, seed=2), "B": random_walk(150, seed=3)}

    def forecasts_of_a(data: dict) -> pd.DataFrame:
        plans = [SeriesPlan(sid, y, split.split(len(y)), 2, {name: make(name, params)})
                 for sid, y in data.items()]
        result = run_panel(plans)
        assert (result.status.status == "ok").all(), result.status.reason.tolist()
        mine = result.forecasts[result.forecasts.series == "A"]
        return mine.drop(columns="y_true").reset_index(drop=True)

    a = panel["A"]
    global_model = isinstance(make(name, params), PanelForecaster)
    changed = {"A": a.where(np.arange(len(a)) < 148, a + 40.0),
               "B": panel["B"] if global_model else panel["B"] * 2 + 7}
    pd.testing.assert_frame_equal(forecasts_of_a(panel), forecasts_of_a(changed))


def attribute_ids(model: Forecaster, prefix: str = "") -> dict[str, int]:
    """Each attribute's object id, also inside fitted Forecaster parts (a hybrid's models)."""
    ids = {}
    for key, value in vars(model).items():
        ids[prefix + key] = id(value)
        if isinstance(value, Forecaster):
            ids.update(attribute_ids(value, f"{prefix}{key}."))
    return ids


class _Peeking(Forecaster):
    """A cheating model: its 'forecast' from an origin reads the value at the origin."""

    def _fit(self, y):
        pass

    def _predict(self, history, horizon):
        return np.full(horizon, history[-1])

    def _predict_origins(self, y, origins, horizon):
        ahead = np.minimum(origins, len(y) - 1)
        return np.repeat(y[ahead, None], horizon, axis=1)


def test_lookahead_check_catches_a_cheating_model(series):
    y = series.to_numpy()
    model = _Peeking().fit(y[:N_TRAIN])
    with pytest.raises(AssertionError, match="saw later values"):
        assert_no_lookahead(model, y, [N_TRAIN, N_TRAIN + 5], 1)


def test_every_model_is_covered():
    assert set(models.available()) >= {"naive", "drift", "seasonal_naive", "arima"}
    assert {case.values[0] for case in CASES} == set(models.available())


class _Members(Forecaster):
    """An ensemble of the naive and the naive + 1 forecasts, with `members` as given."""

    def __init__(self, members: np.ndarray | None = None) -> None:
        super().__init__()
        self.members = members

    def _fit(self, y):
        pass

    def _predict(self, history, horizon):
        return np.full(horizon, history[-1] + 0.5)

    def _forecast(self, y, origins, horizon):
        naive = np.repeat(y[origins - 1, None], horizon, axis=1)
        if self.members is None:
            return Forecast.from_members(np.stack([naive, naive + 1.0]))
        return Forecast(naive, self.members)


def test_an_ensemble_implements_forecast_only(series):
    y = series.to_numpy()
    model = _Members().fit(y[:N_TRAIN])
    forecast = model.forecast(y, [N_TRAIN, N_TRAIN + 4], 3)
    assert forecast.members.shape == (2, 2, 3)
    np.testing.assert_array_equal(forecast.point, forecast.members.mean(axis=0))
    np.testing.assert_array_equal(model.predict_origins(y, [N_TRAIN, N_TRAIN + 4], 3),
                                  forecast.point)
    one = Forecast.from_members(forecast.members[:1])
    assert one.members.shape == (0, 2, 3)
    np.testing.assert_array_equal(one.point, forecast.members[0])


@pytest.mark.parametrize("members", [np.zeros((1, 2, 3)), np.zeros((2, 2, 2)), np.zeros((2, 3))])
def test_members_of_the_wrong_shape_are_a_model_error(series, members):
    y = series.to_numpy()
    model = _Members(members).fit(y[:N_TRAIN])
    with pytest.raises(models.ModelError, match="members of shape"):
        model.forecast(y, [N_TRAIN, N_TRAIN + 4], 3)
