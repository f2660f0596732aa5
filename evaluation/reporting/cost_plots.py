"""Accuracy against cost: one point per model (seconds per series on a log scale, the run's
headline accuracy), every point labelled, the Pareto front drawn as a step line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast_bench.evaluation.reporting.plots import plt, save_figure
from forecast_bench.evaluation.scoring.cost import CostTable

SECONDS_FLOOR = 1e-6  # a log axis cannot show 0 seconds; a model this cheap sits at the floor


def plot_cost(table: CostTable, path: Path, title: str) -> Path | None:
    """The figure as PNG at `path`; None when no model has both a cost and an accuracy."""
    frame = table.frame
    cost = frame[table.cost_column].to_numpy(dtype=float)
    error = frame[table.metric].to_numpy(dtype=float)
    known = np.isfinite(cost) & np.isfinite(error)
    if not known.any():
        return None
    cost = np.clip(cost, SECONDS_FLOOR, None)
    on_front = known & (frame["pareto"] == "yes").to_numpy()
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    ax.scatter(cost[known & ~on_front], error[known & ~on_front], color="tab:gray", zorder=3,
               label="dominated")
    ax.scatter(cost[on_front], error[on_front], color="tab:red", zorder=4,
               label="on the Pareto front")
    order = np.argsort(cost[on_front], kind="stable")
    ax.step(cost[on_front][order], error[on_front][order], where="post", color="tab:red",
            alpha=0.6, zorder=2)
    for model, x, y in zip(frame["model"][known], cost[known], error[known], strict=True):
        ax.annotate(str(model), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel(f"{table.basis} seconds per series (fit + predict, all folds; log scale)")
    ax.set_ylabel(f"{table.metric_header} (lower is better)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    return save_figure(fig, path)
