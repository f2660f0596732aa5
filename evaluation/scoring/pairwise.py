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


def cliques(table: pd.DataFrame, ranks: pd.Series, alpha: float = 0.05) -> list[list[str]]:
    """The bars of a Wilcoxon-Holm critical-difference diagram (Ismail Fawaz et al.'s style):
    the maximal sets of 2 or more models (of `ranks`' index) every pair of which `table`
    (wilcoxon_holm's) does not find different, Holm p >= alpha or untested. Each set is
    ordered by mean rank (`ranks`, 1 = best), the sets by their best then worst member."""
    order = {str(m): i for i, m in enumerate(ranks.sort_values(kind="stable").index)}
    linked: dict[str, set[str]] = {m: set() for m in order}
    for row in table.itertuples():
        a, b = str(row.model_a), str(row.model_b)
        if a in linked and b in linked and not row.p_holm < alpha:  # NaN: untested, linked
            linked[a].add(b)
            linked[b].add(a)
    found: list[list[str]] = []

    def grow(clique: set[str], candidates: set[str], excluded: set[str]) -> None:
        """Bron-Kerbosch with a pivot: every maximal clique containing `clique`."""
        if not candidates and not excluded:
            if len(clique) > 1:
                found.append(sorted(clique, key=order.__getitem__))
            return
        pivot = max(candidates | excluded, key=lambda m: len(linked[m] & candidates))
        for model in sorted(candidates - linked[pivot], key=order.__getitem__):
            grow(clique | {model}, candidates & linked[model], excluded & linked[model])
            candidates = candidates - {model}
            excluded = excluded | {model}

    grow(set(), set(order), set())
    return sorted(found, key=lambda c: (order[c[0]], order[c[-1]]))
