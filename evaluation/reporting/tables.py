"""Comparison tables (tabulate): the summary, the per-fold scores, and the failures."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from tabulate import tabulate

SUMMARY_HEADERS = {  # column -> header, in the order of the full table
    "model": "model",
    "rmse": "RMSE (pooled)",
    "rmse_vs_naive": "U2 = RMSE / naive",
    "dm_pvalue_vs_naive": "DM p vs naive",
    "mae": "MAE (pooled)",
    "mse": "MSE (pooled)",
    "mase": "MASE (pooled)",
    "mape": "MAPE % (pooled)",
    "smape": "sMAPE % (pooled)",
    "directional_accuracy": "direction % (pooled)",
    "rmse_fold_mean": "RMSE fold mean",
    "rmse_fold_std": "RMSE fold std",
    "rmse_seed_mean": "RMSE seed mean",
    "rmse_seed_std": "RMSE seed std",
    "n_forecasts": "forecasts",
    "folds_ok": "folds ok",
    "seconds": "seconds",
}
COMPACT = (  # the columns the terminal prints
    "model", "rmse", "rmse_vs_naive", "dm_pvalue_vs_naive", "mae", "mase",
    "directional_accuracy", "rmse_fold_mean", "rmse_fold_std", "rmse_seed_mean",
    "rmse_seed_std", "folds_ok", "seconds",
)
RANK_HEADERS = {"rmse": "RMSE rank", "mae": "MAE rank", "mape": "MAPE rank",
                "smape": "sMAPE rank", "mase": "MASE rank",
                "directional_accuracy": "direction rank", "mean_rank": "mean rank"}


def summary_shown(summary: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The summary's columns as every table shows them (leaky models marked).

    columns: the subset to show, in that order (default: all of SUMMARY_HEADERS; COMPACT for
    the terminal); those the summary lacks are left out.
    """
    wanted = SUMMARY_HEADERS if columns is None else columns
    columns = [c for c in wanted if c in summary.columns]
    if "rmse_seed_std" in columns and summary.rmse_seed_std.isna().all():
        columns = [c for c in columns if not c.startswith("rmse_seed")]  # no multi-seed model
    shown = summary[columns].copy()
    if "leaky" in summary.columns and "model" in shown.columns:
        shown["model"] = marked(summary.model, set(summary.model[summary.leaky.astype(bool)]))
    return shown


def marked(labels: pd.Series | list[str], leaky: set[str]) -> list[str]:
    """Model labels with ' (leaky)' after those that saw the test period while fitting."""
    return [f"{label} (leaky)" if label in leaky else label for label in labels]


def wide_scores(scores: pd.DataFrame, key: str, metric: str = "rmse",
                leaky: frozenset[str] = frozenset()) -> pd.DataFrame:
    """One row per fold (or step), labelled "fold 0", one column per model (in order of
    appearance, leaky ones marked): the metric on that fold alone."""
    wide = scores.pivot(index=key, columns="model", values=metric)
    wide = wide[list(dict.fromkeys(scores.model))]
    wide.columns = marked(list(wide.columns), set(leaky))
    wide.index = [f"{key} {value}" for value in wide.index]
    return wide.reset_index(names=key)


def failures_table(status: pd.DataFrame, fmt: str = "github") -> str:
    """(model, fold) tasks that failed, with their reasons; empty string when none did."""
    failed = status[status.status != "ok"][["model", "fold", "reason"]]
    return tabulate(_columns(failed), headers="keys", tablefmt=fmt) if len(failed) else ""


def fitted_table(status: pd.DataFrame, fmt: str = "github") -> str:
    """What each model learned per fold (e.g. auto-ARIMA's order); '' when no model says."""
    fitted = status[status.fitted.fillna("") != ""][["model", "fold", "fitted"]]
    return tabulate(_columns(fitted), headers="keys", tablefmt=fmt) if len(fitted) else ""


def summary_notes(summary: pd.DataFrame, n_folds: int, caveats: Sequence[str] = ()) -> list[str]:
    """Plain-words notes that say how each figure was computed, then the caveats (lines from
    metrics.metric_caveats: where a metric is undefined, and why)."""
    notes = [
        "RMSE/MSE/MAE (pooled): over every forecast of the model across all folds; MAE is the"
        " MAD (mean absolute deviation of the errors) of Zhang (2003).",
        f"RMSE fold mean/std: over the {n_folds} fold(s), each fold's RMSE computed on its own"
        " (std with ddof=1).",
        "U2 = RMSE / naive: Theil's U2, the model's RMSE divided by the random walk's on the"
        " same forecasts; below 1 beats the random walk.",
        "DM p vs naive: Diebold-Mariano test of the model against the random walk (two-sided,"
        " Harvey-Leybourne-Newbold corrected, squared loss, at the run's horizon); below 0.05"
        " the difference is unlikely to be noise.",
    ]
    notes += [note for column, note in _METRIC_NOTES.items() if column in summary.columns]
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
    return notes + [f"{line}." if not line.endswith(".") else line for line in caveats]


_METRIC_NOTES = {
    "mase": "MASE (pooled): mean over all forecasts of |error| divided by the in-sample"
    " seasonal naive MAE (mean |y_t - y_t-m|, m the series' seasonal period, 1 for daily"
    " prices: the one-step random walk) of that forecast's fold's training part; below 1"
    " beats the in-sample (seasonal) random walk.",
    "mape": "MAPE % (pooled): mean over all forecasts of |error| / |actual| x 100; undefined"
    " (-) if any actual value is 0.",
    "smape": "sMAPE % (pooled): mean over all forecasts of 200 |error| / (|actual| +"
    " |forecast|), from 0 to 200; a forecast of 0 for an actual 0 counts 0.",
    "directional_accuracy": "direction % (pooled): share of forecasts whose predicted change"
    " from the last value seen has the sign of the actual change, over the forecasts where"
    " both changes are non-zero; 50 is a coin flip; undefined (-) for a model that never"
    " predicts a change, like the random walk.",
}


def _columns(frame: pd.DataFrame) -> dict[str, list]:
    """Column lists keep each column's own type (a DataFrame's .values would upcast ints)."""
    return {str(name): [None if _is_nan(v) else v for v in frame[name].tolist()]
            for name in frame.columns}


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and value != value


def covariate_notes(config: dict) -> list[str]:
    """One note naming the run's covariates (its config's data.future_covariates,
    past_covariates, calendar and country), the models that use them and those that ignore
    them."""
    from forecast_bench.models.registry import get

    data = config.get("data", {})
    calendar = [f"calendar {name}" + (f" ({data['country']})" if name == "holiday"
                                      and data.get("country") else "")
                for name in data.get("calendar") or ()]
    future = [*(data.get("future_covariates") or ()), *calendar]
    past = list(data.get("past_covariates") or ())
    if not future and not past:
        return []
    takes: list[str] = []
    ignores: list[str] = []
    for label, params in config.get("models", {}).items():
        name, kwargs = ((params.get("model", label), {k: v for k, v in params.items()
                                                      if k != "model"})
                        if isinstance(params, dict) else (label, {}))
        try:
            model = get(name, **kwargs)
        except Exception:  # a model no longer registered: say nothing about it
            continue
        if not model.takes_covariates:
            ignores.append(label)
        else:
            takes.append(f"{label} (past ones: {model.past_covariates_use()})" if past else label)
    listed = "; ".join(part for part in (
        f"known ahead: {', '.join(future)}" if future else "",
        f"past: {', '.join(past)}" if past else "") if part)
    return [f"Covariates ({listed}): used by {', '.join(takes) or 'no model'}"
            + f"; ignored by {', '.join(ignores) or 'no model'}."
            + (" A calendar dummy that never varies on a series' dates (a holiday none of them "
               "falls on) is left out of that series' covariates; the Fitted models table says "
               "what each fit used." if calendar else "")]
