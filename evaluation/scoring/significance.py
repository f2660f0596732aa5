"""Diebold-Mariano tests of equal forecast accuracy, with the Harvey-Leybourne-Newbold correction.

DM (Diebold and Mariano, 1995): d_t = L(e1_t) - L(e2_t), DM = mean(d) / sqrt(V / n), where V is
the variance of d with h - 1 autocovariances (divisor n, rectangular kernel). HLN (Harvey,
Leybourne and Newbold, 1997): DM* = DM * sqrt((n + 1 - 2h + h(h - 1) / n) / n), two-sided p-value
from Student's t with n - 1 degrees of freedom. A negative statistic means model 1 has lower loss.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

from forecast_bench.evaluation.scoring.pairwise import holm

KEYS = ["fold", "origin", "step"]  # identify one forecast; shared by all models of a run
LOSSES = ("squared", "absolute")
MIN_PAIRS = 3


@dataclasses.dataclass(frozen=True)
class DmResult:
    """HLN-corrected DM statistic and p-value; variance_fallback: V <= 0, gamma_0 used alone."""

    statistic: float
    pvalue: float
    n: int
    horizon: int
    loss: str
    mean_loss_diff: float
    variance_fallback: bool = False


def loss_differential(e1: np.ndarray, e2: np.ndarray, loss: str = "squared") -> np.ndarray:
    """d_t = L(e1_t) - L(e2_t) with L(e) = e^2 ("squared") or |e| ("absolute")."""
    if loss == "squared":
        return e1**2 - e2**2
    if loss == "absolute":
        return np.abs(e1) - np.abs(e2)
    raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(LOSSES)}")


def autocovariance(d: np.ndarray, lag: int) -> float:
    """gamma_lag of d around its mean, with divisor n (not n - lag)."""
    dev = d - d.mean()
    return float(np.dot(dev[lag:], dev[: len(d) - lag]) / len(d))


def long_run_variance(d: np.ndarray, horizon: int) -> float:
    """V = gamma_0 + 2 * sum_{k=1}^{h-1} gamma_k (truncated kernel; may be <= 0 for h > 1)."""
    return autocovariance(d, 0) + 2.0 * sum(autocovariance(d, k) for k in range(1, horizon))


def hln_factor(n: int, horizon: int) -> float:
    """sqrt((n + 1 - 2h + h(h - 1) / n) / n), i.e. sqrt((n - h)(n - h + 1)) / n."""
    return float(np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n))


def dm_test(
    e1: np.ndarray, e2: np.ndarray, horizon: int = 1, loss: str = "squared"
) -> DmResult:
    """Test equal expected loss of two forecasts of the same targets made `horizon` steps ahead.

    e1, e2: errors (y_true - y_pred) in time order. Identical losses give statistic 0 and
    p-value 1; a constant non-zero differential gives +-inf and p-value 0.
    """
    _check_options(horizon, loss)
    a, b = _checked_errors(e1, e2, horizon)
    d = loss_differential(a, b, loss)
    n, mean = len(d), float(d.mean())
    if np.ptp(d) == 0 or autocovariance(d, 0) <= 0:  # no variation: 0 (equal) or certain
        statistic = 0.0 if mean == 0 else float(np.copysign(np.inf, mean))
        return DmResult(statistic, 1.0 if mean == 0 else 0.0, n, horizon, loss, mean)
    variance = long_run_variance(d, horizon)
    fallback = variance <= 0
    if fallback:
        variance = autocovariance(d, 0)
    statistic = mean / np.sqrt(variance / n) * hln_factor(n, horizon)
    pvalue = min(1.0, 2.0 * float(stats.t.sf(abs(statistic), df=n - 1)))
    return DmResult(float(statistic), pvalue, n, horizon, loss, mean, fallback)


def _check_options(horizon: int, loss: str) -> None:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(LOSSES)}")


def _checked_errors(e1: np.ndarray, e2: np.ndarray, horizon: int) -> tuple[np.ndarray, ...]:
    arrays = tuple(np.asarray(e, dtype=float) for e in (e1, e2))
    for name, arr in zip(("e1", "e2"), arrays, strict=True):
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains {(~np.isfinite(arr)).sum()} NaN or inf value(s)")
    if len(arrays[0]) != len(arrays[1]):
        raise ValueError(f"e1 and e2 differ in length ({len(arrays[0])} vs {len(arrays[1])})")
    n = len(arrays[0])
    if n < max(MIN_PAIRS, horizon + 1):
        raise ValueError(f"too few pairs: {n}; need at least {max(MIN_PAIRS, horizon + 1)} "
                         f"(at least {MIN_PAIRS} and more than the horizon {horizon})")
    return arrays


def paired_errors(
    forecasts: pd.DataFrame, model1: str, model2: str, horizon: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Errors of two models on the (fold, origin) rows both have at step == horizon, in order."""
    missing = {"model", *KEYS, "y_true", "y_pred"} - set(forecasts.columns)
    if missing:
        raise ValueError(f"forecasts lack column(s): {', '.join(sorted(missing))}")
    at_step = forecasts[forecasts.step == horizon]
    parts = []
    for model in (model1, model2):
        mine = at_step[at_step.model == model]
        if mine.duplicated(KEYS).any():
            raise ValueError(f"model {model!r} has several forecasts for one (fold, origin, step)")
        parts.append(mine[KEYS].assign(err=mine.y_true - mine.y_pred))
    both = parts[0].merge(parts[1], on=KEYS, suffixes=("_1", "_2")).sort_values(KEYS[:2])
    return both.err_1.to_numpy(dtype=float), both.err_2.to_numpy(dtype=float)


def _pair_test(
    forecasts: pd.DataFrame, model1: str, model2: str, horizon: int, loss: str
) -> tuple[DmResult | None, int]:
    """dm_test on the shared rows (None when they are too few to test) and their number."""
    e1, e2 = paired_errors(forecasts, model1, model2, horizon)
    if len(e1) < max(MIN_PAIRS, horizon + 1):
        return None, len(e1)
    return dm_test(e1, e2, horizon, loss), len(e1)


def dm_matrix(
    forecasts: pd.DataFrame, horizon: int = 1, loss: str = "squared"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(statistics, p-values) for every ordered pair: cell [row, col] tests row vs col.

    Models in first-appearance order; NaN on the diagonal and for pairs with too few shared rows.
    """
    _check_options(horizon, loss)
    models = list(pd.unique(forecasts.model))
    statistic = pd.DataFrame(np.nan, index=models, columns=models)
    pvalue = statistic.copy()
    for row in models:
        for col in models:
            result = None if row == col else _pair_test(forecasts, row, col, horizon, loss)[0]
            if result is not None:
                statistic.loc[row, col], pvalue.loc[row, col] = result.statistic, result.pvalue
    return statistic, pvalue


def holm_matrix(pvalues: pd.DataFrame) -> pd.DataFrame:
    """dm_matrix's p-values with Holm's correction over the unordered pairs (the two cells of
    a pair hold the same two-sided p): symmetric, NaN where untested."""
    models = list(pvalues.index)
    pairs = [(i, j) for i in range(len(models)) for j in range(i + 1, len(models))]
    raw = [float(pvalues.iat[i, j]) for i, j in pairs]
    adjusted = pvalues.copy() * np.nan
    for (i, j), p in zip(pairs, holm(raw), strict=True):
        adjusted.iat[i, j] = adjusted.iat[j, i] = p
    return adjusted


def dm_vs_reference(
    forecasts: pd.DataFrame, reference: str = "naive", horizon: int = 1, loss: str = "squared"
) -> pd.DataFrame:
    """One row per model other than `reference`: model, statistic, pvalue, n (shared rows).

    Negative statistic: the model beats the reference. NaN when too few shared rows.
    """
    _check_options(horizon, loss)
    rows = []
    for model in pd.unique(forecasts.model):
        if model == reference:
            continue
        result, n = _pair_test(forecasts, model, reference, horizon, loss)
        rows.append({"model": model, "n": n,
                     "statistic": result.statistic if result else np.nan,
                     "pvalue": result.pvalue if result else np.nan})
    return pd.DataFrame(rows, columns=["model", "statistic", "pvalue", "n"])


def dm_shortfall(forecasts: pd.DataFrame, horizon: int = 1) -> str:
    """Why DM cells are empty: the test uses the step-`horizon` forecasts only and needs at least
    max(MIN_PAIRS, horizon + 1) of them from both models; "" when every model has enough."""
    need = max(MIN_PAIRS, horizon + 1)
    at_step = forecasts[forecasts.step == horizon].drop_duplicates(["model", *KEYS])
    counts = at_step.groupby("model", sort=False).size().reindex(pd.unique(forecasts.model),
                                                                 fill_value=0)
    if len(counts) < 2 or counts.min() >= need:
        return ""
    return (f"The Diebold-Mariano test compares the {horizon}-step-ahead forecasts only (the"
            f" run's horizon, one per origin) and needs at least {need} of them made by both"
            f" models (at least {MIN_PAIRS}, and more than the horizon, for the variance of"
            f" overlapping errors); the models here have {_counts_text(counts)}. More test"
            " values, more folds or origins closer together (split.step) give more.")


def _counts_text(counts: pd.Series) -> str:
    values = sorted(set(counts.tolist()))
    if len(values) == 1:
        return f"{values[0]} each"
    return ", ".join(f"{model}: {n}" for model, n in counts.items())
