"""The forecast plot of a multi-step run: each model's whole forecast path (steps 1..h) from a
few evenly spaced origins against the actual series, one panel per model titled with its RMSE
over every forecast (all steps), the figure the summary table shows."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display; must precede the pyplot import

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecast_bench.evaluation.reporting.plots import (
    ACTUAL,
    MODEL_WIDTH,
    draw_panel,
    model_colors,
    model_grid,
    save_figure,
)
from forecast_bench.evaluation.reporting.windows import window_note
from forecast_bench.evaluation.scoring.metrics import rmse
from forecast_bench.models.errors import DataError

N_PATHS = 5
MAX_WINDOW_PATHS = 14  # a shown window draws every origin in it, up to this many
PATH_COLUMNS = ["model", "fold", "origin", "target", "step", "y_origin", "y_true", "y_pred"]


def path_origins(forecasts: pd.DataFrame, n_paths: int = N_PATHS) -> list[pd.Timestamp]:
    """Up to `n_paths` origins evenly spaced over the run's origins (first and last included)."""
    origins = sorted(pd.to_datetime(forecasts["origin"]).unique())
    if len(origins) <= n_paths:
        return [pd.Timestamp(o) for o in origins]
    picks = np.unique(np.linspace(0, len(origins) - 1, n_paths).round().astype(int))
    return [pd.Timestamp(origins[i]) for i in picks]


def _actual(rows: pd.DataFrame) -> pd.Series:
    """The actual values the forecasts saw: each target's y_true and each origin's y_origin."""
    targets = rows.drop_duplicates("target").set_index("target")["y_true"]
    origins = rows.drop_duplicates("origin").set_index("origin")["y_origin"]
    both = pd.concat([origins, targets])
    return both[~both.index.duplicated(keep="last")].sort_index().astype(float)


def _draw_paths(ax: Axes, mine: pd.DataFrame, origins: list[pd.Timestamp], color: str,
                label: str) -> None:
    """One line per origin: the value at the origin, then the forecasts of steps 1..h."""
    for k, origin in enumerate(origins):
        path = mine[mine["origin"] == origin].sort_values("step")
        if path.empty:
            continue
        x = [origin, *path["target"]]
        y = [float(path["y_origin"].iloc[0]), *path["y_pred"].astype(float)]
        ax.plot(x, y, color=color, linewidth=MODEL_WIDTH, marker=".", markersize=4, zorder=2,
                label=label if k == 0 else None)
        ax.plot([origin], [y[0]], marker="o", color=ACTUAL["color"], markersize=4, zorder=3)


def _forecast_paths_figure(forecasts: pd.DataFrame, title: str, n_paths: int = N_PATHS,
                           shown_from: pd.Timestamp | None = None) -> Figure:
    """Top: every model's paths from the same origins; then one panel per model titled with
    its RMSE over all its forecasts (every step).

    shown_from: draw only the paths whose targets all fall from that date on (the origins in
    that window, up to MAX_WINDOW_PATHS of them) and the actual values there; the RMSE in the
    titles still covers every forecast."""
    missing = [c for c in PATH_COLUMNS if c not in forecasts.columns]
    if missing:
        raise DataError(f"forecasts table lacks columns {missing}; expected {PATH_COLUMNS}")
    if forecasts.empty:
        raise DataError("no forecasts to plot")
    rows = forecasts.assign(origin=pd.to_datetime(forecasts["origin"]),
                            target=pd.to_datetime(forecasts["target"]))
    models = list(dict.fromkeys(rows["model"]))
    every = rows
    if shown_from is not None:
        rows = _in_window(rows, shown_from)
        n_paths = min(max(n_paths, rows["origin"].nunique()), MAX_WINDOW_PATHS)
    actual = _actual(rows)
    firsts = every[every["step"] == every["step"].min()].groupby("fold")["target"].min()
    boundaries = [b for b in sorted(firsts) if shown_from is None or b >= shown_from]
    origins = path_origins(rows, n_paths)
    horizon = int(rows["step"].max())
    colors = model_colors(models)
    fig, top, panels = model_grid(len(models))
    draw_panel(top, actual, boundaries)
    for model in models:
        _draw_paths(top, rows[rows["model"] == model], origins, colors[model], model)
    n_origins = every["origin"].nunique()
    shown = window_note(shown_from, every)
    top.set(title=f"{title}: {horizon}-step forecast paths from {len(origins)} of {n_origins}"
                  f" origins{shown}{chr(10) if shown else ' '}(dots: the value at each origin;"
                  " dotted lines: fold starts)", xlabel="date", ylabel="value")
    top.legend(loc="best", ncols=min(4, len(models) + 1), fontsize="small")
    for ax, model in zip(panels, models, strict=True):
        mine = every[every["model"] == model]
        draw_panel(ax, actual, boundaries)
        _draw_paths(ax, rows[rows["model"] == model], origins, colors[model], model)
        ax.set(title=f"{model}: RMSE {rmse(mine['y_true'], mine['y_pred']):.4f} (all"
                     f" {len(mine)} forecasts, steps 1-{horizon})", xlabel="date", ylabel="value")
    fig.tight_layout()
    return fig


def _in_window(rows: pd.DataFrame, shown_from: pd.Timestamp) -> pd.DataFrame:
    """The rows of the origins whose first target is on or after `shown_from`."""
    first = rows.groupby("origin")["target"].transform("min")
    return rows[first >= shown_from]


def plot_forecast_paths(forecasts: pd.DataFrame, out_path: Path, title: str,
                        n_paths: int = N_PATHS, shown_from: pd.Timestamp | None = None) -> Path:
    """Write the forecast-paths figure (multi-step runs) to `out_path`; shown_from: see
    _forecast_paths_figure."""
    return save_figure(_forecast_paths_figure(forecasts, title, n_paths, shown_from),
                       Path(out_path))
