"""The walk-forward harness: every model, the same folds, forecasts in one long table."""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from evaluation.cache import TaskCache, code_version, task_key
from evaluation.executors import ExecutorSpec, run_all
from evaluation.splits import Fold
from models.base import Forecaster
from models.registry import load_plugins

# y_origin: the last value the forecast saw (for directional accuracy)
FORECAST_COLUMNS = ["model", "fold", "origin", "target", "step", "y_origin", "y_true", "y_pred"]
STATUS_COLUMNS = ["model", "fold", "status", "reason", "leaky", "fitted", "fit_seconds",
                  "predict_seconds", "warnings", "cached"]


@dataclasses.dataclass(frozen=True)
class WalkForwardResult:
    """forecasts: one row per (model, fold, origin, step); status: one row per (model, fold).

    members: forecasts of each ensemble member (a model trained with several seeds), with a
    `member` column; histories: per model, one training history (loss per epoch) per fold.
    """

    forecasts: pd.DataFrame
    status: pd.DataFrame
    members: pd.DataFrame
    histories: dict[str, list[dict[str, list[float]]]]


Progress = Callable[[str, Fold, str, int, int], None]  # label, fold, status, done, total


@dataclasses.dataclass(frozen=True)
class Task:
    """One model on one fold: what a worker process needs, and nothing more."""

    label: str
    model: Forecaster  # unfitted
    fold: Fold
    values: np.ndarray  # the series from the fold's train_start to its test_end
    horizon: int

    def spec(self) -> dict[str, object]:
        """The fold as the task sees it (positions relative to its slice), for the cache key."""
        start = self.fold.train_start
        return {"train": self.fold.train_end - start, "end": self.fold.test_end - start,
                "origins": [int(o) - start for o in self.fold.origins]}


@dataclasses.dataclass(frozen=True)
class TaskResult:
    row: dict[str, object]  # status, reason, leaky, fitted, timings, warnings
    forecast: np.ndarray | None  # origins x horizon; None when the task failed
    members: list[np.ndarray]  # each seed's forecast when the model averages several
    history: dict[str, list[float]] | None  # the first seed's training curve, if any


def run_walk_forward(
    y: pd.Series,
    folds: list[Fold],
    models: Mapping[str, Forecaster],
    horizon: int,
    progress: Progress | None = None,
    executor: ExecutorSpec | None = None,
    cache: TaskCache | None = None,
) -> WalkForwardResult:
    """Fit a fresh clone of each model at every fold start and forecast from its origins.

    Tasks found in `cache` are not recomputed; the others run on `executor` (default: this
    process, one after another) and are cached as each one finishes. The result does not depend
    on the executor: tasks are assembled in (model, fold) order.
    """
    values = y.to_numpy(dtype=float)
    tasks = [Task(label, prototype, fold, values[fold.train_start:fold.test_end], horizon)
             for label, prototype in models.items() for fold in folds]
    results: dict[int, TaskResult] = {}
    keys = [_key(task) for task in tasks] if cache is not None else []
    pending = []

    def finished(index: int, result: TaskResult, cached: bool = False) -> None:
        if cache is not None and not cached:
            cache.put(keys[index], result)
        results[index] = dataclasses.replace(result, row={**result.row, "cached": cached})
        if progress is not None:
            task = tasks[index]
            status = str(result.row["status"]) + (" (cached)" if cached else "")
            progress(task.label, task.fold, status, len(results), len(tasks))

    for index in range(len(tasks)):
        hit = cache.get(keys[index]) if cache is not None else None
        if hit is None:
            pending.append(index)
        else:
            finished(index, hit, cached=True)
    run_all(run_task, [tasks[i] for i in pending],
            lambda j, result: finished(pending[j], result), executor)
    return _assemble(tasks, [results[i] for i in range(len(tasks))], y.index)


def _key(task: Task) -> str:
    return task_key(task.model.name, task.model.params(), code_version(task.model), task.values,
                     task.spec(), task.horizon)


def _assemble(tasks: list[Task], results: list[TaskResult], dates: pd.Index) -> WalkForwardResult:
    forecast_parts, member_parts, status_rows = [], [], []
    histories: dict[str, list[dict[str, list[float]]]] = {}
    for task, result in zip(tasks, results, strict=True):
        status_rows.append({"model": task.label, "fold": task.fold.index, **result.row})
        if result.forecast is not None:
            forecast_parts.append(_long_rows(task, result.forecast, dates))
            for member, forecast in enumerate(result.members):
                member_parts.append(_long_rows(task, forecast, dates).assign(member=member))
        if result.history is not None:
            histories.setdefault(task.label, []).append(result.history)
    return WalkForwardResult(
        _concat(forecast_parts, FORECAST_COLUMNS),
        pd.DataFrame(status_rows, columns=STATUS_COLUMNS),
        _concat(member_parts, [*FORECAST_COLUMNS, "member"]),
        histories,
    )


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def run_task(task: Task) -> TaskResult:
    """Fit on the fold's training part, forecast from its origins; never raises (a failure is
    a result with a one-line reason)."""
    load_plugins()  # in a worker process, plugin classes get their registered names here
    fold = task.fold
    origins = np.asarray(fold.origins) - fold.train_start
    model = task.model.clone()
    info = {"leaky": model.leaky, "fitted": "", "fit_seconds": np.nan, "predict_seconds": np.nan}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            model.fit(task.values[: fold.train_end - fold.train_start],
                      leak=task.values if model.leaky else None)
            info["fit_seconds"] = time.perf_counter() - start
            info["fitted"] = model.describe_fit()
            start = time.perf_counter()
            forecast = model.predict_origins(task.values, origins, task.horizon)
            info["predict_seconds"] = time.perf_counter() - start
            if not np.isfinite(forecast).all():
                raise FloatingPointError("forecast contains NaN or inf")
            status, reason = "ok", ""
        except Exception as exc:  # one model failing must not end the run
            forecast, status, reason = None, "failed", _one_line(exc)
    notes = sorted({f"{w.category.__name__}: {_one_line(w.message)}" for w in caught})
    row = {"status": status, "reason": reason, **info, "warnings": " | ".join(notes)}
    members = getattr(model, "member_forecasts_", [])
    histories = getattr(model, "histories_", [])
    return TaskResult(row, forecast, list(members) if forecast is not None and len(members) > 1
                      else [], histories[0] if histories else None)


def _long_rows(task: Task, forecast: np.ndarray, dates: pd.Index) -> pd.DataFrame:
    label, fold, start = task.label, task.fold, task.fold.train_start
    n_origins, horizon = forecast.shape
    origins = np.repeat(np.asarray(fold.origins), horizon)
    steps = np.tile(np.arange(1, horizon + 1), n_origins)
    targets = origins + steps - 1
    return pd.DataFrame({
        "model": label,
        "fold": fold.index,
        "origin": dates[origins - 1],  # date of the last observation the forecast saw
        "target": dates[targets],
        "step": steps,
        "y_origin": task.values[origins - 1 - start],
        "y_true": task.values[targets - start],
        "y_pred": forecast.reshape(-1),
    })


def _one_line(message: object, limit: int = 300) -> str:
    text = " ".join(str(message).split())
    if isinstance(message, BaseException):
        text = f"{type(message).__name__}: {text}"
    return text[:limit]
