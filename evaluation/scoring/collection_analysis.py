"""Every figure a collection run reports, computed from its RunRecord: per-series scores,
the aggregate table against the reference, per category and horizon step, ranks and the
Friedman / Nemenyi tests across series."""

from __future__ import annotations

import dataclasses

import pandas as pd

from forecast_bench.evaluation.reporting import formats, tables
from forecast_bench.evaluation.reporting.formats import p_text
from forecast_bench.evaluation.run_folder.record import RunRecord
from forecast_bench.evaluation.scoring import (
    collection_stats,
    confidence_set,
    interval_metrics,
    pairwise,
)
from forecast_bench.evaluation.scoring.analysis import interval_methods, interval_view
from forecast_bench.evaluation.scoring.cost import CostTable, cost_table
from forecast_bench.models.errors import ModelError

AGGREGATE_HEADERS = {
    "model": "model", "n_series": "series", "smape_mean": "sMAPE mean",
    "smape_median": "sMAPE median", "mase_mean": "MASE mean", "mase_median": "MASE median",
    "owa": "OWA", "beats_ref_pct": "beats ref. %", "mean_rank": "mean rank",
    "own_series": "own series", "own_smape_mean": "own sMAPE", "own_mase_mean": "own MASE",
    "failed_tasks": "failed tasks", "seconds": "seconds",
}
LOWER = ("smape_mean", "smape_median", "mase_mean", "mase_median", "owa", "mean_rank",
         "own_smape_mean", "own_mase_mean")


@dataclasses.dataclass(frozen=True)
class CollectionAnalysis:
    series_scores: pd.DataFrame  # every metric per (series, model)
    step_scores: pd.DataFrame  # sMAPE and MASE per (series, model, step)
    common: list[str]  # the series every model has scores on: the aggregates' sample
    coverage: pd.DataFrame  # per model: series covered, and which were left out
    summary: pd.DataFrame  # the aggregate table, one row per model, best OWA first
    by_category: pd.DataFrame
    by_step: pd.DataFrame
    friedman: collection_stats.FriedmanResult
    pairwise: pd.DataFrame  # every pair of models: Wilcoxon on MASE over the common series, Holm
    mcs: confidence_set.McsResult  # Hansen et al.'s model confidence set on the per-series MASE
    notes: list[str]
    text: str  # the aggregate table and its notes (summary.md)
    # interval scores averaged over the common series, per (model, level) and per (model,
    # step, level); empty when the run asked for no intervals
    intervals: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    interval_steps: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    cost: CostTable | None = None  # accuracy (OWA) against seconds per series, per model


def analyse_collection(record: RunRecord) -> CollectionAnalysis:
    """All derived tables of a collection run; pure computation, nothing is written."""
    scores = collection_stats.series_scores(record.forecasts, record.scales)
    step_scores = collection_stats.series_step_scores(record.forecasts, record.scales)
    models = list(dict.fromkeys(record.status["model"]))
    scored = set(scores.dropna(subset=["smape", "mase"])["model"])
    failed = [model for model in models if model not in scored]  # named in the notes
    models = [model for model in models if model in scored]
    if not models:
        failures = record.status[record.status.status != "ok"].reason
        if len(failures):
            raise ModelError(f"every model failed on every series (status.csv has the "
                             f"reasons); the first: {failures.iloc[0]}")
        raise ModelError("no model has a finite sMAPE and MASE on any series (forecasts.csv "
                         "holds the forecasts); check the series' values and MASE's scale")
    scores = scores[scores["model"].isin(models)].reset_index(drop=True)
    common, coverage = collection_stats.coverage(scores, models,
                                                 record.too_short["model"].value_counts().to_dict())
    reference = record.reference if record.reference in models else models[0]
    summary = collection_stats.aggregate(scores, reference)
    own = collection_stats.own_scores(scores, models)
    if (own["own_series"] != len(common)).any():  # each model's own set beside the common one
        summary = summary.merge(own, on="model", how="left")
    summary = summary.merge(_task_facts(record), on="model", how="left")
    friedman = collection_stats.friedman_nemenyi(scores, "mase")
    notes = _notes(record, common, coverage, friedman, failed, reference,
                   "own_series" in summary)
    text = (formats.render_frame(summary, "md", headers=AGGREGATE_HEADERS, floatfmt=".3f")
            + "\n\n" + "\n".join(f"- {note}" for note in notes))
    intervals, interval_steps = collection_interval_tables(record, common)
    if len(intervals):
        text += "\n\n" + formats.render_frame(interval_view(intervals), "md", floatfmt=".3f")
    return CollectionAnalysis(
        series_scores=scores,
        step_scores=step_scores,
        common=common,
        coverage=coverage,
        summary=summary,
        by_category=collection_stats.by_category(scores, record.categories, reference),
        by_step=collection_stats.by_step(step_scores, common, reference),
        friedman=friedman,
        pairwise=pairwise.wilcoxon_holm(scores, common, models, "mase"),
        mcs=confidence_set.collection_mcs(scores, common, models, "mase",
                                          seed=confidence_set.run_seed(record.config)),
        notes=notes,
        text=text,
        intervals=intervals,
        interval_steps=interval_steps,
        cost=cost_table(record.status, summary, "owa", "OWA", reference,
                             dict(zip(coverage["model"], coverage["n_series"], strict=True))),
    )


def collection_interval_tables(record: RunRecord,
                               common: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Interval scores per series, averaged over the common series (M4's MSIS is such a
    mean): per (model, level) with the interval method, and per (model, step, level)."""
    levels = interval_metrics.levels_in(record.forecasts)
    if not levels:
        return pd.DataFrame(), pd.DataFrame()
    forecasts = record.forecasts[record.forecasts.series.isin(common)]
    per_series = interval_metrics.interval_scores(forecasts, record.scales,
                                                  ["series", "model"], levels)
    per_step = interval_metrics.interval_scores(forecasts, record.scales,
                                                ["series", "model", "step"], levels)
    by_model = interval_metrics.aggregate_intervals(per_series)
    by_model.insert(2, "method", by_model.model.map(interval_methods(record.status)))
    return by_model, interval_metrics.aggregate_intervals(per_step)


def periods_text(info: pd.DataFrame) -> str:
    """The series' seasonal periods in words (series_info.csv's periods; a run written before
    it had them: period): "seasonal period 12 on every series", "seasonal periods 24 168 on
    every series", "seasonal periods 12 on 3 series, none on 2 series"; with MASE's lag where
    it differs from the primary period: "... (MASE's scale: lag 1 on every series)"; "" when
    `info` does not say."""
    if "periods" in info:
        words = [_cell_words(cell) for cell in info["periods"]]
    elif "period" in info:
        words = [str(period) for period in info["period"].dropna().astype(int)]
    else:
        return ""
    if not words:
        return ""
    text = _counted("seasonal period", words)
    if "mase_period" in info and "period" in info and (
            info["mase_period"] != info["period"]).any():
        lags = [str(lag) for lag in info["mase_period"].astype(int)]
        text += f" (MASE's scale: {_counted('lag', lags)})"
    return text


def _cell_words(cell: object) -> str:
    """A periods cell as written ("24 168"; read back as 12 or 12.0 when one period; empty or
    NaN: "none")."""
    if isinstance(cell, str):
        return cell.strip() or "none"
    return "none" if pd.isna(cell) else f"{cell:g}"


def _counted(noun: str, words: list[str]) -> str:
    """"period 12 on every series", "periods 12 on 3 series, 4 on 2 series"; "none": "no
    seasonal period"."""
    counts = pd.Series(words).value_counts()
    if len(counts) == 1:
        word = str(counts.index[0])
        if word == "none":
            return f"no {noun} (1) on any series"
        return f"{noun}{'s' if ' ' in word else ''} {word} on every series"
    return f"{noun}s " + ", ".join(f"{word} on {n} series" for word, n in counts.items())


def _task_facts(record: RunRecord) -> pd.DataFrame:
    """failed_tasks and seconds (fit + predict, summed over tasks) per model."""
    status = record.status
    seconds = status.fit_seconds.fillna(0) + status.predict_seconds.fillna(0)
    frame = status.assign(failed=status.status != "ok", seconds=seconds)
    return frame.groupby("model", sort=False).agg(
        failed_tasks=("failed", "sum"), seconds=("seconds", "sum")).reset_index()


def coverage_words(record: RunRecord, coverage: pd.DataFrame) -> dict[str, str]:
    """model -> "arima on 32 of 49: 17 too short" for each model with scores on fewer series
    than were evaluated (the others failed, or lack MASE's scale: "failed or unscored")."""
    n_evaluated = record.n_evaluated
    words = {}
    for row in coverage[coverage["n_series"] < n_evaluated].itertuples():
        why = [f"{row.n_too_short} too short"] if row.n_too_short else []
        other = n_evaluated - row.n_series - row.n_too_short
        why += [f"{other} failed or unscored"] if other else []
        words[row.model] = f"{row.model} on {row.n_series} of {n_evaluated}: {', '.join(why)}"
    return words


def common_words(record: RunRecord, common: list[str]) -> str:
    """Over which series the aggregates are taken, and how many were read."""
    return (f"the {len(common)} common series (every model has a score on them) of the "
            f"{record.n_read} read")


def _notes(record: RunRecord, common: list[str], coverage: pd.DataFrame,
           friedman: collection_stats.FriedmanResult, failed: list[str], reference: str,
           own_shown: bool) -> list[str]:
    notes = [f"Scores over {common_words(record, common)}; reference: {reference}.",
             *tables.covariate_notes(record.config)]
    if periods := periods_text(record.info):
        notes.append(f"The seasonal models and MASE's scale used {periods}"
                     " (--period or data.period sets them).")
    if failed:
        notes.append(f"Left out of every table: {', '.join(failed)}, with no score on any"
                     " series (status.csv has the reasons).")
    if reference != record.reference:
        notes.append(f"The configured reference {record.reference} has no score on any series;"
                     f" ratios are taken against {reference} instead.")
    lacking = coverage.set_index("model")["left_out"]
    notes += [f"{words}; left out: {lacking[model]}."
              for model, words in coverage_words(record, coverage).items()]
    whole = record.skipped_series
    if len(whole):
        first = whole.iloc[0]
        unsplit = record.n_read - record.n_evaluated
        why = [f"{count} {what}" for count, what in ((len(whole) - unsplit, "by cleaning"),
                                                     (unsplit, "whose split failed")) if count]
        notes.append(f"{len(whole)} series skipped before any model ran ({', '.join(why)}; see"
                     f" skipped.csv), e.g. {first['series']}: {first['reason']}")
    for column in ("smape_mean", "mase_mean", "owa", "beats_ref_pct", "mean_rank", "own_series"):
        if column in collection_stats.NOTES and (column != "own_series" or own_shown):
            notes.append(collection_stats.NOTES[column])
    if pd.notna(friedman.pvalue):
        verdict = "differ" if friedman.pvalue < friedman.alpha else "do not differ detectably"
        notes.append(
            f"Friedman test on the MASE ranks of {friedman.k} models over {friedman.n_series}"
            f" series: chi2 = {friedman.statistic:.2f}, {p_text(friedman.pvalue)}: the models'"
            f" ranks {verdict}. Nemenyi critical difference at {friedman.alpha:g}:"
            f" {friedman.critical_difference:.3f} (mean ranks further apart differ).")
    return notes
