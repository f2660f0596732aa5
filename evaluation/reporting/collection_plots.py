"""Figures of a collection run: accuracy per horizon step and per category, the distribution of
per-series errors, and a handful of series (best, typical, worst for each model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast_bench.evaluation.reporting.plots import plt, save_figure
from forecast_bench.evaluation.run_folder.record import RunRecord

MAX_MODELS_SHOWN = 6  # rows of the example-series grid


def plot_by_step(by_step: pd.DataFrame, path: Path, title: str) -> Path:
    """Mean sMAPE and mean MASE across series at each horizon step, one line per model."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for model, part in by_step.groupby("model", sort=False):
        for ax, column in zip(axes, ("smape_mean", "mase_mean"), strict=True):
            ax.plot(part["step"], part[column], marker="o", markersize=3, label=model)
    for ax, label in zip(axes, ("mean sMAPE %", "mean MASE"), strict=True):
        ax.set_xlabel("horizon step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_by_category(by_category: pd.DataFrame, path: Path, title: str) -> Path:
    """Mean MASE per category, one bar per model."""
    wide = by_category.pivot(index="category", columns="model", values="mase_mean")
    wide = wide[list(dict.fromkeys(by_category["model"]))]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(wide)), 4), constrained_layout=True)
    width = 0.8 / max(1, wide.shape[1])
    for i, model in enumerate(wide.columns):
        ax.bar(np.arange(len(wide)) + i * width, wide[model], width, label=model)
    ax.set_xticks(np.arange(len(wide)) + 0.4 - width / 2, wide.index, rotation=20)
    ax.set_ylabel("mean MASE")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title)
    return save_figure(fig, path)


def plot_error_distribution(scores: pd.DataFrame, common: list[str], path: Path,
                            title: str) -> Path:
    """Box plots of per-series MASE (log scale) on the common series, one box per model."""
    shown = scores[scores["series"].isin(set(common))]
    models = list(dict.fromkeys(shown["model"]))
    data = [shown.loc[shown["model"] == m, "mase"].clip(lower=1e-3).to_numpy() for m in models]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(models)), 4), constrained_layout=True)
    ax.boxplot(data, showfliers=True, flierprops={"markersize": 2, "alpha": 0.4})
    ax.set_xticks(range(1, len(models) + 1), models, rotation=20)
    ax.set_yscale("log")
    ax.set_ylabel("MASE per series (log scale)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title)
    return save_figure(fig, path)


def example_series(scores: pd.DataFrame, common: list[str]) -> list[tuple[str, str, str]]:
    """(model, which, series id): each model's best, typical (median) and worst series by
    MASE among the common series, for at most MAX_MODELS_SHOWN models."""
    picks = []
    shown = scores[scores["series"].isin(set(common)) & scores["mase"].notna()]
    for model in list(dict.fromkeys(shown["model"]))[:MAX_MODELS_SHOWN]:
        mine = shown[shown["model"] == model].sort_values("mase", kind="stable")
        if mine.empty:
            continue
        ids = mine["series"].to_list()
        for which, index in (("best", 0), ("typical", len(ids) // 2), ("worst", -1)):
            picks.append((model, which, ids[index]))
    return picks


def plot_examples(record: RunRecord, scores: pd.DataFrame, common: list[str], path: Path,
                  title: str) -> Path | None:
    """A grid: one row per model, its best / typical / worst series; each panel shows the end
    of the training data, the actual test values, that model's forecasts from the last origin
    and the reference's."""
    picks = example_series(scores, common)
    if not picks:
        return None
    rows = len(picks) // 3
    fig, axes = plt.subplots(rows, 3, figsize=(12, 2.6 * rows), squeeze=False,
                             constrained_layout=True)
    for ax, (model, which, series_id) in zip(axes.ravel(), picks, strict=True):
        _example_panel(ax, record, scores, model, which, series_id)
    fig.suptitle(title)
    return save_figure(fig, path)


def _example_panel(ax: plt.Axes, record: RunRecord, scores: pd.DataFrame, model: str,
                   which: str, series_id: str) -> None:
    values = record.series(series_id)
    forecasts = record.forecasts[record.forecasts["series"] == series_id]
    last = forecasts[forecasts["origin"] == forecasts["origin"].max()]
    horizon = int(last["step"].max())
    start = max(0, values.index.get_loc(last["origin"].iloc[0]) - 3 * horizon)
    ax.plot(values.index[start:], values.to_numpy()[start:], color="black", lw=1,
            label="actual")
    colors = {record.reference: "tab:gray", model: "tab:red"}  # one line when model is the ref
    for label, color in colors.items():
        path = last[last["model"] == label]
        ax.plot(path["target"], path["y_pred"], color=color, lw=1.5,
                ls="--" if label == record.reference else "-", label=label)
    mase = scores.loc[(scores["series"] == series_id) & (scores["model"] == model), "mase"]
    ax.set_title(f"{model}, {which}: {series_id} (MASE {float(mase.iloc[0]):.2f})", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
