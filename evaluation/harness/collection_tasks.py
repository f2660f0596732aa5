"""Collection jobs: the tasks of a model fitted on many series at once (a
`CollectionForecaster`) run as one unit of work, fitted once on every series' training part
and forecast for each series.

A job holds the tasks of one model label, fold index, horizon and levels, across series; it
yields one TaskResult per task, as `run_task` does for a plain model, so the harness assembles
and caches them alike. Every other task is a unit of work alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
from collections.abc import Sequence

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
from forecast_bench.models.collection import CollectionForecaster
from forecast_bench.models.registry import load_plugins


@dataclasses.dataclass(frozen=True)
class CollectionJob:
    """The tasks, one per series, that one fitted panel model serves."""

    tasks: tuple[Task, ...]


Item = Task | CollectionJob
Unit = tuple[list[int], Item]  # the indices of its tasks in the run, and the item


def work_units(tasks: Sequence[Task]) -> list[Unit]:
    """The run's units of work, in the order of their first task: the CollectionForecaster tasks
    sharing a label, fold index, horizon and levels make one job; any other task runs alone."""
    units: list[list[int]] = []
    jobs: dict[tuple[object, ...], list[int]] = {}
    for index, task in enumerate(tasks):
        if isinstance(task.model, CollectionForecaster):
            group = (task.label, task.fold.index, task.horizon, task.levels, task.one_step)
            if group not in jobs:
                units.append(jobs.setdefault(group, []))
            jobs[group].append(index)
        else:
            units.append([index])
    return [(indices, CollectionJob(tuple(tasks[i] for i in indices))
             if isinstance(tasks[indices[0]].model, CollectionForecaster) else tasks[indices[0]])
            for indices in units]


def unit_keys(task_keys: Sequence[str], units: Sequence[Unit]) -> list[str]:
    """Cache keys: a plain task keeps its own; a job's task gets the hash of all its job's task
    keys (each covering the code, this module's included) with its position, so that a job's
    results are found only for the same series, values, parameters and code."""
    keys = list(task_keys)
    for indices, item in units:
        if isinstance(item, CollectionJob):
            job = _sha256(json.dumps([task_keys[i] for i in indices]))
            for position, index in enumerate(indices):
                keys[index] = _sha256(f"{job}:{position}")
    return keys


def run_item(item: Item) -> TaskResult | list[TaskResult]:
    """A task's result, or each of a panel job's tasks' results (what executors run)."""
    return run_job(item) if isinstance(item, CollectionJob) else run_task(item)


def _panel_model(task: Task) -> CollectionForecaster:
    """A job's task's model: work_units puts only CollectionForecaster tasks in jobs."""
    if not isinstance(task.model, CollectionForecaster):
        raise TypeError(f"{type(task.model).__name__} is not a CollectionForecaster")
    return task.model


def run_job(job: CollectionJob) -> list[TaskResult]:
    """fit_collection on every task's training part, forecast_collection from every task's origins;
    never
    raises: a failing job fails each of its tasks with the one-line reason."""
    load_plugins()  # in a worker process, plugin classes get their registered names here
    tasks = job.tasks
    model = _panel_model(tasks[0]).clone()
    info: dict[str, object] = {"leaky": model.leaky, "fitted": "", **UNTIMED, "intervals": ""}
    outcomes: Sequence[Forecast | Exception]
    one_steps: list[np.ndarray] = []
    # Each task is charged an equal share of the job's seconds (wall-clock and CPU), so that
    # the cost per series compares with a per-series model's.
    share = len(tasks)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            clock = Clock()
            model.fit_collection([task.values[: task.fold.train_end - task.fold.train_start]
                                  for task in tasks],
                                 [_panel_model(task).period_of() for task in tasks])
            info.update(clock.lap("fit", share))
            info["fitted"] = model.describe_fit()
            clock = Clock()  # describing the fit is neither fit nor predict
            values = [task.values for task in tasks]
            outcomes = model.forecast_collection(
                values, [np.asarray(task.fold.origins) - task.fold.train_start for task in tasks],
                tasks[0].horizon, tasks[0].levels)
            if tasks[0].one_step:
                one_steps = [f.point[:, 0] for f in model.forecast_collection(
                    values, [task.test_origins for task in tasks], 1)]
            info.update(clock.lap("predict", share))
        except Exception as exc:  # one model failing must not end the run
            outcomes = [exc] * len(tasks)
    histories = getattr(model, "histories_", [])  # one training curve per job: its first task's
    return [task_result(outcome, info, caught, histories[0] if histories and i == 0 else None,
                        one_steps[i] if one_steps else None)
            for i, outcome in enumerate(outcomes)]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
