"""Comparison tables (tabulate): the summary, the per-fold scores, and the failures."""

from __future__ import annotations

import pandas as pd
from tabulate import tabulate

SUMMARY_HEADERS = {
    "model": "model",
    "rmse": "RMSE (pooled)",
    "mse": "MSE (pooled)",
    "mae": "MAE (pooled)",
    "rmse_fold_mean": "RMSE fold mean",
    "rmse_fold_std": "RMSE fold std",
    "rmse_vs_naive": "RMSE / naive",
    "dm_pvalue_vs_naive": "DM p vs naive",
    "rmse_seed_mean": "RMSE seed mean",
    "rmse_seed_std": "RMSE seed std",
    "n_forecasts": "forecasts",
    "folds_ok": "folds ok",
    "seconds": "seconds",
}


def summary_shown(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary's columns as every table shows them (leaky models marked)."""
    columns = [c for c in SUMMARY_HEADERS if c in summary.columns]
    if "rmse_seed_std" in columns and summary.rmse_seed_std.isna().all():
        columns = [c for c in columns if not c.startswith("rmse_seed")]  # no multi-seed model
    shown = summary[columns].copy()
    if "leaky" in summary.columns:
        shown["model"] = marked(summary.model, set(summary.model[summary.leaky.astype(bool)]))
    return shown


def summary_table(summary: pd.DataFrame, fmt: str = "github") -> str:
    """The headline comparison: one row per model, best pooled RMSE first."""
    shown = summary_shown(summary)
    return tabulate(
        _columns(shown), headers=[SUMMARY_HEADERS[c] for c in shown.columns],
        tablefmt=fmt, floatfmt=".4f", missingval="-",
    )


def dm_table(pvalues: pd.DataFrame, fmt: str = "github") -> str:
    """The pairwise Diebold-Mariano p-value matrix (rows against columns)."""
    return tabulate(_columns(pvalues.reset_index(names="model")), headers="keys", tablefmt=fmt,
                    floatfmt=".4f", missingval="-")


def marked(labels: pd.Series | list[str], leaky: set[str]) -> list[str]:
    """Model labels with ' (leaky)' after those that saw the test period while fitting."""
    return [f"{label} (leaky)" if label in leaky else label for label in labels]


def fold_table(by_fold: pd.DataFrame, metric: str = "rmse", fmt: str = "github",
               leaky: frozenset[str] = frozenset()) -> str:
    """One row per fold, one column per model: the metric on that fold alone."""
    wide = by_fold.pivot(index="fold", columns="model", values=metric)
    wide = wide[list(dict.fromkeys(by_fold.model))]
    wide.columns = marked(list(wide.columns), set(leaky))
    return tabulate(_columns(wide.reset_index()), headers="keys", tablefmt=fmt,
                    floatfmt=".4f", missingval="-")


def failures_table(status: pd.DataFrame, fmt: str = "github") -> str:
    """(model, fold) tasks that failed, with their reasons; empty string when none did."""
    failed = status[status.status != "ok"][["model", "fold", "reason"]]
    return tabulate(_columns(failed), headers="keys", tablefmt=fmt) if len(failed) else ""


def fitted_table(status: pd.DataFrame, fmt: str = "github") -> str:
    """What each model learned per fold (e.g. auto-ARIMA's order); '' when no model says."""
    fitted = status[status.fitted.fillna("") != ""][["model", "fold", "fitted"]]
    return tabulate(_columns(fitted), headers="keys", tablefmt=fmt) if len(fitted) else ""


def summary_notes(summary: pd.DataFrame, n_folds: int) -> list[str]:
    """Plain-words notes that say how each figure was computed."""
    notes = [
        "RMSE/MSE/MAE (pooled): over every forecast of the model across all folds; MAE is the"
        " MAD (mean absolute deviation of the errors) of Zhang (2003).",
        f"RMSE fold mean/std: over the {n_folds} fold(s), each fold's RMSE computed on its own"
        " (std with ddof=1).",
        "RMSE / naive: the model's RMSE divided by the random walk's on the same forecasts;"
        " below 1 beats the random walk.",
        "DM p vs naive: Diebold-Mariano test of the model against the random walk (two-sided,"
        " Harvey-Leybourne-Newbold corrected, squared loss, at the run's horizon); below 0.05"
        " the difference is unlikely to be noise.",
    ]
    if "rmse_seed_std" in summary.columns and summary.rmse_seed_std.notna().any():
        notes.append("RMSE seed mean/std: models trained with several seeds forecast their"
                     " mean (the RMSE column); these are the mean and std (ddof=1) of each"
                     " single seed's pooled RMSE.")
    if "leaky" in summary.columns and summary.leaky.any():
        notes.append("(leaky): the model saw the test period while fitting (the tutorial's"
                     " scaler fitted on all data); its score is not an honest forecast.")
    incomplete = summary[summary.folds_ok.str.split("/").map(lambda p: p[0] != p[1])]
    if len(incomplete):
        names = ", ".join(incomplete.model)
        notes.append(f"Failed on some folds (scores cover only the folds that ran): {names}.")
    return notes


def _columns(frame: pd.DataFrame) -> dict[str, list]:
    """Column lists keep each column's own type (a DataFrame's .values would upcast ints)."""
    return {str(name): [None if _is_nan(v) else v for v in frame[name].tolist()]
            for name in frame.columns}


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and value != value
