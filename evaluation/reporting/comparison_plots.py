"""PNG figures comparing models: error per fold, cumulative loss vs a reference, DM p-values,
and the folds' train/test timeline.

Each public function writes one PNG atomically (via `save_figure`) and returns its path. The
`_*_figure` builders return the Figure so tests can inspect what is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display; must precede the pyplot import

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from forecast_bench.evaluation.reporting.plots import _format_dates, model_colors, save_figure
from forecast_bench.models.errors import DataError

# DM heatmap cells: blue where the row model has the lower loss, red the higher; saturated
# only when p < ALPHA (darker below 0.01), pale otherwise; grey for no test or a tie.
ALPHA = 0.05
DM_COLORS = {("better", 0.01): "#08519c", ("better", ALPHA): "#4292c6", ("better", 1.0): "#deebf7",
             ("worse", 0.01): "#a50f15", ("worse", ALPHA): "#ef3b2c", ("worse", 1.0): "#fee0d2"}
DM_NONE = "#d9d9d9"
DM_LEGEND = {"#08519c": "row better, p < 0.01", "#4292c6": "row better, p < 0.05",
             "#deebf7": "row better, not significant", "#fee0d2": "row worse, not significant",
             "#ef3b2c": "row worse, p < 0.05", "#a50f15": "row worse, p < 0.01",
             DM_NONE: "no test (or equal loss)"}
FAR = 4.0  # a model whose errors reach FAR x the others' (median) is drawn off scale
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


def off_scale(extents: dict[str, float], factor: float = FAR) -> set[str]:
    """Models whose extent (largest error, largest |cumulative difference|) exceeds `factor`
    times the median extent of the other models; the smallest is never off scale."""
    far = set()
    for model, extent in extents.items():
        others = [v for m, v in extents.items() if m != model and np.isfinite(v)]
        middle = float(np.median(others)) if others else 0.0
        if middle > 0 and np.isfinite(extent) and extent > factor * middle:
            far.add(model)
    return far


def _clip_to(ax: Axes, values: list[np.ndarray], with_zero: bool = False) -> None:
    """y-limits around `values` (the models on scale) with a margin."""
    finite = np.concatenate([v[np.isfinite(v)] for v in values] + [np.zeros(int(with_zero))])
    if finite.size:
        low, high = float(finite.min()), float(finite.max())
        pad = 0.08 * (high - low) or 0.08 * abs(high) or 1.0
        ax.set_ylim(low - pad, high + pad)


def _off_label(model: str, values: np.ndarray) -> str:
    peak = values[np.argmax(np.abs(np.nan_to_num(values)))] if values.size else np.nan
    return f"{model} (off scale, reaches {peak:.3g})"


def _error_by_fold_figure(by_fold: pd.DataFrame, metric: str = "rmse", title: str = "") -> Figure:
    """One line with markers per model (first-appearance order): x = fold, y = `metric`; the
    y-scale leaves out a model far worse than the others (see off_scale), named as such."""
    _require(by_fold, ["model", "fold", metric], "per-fold scores table")
    fig, ax = plt.subplots(figsize=(10, 4.5))
    models = list(dict.fromkeys(by_fold["model"]))
    values = {model: by_fold[by_fold["model"] == model].sort_values("fold", kind="stable")
              for model in models}
    ys = {model: mine[metric].to_numpy(dtype=float) for model, mine in values.items()}
    far = off_scale({m: float(np.nanmax(y)) if np.isfinite(y).any() else np.nan
                     for m, y in ys.items()})
    colors = model_colors(models)
    for i, model in enumerate(models):
        ax.plot(values[model]["fold"].to_numpy(dtype=int), ys[model],
                marker=MARKERS[i % len(MARKERS)], color=colors[model],
                label=_off_label(model, ys[model]) if model in far else model)
    if far:
        _clip_to(ax, [ys[m] for m in models if m not in far])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    shown = title or f"{metric.upper()} per fold"
    ax.set(title=shown + (f" (off scale: {', '.join(sorted(far))})" if far else ""),
           xlabel="fold", ylabel=f"{metric.upper()} on the fold (each fold on its own)")
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
    colors = model_colors(list(dict.fromkeys(forecasts["model"])))
    ncols = 1 if len(curves) < 2 else 2
    nrows = math.ceil(len(curves) / ncols) if len(curves) > 1 else 0
    fig = plt.figure(figsize=(11, 4.5 + 2.4 * nrows))
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.8] + [1] * nrows)
    ax = fig.add_subplot(grid[0, :])
    far = off_scale({m: float(np.abs(c.to_numpy()).max()) for m, c in curves.items()})
    _cumulative_panel(ax, curves, colors, boundaries, far)
    if far:
        _clip_to(ax, [c.to_numpy() for m, c in curves.items() if m not in far], with_zero=True)
    if not curves:
        ax.text(0.5, 0.5, f"no forecasts shared with {reference!r} at step {step}",
                transform=ax.transAxes, ha="center", va="center", color="0.4")
    heading = title or (f"Cumulative squared-error advantage over {reference} ({step}-step;"
                        f" rising = beating {reference}; dashed: fold starts)")
    ax.set(title=heading + (f"\noff scale here, on its own panel below: {', '.join(sorted(far))}"
                            if far else ""),
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
                      boundaries: list[pd.Timestamp], far: Collection[str] = ()) -> None:
    ax.axhline(0, color="black", linewidth=0.8)
    for when in boundaries:
        ax.axvline(when, color="0.5", linestyle="--", linewidth=0.9)
    for model, curve in curves.items():
        label = _off_label(model, curve.to_numpy()) if model in far else model
        ax.plot(curve.index, curve.to_numpy(), color=colors[model], linewidth=1.3, label=label)
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


def dm_cell_color(statistic: float, pvalue: float) -> str:
    """The heatmap colour of one cell: blue when the row model's loss is lower (negative DM
    statistic), red when higher; saturated only when p < ALPHA; DM_NONE without a test."""
    if pd.isna(statistic) or pd.isna(pvalue) or statistic == 0:
        return DM_NONE
    side = "better" if statistic < 0 else "worse"
    bound = next(b for b in (0.01, ALPHA, 1.0) if pvalue < b or b == 1.0)
    return DM_COLORS[(side, bound)]


def _dm_heatmap_figure(pvalues: pd.DataFrame, statistics: pd.DataFrame,
                       title: str = "") -> Figure:
    """Cell [row, col]: DM p-value of row vs col, coloured by direction and significance
    (dm_cell_color), with a legend of the colours."""
    if pvalues.shape[0] != pvalues.shape[1] or list(pvalues.index) != list(pvalues.columns):
        raise DataError(f"DM p-values must be square with the same models on rows and columns; "
                        f"got shape {pvalues.shape}")
    if statistics.shape != pvalues.shape:
        raise DataError(f"DM statistics ({statistics.shape}) and p-values ({pvalues.shape}) "
                        "differ in shape")
    values = pvalues.to_numpy(dtype=float)
    signs = statistics.loc[pvalues.index, pvalues.columns].to_numpy(dtype=float)
    colors = [[dm_cell_color(t, p) for t, p in zip(srow, prow, strict=True)]
              for srow, prow in zip(signs, values, strict=True)]
    n = len(values)
    side = max(4.0, 1.8 + 0.75 * n)
    fig, ax = plt.subplots(figsize=(side + 3.2, side), layout="constrained")  # fits the legend
    ax.imshow(np.array([[to_rgb(c) for c in row] for row in colors]).reshape(n, n, 3))
    size = "medium" if n <= 5 else "small" if n <= 8 else "x-small"
    strong = {DM_COLORS[(s, b)] for s in ("better", "worse") for b in (0.01, ALPHA)}
    for (i, j), p in np.ndenumerate(values):
        ax.text(j, i, format_pvalue(p), ha="center", va="center", fontsize=size,
                color="white" if colors[i][j] in strong else "black")
    labels = [str(m) for m in pvalues.columns]
    ax.set_xticks(range(n), labels, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), [str(m) for m in pvalues.index])
    ax.set(title=title or "Diebold-Mariano p-values (row vs column)",
           xlabel="column model", ylabel="row model")
    handles = [Patch(facecolor=c, edgecolor="0.6", label=label) for c, label in DM_LEGEND.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small",
              title="cell colour")
    return fig


def plot_dm_heatmap(pvalues: pd.DataFrame, statistics: pd.DataFrame, path: Path,
                    title: str = "") -> Path:
    """Write the heatmap of pairwise DM p-values and statistics (`dm_matrix(...)`) to `path`."""
    return save_figure(_dm_heatmap_figure(pvalues, statistics, title), Path(path))


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
