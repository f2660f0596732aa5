"""What `forecast-bench run` prints: a summary that fits WIDTH columns, the columns that matter
and notes about those columns only. The full tables are in the run folder's files."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from tabulate import tabulate

from forecast_bench.evaluation.harness import gaps
from forecast_bench.evaluation.reporting.formats import PVALUE_FLOOR
from forecast_bench.evaluation.reporting.tables import marked
from forecast_bench.evaluation.scoring import collection_stats
from forecast_bench.evaluation.scoring.analysis import Analysis
from forecast_bench.evaluation.scoring.collection_analysis import CollectionAnalysis
from forecast_bench.models.intervals import level_name

if TYPE_CHECKING:
    from forecast_bench.benchmarks.run.runner import RunOutcome

WIDTH = 100  # columns of the terminal the summary is made for
NOTE_LINES = 3  # a longer note is cut with " ..."

Formatter = Callable[[Any], str]  # a table cell


def _fixed(digits: int) -> Formatter:
    return lambda value: "-" if pd.isna(value) else f"{float(value):.{digits}f}"


def _pvalue(value: Any) -> str:
    if pd.isna(value):
        return "-"
    return f"<{PVALUE_FLOOR:g}" if float(value) < PVALUE_FLOOR else f"{float(value):.4f}"


# column -> (header, format, note); a note is printed only when its column is shown
SINGLE: dict[str, tuple[str, Formatter, str]] = {
    "rmse": ("RMSE", _fixed(4), "RMSE: root mean squared error over every forecast of the"
             " model (all folds and steps pooled)."),
    "rmse_vs_naive": ("RMSE/naive", _fixed(3), "RMSE/naive: Theil's U2, RMSE over the random walk's"
                      " (naive) on the same targets; below 1 beats it."),
    "dm_pvalue_vs_naive": ("DM p", _pvalue, "DM p: Diebold-Mariano test against naive at the run's"
                           " horizon; below 0.05 the gap is more than noise."),
    "mase": ("MASE", _fixed(3), "MASE: mean |error| over the training part's (seasonal) naive"
             " MAE; below 1 beats that in-sample."),
    "smape": ("sMAPE %", _fixed(2), "sMAPE %: mean of 200 |error| / (|actual| + |forecast|)."),
    "mean_rank": ("mean rank", _fixed(1), "mean rank: the mean of the model's ranks on {ranked}"
                  " (1 = best)."),
}
PANEL: dict[str, tuple[str, Formatter, str]] = {
    "smape_mean": ("sMAPE mean", _fixed(2), "sMAPE mean, MASE mean: each series' score,"
                   " averaged over the common series."),
    "mase_mean": ("MASE mean", _fixed(3), ""),
    "owa": ("OWA", _fixed(3), "OWA: the mean of the sMAPE and MASE ratios to the"
            " reference (M4's); below 1 beats the reference."),
    "beats_ref_pct": ("beats ref. %", _fixed(1), "beats ref. %: share of the common series"
                      " on which the model's MASE is below the reference's."),
    "mean_rank": ("mean rank", _fixed(2), "mean rank: the model's MASE rank on each common"
                  " series (1 = best), averaged."),
    # only where some model's own series differ from the common ones
    "own_mase_mean": ("own MASE", _fixed(3), "own MASE: the model's mean MASE over its own"
                      " series, every series it has a score on (not comparable across models)."),
}
RANK_NAMES = {"rmse": "RMSE", "mae": "MAE", "mape": "MAPE", "smape": "sMAPE", "mase": "MASE",
              "directional_accuracy": "direction"}
FILES = "Every metric, per fold and step, and the tests: summary.md and report.html in:"


def outcome_text(outcome: RunOutcome) -> str:
    """What a finished run prints: the filled/dropped line, the summary, the models left out
    of a single series (too short for them), and where the results are."""
    filled = gaps.summary_line(outcome.dataset.describe())
    lines = [wrapped(f"{filled}.")] if filled else []
    lines.append(run_text(outcome.analysis))
    lines += [wrapped(f"Left out of this run: {reason} (lower split.test_size or load more "
                      "data to include it; skipped.csv).") for reason in outcome.left_out]
    return "\n".join([*lines, f"results: {outcome.run_dir}"])


def run_text(analysis: Analysis | CollectionAnalysis) -> str:
    """The summary of a finished run as the terminal shows it (every line <= WIDTH)."""
    if isinstance(analysis, CollectionAnalysis):
        return _collection_text(analysis)
    return _single_text(analysis)


def _single_text(analysis: Analysis) -> str:
    summary = analysis.summary
    ranks = analysis.ranks.set_index("model")
    frame = summary.assign(mean_rank=summary.model.map(ranks.mean_rank))
    leaky = set(summary.model[summary.leaky.astype(bool)]) if "leaky" in summary else set()
    frame = frame.assign(model=marked(frame.model, leaky))
    shown = [c for c in SINGLE if c in frame and frame[c].notna().any()]
    ranked = ", ".join(RANK_NAMES.get(c, c) for c in ranks.columns if c != "mean_rank")
    notes = [SINGLE[c][2].format(ranked=ranked) for c in shown]
    if leaky:
        notes.append("(leaky): the model saw the test period while fitting; its score is not"
                     " an honest forecast.")
    incomplete = summary[summary.folds_ok.str.split("/").map(lambda p: p[0] != p[1])]
    if len(incomplete):
        notes.append("Failed on some folds (scores cover the folds that ran; see status.csv): "
                     + ", ".join(incomplete.model) + ".")
    notes += [note for note in analysis.notes if note.startswith(("MASE is", "sMAPE is"))]
    parts = [_table(frame, shown, SINGLE), _notes(notes)]
    if "dm_pvalue_vs_naive" not in shown and analysis.dm_shortfall:
        parts[-1] += "\n" + _notes([f"DM p not shown. {analysis.dm_shortfall}"], max_lines=None)
    if len(analysis.intervals):
        parts.append(_coverage(analysis.intervals))
    return "\n\n".join([*parts, FILES])


def _collection_text(analysis: CollectionAnalysis) -> str:
    summary = analysis.summary
    shown = [c for c in PANEL if c in summary]
    column_notes = set(collection_stats.NOTES.values())
    notes = [note for note in analysis.notes if note not in column_notes]
    notes += [PANEL[c][2] for c in shown if PANEL[c][2]]
    failed = summary[summary.failed_tasks > 0] if "failed_tasks" in summary else summary[:0]
    if len(failed):
        notes.append("Failed tasks (see status.csv): " + ", ".join(
            f"{row.model} {int(row.failed_tasks)}" for row in failed.itertuples()) + ".")
    parts = [_table(summary, shown, PANEL), _notes(notes)]
    if len(analysis.intervals):
        parts.append(_coverage(analysis.intervals))
    return "\n\n".join([*parts, FILES])


def _table(frame: pd.DataFrame, shown: Sequence[str],
           spec: dict[str, tuple[str, Formatter, str]]) -> str:
    """Model and the `shown` columns, formatted by `spec`, numbers right-aligned."""
    rows = [[str(row["model"]), *(spec[c][1](row[c]) for c in shown)]
            for _, row in frame.iterrows()]
    return tabulate(rows, headers=["model", *(spec[c][0] for c in shown)], tablefmt="github",
                    disable_numparse=True, colalign=("left", *["right"] * len(shown)))


def _coverage(intervals: pd.DataFrame) -> str:
    """One row per model: how its intervals were made and their coverage at each level."""
    levels = sorted(set(intervals.level))
    rows = []
    for model, part in intervals.groupby("model", sort=False):
        by_level = part.set_index("level").coverage
        rows.append([str(model), str(part.method.iloc[0]) if pd.notna(part.method.iloc[0])
                     else "-", *(_fixed(1)(100 * by_level.get(level)) for level in levels)])
    headers = ["model", "intervals", *(f"{level_name(level)}% coverage" for level in levels)]
    table = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True,
                     colalign=("left", "left", *["right"] * len(levels)))
    note = ("coverage: share of the actual values inside the interval, close to its level when"
            " the intervals are right; widths and interval scores: intervals.csv.")
    return table + "\n\n" + _notes([note])


def _notes(notes: Sequence[str], max_lines: int | None = NOTE_LINES) -> str:
    """Each note wrapped to WIDTH (a dash, continuation lines indented), at most `max_lines`
    (None: all of it)."""
    return "\n".join(textwrap.fill(note, WIDTH, initial_indent="- ", subsequent_indent="  ",
                                   break_on_hyphens=False, max_lines=max_lines,
                                   placeholder=" ...")
                     for note in notes)


def wrapped(line: str) -> str:
    """One message wrapped to the terminal width, continuation lines indented."""
    return textwrap.fill(line, WIDTH, subsequent_indent="  ", break_on_hyphens=False)
