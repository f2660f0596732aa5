"""Each model's mean absolute error by hour of day (sub-daily data) and by day of week
(sub-daily and calendar daily data); windows.calendar_keys says which a series gets."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display; must precede the pyplot import

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from forecast_bench.evaluation.reporting.plots import model_colors, save_figure
from forecast_bench.models.errors import DataError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ERROR_COLUMNS = ["model", "target", "y_true", "y_pred"]


def _absolute_errors(forecasts: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ERROR_COLUMNS if c not in forecasts.columns]
    if missing:
        raise DataError(f"forecasts table lacks columns {missing}; expected {ERROR_COLUMNS}")
    target = pd.to_datetime(forecasts["target"])
    error = (forecasts["y_true"].astype(float) - forecasts["y_pred"].astype(float)).abs()
    return pd.DataFrame({"model": forecasts["model"], "target": target, "abs_error": error})


def errors_by(forecasts: pd.DataFrame, key: str) -> pd.DataFrame:
    """Mean absolute error of each model per `key` of the target date, pooled over origins and
    steps: key "hour" (0..23, the hour the target falls in) or "weekday" (0 = Monday).
    Columns model, <key>, mae, n; models in first-seen order, keys ascending."""
    if key not in ("hour", "weekday"):
        raise ValueError(f"key must be 'hour' or 'weekday', got {key!r}")
    rows = _absolute_errors(forecasts)
    rows[key] = rows["target"].dt.hour if key == "hour" else rows["target"].dt.day_of_week
    table = (rows.groupby(["model", key], sort=False)["abs_error"].agg(["mean", "size"])
             .rename(columns={"mean": "mae", "size": "n"}).reset_index())
    order = {model: i for i, model in enumerate(dict.fromkeys(rows["model"]))}
    table["seen"] = table["model"].map(order)
    return table.sort_values(["seen", key]).drop(columns="seen").reset_index(drop=True)


def _errors_figure(table: pd.DataFrame, key: str, title: str) -> Figure:
    models = list(dict.fromkeys(table["model"]))
    colors = model_colors(models)
    fig, ax = plt.subplots(figsize=(10, 4.8))
    for model in models:
        mine = table[table["model"] == model]
        ax.plot(mine[key], mine["mae"], color=colors[model], marker="o", markersize=3,
                linewidth=1.4, label=model)
    if key == "hour":
        ax.set_xticks(range(0, 24, 2))
        ax.set(xlim=(-0.5, 23.5), xlabel="hour of day of the target")
    else:
        ax.set_xticks(range(7), DAYS)
        ax.set(xlim=(-0.3, 6.3), xlabel="day of week of the target")
    ax.set(title=title, ylabel="mean absolute error")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", ncols=min(4, len(models)), fontsize="small")
    fig.tight_layout()
    return fig


def plot_errors_by(forecasts: pd.DataFrame, key: str, out_path: Path, title: str) -> Path:
    """Write the mean-absolute-error-by-`key` figure (errors_by) to `out_path`."""
    return save_figure(_errors_figure(errors_by(forecasts, key), key, title), Path(out_path))
