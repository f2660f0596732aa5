"""The rules of the model contract (forecast_bench.testing runs them and names the broken one).

Each rule takes a Case (a model class with one parameter dict and its shared fits) and raises
AssertionError saying what is wrong. The series are small (160 values, the first 120 for the
fit) so that every rule runs in about a second for a cheap model.
"""

from __future__ import annotations

import contextlib
import functools
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from forecast_bench.case import N_TRAIN, Case, attribute_ids, random_walk
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import SeriesPlan, run_plans, run_walk_forward
from forecast_bench.models.base import Forecast, Forecaster
from forecast_bench.models.collection import CollectionForecaster
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.errors import ConfigError, NotFittedError

HORIZONS = (1, 3)


def expect(condition: object, message: str) -> None:
    """An assert that `python -O` keeps."""
    if not condition:
        raise AssertionError(message)


def raised(error: type[Exception], call: Callable[[], object]) -> Exception | None:
    """The `error` that `call` raised, or None when it returned."""
    try:
        call()
    except error as exc:
        return exc
    return None


def interface(case: Case) -> None:
    """fit returns the model and keeps its parameters (clone too); predicting before fit raises
    NotFittedError; forecast's point is predict_origins and its members combine to it."""
    fit = case.fresh
    expect(fit.returned is fit.model, "fit must return the model itself")
    expect(fit.model.params() == fit.params_before, "fit changed the parameters")
    expect(fit.model.clone().params() == fit.params_before, "clone() changed the parameters")
    unfitted, y = case.make(), case.y
    for call in (functools.partial(unfitted.predict, 1),
                 functools.partial(unfitted.predict_origins, y, [N_TRAIN], 1)):
        expect(raised(NotFittedError, call), "predicting before fit must raise NotFittedError")
    model = case.fitted
    origins = list(range(N_TRAIN, len(y) - 2, 5))
    forecast = model.forecast(y, origins, 2)
    expect(isinstance(forecast, Forecast), f"forecast returned {type(forecast).__name__}")
    np.testing.assert_array_equal(forecast.point, model.predict_origins(y, origins, 2),
                                  err_msg="forecast's point differs from predict_origins")
    n_members = len(forecast.members)
    expect(forecast.members.shape == (n_members, len(origins), 2) and n_members != 1,
           f"members of shape {forecast.members.shape}")
    if n_members:  # the mean, or what the model says (N-BEATS: the median)
        np.testing.assert_allclose(model.combine(forecast.members), forecast.point, rtol=1e-12,
                                   atol=1e-9, err_msg="the point is not the model's combine() "
                                   "of its members")


def assert_no_lookahead(model: Forecaster, y: np.ndarray, origins: list[int],
                        horizon: int) -> None:
    """Perturb every value at or after each origin; its forecast must not move."""
    base = model.predict_origins(y, origins, horizon)
    rng = np.random.default_rng(123)
    for row, origin in enumerate(origins):
        changed = y.copy()
        changed[origin:] += rng.normal(0, 25, len(y) - origin) + 40
        again = model.predict_origins(changed, origins[: row + 1], horizon)
        np.testing.assert_allclose(again[row], base[row], rtol=0, atol=model.batch_tolerance,
                                   err_msg=f"forecast from origin {origin} saw later values")


def no_lookahead(case: Case) -> None:
    """A forecast from origin o does not move when y[o:] changes."""
    y = case.y
    for horizon in HORIZONS:
        assert_no_lookahead(case.fitted, y, [N_TRAIN, N_TRAIN + 7, len(y) - horizon], horizon)


def case_covariates(n: int, seed: int = 7) -> Covariates:
    """A known-ahead 0/1 flag (a promotion) and a past covariate (an observed driver)."""
    rng = np.random.default_rng(seed)
    return Covariates(np.column_stack([(rng.random(n) < 0.3).astype(float), rng.normal(0, 1, n)]),
                      ("promo", "observed"), (True, False))


def assert_no_covariate_lookahead(model: Forecaster, y: np.ndarray, covariates: Covariates,
                                  origins: list[int], horizon: int) -> None:
    """From each origin o, change a past covariate at and after o and a known-ahead one after
    the last target (o + horizon - 1): neither the forecast nor its bounds may move."""
    base = model.forecast(y, origins, horizon, levels=[80], covariates=covariates)
    rng = np.random.default_rng(11)
    for row, origin in enumerate(origins):
        changed = covariates.values.copy()
        for col, known in enumerate(covariates.known_ahead):
            start = origin + horizon if known else origin
            changed[start:, col] += rng.normal(0, 5, len(y) - start) + 3
        again = model.forecast(y, origins[: row + 1], horizon, levels=[80], covariates=Covariates(
            changed, covariates.names, covariates.known_ahead))
        for name in ("point", "lower", "upper"):
            got, expected = getattr(again, name), getattr(base, name)
            if got is None or expected is None:
                raise AssertionError(f"no {name} from origin {origin}")
            np.testing.assert_allclose(
                got[..., row, :], expected[..., row, :], rtol=0, atol=model.batch_tolerance,
                err_msg=f"{name} from origin {origin} (horizon {horizon}) read a past covariate "
                        "at or after its origin, or a known-ahead one beyond its last target")


def covariates_no_lookahead(case: Case) -> None:
    """A model that takes covariates fits and forecasts with a known-ahead and a past one and
    reads neither beyond what a forecast may see; any other model ignores them."""
    y = case.y
    covariates = case_covariates(len(y))
    if not case.cls.takes_covariates:
        np.testing.assert_array_equal(
            case.fitted.forecast(y, [N_TRAIN], 2, covariates=covariates).point,
            case.fitted.forecast(y, [N_TRAIN], 2).point,
            err_msg="a model that does not take covariates must ignore them")
        return
    model = case.make().fit(y[:N_TRAIN], covariates=covariates.rows(0, N_TRAIN))
    for horizon in HORIZONS:
        assert_no_covariate_lookahead(model, y, covariates,
                                      [N_TRAIN, N_TRAIN + 7, len(y) - horizon], horizon)


def batched_equals_per_origin(case: Case) -> None:
    """Forecasts have the right shape and are finite; predict_origins equals a loop of predict
    within batch_tolerance."""
    model, y = case.fitted, case.y
    for horizon in HORIZONS:
        expect(model.predict(horizon).shape == (horizon,), "predict's shape")
        origins = list(range(N_TRAIN, len(y) - horizon + 1, 3))
        batched = model.predict_origins(y, origins, horizon)
        expect(batched.shape == (len(origins), horizon), "predict_origins' shape")
        expect(np.isfinite(batched).all(), "forecasts must be finite")
        looped = np.vstack([model.predict(horizon, history=y[:o]) for o in origins])
        np.testing.assert_allclose(batched, looped, rtol=0, atol=model.batch_tolerance,
                                   err_msg=f"horizon {horizon}: batched != per-origin")


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


def determinism(case: Case) -> None:
    """Two fits with the same parameters (seed) give the same forecasts, also while another
    thread draws from the global random generators."""
    y = case.y
    first = case.fitted.predict_origins(y, list(range(N_TRAIN, len(y) - 2)), 2)
    second = case.fresh.model.predict_origins(y, list(range(N_TRAIN, len(y) - 2)), 2)
    np.testing.assert_array_equal(first, second, err_msg="two fits, different forecasts")
    expected = case.fitted.predict_origins(y, [N_TRAIN, N_TRAIN + 9], 2)
    with another_thread_drawing_random_numbers():
        model = case.make().fit(y[:N_TRAIN])
    np.testing.assert_array_equal(model.predict_origins(y, [N_TRAIN, N_TRAIN + 9], 2), expected,
                                  err_msg="the fit read the global random generators")


def intervals(case: Case) -> None:
    """Bounds at two levels have the right shape, are finite, nest around the point forecast
    and do not move when values after their origin change."""
    model, y = case.fitted, case.y
    origins = [N_TRAIN, N_TRAIN + 7, len(y) - 3]
    forecast = model.forecast(y, origins, 3, levels=[95, 80])
    expect(forecast.levels == (80.0, 95.0), f"levels {forecast.levels}, expected (80.0, 95.0)")
    expect(forecast.interval_method == model.interval_method in ("analytic", "conformal"),
           f"interval_method {forecast.interval_method!r}")
    np.testing.assert_array_equal(forecast.point, model.predict_origins(y, origins, 3),
                                  err_msg="the point forecast changed with levels")
    lower, upper = forecast.lower, forecast.upper
    if lower is None or upper is None or not lower.shape == upper.shape == (2, len(origins), 3):
        raise AssertionError("bounds' shape")  # expect(), written out so that None is ruled out
    expect(np.isfinite(lower).all() and np.isfinite(upper).all(), "bounds must be finite")
    expect((lower[1] <= lower[0]).all() and (lower[0] <= forecast.point).all()
           and (forecast.point <= upper[0]).all() and (upper[0] <= upper[1]).all(),
           "bounds must nest: lower 95 <= lower 80 <= point <= upper 80 <= upper 95")
    rng = np.random.default_rng(5)
    for row, origin in enumerate(origins):
        changed = y.copy()
        changed[origin:] += rng.normal(0, 25, len(y) - origin) + 40
        again = model.forecast(changed, origins[: row + 1], 3, levels=[80, 95])
        for got, bound in ((again.lower, lower), (again.upper, upper)):
            if got is None:
                raise AssertionError(f"no bounds from origin {origin}")
            np.testing.assert_allclose(got[:, row], bound[:, row], rtol=0,
                                       atol=model.batch_tolerance,
                                       err_msg=f"bounds from origin {origin} saw later values")


def predicting_writes_nothing(case: Case) -> None:
    """predict, predict_origins and forecast (with levels too) set or replace no attribute."""
    fit, y = case.fresh, case.y  # its ids were taken right after the fit, before any predict
    fit.model.predict(2)
    fit.model.predict_origins(y, [N_TRAIN, N_TRAIN + 9], 2)
    fit.model.forecast(y, [N_TRAIN + 3], 1)
    fit.model.forecast(y, [N_TRAIN + 3], 2, levels=[90])
    after = attribute_ids(fit.model)
    written = sorted(k for k in {*after, *fit.ids_after_fit}
                     if after.get(k) != fit.ids_after_fit.get(k))
    expect(not written, f"predicting wrote {', '.join(written)}")


def with_period(case: Case) -> None:
    """with_period(p) is an unfitted copy that sets `period_param` to p only where it is None,
    and rejects a period that is not an integer >= 1."""
    model = case.fitted
    copy = model.with_period(7)
    expect(type(copy) is type(model) and copy is not model, "not a new model of the class")
    expect(not hasattr(copy, "y_train_"), "the copy is fitted")
    expected = model.params()
    if model.period_param is not None and expected[model.period_param] is None:
        expected[model.period_param] = 7
    expect(copy.params() == expected, f"with_period(7) gave {copy.params()}, not {expected}")
    expect(model.params() == case.make().params(), "with_period changed the original")
    bad_periods: tuple[Any, ...] = (0, -1, 2.5, True, None)  # deliberately not all ints
    for bad in bad_periods:
        error = raised(ConfigError, functools.partial(model.with_period, bad))
        expect(error and "period" in str(error), f"with_period({bad!r}) raised no ConfigError")


def walk_forward(case: Case) -> None:
    """A walk-forward run (two folds of an expanding window, one of a 90-value sliding one)
    finishes every fold with finite forecasts."""
    y = random_walk(200, seed=1)
    for window in ("expanding", 90):
        split = WalkForward(test_size=40, folds=2 if window == "expanding" else 1, horizon=2,
                            window=window)
        folds = split.split(len(y))
        result = run_walk_forward(y, folds, {case.label: case.make()}, horizon=2)
        expect((result.status.status == "ok").all(), str(result.status.reason.tolist()))
        expect(len(result.forecasts) == 2 * sum(len(f.origins) for f in folds),
               f"{len(result.forecasts)} forecasts with the {window} window")
        expect(np.isfinite(result.forecasts.y_pred).all(), "forecasts must be finite")


def collection_no_lookahead(case: Case) -> None:
    """On a collection of two series A and B, A's forecasts move neither when A's values after
    its last origin change nor when B changes; a model fitted on the whole collection (a
    CollectionForecaster) learns from B, so there only A changes."""
    split = WalkForward(test_size=12, folds=1, horizon=2)  # the last origin is 148
    panel = {"A": random_walk(150, seed=2), "B": random_walk(150, seed=3)}

    def forecasts_of_a(data: dict[str, pd.Series]) -> pd.DataFrame:
        plans = [SeriesPlan(sid, y, split.split(len(y)), 2, {case.label: case.make()})
                 for sid, y in data.items()]
        result = run_plans(plans)
        expect((result.status.status == "ok").all(), str(result.status.reason.tolist()))
        mine = result.forecasts[result.forecasts.series == "A"]
        return mine.drop(columns="y_true").reset_index(drop=True)

    a = panel["A"]
    changed = {"A": a.where(np.arange(len(a)) < 148, a + 40.0),
               "B": (panel["B"] if issubclass(case.cls, CollectionForecaster)
                     else panel["B"] * 2 + 7)}
    try:
        pd.testing.assert_frame_equal(forecasts_of_a(panel), forecasts_of_a(changed))
    except AssertionError as exc:
        raise AssertionError(f"series A's forecasts moved: {exc}") from None
