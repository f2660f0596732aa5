"""`forecast-bench compare RUN_A RUN_B`: what changed between two runs, and whether it matters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast_bench.benchmarks import compare_collections
from forecast_bench.benchmarks.run_diff import (
    CHANGE_NOTE,
    change_percent,
    header_lines,
    window_differences,
)
from forecast_bench.benchmarks.terminal import wrapped
from forecast_bench.evaluation.reporting import formats
from forecast_bench.evaluation.run_folder.record import SeriesRecord, load_run
from forecast_bench.evaluation.scoring import significance
from forecast_bench.evaluation.scoring.analysis import summarize

SHARED = ["origin", "step", "target"]  # one forecast, whatever fold it belongs to
DM_NOTE = ("DM p (B vs A): Diebold-Mariano test of the same model's forecasts in the two runs, on"
           " the targets both forecast; below 0.05 the change in accuracy is more than noise.")


def compare_folders(run_a: Path, run_b: Path) -> str:
    """`forecast-bench compare`: two single-series runs side by side (scores, DM tests of B vs
    A); any other pair, a collection run among them, as collections (aggregates, and the paired
    per-series tests on the series both ran)."""
    a, b = load_run(run_a), load_run(run_b)
    if a.is_single and b.is_single:
        return compare_runs(a.one(), b.one())
    return compare_collections.compare_collection_runs(a, b)


def compare_runs(a: SeriesRecord, b: SeriesRecord) -> str:
    """Plain text: a warning when the test windows differ, then data, folds, config and versions
    that differ, then the scores side by side (changes in % only on the same windows)."""
    differ = window_differences(a, b)
    lines = header_lines(a, b, differ)
    lines += ["", scores_table(a, b, comparable=not differ), "",
              *([] if differ else [wrapped(CHANGE_NOTE)]), wrapped(DM_NOTE)]
    return "\n".join(lines)


def scores_table(a: SeriesRecord, b: SeriesRecord, comparable: bool = True) -> str:
    """One row per model in either run: RMSE and U2 in A and B, the change in % (only when
    `comparable`), DM p of B vs A; "-" where a run lacks the model or a value is undefined."""
    sa = summarize(a).set_index("model")
    sb = summarize(b).set_index("model")
    models = list(dict.fromkeys([*sa.index, *sb.index]))
    rows = []
    for model in models:
        ra = sa.rmse.get(model, np.nan)
        rb = sb.rmse.get(model, np.nan)
        rows.append({
            "model": model + ("" if model in sa.index else _absent(a, model, "A", "new in B"))
            + ("" if model in sb.index else _absent(b, model, "B", "only in A")),
            "RMSE A": ra, "RMSE B": rb, "change %": change_percent(ra, rb),
            "U2 A": sa.rmse_vs_naive.get(model, np.nan),
            "U2 B": sb.rmse_vs_naive.get(model, np.nan),
            "DM p (B vs A)": _dm_between(a, b, model),
        })
    frame = pd.DataFrame(rows)
    if not comparable:
        frame = frame.drop(columns="change %")
    return formats.render_frame(frame, "md", pvalues=("DM p (B vs A)",))


def _absent(record: SeriesRecord, model: str, run: str, otherwise: str) -> str:
    """Why run `run` (A or B) lacks a model: its series was too short for it (manifest.json's
    per-model counts), or the model was not in its config."""
    counts = record.manifest.get("models", {}).get(model, {})
    return f" ({f'too short in {run}' if counts.get('n_too_short') else otherwise})"


def _dm_between(a: SeriesRecord, b: SeriesRecord, model: str) -> float:
    """p-value of B's errors against A's for one model on the forecasts both made from the same
    origin to the same target with the same actual value (NaN if too few)."""
    step = a.horizon
    rows = []
    for record in (a, b):
        f = record.forecasts
        mine = f[(f.model == model) & (f.step == step)]
        rows.append(mine[[*SHARED, "y_true"]].assign(err=mine.y_true - mine.y_pred))
    both = rows[0].merge(rows[1], on=[*SHARED, "y_true"], suffixes=("_a", "_b"))
    if len(both) < max(significance.MIN_PAIRS, step + 1) or b.horizon != step:
        return float("nan")
    both = both.sort_values("origin")
    return significance.dm_test(both.err_b.to_numpy(), both.err_a.to_numpy(), step).pvalue
