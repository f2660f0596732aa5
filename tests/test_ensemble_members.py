"""An ensemble whose members train independently runs as one job per member, each cached on its
own: the harness's combined results equal the unsplit model's forecast_collection (points,
members, conformal bounds, one-step), a larger ensemble reuses the members already trained, and
a failing member fails its tasks with the member named."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from forecast_bench.evaluation.harness.cache import TaskCache
from forecast_bench.evaluation.harness.executors import ExecutorSpec
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import SeriesPlan, run_plans
from forecast_bench.models.base import Forecast, ModelConfig
from forecast_bench.models.collection import CollectionForecaster
from tests.conftest import random_walk

SPLIT = WalkForward(test_size=8, folds=2, horizon=3)
TRAINED: list[int] = []  # the members fitted in this process, in order


@dataclasses.dataclass(frozen=True)
class ToyConfig(ModelConfig):
    ensemble: int = 3
    member: int | None = None  # train this member of the ensemble alone
    fail_member: int | None = None


class ToyEnsemble(CollectionForecaster):
    """Member i: each series' mean of its last i + 2 values times a factor drawn from i and
    the series' training mean; the point is the members' median."""

    config_class = ToyConfig
    min_train_size = 6

    def _indices(self) -> list[int]:
        cfg = self.config
        return [cfg.member] if cfg.member is not None else list(range(cfg.ensemble))

    def ensemble_size(self) -> int:
        return 1 if self.config.member is not None else self.config.ensemble

    def member(self, index: int) -> ToyEnsemble:
        return ToyEnsemble(ensemble=1, member=index, fail_member=self.config.fail_member)

    def combine(self, members: np.ndarray) -> np.ndarray:
        return np.median(members, axis=0)

    def _fit_collection(self, series, periods):
        for i in self._indices():
            TRAINED.append(i)
            if i == self.config.fail_member:
                raise RuntimeError("diverged")
        level = np.mean([y.mean() for y in series])
        self.factors_ = [1 + np.random.default_rng([i, int(level)]).normal(0, 0.05)
                         for i in self._indices()]

    def _forecast_collection(self, series, origins, horizon):
        out = []
        for y, o in zip(series, origins, strict=True):
            members = np.stack([
                np.repeat([[f * y[p - i - 2:p].mean()] for p in o], horizon, axis=1)
                for i, f in zip(self._indices(), self.factors_, strict=True)])
            point = self.combine(members)
            out.append(Forecast(point, members) if len(members) > 1 else Forecast.single(point))
        return out


def data() -> dict[str, pd.Series]:
    return {sid: random_walk(n, seed=seed, start=100.0)
            for sid, seed, n in (("A", 1, 40), ("B", 2, 48), ("C", 3, 44))}


def plans(model: CollectionForecaster, levels=(80.0,), one_step=True) -> list[SeriesPlan]:
    return [SeriesPlan(sid, y, SPLIT.split(len(y)), SPLIT.horizon, {"toy": model}, levels,
                       one_step) for sid, y in data().items()]


def of(frame: pd.DataFrame, sid: str, fold: int) -> pd.DataFrame:
    return frame[(frame.series == sid) & (frame.fold == fold)]


def test_member_jobs_give_what_the_unsplit_model_gives():
    result = run_plans(plans(ToyEnsemble()))
    assert (result.status.status == "ok").all(), result.status.reason.tolist()
    series = data()
    for index in range(SPLIT.folds):
        folds = {sid: SPLIT.split(len(y))[index] for sid, y in series.items()}
        model = ToyEnsemble().fit_collection(
            [series[s].to_numpy()[f.train_start:f.train_end] for s, f in folds.items()], [1] * 3)
        values = [series[s].to_numpy()[f.train_start:f.test_end] for s, f in folds.items()]
        origins = [np.asarray(f.origins) - f.train_start for f in folds.values()]
        expected = model.forecast_collection(values, origins, SPLIT.horizon, (80.0,))
        one_step = model.forecast_collection(
            values, [np.arange(f.train_size, f.test_end - f.train_start)
                     for f in folds.values()], 1)
        for sid, forecast, single in zip(folds, expected, one_step, strict=True):
            rows = of(result.forecasts, sid, index)
            np.testing.assert_allclose(rows.y_pred, forecast.point.reshape(-1), rtol=1e-12)
            np.testing.assert_allclose(rows.lower_80, forecast.lower[0].reshape(-1),
                                       rtol=1e-12)
            np.testing.assert_allclose(rows.upper_80, forecast.upper[0].reshape(-1),
                                       rtol=1e-12)
            members = of(result.members, sid, index)
            for m in range(3):
                np.testing.assert_allclose(members[members.member == m].y_pred,
                                           forecast.members[m].reshape(-1), rtol=1e-12)
            steps = of(result.one_step, sid, index)
            np.testing.assert_allclose(steps.y_pred, single.point[:, 0], rtol=1e-12)
    assert result.status.fitted.str.startswith("3 members combined").all()


def test_each_member_is_cached_and_a_larger_ensemble_reuses_them(tmp_path):
    TRAINED.clear()
    first = run_plans(plans(ToyEnsemble()), cache=TaskCache(tmp_path))
    assert sorted(TRAINED) == [0, 0, 1, 1, 2, 2]  # each member once per fold
    TRAINED.clear()
    again = run_plans(plans(ToyEnsemble()), cache=TaskCache(tmp_path))
    assert TRAINED == [] and again.status.cached.all()
    pd.testing.assert_frame_equal(again.forecasts, first.forecasts, check_exact=True)
    larger = run_plans(plans(ToyEnsemble(ensemble=4)), cache=TaskCache(tmp_path))
    assert TRAINED == [3, 3] and not larger.status.cached.any()
    assert (larger.status.status == "ok").all()
    assert larger.members.member.nunique() == 4


def test_a_failing_member_fails_its_tasks_with_its_number():
    result = run_plans(plans(ToyEnsemble(fail_member=1)))
    assert (result.status.status == "failed").all()
    assert set(result.status.reason) == {"member 1: RuntimeError: diverged"}
    assert result.forecasts.empty


def test_worker_processes_give_the_serial_member_results():
    serial = run_plans(plans(ToyEnsemble()))
    parallel = run_plans(plans(ToyEnsemble()), executor=ExecutorSpec("local", 2))
    pd.testing.assert_frame_equal(parallel.forecasts, serial.forecasts, check_exact=True)
