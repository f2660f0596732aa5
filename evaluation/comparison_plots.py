"""PNG figures comparing models: error per fold, cumulative loss vs a reference, DM p-values,
and the folds' train/test timeline.

Each public function writes one PNG atomically (via `save_figure`) and returns its path. The
`_*_figure` builders return the Figure so tests can inspect what is drawn.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display; must precede the pyplot import

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from evaluation.plots import _format_dates, save_figure
from models.errors import DataError

# Significance classes of the heatmap: darkest red below 0.001, white above 0.10.
P_BOUNDS = (0.0, 0.001, 0.01, 0.05, 0.10, 1.0)
P_COLORS = ("#99000d", "#de2d26", "#fb6a4a", "#fcbba1", "#ffffff")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")  # ties stay visible
DIFF_COLUMNS = ["model", "fold", "origin", "target", "step", "y_true", "y_pred"]
FOLD_DATES = ["train_start", "train_end", "test_start", "test_end"]


def _require(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}; needs {columns}")


def _legend_outside(ax: Axes, n_entries: int) -> None:
    """Legend right of the axes, so it never hides data."""
    if n_entries:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")


def _error_by_fold_figure(by_fold: pd.DataFrame, metric: str = "rmse", title: str = "") -> Figure:
    """One line with markers per model (first-appearance order): x = fold, y = `metric`."""
    _require(by_fold, ["model", "fold", metric], "per-fold scores table")
    fig, ax = plt.subplots(figsize=(10, 4.5))
    models = list(dict.fromkeys(by_fold["model"]))
    for i, model in enumerate(models):
        mine = by_fold[by_fold["model"] == model].sort_values("fold", kind="stable")
        ax.plot(mine["fold"].to_numpy(dtype=int), mine[metric].to_numpy(dtype=float),
                marker=MARKERS[i % len(MARKERS)], color=f"C{i % 10}", label=model)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title=title or f"{metric.upper()} per fold", xlabel="fold",
           ylabel=f"{metric.upper()} on the fold (each fold on its own)")
    ax.grid(True, alpha=0.3)
    _legend_outside(ax, len(models))
    fig.tight_layout()
    return fig


def plot_error_by_fold(
    by_fold: pd.DataFrame, path: Path, metric: str = "rmse", title: str = ""
) -> Path:
    """Write the per-fold error lines (input: `scores_by_fold` output) to `path`."""
    return save_figure(_error_by_fold_figure(by_fold, metric, title), Path(path))


def cumulative_loss_difference(
    forecasts: pd.DataFrame, reference: str = "naive", step: int = 1
) -> dict[str, pd.Series]:
    """Per model other than `reference`: cumsum of e_ref^2 - e_model^2 indexed by target date.

    Only the step-`step` forecasts both made (same fold, origin, step), sorted by target date.
    Models sharing no rows with the reference are left out.
    """
    _require(forecasts, DIFF_COLUMNS, "forecasts table")
    if reference not in set(forecasts["model"]):
        models = list(dict.fromkeys(forecasts["model"]))
        raise DataError(f"reference model {reference!r} not in the forecasts; models: {models}")
    rows = forecasts[forecasts["step"] == step].copy()
    if rows.empty:
        steps = sorted(forecasts["step"].unique().tolist())
        raise DataError(f"no forecasts with step == {step}; steps present: {steps}")
    rows["origin"] = pd.to_datetime(rows["origin"])
    rows["target"] = pd.to_datetime(rows["target"])
    rows["sq"] = (rows["y_true"] - rows["y_pred"]).astype(float) ** 2
    keys = ["fold", "origin", "step"]
    ref = rows.loc[rows["model"] == reference, [*keys, "sq"]]
    curves = {}
    for model in dict.fromkeys(rows["model"]):
        if model == reference:
            continue
        mine = rows.loc[rows["model"] == model, [*keys, "target", "sq"]]
        both = mine.merge(ref, on=keys, suffixes=("", "_ref"))
        if both.empty:
            continue
        both = both.sort_values(["target", "fold"], kind="stable")
        diff = (both["sq_ref"] - both["sq"]).to_numpy(dtype=float)
        curves[model] = pd.Series(np.cumsum(diff), index=pd.DatetimeIndex(both["target"]),
                                  name=model)
    return curves


def _fold_boundaries(forecasts: pd.DataFrame, reference: str, step: int) -> list[pd.Timestamp]:
    """First target date of each fold after the first (the reference's step rows)."""
    ref = forecasts[(forecasts["model"] == reference) & (forecasts["step"] == step)]
    starts = pd.to_datetime(ref["target"]).groupby(ref["fold"]).min().sort_index()
    return list(starts.iloc[1:])


def _cumulative_loss_difference_figure(
    forecasts: pd.DataFrame, reference: str = "naive", step: int = 1, title: str = ""
) -> Figure:
    """Top: every model on one scale; below, one panel per model on its own scale (a model far
    worse than the reference would flatten the others). Rising = beating the reference."""
    curves = cumulative_loss_difference(forecasts, reference, step)
    boundaries = _fold_boundaries(forecasts, reference, step)
    colors = {m: f"C{i % 10}" for i, m in enumerate(dict.fromkeys(forecasts["model"]))}
    ncols = 1 if len(curves) < 2 else 2
    nrows = math.ceil(len(curves) / ncols) if len(curves) > 1 else 0
    fig = plt.figure(figsize=(11, 4.5 + 2.4 * nrows))
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.8] + [1] * nrows)
    ax = fig.add_subplot(grid[0, :])
    _cumulative_panel(ax, curves, colors, boundaries)
    if not curves:
        ax.text(0.5, 0.5, f"no forecasts shared with {reference!r} at step {step}",
                transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set(title=title or f"Cumulative squared-error advantage over {reference} "
                          f"({step}-step; rising = beating {reference}; dashed: fold starts)",
           xlabel="target date",
           ylabel=f"cumulative ({reference} error^2 - model error^2)")
    _legend_outside(ax, len(curves))
    for i, (model, curve) in enumerate(curves.items() if nrows else []):
        panel = fig.add_subplot(grid[1 + i // ncols, i % ncols], sharex=ax)
        _cumulative_panel(panel, {model: curve}, colors, boundaries)
        final = float(curve.iloc[-1])
        verdict = "below" if final > 0 else "above"
        panel.set_title(f"{model}: {final:+.4g} (squared errors {verdict} {reference}'s)",
                        fontsize="medium")
    fig.tight_layout()
    return fig


def _cumulative_panel(ax: Axes, curves: dict[str, pd.Series], colors: dict[str, str],
                      boundaries: list[pd.Timestamp]) -> None:
    ax.axhline(0, color="black", linewidth=0.8)
    for when in boundaries:
        ax.axvline(when, color="0.5", linestyle="--", linewidth=0.9)
    for model, curve in curves.items():
        ax.plot(curve.index, curve.to_numpy(), color=colors[model], linewidth=1.3, label=model)
    _format_dates(ax)


def plot_cumulative_loss_difference(
    forecasts: pd.DataFrame, path: Path, reference: str = "naive", step: int = 1, title: str = ""
) -> Path:
    """Write the cumulative loss-difference lines against `reference` to `path`."""
    fig = _cumulative_loss_difference_figure(forecasts, reference, step, title)
    return save_figure(fig, Path(path))


def format_pvalue(p: float) -> str:
    """".3f", "<0.001" below 0.001, "-" for NaN."""
    if pd.isna(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _dm_heatmap_figure(pvalues: pd.DataFrame, title: str = "") -> Figure:
    """Cell [row, col]: DM p-value of row vs col; dark red = small p (significant)."""
    if pvalues.shape[0] != pvalues.shape[1] or list(pvalues.index) != list(pvalues.columns):
        raise DataError(f"DM p-values must be square with the same models on rows and columns; "
                        f"got shape {pvalues.shape}")
    values = pvalues.to_numpy(dtype=float)
    n = len(values)
    side = max(4.0, 1.8 + 0.75 * n)
    fig, ax = plt.subplots(figsize=(side + 1.2, side), layout="constrained")  # fits long names
    cmap = ListedColormap(P_COLORS).with_extremes(bad="0.85")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap,
                      norm=BoundaryNorm(P_BOUNDS, len(P_COLORS)))
    size = "medium" if n <= 5 else "small" if n <= 8 else "x-small"
    for (i, j), p in np.ndenumerate(values):
        dark = not np.isnan(p) and p < 0.01
        ax.text(j, i, format_pvalue(p), ha="center", va="center", fontsize=size,
                color="white" if dark else "black")
    labels = [str(m) for m in pvalues.columns]
    ax.set_xticks(range(n), labels, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), [str(m) for m in pvalues.index])
    ax.set(title=title or "Diebold-Mariano p-values (row vs column)")
    bar = fig.colorbar(image, ax=ax, ticks=P_BOUNDS, shrink=0.8)
    bar.set_label("DM p-value")
    return fig


def plot_dm_heatmap(pvalues: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Write the heatmap of pairwise DM p-values (`dm_matrix(...)[1]`) to `path`."""
    return save_figure(_dm_heatmap_figure(pvalues, title), Path(path))


def _fold_dates(folds: pd.DataFrame) -> pd.DataFrame:
    """Fold number and the four date columns as Timestamps (dates, Timestamps or ISO strings)."""
    _require(folds, ["fold", *FOLD_DATES], "folds table")
    out = folds[["fold"]].astype(int)
    for column in FOLD_DATES:
        try:
            out[column] = pd.to_datetime(folds[column])
        except (ValueError, TypeError) as exc:
            raise DataError(f"folds table column {column!r} holds non-dates: {exc}") from None
    return out.sort_values("fold", kind="stable").reset_index(drop=True)


def _folds_timeline_figure(folds: pd.DataFrame, title: str = "") -> Figure:
    """One row per fold (fold 0 at top); bars cover whole days, end dates included."""
    table = _fold_dates(folds)
    day = 1.0  # matplotlib date numbers count days
    bars = {}
    for part, color in (("train", "tab:blue"), ("test", "tab:orange")):
        start = mdates.date2num(table[f"{part}_start"])
        end = mdates.date2num(table[f"{part}_end"])
        bars[part] = (start, end - start + day, color)
    fig, ax = plt.subplots(figsize=(10, 1.6 + 0.45 * max(len(table), 2)))
    for part, (start, width, color) in bars.items():
        ax.barh(table["fold"], width, left=start, height=0.6, color=color, label=part)
    ax.set_yticks(table["fold"], [f"fold {k}" for k in table["fold"]])
    ax.invert_yaxis()  # fold 0 at the top
    ax.xaxis_date()
    ax.set(title=title or "Walk-forward folds: training and test spans", xlabel="date")
    _format_dates(ax)
    _legend_outside(ax, 2)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_folds_timeline(folds: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Write the train/test timeline of the folds (`folds_frame` or folds.csv) to `path`."""
    return save_figure(_folds_timeline_figure(folds, title), Path(path))
