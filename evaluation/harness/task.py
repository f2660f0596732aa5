"""One task: one model on one fold of one series, all a worker process needs; running it,
and its result as the harness assembles and the cache stores it."""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from forecast_bench.evaluation.harness.splits import Fold
from forecast_bench.models.base import Forecast, Forecaster
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.registry import load_plugins


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
    covariates: Covariates | None = None  # rows beside `values`; given to models taking them

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
        if self.covariates is not None and self.model.takes_covariates:  # others ignore them
            spec["covariates"] = self.covariates.digest()
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
    # an ensemble member's forecasts from the calibration origins of conformal intervals
    # (models.collection.calibration_origins x horizon), combined with the other members'
    calibration: np.ndarray | None = None

    def to_entry(self) -> tuple[dict[str, object], dict[str, np.ndarray]]:
        """As plain data for the cache: a JSON document and named arrays."""
        arrays = {} if self.forecast is None else {"forecast": self.forecast}
        if self.members:
            arrays["members"] = np.stack(self.members)
        if self.lower is not None and self.upper is not None:
            arrays["lower"], arrays["upper"] = self.lower, self.upper
        if self.one_step is not None:
            arrays["one_step"] = self.one_step
        if self.calibration is not None:
            arrays["calibration"] = self.calibration
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
            shape = array.shape[1:] if name in ("members", "calibration") else array.shape
            if name == "calibration" and array.ndim == 2:  # calibration origins x horizon
                shape = (grid[0], *shape)
            if shape != expected.get(name, grid):
                raise ValueError(f"{name} has shape {array.shape}, not {expected.get(name)}")
        if (row["status"] == "ok") != ("forecast" in arrays):
            raise ValueError(f"status {row['status']!r} does not match its arrays")
        members = list(arrays["members"]) if "members" in arrays else []
        return cls(row, arrays.get("forecast"), members, meta.get("history"),
                   arrays.get("lower"), arrays.get("upper"), arrays.get("one_step"),
                   arrays.get("calibration"))


# A task's timings (status.csv): wall-clock (perf_counter) and CPU (process_time: the whole
# process's, every thread of TensorFlow and BLAS included) seconds of fit and of predict.
TIMINGS = ("fit_seconds", "predict_seconds", "fit_cpu_seconds", "predict_cpu_seconds")
UNTIMED: dict[str, object] = dict.fromkeys(TIMINGS, np.nan)  # a step that failed, or never ran


class Clock:
    """Wall-clock and CPU seconds since it was made, or since its last lap."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self, step: str, share: int = 1) -> dict[str, float]:
        """<step>_seconds and <step>_cpu_seconds since the last lap, each divided by `share`
        (a collection job's tasks each bear an equal share); starts the next lap."""
        wall, cpu = time.perf_counter(), time.process_time()
        seconds = {f"{step}_seconds": (wall - self.wall) / share,
                   f"{step}_cpu_seconds": (cpu - self.cpu) / share}
        self.wall, self.cpu = wall, cpu
        return seconds


def run_task(task: Task) -> TaskResult:
    """Fit on the fold's training part, forecast from its origins; never raises (a failure is
    a result with a one-line reason)."""
    load_plugins()  # in a worker process, plugin classes get their registered names here
    fold = task.fold
    origins = np.asarray(fold.origins) - fold.train_start
    model = task.model.clone()
    train = fold.train_end - fold.train_start
    covariates = task.covariates if model.takes_covariates else None
    info = {"leaky": model.leaky, "fitted": "", **UNTIMED, "intervals": ""}
    outcome: Forecast | Exception
    one_step = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            clock = Clock()
            model.fit(task.values[:train], leak=task.values if model.leaky else None,
                      covariates=covariates)
            info.update(clock.lap("fit"))
            info["fitted"] = model.describe_fit()
            clock = Clock()  # describing the fit is neither fit nor predict
            outcome = model.forecast(task.values, origins, task.horizon, task.levels,
                                     covariates=covariates)
            if task.one_step:
                one_step = model.forecast(task.values, task.test_origins, 1,
                                          covariates=covariates).point[:, 0]
            info.update(clock.lap("predict"))
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


def _one_line(message: object, limit: int = 300) -> str:
    text = " ".join(str(message).split())
    if isinstance(message, BaseException):
        text = f"{type(message).__name__}: {text}"
    return text[:limit]
