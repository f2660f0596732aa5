"""Pairwise tests across series: every pair of models compared by the Wilcoxon signed-rank test
on their per-series scores, with Holm's step-down correction over all pairs.

Mean-rank post-hoc tests (Nemenyi) depend on which other models are in the set; a pairwise
test of two models' scores on the same series does not (Benavoli, Corani & Mangili 2016,
"Should we really use post-hoc tests based on mean-ranks?", JMLR 17). Holm's correction keeps
the chance of any false "differs" at alpha over all the pairs tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

MIN_SERIES = 2  # fewer paired series: no test
COLUMNS = ["model_a", "model_b", "series", "a_lower", "b_lower", "median_diff", "p",
           "p_holm", "differs"]


def wilcoxon_p(first: np.ndarray, second: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p of second - first (zero differences dropped, scipy's
    default); 1.0 when every pair is equal, NaN under MIN_SERIES pairs."""
    if len(first) < MIN_SERIES:
        return float("nan")
    if np.array_equal(first, second):
        return 1.0
    return float(stats.wilcoxon(second, first).pvalue)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count as a test): the
    k-th smallest of m p-values times (m - k + 1), made non-decreasing, at most 1."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(len(p), np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = len(order)
    running = 0.0
    for k, index in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[index]))
        adjusted[index] = running
    return adjusted


def wilcoxon_holm(scores: pd.DataFrame, series: Sequence[str], models: Sequence[str],
                  metric: str = "mase", alpha: float = 0.05) -> pd.DataFrame:
    """One row per pair of `models` (in their order): on the `series` where both have a
    finite `metric`, how many series each is lower on, the median of a - b, the Wilcoxon p,
    Holm's p over all pairs, and whether it is below `alpha` (COLUMNS)."""
    part = scores[scores["series"].isin(list(series))]
    wide = part.pivot(index="series", columns="model", values=metric).astype(float)
    rows = []
    for a, b in combinations([m for m in models if m in wide.columns], 2):
        both = wide[[a, b]].dropna()
        both = both[np.isfinite(both).all(axis=1)]
        first, second = both[a].to_numpy(), both[b].to_numpy()
        rows.append({"model_a": a, "model_b": b, "series": len(both),
                     "a_lower": int(np.sum(first < second)),
                     "b_lower": int(np.sum(second < first)),
                     "median_diff": float(np.median(first - second)) if len(both) else np.nan,
                     "p": wilcoxon_p(first, second)})
    table = pd.DataFrame(rows, columns=COLUMNS[:-2])
    table["p_holm"] = holm(table["p"].to_numpy()) if len(table) else []
    table["differs"] = table["p_holm"] < alpha
    return table
