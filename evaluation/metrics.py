"""Forecast accuracy: RMSE (headline) and MAE, pooled over all forecasts and per fold."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["fold", "origin", "step"]  # identify one forecast; shared by all models of a run


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error."""
    err = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(err**2))) if err.size else float("nan")


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error."""
    err = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.mean(np.abs(err))) if err.size else float("nan")


def scores_by_fold(forecasts: pd.DataFrame) -> pd.DataFrame:
    """RMSE and MAE of each model on each fold (one row per model and fold)."""
    rows = [
        {"model": model, "fold": fold, "n": len(part),
         "rmse": rmse(part.y_true, part.y_pred), "mae": mae(part.y_true, part.y_pred)}
        for (model, fold), part in forecasts.groupby(["model", "fold"], sort=False)
    ]
    return pd.DataFrame(rows, columns=["model", "fold", "n", "rmse", "mae"])


def relative_rmse(forecasts: pd.DataFrame, model: str, reference: str) -> float:
    """RMSE of `model` over RMSE of `reference`, on the forecasts both of them made."""
    mine = forecasts[forecasts.model == model]
    ref = forecasts[forecasts.model == reference]
    both = mine.merge(ref, on=[*KEYS, "y_true"], suffixes=("", "_ref"))
    if both.empty:
        return float("nan")
    return rmse(both.y_true, both.y_pred) / rmse(both.y_true, both.y_pred_ref)


def seed_spread(members: pd.DataFrame, model: str) -> tuple[float, float]:
    """Mean and std (ddof=1) over ensemble members of each member's pooled RMSE (NaN, NaN
    without several members)."""
    mine = members[members.model == model]
    scores = [rmse(part.y_true, part.y_pred) for _, part in mine.groupby("member")]
    if len(scores) < 2:
        return float("nan"), float("nan")
    return float(np.mean(scores)), float(np.std(scores, ddof=1))


def summarize(
    forecasts: pd.DataFrame, status: pd.DataFrame, reference: str = "naive",
    members: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per model, best pooled RMSE first; failed models last with NaN scores.

    rmse/mse/mae: pooled over every forecast the model made (an ensemble's mean forecast);
    mae is Zhang (2003)'s MAD, the mean absolute deviation of the errors.
    *_fold_mean/_std: over folds (std with ddof=1; NaN for one fold). rmse_vs_<reference>:
    ratio on shared forecasts. rmse_seed_mean/_std: over the members' own RMSEs.
    """
    by_fold = scores_by_fold(forecasts)
    members = members if members is not None else pd.DataFrame(columns=["model", "member"])
    rows = []
    for model, runs in status.groupby("model", sort=False):
        mine = forecasts[forecasts.model == model]
        folds = by_fold[by_fold.model == model]
        seed_mean, seed_std = seed_spread(members, model)
        rows.append({
            "model": model,
            "leaky": bool(runs.get("leaky", pd.Series([False])).any()),
            "rmse": rmse(mine.y_true, mine.y_pred),
            "mse": rmse(mine.y_true, mine.y_pred) ** 2,
            "mae": mae(mine.y_true, mine.y_pred),
            "rmse_fold_mean": folds.rmse.mean(),
            "rmse_fold_std": folds.rmse.std(ddof=1),
            "mae_fold_mean": folds.mae.mean(),
            f"rmse_vs_{reference}": relative_rmse(forecasts, model, reference),
            "rmse_seed_mean": seed_mean,
            "rmse_seed_std": seed_std,
            "n_forecasts": len(mine),
            "folds_ok": f"{(runs.status == 'ok').sum()}/{len(runs)}",
            "seconds": runs.fit_seconds.sum() + runs.predict_seconds.sum(),
        })
    table = pd.DataFrame(rows)
    return table.sort_values("rmse", na_position="last", kind="stable").reset_index(drop=True)
