"""Every figure a run reports, computed from its SeriesRecord: scores, ranks, DM tests, ADF/KPSS."""

from __future__ import annotations

import dataclasses

import pandas as pd

from forecast_bench.evaluation.reporting import formats, tables
from forecast_bench.evaluation.run_folder.record import SeriesRecord
from forecast_bench.evaluation.scoring import (
    confidence_set,
    interval_metrics,
    metrics,
    significance,
    stationarity,
)
from forecast_bench.evaluation.scoring.cost import CostTable, cost_table
from forecast_bench.models.errors import ForecastBenchError
from forecast_bench.models.intervals import level_name


@dataclasses.dataclass(frozen=True)
class Analysis:
    summary: pd.DataFrame  # one row per model (metrics.summarize plus the DM p vs naive)
    by_fold: pd.DataFrame  # metrics per (model, fold)
    by_step: pd.DataFrame  # metrics per (model, step)
    ranks: pd.DataFrame  # rank per metric and mean rank
    dm_statistics: pd.DataFrame  # [row, col]: DM statistic of row vs col (negative: row better)
    dm_pvalues: pd.DataFrame
    dm_holm: pd.DataFrame  # dm_pvalues with Holm's correction over the pairs
    mcs: confidence_set.McsResult  # Hansen et al.'s model confidence set, squared errors
    stationarity: pd.DataFrame  # ADF and KPSS on the level and on returns (or differences)
    notes: list[str]  # how each figure is computed, and why some are undefined
    text: str  # the compact summary and its notes (summary.md)
    # interval scores per (model, level) and per (model, step, level); empty without levels
    intervals: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    interval_steps: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    dm_shortfall: str = ""  # why DM p-values are missing (tests.dm_shortfall); "" if none is
    cost: CostTable | None = None  # accuracy (pooled RMSE) against seconds per model


def analyse(record: SeriesRecord) -> Analysis:
    """All derived tables of a run; pure computation, nothing is written."""
    forecasts, scales, horizon = record.forecasts, record.scales, record.horizon
    summary = summarize(record)
    dm_statistics, dm_pvalues = significance.dm_matrix(forecasts, horizon=horizon)
    notes = tables.summary_notes(summary, len(record.folds),
                                 metrics.metric_caveats(forecasts, scales))
    notes += rise_share_note(forecasts) + tables.covariate_notes(record.config)
    intervals, interval_steps = interval_tables(record)
    text = formats.render(summary, "md", columns=tables.COMPACT) + "\n\n" + "\n".join(
        f"- {note}" for note in notes)
    if len(intervals):
        text += "\n\n" + formats.render_frame(interval_view(intervals), "md", floatfmt=".3f")
    return Analysis(
        summary=summary,
        by_fold=metrics.scores_by_fold(forecasts, scales),
        by_step=metrics.scores_by_step(forecasts, scales),
        ranks=metrics.ranks(summary),
        dm_statistics=dm_statistics,
        dm_pvalues=dm_pvalues,
        dm_holm=significance.holm_matrix(dm_pvalues),
        mcs=confidence_set.series_mcs(forecasts, horizon,
                                      seed=confidence_set.run_seed(record.config)),
        stationarity=stationarity_tests(record.series),
        notes=notes,
        text=text,
        intervals=intervals,
        interval_steps=interval_steps,
        dm_shortfall=significance.dm_shortfall(forecasts, horizon),
        cost=cost_table(record.status, summary, "rmse", "RMSE (pooled)", "naive"),  # as U2
    )


def interval_tables(record: SeriesRecord) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Interval scores per (model, level), with how the intervals were made, and per (model,
    step, level); two empty frames when the run asked for no intervals."""
    levels = interval_metrics.levels_in(record.forecasts)
    if not levels:
        return pd.DataFrame(), pd.DataFrame()
    forecasts, scales = record.forecasts, record.scales
    by_model = interval_metrics.interval_scores(forecasts, scales, ["model"], levels)
    by_step = interval_metrics.interval_scores(forecasts, scales, ["model", "step"], levels)
    by_model.insert(2, "method", by_model.model.map(interval_methods(record.status)))
    return by_model, by_step


def interval_methods(status: pd.DataFrame) -> dict[str, str]:
    """model -> "analytic"/"conformal" (runs made before intervals existed: none)."""
    if "intervals" not in status.columns:
        return {}
    known = status[status.intervals.fillna("").astype(str) != ""]
    return dict(zip(known.model, known.intervals.astype(str), strict=True))


def interval_view(intervals: pd.DataFrame) -> pd.DataFrame:
    """The interval table as shown: coverage in percent, the score columns people compare."""
    view = intervals[["model", "level", "method", "coverage", "width", "msis", "winkler",
                      "missing"]].copy()
    view["coverage"] = 100 * view.coverage
    view["level"] = [level_name(v) for v in view.level]
    return view.rename(columns={"coverage": "coverage %"})


def summarize(record: SeriesRecord) -> pd.DataFrame:
    """The summary table alone: metrics.summarize plus each model's DM p-value vs naive."""
    summary = metrics.summarize(record.forecasts, record.status, members=record.members,
                                scales=record.scales)
    versus_naive = significance.dm_vs_reference(record.forecasts, horizon=record.horizon)
    return summary.merge(versus_naive[["model", "pvalue"]].rename(
        columns={"pvalue": "dm_pvalue_vs_naive"}), on="model", how="left")


def rise_share_note(forecasts: pd.DataFrame) -> list[str]:
    """The direction % that 'always predict a rise' would score, to read direction % against."""
    if "y_origin" not in forecasts or forecasts.empty:
        return []
    rows = forecasts.drop_duplicates(metrics.KEYS)
    change = rows.y_true - rows.y_origin
    moved = change[change != 0]
    if moved.empty:
        return []
    share = 100 * float((moved > 0).mean())
    return [f"Direction baseline: the actual value rose on {share:.1f}% of the forecasts where it"
            f" moved; a model that always predicts a rise scores {share:.1f}, one that always"
            f" predicts a fall {100 - share:.1f}."]


def stationarity_tests(series: pd.Series) -> pd.DataFrame:
    """ADF and KPSS on the level and on its returns (differences if a value is <= 0).

    A test that cannot run (a constant or too short series) is left out, not fatal.
    """
    changes, label = stationarity.changes(series)
    results = []
    for test in (stationarity.adf, stationarity.kpss):
        for values, name in ((series, "level"), (changes, label)):
            try:
                results.append(test(values, name=name))
            except ForecastBenchError:
                continue
    return stationarity.stationarity_table(results)
