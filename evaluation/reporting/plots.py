"""PNG figures: the tutorial's EDA, actual vs predicted per model, LSTM training curves.

Each public function writes its files atomically (temporary name, then rename) and returns the
paths. The `_*_figure` builders return the Figure so tests can inspect what is drawn.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display; must precede the pyplot import

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from forecast_bench.evaluation.harness.walk_forward import FORECAST_COLUMNS
from forecast_bench.evaluation.reporting.windows import window_note
from forecast_bench.evaluation.run_folder.atomic import write_atomic
from forecast_bench.evaluation.scoring.metrics import rmse
from forecast_bench.evaluation.scoring.stationarity import changes
from forecast_bench.models.errors import DataError

DPI = 110
MA_WINDOWS = (7, 50)  # the tutorial's, for daily prices
# per frequency: the unit of one step, and the moving-average windows in steps
EDA_STEPS = {"business daily": ("day", MA_WINDOWS), "daily": ("day", MA_WINDOWS),
             "weekly": ("week", (4, 13)), "monthly": ("month", (3, 12)),
             "quarterly": ("quarter", (4, 8)), "yearly": ("year", (5, 10))}
OTHER_STEPS = ("step", (3, 10))


def save_figure(fig: Figure, path: Path) -> Path:
    """Write `fig` as PNG to a temporary file next to `path`, rename it over `path`, close fig."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_atomic(path, lambda handle: fig.savefig(handle, format="png", dpi=DPI))
    finally:
        plt.close(fig)


def _format_dates(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _check_series(series: pd.Series) -> pd.Series:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise DataError("plot_eda needs a series indexed by date (a DatetimeIndex)")
    if series.dropna().size < 2:
        raise DataError("plot_eda needs at least 2 values")
    return series.astype(float)


def moving_averages(series: pd.Series, windows: tuple[int, ...] = MA_WINDOWS) -> pd.DataFrame:
    """Trailing means over `windows` observations, columns MA<w>; the first w-1 values are NaN."""
    return pd.DataFrame({f"MA{w}": series.rolling(w, min_periods=w).mean() for w in windows})


def daily_changes(series: pd.Series, unit: str = "day") -> tuple[pd.Series, str, str]:
    """Returns in % if every value is positive, else differences (stationarity.changes), with
    what to call them in titles and on an axis; unit: one step's ("day", "month", ...)."""
    values, kind = changes(series)
    every = "Daily" if unit == "day" else f"{unit.capitalize()}-on-{unit}"
    if kind == "returns":
        return values * 100, f"{every} returns", "return (%)"
    return values, f"{every} changes", "change"


def _price_figure(series: pd.Series, name: str, frequency: str) -> Figure:
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(series.index, series.to_numpy(), color="tab:blue", linewidth=1)
    ax.set(title=f"{name} over time ({frequency})", xlabel="date", ylabel=name)
    _format_dates(ax)
    fig.tight_layout()
    return fig


def _moving_averages_figure(series: pd.Series, name: str, frequency: str) -> Figure:
    unit, windows = EDA_STEPS.get(frequency, OTHER_STEPS)
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(series.index, series.to_numpy(), color="0.6", linewidth=1, label=name)
    for (column, values), color in zip(moving_averages(series, windows).items(),
                                       ("tab:orange", "tab:red"), strict=True):
        ax.plot(series.index, values.to_numpy(), color=color, linewidth=1.4,
                label=f"{column} (trailing {column[2:]}-{unit} mean)")
    spans = "- and ".join(str(w) for w in windows)  # "7- and 50-day"
    ax.set(title=f"{name} with {spans}-{unit} moving averages", xlabel="date", ylabel=name)
    ax.legend(loc="best")
    _format_dates(ax)
    fig.tight_layout()
    return fig


def _returns_figure(series: pd.Series, name: str, frequency: str) -> Figure:
    step = EDA_STEPS.get(frequency, OTHER_STEPS)[0]
    returns, title, unit = daily_changes(series, step)
    returns = returns.dropna()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7))
    top.plot(returns.index, returns.to_numpy(), color="tab:blue", linewidth=0.7)
    top.axhline(0, color="black", linewidth=0.6)
    top.set(title=f"{title} of {name}", xlabel="date", ylabel=unit)
    _format_dates(top)
    bottom.hist(returns.to_numpy(), bins=min(60, max(10, returns.size // 10)), color="tab:blue",
                edgecolor="white")
    bottom.set(title=f"Distribution of {title.lower()} of {name}", xlabel=unit,
               ylabel=f"{step}s")
    fig.tight_layout()
    return fig


def _by_year(values: pd.Series) -> tuple[list[np.ndarray], list[str]]:
    groups = [(str(year), part.dropna().to_numpy()) for year, part in
              values.groupby(values.index.year)]
    groups = [(year, data) for year, data in groups if data.size]
    return [data for _, data in groups], [year for year, _ in groups]


def _boxplots_figure(series: pd.Series, name: str, frequency: str) -> Figure:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8))
    returns, title, unit = daily_changes(series, EDA_STEPS.get(frequency, OTHER_STEPS)[0])
    panels = ((top, series, name, f"{name} by year"),
              (bottom, returns, unit, f"{title} of {name} by year"))
    for ax, values, ylabel, title in panels:
        data, years = _by_year(values)
        ax.boxplot(data, tick_labels=years)
        ax.set(title=title, xlabel="year", ylabel=ylabel)
        if len(years) > 12:
            ax.tick_params(axis="x", labelrotation=90)
    fig.tight_layout()
    return fig


def plot_eda(series: pd.Series, out_dir: Path, name: str = "Close",
             frequency: str = "business daily") -> list[Path]:
    """Write eda_price, eda_moving_averages, eda_returns and eda_boxplots PNGs into out_dir;
    the frequency names the steps and sets the moving-average windows (EDA_STEPS)."""
    series = _check_series(series)
    out_dir = Path(out_dir)
    builders = {"eda_price.png": _price_figure, "eda_moving_averages.png": _moving_averages_figure,
                "eda_returns.png": _returns_figure, "eda_boxplots.png": _boxplots_figure}
    return [save_figure(build(series, name, frequency), out_dir / file)
            for file, build in builders.items()]


def _forecast_rows(forecasts: pd.DataFrame, step: int) -> pd.DataFrame:
    needed = [c for c in FORECAST_COLUMNS if c != "series"]  # one series: its id is not needed
    missing = [c for c in needed if c not in forecasts.columns]
    if missing:
        raise DataError(f"forecasts table lacks columns {missing}; expected {needed}")
    rows = forecasts[forecasts["step"] == step].copy()  # models keep their order in the table
    if rows.empty:
        steps = sorted(forecasts["step"].unique().tolist())
        raise DataError(f"no forecasts with step == {step}; steps present: {steps}")
    rows["target"] = pd.to_datetime(rows["target"])
    return rows.sort_values("target", kind="stable")


def model_colors(models: list[str]) -> dict[str, str]:
    """One colour per model: matplotlib's 10-colour cycle, tab20 when there are more models
    (so no two models share a colour up to 20)."""
    if len(models) <= 10:
        return {model: f"C{i}" for i, model in enumerate(models)}
    tab20 = plt.get_cmap("tab20")  # a listed colormap: tab20(i) is its i-th colour
    return {model: mcolors.to_hex(tab20(i % 20)) for i, model in enumerate(models)}


# thin, dark, beneath the models
ACTUAL: dict[str, Any] = {"color": "0.15", "linewidth": 0.9, "zorder": 1}
MODEL_WIDTH = 1.4


def model_grid(n_models: int) -> tuple[Figure, Axes, list[Axes]]:
    """A figure with one wide panel on top and one panel per model beneath it, two a row, all
    sharing the top panel's x axis."""
    ncols = 1 if n_models == 1 else 2
    nrows = math.ceil(n_models / ncols)
    fig = plt.figure(figsize=(12, 4.5 + 2.6 * nrows))
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.8] + [1] * nrows)
    top = fig.add_subplot(grid[0, :])
    panels = [fig.add_subplot(grid[1 + i // ncols, i % ncols], sharex=top)
              for i in range(n_models)]
    return fig, top, panels


def draw_panel(ax: Axes, actual: pd.Series, boundaries: list[pd.Timestamp]) -> None:
    """Actual as a thin dark line beneath the models, dotted fold starts, date axis (model
    lines are added by the caller)."""
    ax.plot(actual.index, actual.to_numpy(), label="actual", **ACTUAL)
    for when in boundaries:
        ax.axvline(when, color="0.4", linestyle=":", linewidth=1)
    _format_dates(ax)


def _actual_vs_predicted_figure(forecasts: pd.DataFrame, title: str, step: int = 1,
                                shown_from: pd.Timestamp | None = None) -> Figure:
    """Top: every model and the actual; then one panel per model titled with its RMSE (over
    every forecast of the step). shown_from: draw only the targets from that date on."""
    every = _forecast_rows(forecasts, step)
    rows = every if shown_from is None else every[every["target"] >= shown_from]
    models = list(dict.fromkeys(rows["model"]))
    actual = rows.drop_duplicates("target").set_index("target")["y_true"]
    boundaries = [b for b in sorted(every.groupby("fold")["target"].min())
                  if shown_from is None or b >= shown_from]
    colors = model_colors(models)  # dark grey: the actual
    fig, top, panels = model_grid(len(models))
    draw_panel(top, actual, boundaries)
    for model in models:
        mine = rows[rows["model"] == model]
        top.plot(mine["target"], mine["y_pred"], color=colors[model], linewidth=MODEL_WIDTH,
                 label=model, zorder=2, alpha=0.85)
    shown = window_note(shown_from, every)
    top.set(title=f"{title} ({step}-step-ahead forecasts; dotted lines: fold starts){shown}",
            xlabel="target date", ylabel="value")
    top.legend(loc="best", ncols=min(4, len(models) + 1), fontsize="small")
    for ax, model in zip(panels, models, strict=True):
        mine, scored = rows[rows["model"] == model], every[every["model"] == model]
        draw_panel(ax, actual, boundaries)
        ax.plot(mine["target"], mine["y_pred"], color=colors[model], linewidth=MODEL_WIDTH,
                label=model, zorder=2)
        ax.set(title=f"{model}: RMSE {rmse(scored['y_true'], scored['y_pred']):.4f}",
               xlabel="target date", ylabel="value")
        ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def plot_actual_vs_predicted(
    forecasts: pd.DataFrame, out_path: Path, title: str, step: int = 1,
    shown_from: pd.Timestamp | None = None,
) -> Path:
    """Write the actual-vs-predicted figure for the rows with `step == step` (shown_from: only
    the targets from that date on are drawn)."""
    return save_figure(_actual_vs_predicted_figure(forecasts, title, step, shown_from),
                       Path(out_path))


History = dict[str, list[float]]


def _has_curve(history: History) -> bool:
    return any(len(history.get(key) or []) for key in ("loss", "val_loss"))


def _training_curves_figure(histories: dict[str, list[History]]) -> Figure | None:
    """One panel per label with any curve; one colour per fold, loss solid, val_loss dashed."""
    panels = {label: runs for label, runs in histories.items() if any(map(_has_curve, runs))}
    if not panels:
        return None
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.8 * nrows), squeeze=False)
    for ax, (label, runs) in zip(axes.flat, panels.items(), strict=False):
        has_val = False
        for fold, history in enumerate(runs):
            for key, style in (("loss", "-"), ("val_loss", "--")):
                values = list(history.get(key) or [])
                if values:
                    has_val |= key == "val_loss"
                    ax.plot(np.arange(1, len(values) + 1), values, color=f"C{fold % 10}",
                            linestyle=style, label=f"fold {fold}" if style == "-" else None)
        handles, _ = ax.get_legend_handles_labels()
        if has_val:
            handles += [Line2D([], [], color="0.3", linestyle="-", label="loss"),
                        Line2D([], [], color="0.3", linestyle="--", label="val_loss")]
        ax.legend(handles=handles, fontsize="small", loc="best")
        ax.set(title=f"{label}: training curves", xlabel="epoch", ylabel="loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in list(axes.flat)[len(panels):]:
        ax.remove()
    fig.tight_layout()
    return fig


def plot_training_curves(
    histories: dict[str, list[dict[str, list[float]]]], out_path: Path
) -> Path | None:
    """Write the training-curve figure; None (and no file) when there is nothing to plot."""
    fig = _training_curves_figure(histories)
    return None if fig is None else save_figure(fig, Path(out_path))
