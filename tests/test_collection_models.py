"""Models fitted on many series at once: the global AR against a hand computation, its windows
kept inside each series' training part, no look-ahead within a panel, and the harness running
a CollectionForecaster as one job per fold (forecasts, status, progress, failures, cache,
workers)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from forecast_bench import models
from forecast_bench.evaluation.harness.cache import TaskCache
from forecast_bench.evaluation.harness.executors import ExecutorSpec
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import (
    SeriesPlan,
    Tick,
    WalkForwardResult,
    run_plans,
)
from forecast_bench.models.base import Forecast, ModelConfig
from forecast_bench.models.collection import CollectionForecaster
from tests.conftest import random_walk

PLAIN = ("naive", "drift")
SPLIT = WalkForward(test_size=12, folds=2, horizon=3)
SHAPES = {"A": (0, 60), "B": (1, 72), "C": (2, 66), "D": (3, 80)}  # seed, length


def seasonal(seed: int, n: int) -> pd.Series:
    """A positive monthly-like series: a random walk times a yearly pattern."""
    walk = random_walk(n, seed=seed, start=200.0).to_numpy()
    pattern = 1 + 0.2 * np.sin(2 * np.pi * np.arange(n) / 12)
    return pd.Series(walk * pattern, index=pd.date_range("2000-01", periods=n, freq="MS"))


def panel(shapes: dict[str, tuple[int, int]] = SHAPES) -> dict[str, pd.Series]:
    return {sid: seasonal(seed, n) for sid, (seed, n) in shapes.items()}


def plans(data: dict[str, pd.Series], labels: tuple[str, ...] = (*PLAIN, "global_ar"),
          extra: dict | None = None, levels: tuple[float, ...] = ()) -> list[SeriesPlan]:
    """Each series with the named models (and `extra` ones), its period 12 filled in."""
    built = {label: models.get(label) for label in labels} | (extra or {})
    return [SeriesPlan(sid, y, SPLIT.split(len(y)), 3,
                       {label: m.with_period(12) for label, m in built.items()}, levels)
            for sid, y in data.items()]


def by_hand(data: dict[str, pd.Series], params: dict, levels: tuple[float, ...] = ()
            ) -> dict[tuple[str, int], Forecast]:
    """fit_collection and forecast_collection called directly, one panel per fold index."""
    folds = {sid: SPLIT.split(len(y)) for sid, y in data.items()}
    out = {}
    for index in range(SPLIT.folds):
        mine = {sid: f[index] for sid, f in folds.items()}
        model = models.get("global_ar", **params).fit_collection(
            [data[sid].to_numpy()[f.train_start:f.train_end] for sid, f in mine.items()],
            [12] * len(data))
        forecasts = model.forecast_collection(
            [data[sid].to_numpy()[f.train_start:f.test_end] for sid, f in mine.items()],
            [np.asarray(f.origins) - f.train_start for f in mine.values()], 3, levels)
        out.update({(sid, index): fc for sid, fc in zip(mine, forecasts, strict=True)})
    return out


def forecasts_of(result: WalkForwardResult, label: str, series: str, fold: int) -> pd.DataFrame:
    table = result.forecasts
    return table[(table.model == label) & (table.series == series) & (table.fold == fold)]


# -- the model --

def test_global_ar_equals_a_numpy_least_squares_computation():
    series = [np.cumsum(np.random.default_rng(seed).normal(0.3, 1.0, n)) + 50
              for seed, n in ((1, 30), (2, 41), (3, 25))]
    lags, alpha = 3, 0.5
    model = models.get("global_ar", lags=lags, alpha=alpha, deseasonalize="never")
    model.fit_collection(series, [1, 1, 1])
    rows, targets = [], []
    for y in series:
        z = (y - y.mean()) / y.std()
        for t in range(lags, len(z)):
            rows.append([1.0, *z[t - lags:t]])
            targets.append(z[t])
    x, target = np.array(rows), np.array(targets)
    penalty = alpha * np.diag([0.0] + [1.0] * lags)
    coef = np.linalg.solve(x.T @ x + penalty, x.T @ target)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-9, atol=1e-12)
    forecasts = model.forecast_collection(series, [[len(y)] for y in series], 4)
    for y, forecast in zip(series, forecasts, strict=True):
        path = list((y[-lags:] - y.mean()) / y.std())
        for _ in range(4):
            path.append(coef[0] + coef[1:] @ path[-lags:])
        np.testing.assert_allclose(forecast.point[0], np.array(path[lags:]) * y.std() + y.mean(),
                                   rtol=1e-9)


LINE = [0.0, -1.0, 2.0]
LINEAR = {"lags": 2, "alpha": 0.0, "deseasonalize": "never", "scale": "none"}


def lines_then_noise(n: int = 40, test: int = 12) -> dict[str, pd.Series]:
    """Straight lines of different levels and slopes (y_t = 2 y_{t-1} - y_{t-2} holds inside
    each) whose test parts are noise: a window across two series or past a training end
    breaks the exact fit of LINE (intercept, then the lags oldest first)."""
    rng = np.random.default_rng(0)
    out = {}
    for sid, (level, slope) in {"A": (5.0, 1.0), "B": (-30.0, 0.5), "C": (80.0, -2.0)}.items():
        values = level + slope * np.arange(n)
        values[n - test:] = rng.normal(0, 50, test)
        out[sid] = pd.Series(values, index=pd.date_range("2000-01", periods=n, freq="MS"))
    return out


def test_training_windows_stay_inside_each_series_training_part():
    data = lines_then_noise()
    fitted = models.get("global_ar", **LINEAR).fit_collection(
        [y.to_numpy()[:28] for y in data.values()], [1, 1, 1])
    np.testing.assert_allclose(fitted.coef_, LINE, atol=1e-9)
    crossing = models.get("global_ar", **LINEAR).fit_collection(
        [np.concatenate([y.to_numpy()[:28] for y in data.values()])], [1])
    assert np.abs(crossing.coef_ - LINE).max() > 0.01  # the check can fail
    # through the harness (training parts: the lines; test parts: noise), every forecast is
    # the line through the two values before its origin
    split = WalkForward(test_size=12, folds=1, horizon=3)
    result = run_plans([SeriesPlan(sid, y, split.split(len(y)), 3,
                                   {"g": models.get("global_ar", **LINEAR)})
                        for sid, y in data.items()])
    assert (result.status.status == "ok").all(), result.status.reason.tolist()
    table = result.forecasts
    flat = np.concatenate([y.to_numpy() for y in data.values()])
    start = dict(zip(data, np.arange(len(data)) * 40, strict=True))
    position = table.series.map(start) + table.origin.map(data["A"].index.get_loc)
    y1, y2 = flat[position], flat[position - 1]
    np.testing.assert_allclose(table.y_pred, y1 + table.step * (y1 - y2), atol=1e-6)


def test_no_lookahead_within_a_collection_and_a_global_fit():
    data = panel()
    base = run_plans(plans(data, ("global_ar",), levels=(80.0,))).forecasts
    origins = sorted(set(SPLIT.split(len(data["B"]))[1].origins))
    for origin in (origins[0], origins[len(origins) // 2], origins[-1]):
        changed = dict(data)
        changed["B"] = data["B"].where(np.arange(len(data["B"])) < origin, data["B"] * 3 + 40)
        again = run_plans(plans(changed, ("global_ar",), levels=(80.0,))).forecasts
        # B's forecasts from origins up to `origin` (their last value seen before it) and all
        # the other series' forecasts
        keep = (again.series != "B") | (again.origin <= data["B"].index[origin - 1])
        pd.testing.assert_frame_equal(again[keep].drop(columns="y_true"),
                                      base[keep].drop(columns="y_true"), check_exact=True)
    # a global model legitimately moves when another series' TRAINING part changes
    changed = dict(data, B=data["B"] + np.linspace(0, 300, len(data["B"])) ** 1.5)
    again = run_plans(plans(changed, ("global_ar",), levels=(80.0,))).forecasts
    mine = again.series == "A"
    assert not np.allclose(again[mine].y_pred, base[mine].y_pred)


# -- the harness --

@dataclasses.dataclass(frozen=True)
class BrokenConfig(ModelConfig):
    period: int | None = None
    nan_series: int | None = None  # None: fit_collection raises; i: NaN forecasts for series i


class Broken(CollectionForecaster):
    """A panel model that fails to fit, or forecasts NaN for one series."""

    config_class = BrokenConfig
    period_param = "period"

    def _fit_collection(self, series, periods):
        if self.config.nan_series is None:
            raise RuntimeError("no panel today")

    def _forecast_collection(self, series, origins, horizon):
        return [Forecast.single(np.full((len(o), horizon), np.nan if i == self.config.nan_series
                                        else 1.0)) for i, o in enumerate(origins)]


def test_run_plans_mixes_plain_and_collection_models_as_by_hand():
    data = panel()
    ticks: list[Tick] = []
    result = run_plans(plans(data, levels=(80.0,)), progress=ticks.append)
    status = result.status
    assert len(status) == len(data) * 3 * SPLIT.folds  # one row per (series, model, fold)
    assert (status.status == "ok").all(), status.reason.tolist()
    assert [t.done for t in ticks] == list(range(1, len(status) + 1))
    assert ticks[-1].series_done == ticks[-1].n_series == len(data)
    expected = by_hand(data, {}, (80.0,))
    for (sid, fold), forecast in expected.items():
        mine = forecasts_of(result, "global_ar", sid, fold)
        np.testing.assert_array_equal(mine.y_pred, forecast.point.reshape(-1))
        np.testing.assert_array_equal(mine.lower_80, forecast.lower[0].reshape(-1))
        np.testing.assert_array_equal(mine.upper_80, forecast.upper[0].reshape(-1))
    collection_rows = status[status.model == "global_ar"]
    assert collection_rows.fitted.str.startswith("global AR(12) on 4 series").all()
    assert (collection_rows.intervals == "conformal").all()
    assert collection_rows.groupby("fold").fit_seconds.nunique().eq(1).all()  # an equal share each
    assert collection_rows.groupby("fold").fit_cpu_seconds.nunique().eq(1).all()  # CPU too
    alone = run_plans(plans(data, PLAIN, levels=(80.0,)))  # the plain models are unaffected
    plain = result.forecasts[result.forecasts.model.isin(PLAIN)].reset_index(drop=True)
    pd.testing.assert_frame_equal(plain, alone.forecasts, check_exact=True)


def test_a_failing_collection_model_fails_its_tasks_only():
    data = panel()
    result = run_plans(plans(data, ("naive",), {"broken": Broken(), "nan": Broken(nan_series=1)}))
    status = result.status.set_index(["model", "series", "fold"]).sort_index()
    assert (status.loc["broken", "status"] == "failed").all()
    assert (status.loc["broken", "reason"] == "RuntimeError: no panel today").all()
    assert (status.loc["naive", "status"] == "ok").all()
    nan = status.loc["nan"]
    assert (nan.status == np.where(nan.index.get_level_values("series") == "B", "failed", "ok")
            ).all()
    assert set(nan[nan.status == "failed"].reason) == {
        "FloatingPointError: forecast contains NaN or inf"}
    assert set(result.forecasts.model) == {"naive", "nan"}
    assert set(result.forecasts[result.forecasts.model == "nan"].series) == {"A", "C", "D"}


class Recording(TaskCache):
    """A cache that remembers the keys of global AR entries, and can forget one of them."""

    def __init__(self, root, forget: str | None = None) -> None:
        super().__init__(root)
        self.forget = forget
        self.collection_keys: list[str] = []

    def get(self, key, *load):
        return None if key == self.forget else super().get(key, *load)

    def put(self, key, meta, arrays):
        if meta["row"]["fitted"].startswith("global AR"):
            self.collection_keys.append(key)
        super().put(key, meta, arrays)


def test_cache_keeps_a_job_whole(tmp_path):
    data = panel()
    cold = Recording(tmp_path)
    first = run_plans(plans(data), cache=cold)
    n_tasks, n_collection = len(first.status), len(data) * SPLIT.folds
    assert (cold.hits, cold.misses, len(cold.collection_keys)) == (0, n_tasks, n_collection)
    warm = Recording(tmp_path)
    again = run_plans(plans(data), cache=warm)
    assert (warm.hits, warm.misses) == (n_tasks, 0) and again.status.cached.all()
    pd.testing.assert_frame_equal(again.forecasts, first.forecasts, check_exact=True)
    # one entry of a job missing: the whole job reruns (its fold's four series)
    partial = run_plans(plans(data), cache=Recording(tmp_path, forget=cold.collection_keys[0]))
    rerun = partial.status[~partial.status.cached]
    assert (rerun.model == "global_ar").all() and len(rerun) == len(data)
    assert rerun.fold.nunique() == 1
    # one series' first value changed: every global AR task reruns, and D's plain tasks
    changed = dict(data, D=data["D"].where(np.arange(len(data["D"])) > 0, 1.0))
    third = run_plans(plans(changed), cache=Recording(tmp_path))
    rerun = third.status[~third.status.cached]
    expected = {("global_ar", sid) for sid in data} | {(m, "D") for m in PLAIN}
    assert set(zip(rerun.model, rerun.series, strict=True)) == expected
    assert len(rerun) == len(expected) * SPLIT.folds
    moved = forecasts_of(third, "global_ar", "A", 0).y_pred.to_numpy()
    assert not np.array_equal(moved, forecasts_of(first, "global_ar", "A", 0).y_pred)
    # a series left out: the others' global AR tasks are new jobs, their plain tasks hits
    fewer = run_plans(plans({sid: data[sid] for sid in "ABC"}), cache=Recording(tmp_path))
    rerun = fewer.status[~fewer.status.cached]
    assert (rerun.model == "global_ar").all() and len(rerun) == 3 * SPLIT.folds


def test_worker_processes_give_the_serial_results():
    data = panel()
    serial = run_plans(plans(data, levels=(80.0,)))
    parallel = run_plans(plans(data, levels=(80.0,)), executor=ExecutorSpec("local", 2))
    pd.testing.assert_frame_equal(parallel.forecasts, serial.forecasts, check_exact=True)
    columns = ["series", "model", "fold", "status", "fitted"]
    pd.testing.assert_frame_equal(parallel.status[columns], serial.status[columns])


class LastValue(CollectionForecaster):
    """Each series' last value, fitted on nothing: a panel model whose forecasts for a series
    do not depend on the others, so its panel intervals must equal its single-series ones."""

    config_class = BrokenConfig
    period_param = "period"

    def _fit_collection(self, series, periods):
        pass

    def _forecast_collection(self, series, origins, horizon):
        return [Forecast.single(np.repeat(y[o - 1, None], horizon, axis=1))
                for y, o in zip(series, origins, strict=True)]


def test_collection_intervals_pair_each_series_with_its_own_calibration_errors():
    """Series A has no origin before its first one to calibrate on; B and C have many: each
    series' conformal bounds equal those it gets alone (through the plain Forecaster path)."""
    data = [random_walk(40, seed=s).to_numpy() for s in (1, 2, 3)]
    origins = [np.array([1]), np.array([30, 35]), np.array([25])]
    model = LastValue().fit_collection([y[:o[0]] for y, o in zip(data, origins, strict=True)],
                                       [1, 1, 1])
    got = model.forecast_collection(data, origins, 3, levels=(80,))
    for y, o, forecast in zip(data, origins, got, strict=True):
        alone = LastValue().fit(y[:o[0]]).forecast(y, o, 3, levels=(80,))
        np.testing.assert_array_equal(forecast.lower, alone.lower)
        np.testing.assert_array_equal(forecast.upper, alone.upper)
    assert np.isnan(got[0].lower).all() and np.isfinite(got[1].lower).all()
