"""Forecast accuracy, pooled over all forecasts, per fold and per horizon step.

RMSE is the headline; MAE, MAPE, sMAPE, MASE, Theil's U2 and directional accuracy beside it.
A metric that is undefined on some data (a zero actual for MAPE, a flat training part for
MASE, a model that never predicts a change for direction) is NaN, never inf, and
`metric_caveats` says why in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecast_bench.evaluation.scoring import reductions
from forecast_bench.models.errors import DataError

KEYS = ["fold", "origin", "step"]  # identify one forecast; shared by all models of a run
SCORES = ["n", "rmse", "mae", "mape", "smape", "mase", "directional_accuracy"]
RANKED = {  # metric -> which way is better; `ranks` ranks the models on each one present
    "rmse": "lower",
    "mae": "lower",
    "mape": "lower",
    "smape": "lower",
    "mase": "lower",
    "directional_accuracy": "higher",
}


def _errors(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    """(actual, error) as float arrays."""
    actual = np.asarray(y_true, dtype=float)
    return actual, actual - np.asarray(y_pred, dtype=float)


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error."""
    err = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(err**2))) if err.size else float("nan")


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error."""
    err = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.mean(np.abs(err))) if err.size else float("nan")


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute percentage error, mean(|e / y|) * 100; NaN if any actual is 0 or none."""
    actual, err = _errors(y_true, y_pred)
    if not err.size or np.any(actual == 0):
        return float("nan")
    with np.errstate(over="ignore"):
        value = float(np.mean(np.abs(err / actual)) * 100)
    return value if np.isfinite(value) else float("nan")  # tiny actuals overflow: undefined


def smape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Symmetric MAPE, mean(200 |e| / (|y| + |y_hat|)) in [0, 200]; a 0-vs-0 term counts 0."""
    actual, err = _errors(y_true, y_pred)
    if not err.size:
        return float("nan")
    denom = np.abs(actual) + np.abs(np.asarray(y_pred, dtype=float))
    terms = np.divide(200 * np.abs(err), denom, out=np.zeros_like(err), where=denom != 0)
    return float(np.mean(terms))


def mase(y_true: np.ndarray, y_pred: np.ndarray, scale: float | np.ndarray) -> float:
    """Mean absolute scaled error, mean(|e| / scale); scale is a scalar or one per forecast.

    NaN if any scale is not finite or <= 0 (a flat training part has naive MAE 0).
    """
    _, err = _errors(y_true, y_pred)
    scales = np.broadcast_to(np.asarray(scale, dtype=float), err.shape)
    if not err.size or not np.all(np.isfinite(scales)) or np.any(scales <= 0):
        return float("nan")
    return float(np.mean(np.abs(err) / scales))


def theil_u2(y_true: np.ndarray, y_pred: np.ndarray, y_ref: np.ndarray) -> float:
    """Theil's U2: RMSE of the forecasts over RMSE of the reference's; NaN if the latter is 0."""
    reference = rmse(y_true, y_ref)
    if not reference > 0:  # also NaN (no forecasts)
        return float("nan")
    return rmse(y_true, y_pred) / reference


def directional_accuracy(y_origin: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Percent of forecasts whose predicted change from the origin has the actual change's sign.

    Counts only forecasts where both changes are non-zero; NaN when there are none (e.g. the
    random walk, which never predicts a change).
    """
    origin = np.asarray(y_origin, dtype=float)
    predicted = np.asarray(y_pred, dtype=float) - origin
    actual = np.asarray(y_true, dtype=float) - origin
    both = np.isfinite(predicted) & np.isfinite(actual) & (predicted != 0) & (actual != 0)
    if not both.any():
        return float("nan")
    return float(np.mean(np.sign(predicted[both]) == np.sign(actual[both])) * 100)


def scales_from_folds(folds: pd.DataFrame) -> dict[int, float]:
    """fold -> naive_mae_train (MASE's scale) from a folds.csv-like frame; DataError when the
    column is missing (a run folder written by an older version)."""
    if "naive_mae_train" not in folds.columns:
        raise DataError("folds.csv has no naive_mae_train column (MASE's scale): the run folder "
                        "was written by an older version; rerun its config to rebuild it "
                        "(forecast-bench run RUN_DIR/config.toml)")
    return {int(f): float(s) for f, s in zip(folds["fold"], folds["naive_mae_train"], strict=True)}


def scores_by_fold(
    forecasts: pd.DataFrame, scales: Mapping[int, float] | None = None
) -> pd.DataFrame:
    """Every metric of each model on each fold (one row per model and fold, first-seen order).

    mase is NaN without `scales` (fold -> training naive MAE) or for a fold it lacks.
    """
    return reductions.grouped_scores(forecasts, reductions.row_scales(forecasts, scales),
                                     ["model", "fold"], SCORES[1:], seen_order=True)


def scores_by_step(
    forecasts: pd.DataFrame, scales: Mapping[int, float] | None = None,
    reference: str = "naive",
) -> pd.DataFrame:
    """Every metric of each model at each horizon step, pooled over folds (models first-seen,
    steps ascending).

    rmse_vs_<reference>: Theil's U2 on the forecasts of that step both models made.
    """
    keys = ["model", "step"]
    table = reductions.grouped_scores(forecasts, reductions.row_scales(forecasts, scales),
                                      keys, SCORES[1:])
    return _with_relative(table, forecasts, keys, reference)


def _with_relative(table: pd.DataFrame, forecasts: pd.DataFrame, keys: list[str],
                   reference: str) -> pd.DataFrame:
    """`table` (one row per group of `keys`) with rmse_vs_<reference> (NaN where undefined)."""
    relative = reductions.relative_rmse_by(forecasts, keys, reference, KEYS)
    name = f"rmse_vs_{reference}"
    merged = table.merge(relative.rename(columns={"theil_u2": name}), on=keys, how="left",
                         sort=False)
    return merged[[*table.columns, name]]


def relative_rmse(forecasts: pd.DataFrame, model: str, reference: str) -> float:
    """Theil's U2 of `model` against `reference`, on the forecasts both of them made (one
    group of `reductions.relative_rmse_by`); NaN when they share none."""
    both = forecasts[forecasts.model.isin([model, reference])]
    table = reductions.relative_rmse_by(both, ["model"], reference, KEYS)
    mine = table.loc[table.model == model, "theil_u2"]
    return float(mine.iloc[0]) if len(mine) else float("nan")


def seed_spread(members: pd.DataFrame, model: str) -> tuple[float, float]:
    """Mean and std (ddof=1) over ensemble members of each member's pooled RMSE (NaN, NaN
    without several members)."""
    mine = members[members.model == model]
    scores = reductions.grouped_scores(mine, None, ["member"], ["rmse"],
                                       sorted_keys=["member"])["rmse"].to_numpy(dtype=float)
    if len(scores) < 2:
        return float("nan"), float("nan")
    return float(np.mean(scores)), float(np.std(scores, ddof=1))


def summarize(
    forecasts: pd.DataFrame, status: pd.DataFrame, reference: str = "naive",
    members: pd.DataFrame | None = None, scales: Mapping[int, float] | None = None,
) -> pd.DataFrame:
    """One row per model, best pooled RMSE first; failed models last with NaN scores.

    rmse/mse/mae/mape/smape/mase/directional_accuracy: pooled over every forecast the model
    made (an ensemble's mean forecast); mae is Zhang (2003)'s MAD, the mean absolute
    deviation of the errors; mase divides each forecast's |error| by its own fold's training
    naive MAE (`scales`, fold -> scale; NaN without it). *_fold_mean/_std: over folds (std with
    ddof=1; NaN for one fold; mase_fold_mean NaN if any fold's is). rmse_vs_<reference>:
    Theil's U2 on shared forecasts. rmse_seed_mean/_std: over the members' own RMSEs.
    """
    row_scales = reductions.row_scales(forecasts, scales)
    pooled = _with_relative(reductions.grouped_scores(forecasts, row_scales, ["model"]),
                            forecasts, ["model"], reference).set_index("model")
    by_fold = scores_by_fold(forecasts, scales)
    members = members if members is not None else pd.DataFrame(columns=["model", "member"])
    rows = []
    for model, runs in status.groupby("model", sort=False):
        mine = pooled.loc[model] if model in pooled.index else pd.Series(dtype=float)
        folds = by_fold[by_fold.model == model]
        seed_mean, seed_std = seed_spread(members, model)
        rows.append({
            "model": model,
            "leaky": bool(runs.get("leaky", pd.Series([False])).any()),
            **{metric: float(mine.get(metric, np.nan)) for metric in reductions.POINT_METRICS},
            "rmse_fold_mean": folds.rmse.mean(),
            "rmse_fold_std": folds.rmse.std(ddof=1),
            "mae_fold_mean": folds.mae.mean(),
            "mase_fold_mean": folds.mase.mean(skipna=False),
            f"rmse_vs_{reference}": float(mine.get(f"rmse_vs_{reference}", np.nan)),
            "rmse_seed_mean": seed_mean,
            "rmse_seed_std": seed_std,
            "n_forecasts": int(mine.get("n", 0)),
            "folds_ok": f"{(runs.status == 'ok').sum()}/{len(runs)}",
            "seconds": runs.fit_seconds.sum() + runs.predict_seconds.sum(),
        })
    table = pd.DataFrame(rows)
    return table.sort_values("rmse", na_position="last", kind="stable").reset_index(drop=True)


def ranks(summary: pd.DataFrame) -> pd.DataFrame:
    """Rank of each model on each metric of RANKED that has a value (1 = best).

    Columns: model, one per ranked metric (named as the metric; ties share the average rank,
    NaN stays NaN), mean_rank over the ranks a model has; sorted by mean_rank, NaN last.
    """
    present = [m for m in RANKED if m in summary.columns and summary[m].notna().any()]
    table = pd.DataFrame({"model": summary["model"].to_numpy()})
    for metric in present:
        values = pd.to_numeric(summary[metric], errors="coerce").to_numpy(dtype=float)
        table[metric] = pd.Series(values).rank(
            method="average", ascending=RANKED[metric] == "lower", na_option="keep")
    table["mean_rank"] = table[present].mean(axis=1) if present else np.nan
    return table.sort_values("mean_rank", na_position="last", kind="stable").reset_index(
        drop=True)


def metric_caveats(
    forecasts: pd.DataFrame, scales: Mapping[int, float] | None
) -> list[str]:
    """One plain-words line per metric that is undefined somewhere, with its reason."""
    if not len(forecasts):
        return []
    return [*_mape_caveats(forecasts), *_mase_caveats(forecasts, scales),
            *_direction_caveats(forecasts)]


def _mape_caveats(forecasts: pd.DataFrame) -> list[str]:
    zero = forecasts[forecasts["y_true"] == 0]
    if not len(zero):
        return []
    when = zero["target"] if "target" in zero.columns else zero["origin"]
    n = len(zero.drop_duplicates(KEYS))
    return [f"MAPE is undefined (shown as -) for {_models(zero['model'])}: the actual value"
            f" is 0 on {n} forecast(s), e.g. {_day(when.min())}"]


def _mase_caveats(forecasts: pd.DataFrame, scales: Mapping[int, float] | None) -> list[str]:
    if scales is None:
        return ["MASE is undefined (shown as -): no fold scales were given (each fold's"
                " training naive MAE, folds.csv naive_mae_train)"]
    known = {int(f): float(s) for f, s in scales.items()}
    folds = sorted({int(f) for f in forecasts["fold"]})
    missing = [f for f in folds if not np.isfinite(known.get(f, np.nan))]
    flat = [f for f in folds if f not in missing and known[f] <= 0]
    lines = []
    then = "; the pooled MASE of every model that forecast on {} is undefined too"
    if flat:
        lines.append(f"MASE is undefined on {_folds(flat)}: "
                     + ("its training part is flat" if len(flat) == 1
                        else "their training parts are flat")
                     + " (naive MAE 0)" + then.format("it" if len(flat) == 1 else "them"))
    if missing:
        lines.append(f"MASE is undefined on {_folds(missing)}: no training naive MAE is known"
                     " (training part too short, or not given)"
                     + then.format("it" if len(missing) == 1 else "them"))
    return lines


def _direction_caveats(forecasts: pd.DataFrame) -> list[str]:
    if "y_origin" not in forecasts.columns:
        return ["Direction % is undefined (shown as -): the forecasts have no y_origin column"
                " (the last value each forecast saw)"]
    reasons: dict[str, list[str]] = {}
    for model, part in forecasts.groupby("model", sort=False):
        if not np.isnan(directional_accuracy(part.y_origin, part.y_true, part.y_pred)):
            continue
        predicted = (part.y_pred - part.y_origin).to_numpy(dtype=float)
        actual = (part.y_true - part.y_origin).to_numpy(dtype=float)
        if np.all(predicted[np.isfinite(predicted)] == 0):
            reason = "never predicts a change"
        elif np.all(actual[np.isfinite(actual)] == 0):
            reason = "the actual value never moves from the forecast origin"
        else:
            reason = "no forecast has both a predicted and an actual change"
        reasons.setdefault(reason, []).append(str(model))
    return [f"Direction % is undefined for {', '.join(names)}: "
            + (("it " if len(names) == 1 else "each ") + reason
               if reason.startswith("never") else reason)
            for reason, names in reasons.items()]


def _models(names: pd.Series | list[str]) -> str:
    unique = [str(n) for n in dict.fromkeys(names)]
    return ("model " if len(unique) == 1 else "models ") + ", ".join(unique)


def _folds(folds: list[int]) -> str:
    return ("fold " if len(folds) == 1 else "folds ") + ", ".join(map(str, folds))


def _day(value: object) -> str:
    """A date as YYYY-MM-DD (timestamps), anything else as text."""
    return str(value.date()) if isinstance(value, pd.Timestamp) else str(value)
