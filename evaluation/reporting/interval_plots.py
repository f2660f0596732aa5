"""Figures of prediction intervals: fan charts and empirical coverage by horizon step."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecast_bench.evaluation.reporting.plots import (
    ACTUAL,
    MODEL_WIDTH,
    _format_dates,
    save_figure,
)
from forecast_bench.evaluation.scoring.interval_metrics import levels_in
from forecast_bench.models.intervals import level_name

MAX_PANELS = 6  # models shown in one fan chart
ORIGINS_SHOWN = 3  # forecast paths per panel when the horizon is above 1


def fan_chart_figure(series: pd.Series, forecasts: pd.DataFrame, title: str,
                     methods: dict[str, str] | None = None) -> Figure | None:
    """One panel per model (first MAX_PANELS): the actual series as a thin dark line beneath
    the model's forecasts of the last fold and their bands, the widest level lightest. Horizon
    1: the one-step bands over the whole fold; otherwise the paths from ORIGINS_SHOWN origins.
    `methods`: model -> "analytic"/"conformal", shown in the panel titles."""
    levels = levels_in(forecasts)
    if not levels or not len(forecasts):
        return None
    last = forecasts[forecasts.fold == forecasts.fold.max()]
    names = list(dict.fromkeys(last.model))[:MAX_PANELS]
    columns = min(2, len(names))
    rows = math.ceil(len(names) / columns)
    fig = Figure(figsize=(6.2 * columns, 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    first, end = pd.Timestamp(last.origin.min()), pd.Timestamp(last.target.max())
    span = end - first
    shown = series[(series.index >= first - span * 0.5) & (series.index <= end)]
    for ax, name in zip(axes, names, strict=False):
        part = last[last.model == name]
        ax.plot(shown.index, shown.to_numpy(), label="actual", **ACTUAL)
        multi_step = part.step.max() > 1
        origins: list = [None]  # horizon 1: one band over the whole fold
        if multi_step:
            every = sorted(set(part.origin))
            picks = np.linspace(0, len(every) - 1, min(ORIGINS_SHOWN, len(every)))
            origins = [every[round(i)] for i in picks]
        for origin in origins:
            path = part[part.origin == origin] if multi_step else part
            path = path.sort_values("target")
            for index, level in enumerate(reversed(levels)):
                suffix = level_name(level)
                ax.fill_between(path.target, path[f"lower_{suffix}"], path[f"upper_{suffix}"],
                                color="tab:blue", alpha=0.18 + 0.17 * index, linewidth=0,
                                label=f"{suffix}% interval" if origin == origins[0] else None)
            ax.plot(path.target, path.y_pred, color="tab:blue", linewidth=MODEL_WIDTH, zorder=2,
                    label="forecast" if origin == origins[0] else None)
        method = (methods or {}).get(name, "")
        ax.set_title(f"{name}{f' ({method})' if method else ''}", fontsize=10)
        _format_dates(ax)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(title, fontsize=11)
    return fig


def plot_fan_chart(series: pd.Series, forecasts: pd.DataFrame, path: Path, title: str,
                   methods: dict[str, str] | None = None) -> Path | None:
    """Write the fan chart (see fan_chart_figure); None when the run has no intervals."""
    fig = fan_chart_figure(series, forecasts, title, methods)
    return None if fig is None else save_figure(fig, path)


def coverage_figure(step_scores: pd.DataFrame, title: str) -> Figure | None:
    """Empirical coverage against the nominal level (dashed, in a grey band of +-2 binomial
    standard errors for the median count of forecasts), one panel per level: per horizon
    step, one line per model; with a single step, one dot per model.
    step_scores: model, step, level, coverage (a fraction), n."""
    if not len(step_scores):
        return None
    levels = sorted(set(step_scores.level))
    models = list(dict.fromkeys(step_scores.model))
    single = step_scores.step.nunique() == 1
    height = max(3.2, 0.28 * len(models) + 1.2) if single else 3.4
    fig = Figure(figsize=(4.6 * len(levels) + (0 if single else 1.6), height),
                 layout="constrained")
    axes = fig.subplots(1, len(levels), squeeze=False, sharey=single).ravel()
    for ax, level in zip(axes, levels, strict=True):
        part = step_scores[step_scores.level == level]
        if "n" in part and part.n.median() > 0:  # binomial noise of a coverage on n forecasts
            noise = 200 * np.sqrt(level / 100 * (1 - level / 100) / part.n.median())
            span = ax.axvspan if single else ax.axhspan
            span(level - noise, level + noise, color="0.9", zorder=0, label="+-2 s.e.")
        if single:
            shares = part.set_index("model").coverage.reindex(models) * 100
            ax.scatter(shares.to_numpy(), range(len(models)), color="tab:blue", zorder=3)
            ax.set_yticks(range(len(models)), models)
            ax.invert_yaxis()
            ax.axvline(level, color="black", linestyle="--", linewidth=1, label="nominal")
            ax.set_xlabel("coverage %")
        else:
            for name, rows in part.groupby("model", sort=False):
                rows = rows.sort_values("step")
                ax.plot(rows.step, 100 * rows.coverage, marker="o", markersize=3,
                        label=str(name))
            ax.axhline(level, color="black", linestyle="--", linewidth=1, label="nominal")
            ax.set_xlabel("horizon step")
            ax.set_ylabel("coverage %")
        ax.set_title(f"{level_name(level)}% intervals", fontsize=10)
    if not single:
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center",
                   fontsize=8)
    fig.suptitle(title, fontsize=11)
    return fig


def plot_coverage_by_step(step_scores: pd.DataFrame, path: Path, title: str) -> Path | None:
    """Write the coverage figure (see coverage_figure); None when there is nothing to draw."""
    fig = coverage_figure(step_scores, title)
    return None if fig is None else save_figure(fig, path)
