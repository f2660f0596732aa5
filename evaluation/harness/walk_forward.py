"""The walk-forward harness over (series, model, fold): every model sees the same folds of a
series, and the forecasts come back as one long table with a series column."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from forecast_bench.evaluation.harness import collection_tasks
from forecast_bench.evaluation.harness.cache import TaskCache, code_version, task_key
from forecast_bench.evaluation.harness.executors import ExecutorSpec, run_all
from forecast_bench.evaluation.harness.splits import Fold
from forecast_bench.evaluation.harness.task import Task, TaskResult
from forecast_bench.evaluation.run_folder import run_files
from forecast_bench.models.base import Forecaster
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.intervals import level_name

FORECAST_COLUMNS, STATUS_COLUMNS = run_files.FORECAST_COLUMNS, run_files.STATUS_COLUMNS


def interval_columns(levels: Sequence[float]) -> list[str]:
    """lower_80, upper_80, lower_95, ... for the levels (percent) of a run."""
    return [f"{side}_{level_name(level)}" for level in levels for side in ("lower", "upper")]


@dataclasses.dataclass(frozen=True)
class WalkForwardResult:
    """forecasts: one row per (series, model, fold, origin, step) whose target was observed (a
    target that cleaning filled is never scored, so it has no row), with interval bounds
    (lower_<level>, upper_<level>) when levels were asked for; status: one row per
    (series, model, fold).

    members: forecasts of each ensemble member (a model trained with several seeds), with a
    `member` column; histories: per model, one training history (loss per epoch) per task;
    one_step: with split.one_step, every test value forecast one step ahead from the actuals
    before it (the forecasts' columns, step 1), else empty.
    """

    forecasts: pd.DataFrame
    status: pd.DataFrame
    members: pd.DataFrame
    histories: dict[str, list[dict[str, list[float]]]]
    one_step: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)


@dataclasses.dataclass(frozen=True)
class SeriesPlan:
    """One series of a run: its values, its folds, its horizon and its models (unfitted; a
    model that takes the seasonal period has this series' period set)."""

    id: str
    series: pd.Series
    folds: Sequence[Fold]
    horizon: int
    models: Mapping[str, Forecaster]
    levels: tuple[float, ...] = ()  # prediction-interval levels, percent
    one_step: bool = False  # also forecast each test value one step ahead (split.one_step)
    filled: np.ndarray | None = None  # True where cleaning filled the value: not a target
    covariates: Covariates | None = None  # rows beside the series' values (models/covariates)


@dataclasses.dataclass(frozen=True)
class Tick:
    """What the progress callback hears after each task."""

    series: str
    label: str
    fold: int
    status: str
    done: int
    total: int
    series_done: int
    n_series: int


Progress = Callable[[Tick], None]


def run_walk_forward(
    y: pd.Series,
    folds: list[Fold],
    models: Mapping[str, Forecaster],
    horizon: int,
    progress: Progress | None = None,
    executor: ExecutorSpec | None = None,
    cache: TaskCache | None = None,
    levels: tuple[float, ...] = (),
    one_step: bool = False,
) -> WalkForwardResult:
    """One series: `run_plans` on a collection of one (its id is the series' name)."""
    plan = SeriesPlan(str(y.name) if y.name is not None else "series", y, folds, horizon, models,
                      levels, one_step)
    return run_plans([plan], progress, executor, cache)


def run_plans(
    plans: Sequence[SeriesPlan],
    progress: Progress | None = None,
    executor: ExecutorSpec | None = None,
    cache: TaskCache | None = None,
) -> WalkForwardResult:
    """Fit a fresh clone of each model at every fold start of every series and forecast from
    the fold's origins; a CollectionForecaster is fitted once per fold index on all the series that
    use it (evaluation.harness.collection_tasks).

    Tasks found in `cache` are not recomputed; the others run on `executor` (default: this
    process, one after another) and are cached as each one finishes. The result does not depend
    on the executor: tasks are assembled in (series, model, fold) order.
    """
    values = {plan.id: plan.series.to_numpy(dtype=float) for plan in plans}
    # a model trained for a fixed horizon (N-BEATS) takes the series' horizon here
    resolved = [{label: model.with_horizon(plan.horizon) for label, model in plan.models.items()}
                for plan in plans]
    tasks = [Task(plan.id, label, prototype, fold,
                  values[plan.id][fold.train_start:fold.test_end], plan.horizon, plan.levels,
                  plan.one_step, None if plan.covariates is None
                  else plan.covariates.rows(fold.train_start, fold.test_end))
             for plan, chosen in zip(plans, resolved, strict=True)
             for label, prototype in chosen.items() for fold in plan.folds]
    left = {plan.id: 0 for plan in plans}
    for task in tasks:
        left[task.series] += 1
    series_done = sum(count == 0 for count in left.values())
    results: dict[int, TaskResult] = {}
    units = collection_tasks.work_units(tasks)
    keys = [] if cache is None else collection_tasks.unit_keys(tasks, units, _key)
    members: dict[tuple[int, ...], dict[int, list[TaskResult]]] = {}  # ensembles' members so far
    members_cached: dict[tuple[int, ...], bool] = {}
    pending: list[int] = []

    def finished(index: int, result: TaskResult, cached: bool) -> None:
        nonlocal series_done
        results[index] = dataclasses.replace(result, row={**result.row, "cached": cached})
        task = tasks[index]
        left[task.series] -= 1
        series_done += left[task.series] == 0
        if progress is not None:
            status = str(result.row["status"]) + (" (cached)" if cached else "")
            progress(Tick(task.series, task.label, task.fold.index, status, len(results),
                          len(tasks), series_done, len(plans)))

    def delivered(unit: int, outcome: list[TaskResult], cached: bool) -> None:
        """A unit's results: cached (unless read from the cache), then the tasks' results, or,
        for an ensemble member, kept until every member of its job is in."""
        indices, item = units[unit]
        if cache is not None and not cached:
            for key, result in zip(keys[unit], outcome, strict=True):
                cache.put(key, *result.to_entry())
        if not isinstance(item, collection_tasks.CollectionJob) or item.member is None:
            for index, result in zip(indices, outcome, strict=True):
                finished(index, result, cached)
            return
        group = tuple(indices)
        members.setdefault(group, {})[item.member] = outcome
        members_cached[group] = members_cached.get(group, True) and cached
        size = collection_tasks.panel_model(item.tasks[0]).ensemble_size()
        if len(members[group]) == size:
            combined = collection_tasks.combine_members(
                item, [members[group].pop(m) for m in range(size)])
            for index, result in zip(indices, combined, strict=True):
                finished(index, result, members_cached[group])

    for unit, (indices, _) in enumerate(units):  # a job reruns unless all its tasks are cached
        hits = ([cache.get(key, functools.partial(TaskResult.from_entry, task=tasks[i]))
                 for key, i in zip(keys[unit], indices, strict=True)]
                if cache is not None else [None])
        found = [hit for hit in hits if hit is not None]
        if len(found) < len(hits):
            pending.append(unit)
        else:
            delivered(unit, found, cached=True)
    if cache is not None:
        cache.warn_invalid()  # one line for every entry that failed its checksum or its task
    run_all(collection_tasks.run_item, [units[unit][1] for unit in pending],
            lambda k, result: delivered(pending[k], result if isinstance(result, list)
                                        else [result], cached=False), executor,
            alone=lambda item: isinstance(item, collection_tasks.CollectionJob))
    dates = {plan.id: plan.series.index.to_numpy() for plan in plans}
    levels = sorted({level for plan in plans for level in plan.levels})
    filled = {plan.id: plan.filled for plan in plans if plan.filled is not None}
    return _assemble(tasks, [results[i] for i in range(len(tasks))], dates, levels, filled)


def _key(task: Task) -> str:
    return task_key(task.model.name, task.model.params(), code_version(task.model), task.values,
                    task.spec(), task.horizon)


def _assemble(tasks: list[Task], results: list[TaskResult], dates: Mapping[str, np.ndarray],
              levels: Sequence[float] = (),
              filled: Mapping[str, np.ndarray] | None = None) -> WalkForwardResult:
    """The long tables of every task's forecasts, without the rows whose target was filled
    (``filled``: per series id, True where cleaning filled the value)."""
    forecast_parts, member_parts, one_step_parts, status_rows = [], [], [], []
    filled = filled or {}
    histories: dict[str, list[dict[str, list[float]]]] = {}
    for task, result in zip(tasks, results, strict=True):
        status_rows.append({"series": task.series, "model": task.label, "fold": task.fold.index,
                            **result.row})
        mask = filled.get(task.series)
        if result.forecast is not None:
            columns = {**_long_columns(task, result.forecast, dates[task.series]),
                       **_bound_columns(task, result, result.forecast.size, levels)}
            forecast_parts.append(_observed(columns, mask))
            for member, forecast in enumerate(result.members):
                member_parts.append(_observed({**_long_columns(task, forecast,
                                                               dates[task.series]),
                                               "member": np.full(forecast.size, member)}, mask))
        if result.one_step is not None:
            every_origin = dataclasses.replace(task.fold, origins=tuple(
                task.test_origins + task.fold.train_start))
            one_step_parts.append(_observed(_long_columns(
                dataclasses.replace(task, fold=every_origin), result.one_step[:, None],
                dates[task.series]), mask))
        if result.history is not None:
            histories.setdefault(task.label, []).append(result.history)
    return WalkForwardResult(
        _frame(forecast_parts, [*FORECAST_COLUMNS, *interval_columns(levels)]),
        pd.DataFrame(status_rows, columns=STATUS_COLUMNS),
        _frame(member_parts, [*FORECAST_COLUMNS, "member"]),
        histories,
        _frame(one_step_parts, FORECAST_COLUMNS) if one_step_parts else pd.DataFrame(),
    )


def _frame(parts: list[dict[str, np.ndarray]], columns: list[str]) -> pd.DataFrame:
    """One DataFrame from many tasks' column arrays (concatenated once: fast for panels)."""
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({name: np.concatenate([part[name] for part in parts])
                         for name in columns})


def _observed(columns: dict[str, np.ndarray],
              filled: np.ndarray | None) -> dict[str, np.ndarray]:
    """The rows of ``columns`` whose target was observed (all when nothing was filled)."""
    positions = columns.pop("position")
    if filled is None:
        return columns
    keep = ~filled[positions]
    return {name: values[keep] for name, values in columns.items()}


def _long_columns(task: Task, forecast: np.ndarray, dates: np.ndarray) -> dict[str, np.ndarray]:
    """The forecast rows of a task, and the series position of each target ("position")."""
    fold, start = task.fold, task.fold.train_start
    n_origins, horizon = forecast.shape
    size = n_origins * horizon
    origins = np.repeat(np.asarray(fold.origins), horizon)
    steps = np.tile(np.arange(1, horizon + 1), n_origins)
    targets = origins + steps - 1
    return {
        "series": np.full(size, task.series, dtype=object),
        "model": np.full(size, task.label, dtype=object),
        "fold": np.full(size, fold.index),
        "origin": dates[origins - 1],  # date of the last observation the forecast saw
        "target": dates[targets],
        "step": steps,
        "y_origin": task.values[origins - 1 - start],
        "y_true": task.values[targets - start],
        "y_pred": forecast.reshape(-1),
        "position": targets,
    }


def _bound_columns(task: Task, result: TaskResult, size: int,
                   levels: Sequence[float]) -> dict[str, np.ndarray]:
    """lower_<level>/upper_<level> for every level of the run, `size` values each (the
    task's forecast's); NaN where this task has none."""
    out = {}
    for level in levels:
        for side, bounds in (("lower", result.lower), ("upper", result.upper)):
            column = np.full(size, np.nan)
            if bounds is not None and level in task.levels:
                column = bounds[task.levels.index(level)].reshape(-1)
            out[f"{side}_{level_name(level)}"] = column
    return out
