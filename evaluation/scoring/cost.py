"""Accuracy against cost: per model, the run's headline accuracy beside the wall-clock and CPU
seconds its fit and predict took per series (summed over folds), each as a ratio to the
reference model's, and whether the model is on the Pareto front of accuracy and cost.

CPU seconds are time.process_time() deltas around fit and predict (harness/task.py): the
CPU time of the whole process that ran the task (its TensorFlow and BLAS threads included).
GPU seconds are not measured: on tensorflow-cpu every model runs on the CPU; with a GPU the wall
seconds include its work and the CPU seconds do not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecast_bench.evaluation.reporting import formats

COST_HEADERS = {
    "model": "model", "n_series": "series", "wall_per_series": "wall s / series",
    "cpu_per_series": "CPU s / series", "wall_vs_ref": "wall vs ref.",
    "cpu_vs_ref": "CPU vs ref.", "pareto": "Pareto front",
}
SECONDS = ("wall_per_series", "cpu_per_series", "wall_vs_ref", "cpu_vs_ref")
NOT_MEASURED = "n/a"  # CPU seconds of a run made before they were recorded


@dataclasses.dataclass(frozen=True)
class CostTable:
    """One row per model, most accurate first: model, the accuracy metric, n_series, the
    seconds per series and their ratios to the reference's, and pareto ("yes", "no", or "n/a"
    where the model's accuracy or cost is unknown)."""

    frame: pd.DataFrame
    metric: str  # the accuracy column (lower is better)
    metric_header: str
    reference: str  # whose seconds the ratios divide by
    basis: str  # "CPU" or "wall": the seconds the Pareto front is drawn on

    @property
    def cost_column(self) -> str:
        return "cpu_per_series" if self.basis == "CPU" else "wall_per_series"

    def headers(self) -> dict[str, str]:
        reference = self.reference
        return {**COST_HEADERS, self.metric: self.metric_header,
                "wall_vs_ref": f"wall vs {reference}", "cpu_vs_ref": f"CPU vs {reference}",
                "pareto": f"Pareto front ({self.basis})"}

    def render(self, fmt: str) -> str:
        """As md|csv|latex|html: CPU seconds a run did not record show as n/a (empty in CSV)."""
        shown = self.frame
        if fmt != "csv":
            shown = shown.astype({c: object for c in ("cpu_per_series", "cpu_vs_ref")})
            for column in ("cpu_per_series", "cpu_vs_ref"):
                shown.loc[shown[column].isna(), column] = NOT_MEASURED
        return formats.render_frame(shown, fmt, headers=self.headers(), best="column",
                                    lower_is_better=(self.metric, *SECONDS), floatfmt=".4g")

    def notes(self) -> list[str]:
        """How each figure was taken, in plain words."""
        notes = [
            f"{self.metric_header}: the run's headline accuracy, as in its main table (lower is"
            " better). Seconds per series: fit and predict, summed over every fold and divided"
            " by the series the model has a score on; a panel model's job is shared equally"
            " among its series. Wall: perf_counter; CPU: process_time, the CPU time of the"
            " whole process that ran the task, its TensorFlow and BLAS threads included.",
            f"Ratios: the model's seconds over the reference {self.reference}'s.",
            f"Pareto front ({self.basis} seconds): no other model is both at most as costly and"
            " at most as inaccurate, and strictly better on one of the two; models tied on both"
            " are all on it.",
            "GPU seconds are not measured: on tensorflow-cpu (the default install) every model"
            " runs on the CPU; with a GPU, the wall seconds include its work and the CPU"
            " seconds do not.",
        ]
        if self.frame["cpu_per_series"].isna().any():
            notes.append(f"CPU seconds {NOT_MEASURED}: not recorded by the version that made"
                         " this run (status.csv lacks fit_cpu_seconds); the front is drawn on"
                         f" {self.basis.lower()} seconds.")
        return notes


def pareto_front(cost: np.ndarray, error: np.ndarray) -> np.ndarray:
    """Whether each point is on the Pareto front (both lower is better): no other point has
    cost <= and error <= with one of them strictly lower. Points with a missing or infinite
    value are never on it, and never push another off it."""
    cost, error = np.asarray(cost, dtype=float), np.asarray(error, dtype=float)
    known = np.isfinite(cost) & np.isfinite(error)
    front = known.copy()
    for i in np.flatnonzero(known):
        no_worse = known & (cost <= cost[i]) & (error <= error[i])
        better = (cost < cost[i]) | (error < error[i])
        front[i] = not (no_worse & better).any()
    return front


def task_seconds(status: pd.DataFrame) -> pd.DataFrame:
    """Per model (in order of appearance): wall and cpu, fit + predict summed over its tasks
    (a failed step counts 0); cpu NaN where none of its tasks recorded CPU seconds."""
    parts = {}
    for name, columns in (("wall", ("fit_seconds", "predict_seconds")),
                          ("cpu", ("fit_cpu_seconds", "predict_cpu_seconds"))):
        present = [c for c in columns if c in status]
        values = status[present].sum(axis=1, min_count=1) if present else np.nan
        parts[name] = values
    frame = pd.DataFrame({"model": status["model"], **parts})
    return frame.groupby("model", sort=False).sum(min_count=1).reset_index()


def cost_table(status: pd.DataFrame, accuracy: pd.DataFrame, metric: str, metric_header: str,
               reference: str, n_series: Mapping[str, int] | None = None) -> CostTable:
    """The cost table of the models of `accuracy` (model, metric; in the order shown: most
    accurate first) from their tasks in `status`; n_series: series each model has a score on
    (default 1: a single-series run); `reference`: whose seconds the ratios divide by (the
    first model of `accuracy` when it has none)."""
    seconds = task_seconds(status).set_index("model")
    models = [str(m) for m in accuracy["model"]]
    counts = pd.Series([int((n_series or {}).get(m, 1)) for m in models], index=models)
    wall = seconds["wall"].reindex(models) / counts.replace(0, np.nan)
    cpu = seconds["cpu"].reindex(models) / counts.replace(0, np.nan)
    if reference not in models or pd.isna(wall.get(reference)):
        reference = models[0] if models else reference
    error = pd.to_numeric(accuracy[metric], errors="coerce").to_numpy(dtype=float)
    scored = np.isfinite(error)
    basis = "CPU" if scored.any() and np.isfinite(cpu.to_numpy()[scored]).all() else "wall"
    cost = (cpu if basis == "CPU" else wall).to_numpy(dtype=float)
    front = pareto_front(cost, error)
    known = np.isfinite(cost) & scored
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame({
            "model": models, metric: error, "n_series": counts.to_numpy(),
            "wall_per_series": wall.to_numpy(), "cpu_per_series": cpu.to_numpy(),
            "wall_vs_ref": (wall / wall.get(reference, np.nan)).to_numpy(),
            "cpu_vs_ref": (cpu / cpu.get(reference, np.nan)).to_numpy(),
            "pareto": np.where(known, np.where(front, "yes", "no"), NOT_MEASURED),
        })
    frame = frame.replace([np.inf, -np.inf], np.nan)
    return CostTable(frame, metric, metric_header, reference, basis)
