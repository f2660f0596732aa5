"""The one implementation of the point-forecast scores per group of forecasts.

`grouped_scores` computes rmse, mse, mae, mape, smape, mase and directional accuracy per group
of key columns (per model, per (model, fold), per (model, step), per (series, model), ...),
each exactly as the scalar definitions in `evaluation.scoring.metrics` give it: every group
sum is numpy's own (pairwise) sum over the group's rows in row order, so a group's score is
bit for bit the scalar function's on that group. `relative_rmse_by` gives Theil's U2 against
a reference model per group the same way. Every score table of a run (one series or many) is
a reduction of these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

POINT_METRICS = ["rmse", "mse", "mae", "mape", "smape", "mase", "directional_accuracy"]
SORTED_KEYS = ("step",)  # keys whose groups ascend; other keys keep first-seen order


def row_scales(forecasts: pd.DataFrame,
               scales: pd.DataFrame | Mapping[int, float] | None) -> np.ndarray:
    """Each row's MASE scale: from a (series, fold, scale) frame (a collection) or a fold ->
    scale mapping (one series); NaN where unknown. ValueError on a repeated (series, fold)."""
    if isinstance(scales, pd.DataFrame):
        known = scales[["series", "fold", "scale"]]
        if known.duplicated(["series", "fold"]).any():
            raise ValueError("scales has several rows for one (series, fold)")
        rows = forecasts[["series", "fold"]].reset_index(drop=True)
        return rows.merge(known, on=["series", "fold"], how="left",
                          sort=False)["scale"].to_numpy(dtype=float)
    if scales is None or not len(forecasts):
        return np.full(len(forecasts), np.nan)
    known_folds = {int(f): float(s) for f, s in scales.items()}
    return np.array([known_folds.get(int(f), np.nan) for f in forecasts["fold"]], dtype=float)


def groups(frame: pd.DataFrame, keys: Sequence[str], seen_order: bool = False,
           sorted_keys: Sequence[str] = SORTED_KEYS) -> tuple[np.ndarray, np.ndarray]:
    """(group of each row, first row of each group). Groups are ordered key by key, each key's
    values in first-seen order (those of `sorted_keys` ascending); with `seen_order`, by
    their first row instead (pandas' groupby(sort=False))."""
    code = np.zeros(len(frame), dtype=np.int64)
    for key in keys:
        codes, uniques = pd.factorize(frame[key], sort=key in sorted_keys,
                                      use_na_sentinel=False)
        code = code * max(len(uniques), 1) + codes
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    group = inverse.ravel()
    if seen_order:
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        group, first = rank[group], np.sort(first)
    return group, first


class _Reducer:
    """Per-group sums over rows, each numpy's own sum of the group's rows in row order."""

    def __init__(self, group: np.ndarray, n_groups: int) -> None:
        self.group = group
        self.counts = np.bincount(group, minlength=n_groups)
        self.order = np.argsort(group, kind="stable")
        # each group's rows behind one leading -0.0: reduceat then sums them as np.sum does
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]]) + np.arange(n_groups)
        self.slots = np.arange(len(group)) + group[self.order] + 1

    def sum(self, values: np.ndarray) -> np.ndarray:
        padded = np.full(len(self.slots) + len(self.counts), -0.0)
        padded[self.slots] = values[self.order]
        return np.add.reduceat(padded, self.starts)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Mean per group; a NaN anywhere in a group makes its mean NaN (as np.mean)."""
        return self.sum(values) / self.counts

    def any(self, flags: np.ndarray) -> np.ndarray:
        return np.bincount(self.group[flags], minlength=len(self.counts)) > 0


def grouped_scores(forecasts: pd.DataFrame, scale: np.ndarray | None, keys: Sequence[str],
                   metrics: Sequence[str] = POINT_METRICS, seen_order: bool = False,
                   sorted_keys: Sequence[str] = SORTED_KEYS) -> pd.DataFrame:
    """keys, n and `metrics` (of POINT_METRICS) per group of `keys` (ordered as `groups`).

    `forecasts` has y_true and y_pred (and y_origin for directional_accuracy, NaN without);
    `scale` is each row's MASE scale (`row_scales`; None: NaN). mase is NaN for a group with
    a scale missing, not finite or <= 0; mape for one with an actual of 0 or overflowing.
    """
    keys, unknown = list(keys), set(metrics) - set(POINT_METRICS)
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(sorted(unknown))}")
    frame = forecasts.reset_index(drop=True)
    if not len(frame):
        return pd.DataFrame(columns=[*keys, "n", *metrics])
    group, first = groups(frame, keys, seen_order, sorted_keys)
    by = _Reducer(group, len(first))
    scale = np.full(len(frame), np.nan) if scale is None else np.asarray(scale, dtype=float)
    out = frame.loc[first, keys].reset_index(drop=True)
    out["n"] = by.counts
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for metric in metrics:
            out[metric] = _metric(metric, by, frame, scale)
    return out[[*keys, "n", *metrics]]


def _metric(metric: str, by: _Reducer, frame: pd.DataFrame, scale: np.ndarray) -> np.ndarray:
    """One metric of POINT_METRICS per group of `by` (as its scalar function in metrics)."""
    actual = frame["y_true"].to_numpy(dtype=float)
    pred = frame["y_pred"].to_numpy(dtype=float)
    err = actual - pred
    if metric in ("rmse", "mse"):
        mse = by.mean(err**2)
        return np.sqrt(mse) if metric == "rmse" else mse
    if metric == "mae":
        return by.mean(np.abs(err))
    if metric == "mape":  # NaN if any actual is 0, or tiny actuals overflow
        value = by.mean(np.abs(err / actual)) * 100
        return np.where(by.any(actual == 0) | ~np.isfinite(value), np.nan, value)
    if metric == "smape":  # a 0-vs-0 term counts 0; NaN stays NaN
        denom = np.abs(actual) + np.abs(pred)
        return by.mean(np.where(denom != 0, 200 * np.abs(err) / np.where(denom != 0, denom, 1.0),
                                0.0))
    if metric == "mase":
        good = np.isfinite(scale) & (scale > 0)
        value = by.mean(np.abs(err) / np.where(good, scale, 1.0))
        return np.where(by.any(~good), np.nan, value)
    if "y_origin" not in frame.columns:  # directional_accuracy
        return np.full(len(by.counts), np.nan)
    origin = frame["y_origin"].to_numpy(dtype=float)
    predicted, moved = pred - origin, actual - origin
    both = np.isfinite(predicted) & np.isfinite(moved) & (predicted != 0) & (moved != 0)
    agree = both & (np.sign(predicted) == np.sign(moved))
    counted = np.bincount(by.group[both], minlength=len(by.counts))
    agreed = np.bincount(by.group[agree], minlength=len(by.counts))
    return np.where(counted > 0, agreed / np.maximum(counted, 1) * 100, np.nan)


def relative_rmse_by(forecasts: pd.DataFrame, keys: Sequence[str], reference: str,
                     match: Sequence[str]) -> pd.DataFrame:
    """keys and theil_u2 per group of `keys`: Theil's U2 (metrics.theil_u2) of each group's
    forecasts that the `reference` model also made (same `match` keys and y_true), RMSE over
    the reference's RMSE on them; NaN when it is not > 0. Groups without such forecasts are
    left out; group order as `groups`."""
    keys, on = list(keys), [*match, "y_true"]
    ref = forecasts.loc[forecasts["model"] == reference, [*on, "y_pred"]]
    mine = forecasts[list(dict.fromkeys([*keys, *on, "y_pred"]))]
    both = mine.merge(ref.rename(columns={"y_pred": "y_ref"}), on=on, how="inner", sort=False)
    if not len(both):
        return pd.DataFrame(columns=[*keys, "theil_u2"])
    group, first = groups(both, keys)
    by = _Reducer(group, len(first))
    actual = both["y_true"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        own = np.sqrt(by.mean((actual - both["y_pred"].to_numpy(dtype=float)) ** 2))
        base = np.sqrt(by.mean((actual - both["y_ref"].to_numpy(dtype=float)) ** 2))
        ratio = np.where(base > 0, own / np.where(base > 0, base, 1.0), np.nan)
    out = both.loc[first, keys].reset_index(drop=True)
    out["theil_u2"] = ratio
    return out
