"""The walk-forward harness: every model, the same folds, forecasts in one long table."""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from evaluation.splits import Fold
from models.base import Forecaster

# y_origin: the last value the forecast saw (for directional accuracy)
FORECAST_COLUMNS = ["model", "fold", "origin", "target", "step", "y_origin", "y_true", "y_pred"]
STATUS_COLUMNS = ["model", "fold", "status", "reason", "leaky", "fitted", "fit_seconds",
                  "predict_seconds", "warnings"]


@dataclasses.dataclass(frozen=True)
class WalkForwardResult:
    """forecasts: one row per (model, fold, origin, step); status: one row per (model, fold).

    members: forecasts of each ensemble member (a model trained with several seeds), with a
    `member` column; histories: per model, one training history (loss per epoch) per fold.
    """

    forecasts: pd.DataFrame
    status: pd.DataFrame
    members: pd.DataFrame
    histories: dict[str, list[dict[str, list[float]]]]


Progress = Callable[[str, Fold, str, int, int], None]  # label, fold, status, done, total


def run_walk_forward(
    y: pd.Series,
    folds: list[Fold],
    models: Mapping[str, Forecaster],
    horizon: int,
    progress: Progress | None = None,
) -> WalkForwardResult:
    """Fit a fresh clone of each model at every fold start and forecast from its origins.

    A model that raises, or returns a non-finite forecast, is recorded as failed for that fold
    with a one-line reason; the other models and folds go on.
    """
    values = y.to_numpy(dtype=float)
    dates = y.index
    forecast_parts, member_parts, status_rows = [], [], []
    histories: dict[str, list[dict[str, list[float]]]] = {}
    total, done = len(models) * len(folds), 0
    for label, prototype in models.items():
        for fold in folds:
            done += 1
            row, model, forecast = _run_task(prototype, values, fold, horizon)
            status_rows.append({"model": label, "fold": fold.index, **row})
            if forecast is not None:
                forecast_parts.append(_long_rows(label, fold, forecast, values, dates))
                members = getattr(model, "member_forecasts_", [])
                for member, member_forecast in enumerate(members if len(members) > 1 else []):
                    part = _long_rows(label, fold, member_forecast, values, dates)
                    member_parts.append(part.assign(member=member))
            for history in getattr(model, "histories_", [])[:1]:  # the first seed's curve
                histories.setdefault(label, []).append(history)
            if progress is not None:
                progress(label, fold, row["status"], done, total)
    return WalkForwardResult(
        _concat(forecast_parts, FORECAST_COLUMNS),
        pd.DataFrame(status_rows, columns=STATUS_COLUMNS),
        _concat(member_parts, [*FORECAST_COLUMNS, "member"]),
        histories,
    )


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _run_task(
    prototype: Forecaster, values: np.ndarray, fold: Fold, horizon: int
) -> tuple[dict, Forecaster, np.ndarray | None]:
    """Fit on the fold's training part, forecast from its origins; never raises."""
    fold_values = values[fold.train_start:fold.test_end]
    origins = np.asarray(fold.origins) - fold.train_start
    model = prototype.clone()
    info = {"leaky": model.leaky, "fitted": "", "fit_seconds": np.nan, "predict_seconds": np.nan}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = time.perf_counter()
            model.fit(fold_values[: fold.train_end - fold.train_start],
                      leak=fold_values if model.leaky else None)
            info["fit_seconds"] = time.perf_counter() - start
            info["fitted"] = model.describe_fit()
            start = time.perf_counter()
            forecast = model.predict_origins(fold_values, origins, horizon)
            info["predict_seconds"] = time.perf_counter() - start
            if not np.isfinite(forecast).all():
                raise FloatingPointError("forecast contains NaN or inf")
            status, reason = "ok", ""
        except Exception as exc:  # one model failing must not end the run
            forecast, status, reason = None, "failed", _one_line(exc)
    notes = sorted({f"{w.category.__name__}: {_one_line(w.message)}" for w in caught})
    row = {"status": status, "reason": reason, **info, "warnings": " | ".join(notes)}
    return row, model, forecast


def _long_rows(
    label: str, fold: Fold, forecast: np.ndarray, values: np.ndarray, dates: pd.Index
) -> pd.DataFrame:
    n_origins, horizon = forecast.shape
    origins = np.repeat(np.asarray(fold.origins), horizon)
    steps = np.tile(np.arange(1, horizon + 1), n_origins)
    targets = origins + steps - 1
    return pd.DataFrame({
        "model": label,
        "fold": fold.index,
        "origin": dates[origins - 1],  # date of the last observation the forecast saw
        "target": dates[targets],
        "step": steps,
        "y_origin": values[origins - 1],
        "y_true": values[targets],
        "y_pred": forecast.reshape(-1),
    })


def _one_line(message: object, limit: int = 300) -> str:
    text = " ".join(str(message).split())
    if isinstance(message, BaseException):
        text = f"{type(message).__name__}: {text}"
    return text[:limit]
