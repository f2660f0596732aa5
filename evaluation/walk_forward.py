"""The walk-forward harness over (series, model, fold): every model sees the same folds of a
series, and the forecasts come back as one long table with a series column."""

from __future__ import annotations

import dataclasses
import functools
import time
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from evaluation.cache import TaskCache, code_version, task_key
from evaluation.executors import ExecutorSpec, run_all
from evaluation.splits import Fold
from models.base import Forecast, Forecaster
from models.intervals import level_name
from models.registry import load_plugins

# y_origin: the last value the forecast saw (for directional accuracy)
FORECAST_COLUMNS = ["series", "model", "fold", "origin", "target", "step", "y_origin", "y_true",
                    "y_pred"]
STATUS_COLUMNS = ["series", "model", "fold", "status", "reason", "leaky", "fitted",
                  "intervals", "fit_seconds", "predict_seconds", "warnings", "cached"]


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


@dataclasses.dataclass(frozen=True)
class Task:
    """One model on one fold of one series: what a worker process needs, and nothing more."""

    series: str
    label: str
    model: Forecaster  # unfitted
    fold: Fold
    values: np.ndarray  # the series from the fold's train_start to its test_end
    horizon: int
    levels: tuple[float, ...] = ()
    one_step: bool = False

    @property
    def test_origins(self) -> np.ndarray:
        """Every test position of the fold, relative to the task's slice: the one-step
        variant's origins."""
        return np.arange(self.fold.train_size, self.fold.test_end - self.fold.train_start)

    def spec(self) -> dict[str, object]:
        """The fold as the task sees it (positions relative to its slice), for the cache key."""
        start = self.fold.train_start
        spec: dict[str, object] = {
            "train": self.fold.train_end - start, "end": self.fold.test_end - start,
            "origins": [int(o) - start for o in self.fold.origins]}
        if self.levels:  # runs without intervals keep their earlier cache keys
            spec["levels"] = list(self.levels)
        if self.one_step:
            spec["one_step"] = True
        return spec


@dataclasses.dataclass(frozen=True)
class TaskResult:
    row: dict[str, object]  # status, reason, leaky, fitted, timings, warnings
    forecast: np.ndarray | None  # origins x horizon; None when the task failed
    members: list[np.ndarray]  # each seed's forecast when the model averages several
    history: dict[str, list[float]] | None  # the first seed's training curve, if any
    lower: np.ndarray | None = None  # levels x origins x horizon, when levels were asked for
    upper: np.ndarray | None = None
    one_step: np.ndarray | None = None  # each test value's one-step forecast (task.one_step)

    def to_entry(self) -> tuple[dict[str, object], dict[str, np.ndarray]]:
        """As plain data for the cache: a JSON document and named arrays."""
        arrays = {} if self.forecast is None else {"forecast": self.forecast}
        if self.members:
            arrays["members"] = np.stack(self.members)
        if self.lower is not None and self.upper is not None:
            arrays["lower"], arrays["upper"] = self.lower, self.upper
        if self.one_step is not None:
            arrays["one_step"] = self.one_step
        return {"row": self.row, "history": self.history}, arrays

    @classmethod
    def from_entry(cls, meta: dict, arrays: dict[str, np.ndarray], task: Task) -> TaskResult:
        """The cached result of `task`; KeyError or ValueError when the entry does not fit it
        (no row or status, an array of another shape)."""
        row = meta["row"]
        if not isinstance(row, dict) or row.get("status") not in ("ok", "failed"):
            raise ValueError("its row has no status")
        grid = (len(task.fold.origins), task.horizon)
        expected = {"forecast": grid, "lower": (len(task.levels), *grid),
                    "upper": (len(task.levels), *grid), "one_step": (len(task.test_origins),)}
        for name, array in arrays.items():
            shape = array.shape[1:] if name == "members" else array.shape  # members x grid
            if shape != expected.get(name, grid):
                raise ValueError(f"{name} has shape {array.shape}, not {expected.get(name)}")
        if (row["status"] == "ok") != ("forecast" in arrays):
            raise ValueError(f"status {row['status']!r} does not match its arrays")
        members = list(arrays["members"]) if "members" in arrays else []
        return cls(row, arrays.get("forecast"), members, meta.get("history"),
                   arrays.get("lower"), arrays.get("upper"), arrays.get("one_step"))


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
    """One series: `run_panel` on a collection of one (its id is the series' name)."""
    plan = SeriesPlan(str(y.name) if y.name is not None else "series", y, folds, horizon, models,
                      levels, one_step)
    return run_panel([plan], progress, executor, cache)


def run_panel(
    plans: Sequence[SeriesPlan],
    progress: Progress | None = None,
    executor: ExecutorSpec | None = None,
    cache: TaskCache | None = None,
) -> WalkForwardResult:
    """Fit a fresh clone of each model at every fold start of every series and forecast from
    the fold's origins; a PanelForecaster is fitted once per fold index on all the series that
    use it (evaluation.panel_tasks).

    Tasks found in `cache` are not recomputed; the others run on `executor` (default: this
    process, one after another) and are cached as each one finishes. The result does not depend
    on the executor: tasks are assembled in (series, model, fold) order.
    """
    from evaluation import panel_tasks  # imported here: it builds on this module's Task

    values = {plan.id: plan.series.to_numpy(dtype=float) for plan in plans}
    tasks = [Task(plan.id, label, prototype, fold,
                  values[plan.id][fold.train_start:fold.test_end], plan.horizon, plan.levels,
                  plan.one_step)
             for plan in plans for label, prototype in plan.models.items() for fold in plan.folds]
    left = {plan.id: 0 for plan in plans}
    for task in tasks:
        left[task.series] += 1
    series_done = sum(count == 0 for count in left.values())
    results: dict[int, TaskResult] = {}
    units = panel_tasks.work_units(tasks)
    keys = ([] if cache is None
            else panel_tasks.unit_keys([_key(task) for task in tasks], units))
    pending: list[panel_tasks.Unit] = []

    def finished(index: int, result: TaskResult, cached: bool = False) -> None:
        nonlocal series_done
        if cache is not None and not cached:
            cache.put(keys[index], *result.to_entry())
        results[index] = dataclasses.replace(result, row={**result.row, "cached": cached})
        task = tasks[index]
        left[task.series] -= 1
        series_done += left[task.series] == 0
        if progress is not None:
            status = str(result.row["status"]) + (" (cached)" if cached else "")
            progress(Tick(task.series, task.label, task.fold.index, status, len(results),
                          len(tasks), series_done, len(plans)))

    def ran(unit: int, result: TaskResult | list[TaskResult]) -> None:
        indices = pending[unit][0]
        for index, one in zip(indices, result if isinstance(result, list) else [result],
                              strict=True):
            finished(index, one)

    for indices, item in units:  # a panel job reruns unless every one of its tasks is cached
        hits = ([cache.get(keys[i], functools.partial(TaskResult.from_entry, task=tasks[i]))
                 for i in indices] if cache is not None else [None])
        if any(hit is None for hit in hits):
            pending.append((indices, item))
        else:
            for index, hit in zip(indices, hits, strict=True):
                finished(index, hit, cached=True)
    if cache is not None:
        cache.warn_invalid()  # one line for every entry that failed its checksum or its task
    run_all(panel_tasks.run_item, [item for _, item in pending], ran, executor)
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
            forecast_parts.append(_observed({**_long_columns(task, result.forecast,
                                                             dates[task.series]),
                                             **_bound_columns(task, result, levels)}, mask))
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


def run_task(task: Task) -> TaskResult:
    """Fit on the fold's training part, forecast from its origins; never raises (a failure is
    a result with a one-line reason)."""
    load_plugins()  # in a worker process, plugin classes get their registered names here
    fold = task.fold
    origins = np.asarray(fold.origins) - fold.train_start
    model = task.model.clone()
    info = {"leaky": model.leaky, "fitted": "", "fit_seconds": np.nan, "predict_seconds": np.nan,
            "intervals": ""}
    outcome: Forecast | Exception
    one_step = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            model.fit(task.values[: fold.train_end - fold.train_start],
                      leak=task.values if model.leaky else None)
            info["fit_seconds"] = time.perf_counter() - start
            info["fitted"] = model.describe_fit()
            start = time.perf_counter()
            outcome = model.forecast(task.values, origins, task.horizon, task.levels)
            if task.one_step:
                one_step = model.forecast(task.values, task.test_origins, 1).point[:, 0]
            info["predict_seconds"] = time.perf_counter() - start
        except Exception as exc:  # one model failing must not end the run
            outcome = exc
    histories = getattr(model, "histories_", [])
    return task_result(outcome, info, caught, histories[0] if histories else None, one_step)


def task_result(outcome: Forecast | Exception, info: Mapping[str, object],
                caught: Sequence[warnings.WarningMessage],
                history: dict[str, list[float]] | None,
                one_step: np.ndarray | None = None) -> TaskResult:
    """A task's result from its model's forecast or the exception that ended it (failed, with
    a one-line reason, as is a forecast with NaN or inf); info: leaky, fitted, timings;
    one_step: the one-step variant's forecasts, if asked for (NaN or inf fails the task too)."""
    notes = sorted({f"{w.category.__name__}: {_one_line(w.message)}" for w in caught})
    row = {"status": "ok", "reason": "", **info, "warnings": " | ".join(notes)}
    if isinstance(outcome, Forecast):
        row["intervals"] = outcome.interval_method  # may depend on the fit (ETS)
        if not np.isfinite(outcome.point).all() or (
                one_step is not None and not np.isfinite(one_step).all()):
            outcome = FloatingPointError("forecast contains NaN or inf")
    if not isinstance(outcome, Forecast):
        return TaskResult({**row, "status": "failed", "reason": _one_line(outcome)}, None, [],
                          history)
    members = list(outcome.members) if len(outcome.members) > 1 else []
    return TaskResult(row, outcome.point, members, history, outcome.lower, outcome.upper,
                      one_step)


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


def _bound_columns(task: Task, result: TaskResult,
                   levels: Sequence[float]) -> dict[str, np.ndarray]:
    """lower_<level>/upper_<level> for every level of the run; NaN where this task has none
    (called for tasks with a forecast)."""
    size = result.forecast.size
    out = {}
    for level in levels:
        for side, bounds in (("lower", result.lower), ("upper", result.upper)):
            column = np.full(size, np.nan)
            if bounds is not None and level in task.levels:
                column = bounds[task.levels.index(level)].reshape(-1)
            out[f"{side}_{level_name(level)}"] = column
    return out


def _one_line(message: object, limit: int = 300) -> str:
    text = " ".join(str(message).split())
    if isinstance(message, BaseException):
        text = f"{type(message).__name__}: {text}"
    return text[:limit]
