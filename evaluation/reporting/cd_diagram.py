"""Critical-difference diagrams as PNG: Demsar (2006)'s of a Friedman / Nemenyi result, and
the Wilcoxon-Holm one of Benavoli, Corani & Mangili (2016) in Ismail Fawaz et al.'s style (the
same mean-rank axis, bars joining the cliques of models no pairwise test tells apart)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display; must precede the pyplot import

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecast_bench.evaluation.run_folder.atomic import write_atomic
from forecast_bench.evaluation.scoring.collection_stats import FriedmanResult, nemenyi_groups
from forecast_bench.evaluation.scoring.pairwise import cliques

DPI = 110
WIDTH_IN = 9.0  # ~990 px at DPI
LEFT, RIGHT = 0.27, 0.73  # where ranks 1 and k sit, as fractions of the width
ROW = 1.0  # vertical spacing of labels and bars (data units; y grows downward)


def _x(rank: float, k: int) -> float:
    """Horizontal position of a mean rank (1 on the left, k on the right)."""
    return (LEFT + RIGHT) / 2 if k < 2 else LEFT + (rank - 1) / (k - 1) * (RIGHT - LEFT)


def _subtitle(result: FriedmanResult) -> str:
    p = result.pvalue
    pvalue = "= n/a" if not math.isfinite(p) else (f"= {p:.3g}" if p >= 1e-4 else "< 0.0001")
    return (f"Friedman p {pvalue}  ({result.metric} ranks, N = {result.n_series} series, "
            f"k = {result.k} models, alpha = {result.alpha:g})")


def cd_figure(result: FriedmanResult, title: str) -> Figure:
    """The CD diagram as a Figure (not saved); see plot_cd_diagram."""
    return rank_figure(result.mean_ranks.dropna(), nemenyi_groups(result), result.k,
                       f"{title}\n{_subtitle(result)}", result.critical_difference)


def wilcoxon_figure(result: FriedmanResult, pairwise: pd.DataFrame, title: str,
                    alpha: float = 0.05) -> Figure:
    """The Wilcoxon-Holm CD diagram as a Figure (not saved); see plot_wilcoxon_diagram."""
    subtitle = (f"bars: no pair differs by Wilcoxon signed-rank, Holm p >= {alpha:g}"
                f"  ({result.metric} ranks, N = {result.n_series} series, k = {result.k})")
    ranks = result.mean_ranks.dropna()
    return rank_figure(ranks, cliques(pairwise, ranks, alpha), result.k, f"{title}\n{subtitle}")


def rank_figure(ranks: pd.Series, groups: list[list[str]], k: int, title: str,
                cd: float = float("nan")) -> Figure:
    """Models at their mean `ranks` (ascending) on an axis 1..k, each labelled with its rank,
    thick bars under the axis joining each of `groups`, the critical difference `cd` above
    the axis when it is finite."""
    k = max(k, len(ranks), 1)
    n_left = math.ceil(len(ranks) / 2)
    bars_depth = (len(groups) + 1) * 0.5 * ROW
    depth = bars_depth + (max(n_left, len(ranks) - n_left) + 0.5) * ROW
    fig = plt.figure(figsize=(WIDTH_IN, 1.6 + 0.32 * (depth + 2.5)))
    ax = fig.add_axes((0, 0, 1, 0.86))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(depth + 0.3, -2.6)  # y grows downward; room above the axis for ticks and CD
    fig.suptitle(title, fontsize=11, y=0.98)
    # the rank axis with integer and half ticks
    ax.plot([_x(1, k), _x(k, k)], [0, 0], color="black", lw=1.2)
    for tick in np.arange(1, k + 0.01, 0.5):
        major = float(tick).is_integer()
        ax.plot([_x(tick, k)] * 2, [0, -0.35 if major else -0.18], color="black", lw=1)
        if major:
            ax.text(_x(tick, k), -0.5, f"{int(tick)}", ha="center", va="bottom", fontsize=10)
    if math.isfinite(cd) and k >= 2:
        start, end = _x(1, k), _x(min(1 + cd, k), k)
        ax.plot([start, end], [-1.7, -1.7], color="black", lw=1.5)
        for x in (start, end):
            ax.plot([x, x], [-1.85, -1.55], color="black", lw=1.5)
        ax.text((start + end) / 2, -1.95, f"CD = {cd:.3f}", ha="center", va="bottom",
                fontsize=10)
    # models: the better half labelled on the left, the worse on the right
    for i, (model, rank) in enumerate(ranks.items()):
        left = i < n_left
        row = i if left else len(ranks) - 1 - i  # keeps connector lines from crossing
        y = bars_depth + (row + 0.5) * ROW
        x, edge = _x(rank, k), (LEFT - 0.03 if left else RIGHT + 0.03)
        ax.plot([x, x, edge], [0, y, y], color="0.25", lw=1)
        ax.text(edge - 0.01 if left else edge + 0.01, y, f"{model} ({rank:.2f})",
                ha="right" if left else "left", va="center", fontsize=10)
    # thick bars joining the models that do not differ significantly
    for g, members in enumerate(groups):
        lo, hi = ranks[members].min(), ranks[members].max()
        y = (g + 1) * 0.5 * ROW
        ax.plot([_x(lo, k) - 0.006, _x(hi, k) + 0.006], [y, y], color="black", lw=4,
                solid_capstyle="round")
    return fig


def plot_cd_diagram(result: FriedmanResult, path: Path, title: str) -> Path:
    """Draw the critical-difference diagram of `result` (mean ranks on an axis 1..k, each model
    labelled with its mean rank, bars joining the Nemenyi groups, the CD above the axis, the
    Friedman p-value under the title) to the PNG `path` (written atomically); returns path."""
    return _save(cd_figure(result, title), path)


def plot_wilcoxon_diagram(result: FriedmanResult, pairwise: pd.DataFrame, path: Path,
                          title: str, alpha: float = 0.05) -> Path:
    """Draw the Wilcoxon-Holm diagram: the mean ranks of `result` as in plot_cd_diagram, bars
    joining the maximal cliques of models whose pairs `pairwise` (pairwise.wilcoxon_holm)
    does not find different at `alpha`, to the PNG `path`; returns path."""
    return _save(wilcoxon_figure(result, pairwise, title, alpha), path)


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_atomic(path, lambda handle: fig.savefig(handle, format="png", dpi=DPI))
    finally:
        plt.close(fig)
