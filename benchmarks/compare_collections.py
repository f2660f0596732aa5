"""`forecast-bench compare` for two collection runs: each run's aggregate table side by side,
then per model a paired test across series (Wilcoxon signed-rank on the per-series MASE and
sMAPE of B against A), the collection's counterpart of the single-series Diebold-Mariano test."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.run_diff import (
    CHANGE_NOTE,
    change_percent,
    header_lines,
    window_differences,
)
from forecast_bench.benchmarks.terminal import wrapped
from forecast_bench.evaluation.reporting import formats
from forecast_bench.evaluation.run_folder.record import RunRecord
from forecast_bench.evaluation.scoring import collection_stats
from forecast_bench.evaluation.scoring.collection_analysis import analyse_collection
from forecast_bench.evaluation.scoring.pairwise import wilcoxon_p

PAIRED_KEYS = ["series", "origin", "target", "step", "y_true"]  # one forecast of one series
AGGREGATE_NOTE = ("Aggregates: each run's own table (summary.csv), means over that run's common"
                  " series, OWA against that run's reference; a model added or dropped can"
                  " change the common series.")
PAIRED_NOTE = ("Paired tests: per model, each series' score in A and in B on the forecasts both"
               " runs made (same series, origin, target and actual value); Wilcoxon p:"
               " two-sided Wilcoxon signed-rank test of B's per-series scores against A's"
               " (scipy.stats.wilcoxon); below 0.05 the change is more than noise. B lower:"
               " the series on which B's score is lower.")


def compare_collection_runs(a: RunRecord, b: RunRecord) -> str:
    """Plain text: the window warning, data, folds, config and versions, the aggregate tables
    side by side, then the paired per-series tests (changes in % only on the same windows)."""
    differ = window_differences(a, b)
    lines = header_lines(a, b, differ)
    lines += ["", aggregate_table(a, b), "", wrapped(AGGREGATE_NOTE)]
    for metric, name in (("mase", "MASE"), ("smape", "sMAPE")):
        lines += ["", f"Paired per-series {name} (B vs A):", "",
                  paired_table(a, b, metric, comparable=not differ)]
    lines += ["", *([] if differ else [wrapped(CHANGE_NOTE)]), wrapped(PAIRED_NOTE)]
    return "\n".join(lines)


def aggregate_table(a: RunRecord, b: RunRecord) -> str:
    """How many common series each run has, then one row per model in either run: mean sMAPE,
    mean MASE and OWA in A and in B."""
    sa, sb = (analyse_collection(r).summary.set_index("model") for r in (a, b))
    rows = []
    for model in dict.fromkeys([*sa.index, *sb.index]):
        row = {"model": _labelled(model, sa.index, sb.index)}
        for column, header in (("smape_mean", "sMAPE"), ("mase_mean", "MASE"), ("owa", "OWA")):
            for run, summary in (("A", sa), ("B", sb)):
                row[f"{header} {run}"] = summary[column].get(model, np.nan)
        rows.append(row)
    title = (f"Aggregate scores, each run's own, over A's {int(sa.n_series.iloc[0])} and B's"
             f" {int(sb.n_series.iloc[0])} common series:")
    return title + "\n\n" + formats.render_frame(pd.DataFrame(rows), "md", floatfmt=".3f")


def paired_table(a: RunRecord, b: RunRecord, metric: str,
                 comparable: bool = True) -> str:
    """One row per model in both runs: the paired series, the mean of `metric` over them in A
    and B, the change in % (only when `comparable`), on how many B is lower, Wilcoxon p."""
    rows = []
    for model in [m for m in dict.fromkeys(a.status.model) if m in set(b.status.model)]:
        first, second = paired_scores(a, b, model, metric)
        mean_a, mean_b = (float(np.mean(x)) if len(x) else np.nan for x in (first, second))
        rows.append({"model": model, "series": len(first), "mean A": mean_a, "mean B": mean_b,
                     "change %": change_percent(mean_a, mean_b),
                     "B lower": f"{int(np.sum(second < first))} of {len(first)}",
                     "Wilcoxon p": wilcoxon_p(first, second)})
    frame = pd.DataFrame(rows, columns=["model", "series", "mean A", "mean B", "change %",
                                        "B lower", "Wilcoxon p"])
    if not comparable:
        frame = frame.drop(columns="change %")
    if frame.empty:
        return "(no model is in both runs)"
    return formats.render_frame(frame, "md", pvalues=("Wilcoxon p",))


def paired_scores(a: RunRecord, b: RunRecord, model: str,
                  metric: str) -> tuple[np.ndarray, np.ndarray]:
    """`metric` per series of `model` in A and in B, each from the forecasts both runs made
    (collection_stats.series_scores with each run's own MASE scales), on the series where both are
    finite; in the same series order."""
    rows = [r.forecasts[r.forecasts.model == model] for r in (a, b)]
    shared = rows[0][PAIRED_KEYS].drop_duplicates().merge(
        rows[1][PAIRED_KEYS].drop_duplicates(), on=PAIRED_KEYS)
    scores = [collection_stats.series_scores(part.merge(shared, on=PAIRED_KEYS),
                                             record.scales).set_index("series")[metric]
              for part, record in zip(rows, (a, b), strict=True)]
    both = pd.concat(scores, axis=1, keys=["a", "b"]).astype(float).dropna()
    both = both[np.isfinite(both).all(axis=1)]
    return both["a"].to_numpy(dtype=float), both["b"].to_numpy(dtype=float)


def _labelled(model: str, in_a: pd.Index, in_b: pd.Index) -> str:
    return model + ("" if model in in_a else " (new in B)") + ("" if model in in_b
                                                               else " (only in A)")
