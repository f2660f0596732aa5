"""Collection jobs: the tasks of a model fitted on many series at once (a
`CollectionForecaster`) run as one unit of work, fitted once on every series' training part
and forecast for each series.

A job holds the tasks of one model label, fold index, horizon and levels, across series; it
yields one TaskResult per task, as `run_task` does for a plain model, so the harness assembles
and caches them alike. Every other task is a unit of work alone.

An ensemble whose members train independently (`ensemble_size() > 1`: N-BEATS, N-HiTS) makes one
job per member, each cached on its own, so a run can be interrupted and resumed member by member
and `--jobs 2` trains two members at once; `combine_members` then makes the ensemble's results
(its point forecast, and conformal bounds from the combined calibration forecasts) exactly as the
unsplit model would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from forecast_bench.evaluation.harness.task import (
    UNTIMED,
    Clock,
    Task,
    TaskResult,
    run_task,
    task_result,
)
from forecast_bench.models.base import Forecast
from forecast_bench.models.collection import (
    CollectionForecaster,
    calibration_origins,
    conformal_forecast,
)
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.registry import load_plugins


@dataclasses.dataclass(frozen=True)
class CollectionJob:
    """The tasks, one per series, that one fitted panel model serves (or, with `member`, that
    one member of its ensemble serves)."""

    tasks: tuple[Task, ...]
    member: int | None = None


Item = Task | CollectionJob
Unit = tuple[list[int], Item]  # the indices of its tasks in the run, and the item


def work_units(tasks: Sequence[Task]) -> list[Unit]:
    """The run's units of work, in the order of their first task: the CollectionForecaster tasks
    sharing a label, fold index, horizon and levels make one job (one per member for a separable
    ensemble, all with the same task indices); any other task runs alone."""
    groups: list[list[int]] = []
    jobs: dict[tuple[object, ...], list[int]] = {}
    for index, task in enumerate(tasks):
        if isinstance(task.model, CollectionForecaster):
            group = (task.label, task.fold.index, task.horizon, task.levels, task.one_step)
            if group not in jobs:
                groups.append(jobs.setdefault(group, []))
            jobs[group].append(index)
        else:
            groups.append([index])
    units: list[Unit] = []
    for indices in groups:
        model = tasks[indices[0]].model
        if not isinstance(model, CollectionForecaster):
            units.append((indices, tasks[indices[0]]))
            continue
        job = tuple(tasks[i] for i in indices)
        size = model.ensemble_size()
        units += ([(indices, CollectionJob(job, member)) for member in range(size)] if size > 1
                  else [(indices, CollectionJob(job))])
    return units


def unit_keys(tasks: Sequence[Task], units: Sequence[Unit],
              key: Callable[[Task], str]) -> list[list[str]]:
    """Cache keys of each unit's tasks: a plain task keeps its own `key`; a job's task gets the
    hash of all its job's task keys (each covering the code, this module's included) with its
    position, so that a job's results are found only for the same series, values, parameters
    and code. A member job's keys are those of its member model: a larger ensemble of the same
    members finds the members already trained."""
    out = []
    for indices, item in units:
        if not isinstance(item, CollectionJob):
            out.append([key(tasks[indices[0]])])
            continue
        if item.member is None:
            job = _sha256(json.dumps([key(task) for task in item.tasks]))
        else:
            member = panel_model(item.tasks[0]).member(item.member)
            job = _sha256("member:" + json.dumps(
                [key(dataclasses.replace(task, model=member)) for task in item.tasks]))
        out.append([_sha256(f"{job}:{position}") for position in range(len(indices))])
    return out


def run_item(item: Item) -> TaskResult | list[TaskResult]:
    """A task's result, or each of a panel job's tasks' results (what executors run)."""
    return run_job(item) if isinstance(item, CollectionJob) else run_task(item)


def panel_model(task: Task) -> CollectionForecaster:
    """A job's task's model: work_units puts only CollectionForecaster tasks in jobs."""
    if not isinstance(task.model, CollectionForecaster):
        raise TypeError(f"{type(task.model).__name__} is not a CollectionForecaster")
    return task.model


def run_job(job: CollectionJob) -> list[TaskResult]:
    """fit_collection on every task's training part, forecast_collection from every task's
    origins (one member's, for a member job); never raises: a failing job fails each of its
    tasks with the one-line reason."""
    load_plugins()  # in a worker process, plugin classes get their registered names here
    tasks = job.tasks
    prototype = panel_model(tasks[0])
    model = prototype.clone() if job.member is None else prototype.member(job.member)
    levels = tasks[0].levels if job.member is None else ()  # members: bounds when combined
    info: dict[str, object] = {"leaky": model.leaky, "fitted": "", **UNTIMED, "intervals": ""}
    outcomes: Sequence[Forecast | Exception]
    one_steps: list[np.ndarray] = []
    calibrations: list[np.ndarray] = []
    # Each task is charged an equal share of the job's seconds (wall-clock and CPU), so that
    # the cost per series compares with a per-series model's.
    share = len(tasks)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            clock = Clock()
            # each task's rows (sliced to its training part at fit; a model that takes no
            # covariates ignores them)
            covariates = [task.covariates for task in tasks]
            model.fit_collection([task.values[: task.fold.train_end - task.fold.train_start]
                                  for task in tasks],
                                 [panel_model(task).period_of() for task in tasks], covariates)
            info.update(clock.lap("fit", share))
            info["fitted"] = model.describe_fit()
            clock = Clock()  # describing the fit is neither fit nor predict
            values = [task.values for task in tasks]
            origins = [np.asarray(task.fold.origins) - task.fold.train_start for task in tasks]
            outcomes = model.forecast_collection(values, origins, tasks[0].horizon, levels,
                                                 covariates)
            if job.member is not None and tasks[0].levels:
                calibrations = _calibration_forecasts(model, prototype, values, origins,
                                                      tasks[0].horizon, covariates)
            if tasks[0].one_step:
                one_steps = [f.point[:, 0] for f in model.forecast_collection(
                    values, [task.test_origins for task in tasks], 1, (), covariates)]
            info.update(clock.lap("predict", share))
        except Exception as exc:  # one model failing must not end the run
            outcomes = [exc] * len(tasks)
    histories = getattr(model, "histories_", [])  # one training curve per job: its first task's
    results = [task_result(outcome, info, caught,
                           histories[0] if histories and i == 0 else None,
                           one_steps[i] if one_steps else None)
               for i, outcome in enumerate(outcomes)]
    return [dataclasses.replace(result, calibration=calibrations[i])
            if calibrations and result.forecast is not None else result
            for i, result in enumerate(results)]


def _calibration_forecasts(model: CollectionForecaster, prototype: CollectionForecaster,
                           values: list[np.ndarray], origins: list[np.ndarray],
                           horizon: int, covariates: list[Covariates | None] | None,
                           ) -> list[np.ndarray]:
    """A member's point forecasts from each series' calibration origins (the whole ensemble's:
    `prototype` sets them), empty (0 x horizon) for a series with none."""
    calibration = [calibration_origins(o, horizon, prototype.min_train_size) for o in origins]
    past = model.forecast_collection(
        values, [c if len(c) else o for c, o in zip(calibration, origins, strict=True)], horizon,
        (), covariates)
    return [f.point if len(c) else np.empty((0, horizon))
            for f, c in zip(past, calibration, strict=True)]


def combine_members(job: CollectionJob, members: Sequence[list[TaskResult]]) -> list[TaskResult]:
    """The ensemble's result for each of the job's tasks from its members' results (members
    first, tasks second): the model's `combine` of their forecasts, conformal bounds from the
    combined calibration forecasts, seconds summed. A failed member fails the task."""
    prototype = panel_model(job.tasks[0])
    out = []
    for position, task in enumerate(job.tasks):
        results = [member[position] for member in members]
        failed = next((m for m, r in enumerate(results) if r.forecast is None), None)
        if failed is not None:
            row = results[failed].row
            out.append(TaskResult({**row, "reason": f"member {failed}: {row['reason']}"}, None,
                                  [], results[0].history))
            continue
        out.append(_combined(prototype, task, results))
    return out


def _combined(model: CollectionForecaster, task: Task, results: list[TaskResult]) -> TaskResult:
    forecasts = np.stack([np.asarray(r.forecast) for r in results])
    point = model.combine(forecasts)
    lower = upper = None
    if task.levels:
        origins = np.asarray(task.fold.origins) - task.fold.train_start
        calibration = calibration_origins(origins, task.horizon, model.min_train_size)
        past = (model.combine(np.stack([np.asarray(r.calibration) for r in results]))
                if len(calibration) else point)
        bounded = conformal_forecast(point, forecasts, task.values, origins, calibration, past,
                                     task.levels)
        lower, upper = bounded.lower, bounded.upper
    one_step = (model.combine(np.stack([np.asarray(r.one_step) for r in results]))
                if task.one_step else None)
    first = results[0].row
    notes = sorted({note for r in results for note in str(r.row["warnings"]).split(" | ")
                    if note})
    row = {**first, "fitted": f"{len(results)} members combined; member 0: {first['fitted']}",
           "warnings": " | ".join(notes), "intervals": "conformal" if task.levels else "",
           **{name: float(np.sum([float(str(r.row[name])) for r in results]))
              for name in first if name.endswith("seconds")}}
    return TaskResult(row, point, list(forecasts), results[0].history, lower, upper, one_step)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
