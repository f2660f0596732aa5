"""Prediction-interval accuracy: coverage, width, Winkler's interval score, M4's MSIS and the
pinball (quantile) loss of the bounds, for one level on arrays or per group of a forecast table.

An interval at level L (percent) has alpha = 1 - L/100. A point whose lower or upper bound is NaN
(e.g. a conformal interval with too few calibration errors) is left out of that level's scores
and counted as missing; a NaN actual among the scored points makes the scores NaN (as in
`evaluation.scoring.metrics`). Groups follow `evaluation.scoring.reductions.groups`' order (key
by key, first-seen, step ascending); levels ascend within a group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from forecast_bench.evaluation.scoring import reductions
from forecast_bench.models.intervals import level_name

METRICS = ["coverage", "width", "msis", "winkler", "pinball"]
AGGREGATE_METRICS = ["series", "n", "missing", *METRICS]

INTERVAL_NOTES: dict[str, str] = {
    "level": "Level: the interval's nominal coverage in percent (alpha = 1 - level/100).",
    "n": "n: how many forecasts the scores use (those with both bounds; summed over series in "
         "the aggregate table).",
    "missing": "Missing: forecasts left out because a bound is NaN (e.g. a conformal interval "
               "with too few earlier errors to calibrate on).",
    "series": "Series: how many series the model has scored forecasts on at this level; the "
              "means are over these, equal weight per series.",
    "coverage": "Coverage: the share of forecasts with lower <= actual <= upper (averaged over "
                "series in the aggregate table); close to the level is well calibrated.",
    "width": "Width: the mean of upper - lower (averaged over series in the aggregate table).",
    "msis": "MSIS: M4's mean scaled interval score, the mean of the Winkler score divided by "
            "the in-sample seasonal-naive MAE of the forecast's training part; NaN where a "
            "scale is missing, not finite or <= 0, and such series left out of the mean.",
    "winkler": "Winkler: the mean of width + (2/alpha)(lower - actual) if the actual is below "
               "the interval, + (2/alpha)(actual - upper) if above (Winkler 1972); lower is "
               "better.",
    "pinball": "Pinball: the quantile loss of the lower bound at alpha/2 and of the upper "
               "bound at 1 - alpha/2, averaged over both bounds and the forecasts (equals "
               "alpha/4 x Winkler).",
}


def _alpha(level: float) -> float:
    level = float(level)
    if not 0 < level < 100:
        raise ValueError(f"an interval level is a percentage strictly between 0 and 100, "
                         f"got {level!r}")
    return 1 - level / 100


def _points(y: object, lower: object, upper: object,
            *others: object) -> tuple[np.ndarray, ...]:
    """(y, lower, upper, *others) as float arrays, without the points with a NaN bound."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float)
                                   for a in (y, lower, upper, *others)))
    kept = ~np.isnan(arrays[1]) & ~np.isnan(arrays[2])
    return tuple(a[kept] for a in arrays)


def _covered(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """1.0 where lower <= y <= upper, else 0.0; NaN where y is NaN."""
    inside = ((lower <= y) & (y <= upper)).astype(float)
    return np.where(np.isnan(y), np.nan, inside)


def _winkler_terms(y: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                   alpha: float) -> np.ndarray:
    below = np.maximum(lower - y, 0.0)
    above = np.maximum(y - upper, 0.0)
    return (upper - lower) + (2 / alpha) * (below + above)


def _pinball_terms(y: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                   alpha: float) -> np.ndarray:
    """Per point: the mean of the two bounds' quantile losses."""
    def loss(q: np.ndarray, tau: float) -> np.ndarray:
        diff = y - q
        return np.maximum(tau * diff, (tau - 1) * diff)

    return (loss(lower, alpha / 2) + loss(upper, 1 - alpha / 2)) / 2


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else float("nan")


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Fraction of points with lower <= y <= upper (NaN-bound points left out; NaN if none)."""
    y, lower, upper = _points(y, lower, upper)
    return _mean(_covered(y, lower, upper))


def mean_width(lower: np.ndarray, upper: np.ndarray) -> float:
    """Mean of upper - lower over the points with both bounds (NaN if none)."""
    _, lower, upper = _points(0.0, lower, upper)
    return _mean(upper - lower)


def winkler(y: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> float:
    """Winkler (1972)'s interval score, averaged over the points with both bounds."""
    alpha = _alpha(level)
    y, lower, upper = _points(y, lower, upper)
    return _mean(_winkler_terms(y, lower, upper, alpha))


def msis(y: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float,
         scale: float | np.ndarray) -> float:
    """M4's mean scaled interval score: mean(Winkler term / scale); scale is a scalar or one
    per point. NaN if any scale of a scored point is not finite or <= 0."""
    alpha = _alpha(level)
    y, lower, upper, scale = _points(y, lower, upper, scale)
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        return float("nan")
    return _mean(_winkler_terms(y, lower, upper, alpha) / scale)


def pinball(y: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> float:
    """Quantile loss of lower at tau = alpha/2 and of upper at 1 - alpha/2, averaged over both
    bounds and the points with both bounds."""
    alpha = _alpha(level)
    y, lower, upper = _points(y, lower, upper)
    return _mean(_pinball_terms(y, lower, upper, alpha))


def levels_in(forecasts: pd.DataFrame) -> list[float]:
    """The levels (percent) of the table's lower_<level> columns, ascending."""
    levels = set()
    for column in forecasts.columns:
        name = str(column)
        if name.startswith("lower_"):
            try:
                levels.add(float(name.removeprefix("lower_")))
            except ValueError:
                continue
    return sorted(levels)


def interval_scores(forecasts: pd.DataFrame,
                    scales: pd.DataFrame | Mapping[int, float] | None,
                    keys: Sequence[str], levels: Sequence[float] | None = None) -> pd.DataFrame:
    """One row per group of `keys` and level: n (scored rows), missing (rows with a NaN
    bound, left out), coverage, width, msis, winkler, pinball over the group's scored rows.

    `levels` defaults to `levels_in(forecasts)`. msis divides each row's Winkler term by its
    (series, fold)'s scale (`scales`, as for MASE) and is NaN for a group where a scored row's
    scale is missing, not finite or <= 0.
    """
    keys = list(keys)
    levels = levels_in(forecasts) if levels is None else sorted(float(v) for v in levels)
    columns = [*keys, "level", "n", "missing", *METRICS]
    for level in levels:
        for side in ("lower", "upper"):
            if f"{side}_{level_name(level)}" not in forecasts.columns:
                raise ValueError(f"no {side}_{level_name(level)} column for the {level:g}% "
                                 f"interval in the forecasts")
    if not len(forecasts) or not levels:
        return pd.DataFrame(columns=columns)
    frame = forecasts.reset_index(drop=True)
    group, first = reductions.groups(frame, keys)
    n_groups = len(first)
    y = frame["y_true"].to_numpy(dtype=float)
    scale = reductions.row_scales(frame, scales)
    good_scale = np.isfinite(scale) & (scale > 0)
    safe_scale = np.where(good_scale, scale, 1.0)
    shape = (n_groups, len(levels))
    n, missing = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    out = {name: np.full(shape, np.nan) for name in METRICS}

    def total(values: np.ndarray, kept: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=np.where(kept, values, 0.0), minlength=n_groups)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j, level in enumerate(levels):
            alpha = _alpha(level)
            lower = frame[f"lower_{level_name(level)}"].to_numpy(dtype=float)
            upper = frame[f"upper_{level_name(level)}"].to_numpy(dtype=float)
            kept = ~np.isnan(lower) & ~np.isnan(upper)
            count = np.bincount(group, weights=kept.astype(float), minlength=n_groups)
            n[:, j] = count.astype(np.int64)
            missing[:, j] = np.bincount(group, minlength=n_groups) - n[:, j]
            terms = _winkler_terms(y, lower, upper, alpha)
            out["coverage"][:, j] = total(_covered(y, lower, upper), kept) / count
            out["width"][:, j] = total(upper - lower, kept) / count
            out["winkler"][:, j] = total(terms, kept) / count
            out["pinball"][:, j] = total(_pinball_terms(y, lower, upper, alpha), kept) / count
            bad = total((~good_scale).astype(float), kept) > 0
            value = total(terms / safe_scale, kept) / count
            out["msis"][:, j] = np.where(bad, np.nan, value)
    table = frame.loc[np.repeat(first, len(levels)), keys].reset_index(drop=True)
    table["level"] = np.tile(np.asarray(levels, dtype=float), n_groups)
    table["n"] = n.ravel()
    table["missing"] = missing.ravel()
    for name in METRICS:
        table[name] = out[name].ravel()
    return table[columns]


def aggregate_intervals(series_scores: pd.DataFrame) -> pd.DataFrame:
    """Per model (and any other key of `series_scores` but series) and level: the mean of each
    metric over the series with scored rows (n > 0; a series' NaN, e.g. msis without a scale,
    is left out of that mean), their count `series`, and n and missing summed over all series.

    `series_scores` is `interval_scores` with "series" among the keys; with one series the
    means are that series' values.
    """
    if "series" not in series_scores.columns or "level" not in series_scores.columns:
        raise ValueError("aggregate_intervals needs interval_scores grouped by series "
                         "(keys including 'series')")
    keys = [c for c in series_scores.columns
            if c not in ("series", "level", "n", "missing", *METRICS)]
    by = [*keys, "level"]
    columns = [*by, *AGGREGATE_METRICS]
    if not len(series_scores):
        return pd.DataFrame(columns=columns)
    counts = series_scores.groupby(by, sort=False, dropna=False)[["n", "missing"]].sum()
    scored = series_scores[series_scores["n"] > 0]
    grouped = scored.groupby(by, sort=False, dropna=False)
    means = grouped[METRICS].mean()
    means.insert(0, "series", grouped["series"].nunique())
    table = counts.join(means, how="left")
    table["series"] = table["series"].fillna(0).astype(int)
    return table.reset_index()[columns]


def table_note() -> str:
    """How an interval table is computed, for the note under its title."""
    return ("Coverage: the share of actual values inside the interval (close to the level: "
            "well calibrated). Method: analytic (the model's own Gaussian forecast variance) or "
            "conformal (the model's absolute errors on earlier origins, rolling). "
            + " ".join(INTERVAL_NOTES[c] for c in ("width", "msis", "winkler", "missing")))
