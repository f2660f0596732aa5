"""Everything a run derives from its forecasts: tables in four formats, plots, summary.md and
report.html. Used at the end of `forecast-bench run` and by `forecast-bench report RUN_DIR`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast_bench.benchmarks.data.frequency import infer_frequency
from forecast_bench.benchmarks.run import table_names
from forecast_bench.benchmarks.run.collection_outputs import write_collection_outputs
from forecast_bench.evaluation.harness import gaps
from forecast_bench.evaluation.reporting import formats, headline, tables, windows
from forecast_bench.evaluation.run_folder import results, run_files
from forecast_bench.evaluation.run_folder.record import RunRecord, SeriesRecord, load_run
from forecast_bench.evaluation.scoring import confidence_set, interval_metrics, significance
from forecast_bench.evaluation.scoring.analysis import (
    Analysis,
    analyse,
    interval_methods,
    interval_view,
)
from forecast_bench.evaluation.scoring.collection_analysis import CollectionAnalysis

STEP_TABLES = {"steps": "rmse", "steps_mape": "mape"}  # per horizon step: table -> metric
TABLES = table_names.SINGLE  # a single-series run's tables, in the order written


def write_outputs(record: RunRecord, run_dir: Path) -> Analysis | CollectionAnalysis:
    """Write the derived files of `record` into run_dir (replacing earlier ones); return them.
    The sections follow what the run has: one series gets the single-series report (EDA,
    Diebold-Mariano tests, forecast plots), several the aggregates, ranks and the critical
    difference diagram (collection_outputs)."""
    if not record.is_single:
        return write_collection_outputs(record, run_dir)
    return write_series_outputs(record.one(), run_dir)


def rebuild(run_dir: Path, series: str | None = None) -> Path:
    """`forecast-bench report`: the run's derived files rebuilt from its saved forecasts; with
    `series` on a collection run, that series' single-series report (EDA, DM tests, forecast
    plots) in run_dir/series/<series>/. Returns the report written."""
    run = load_run(run_dir)
    if series is None or run.is_single:
        write_outputs(run, run_dir)
        return run_dir / run_files.REPORT
    one = run.one(series)
    folder = run_dir / "series" / str(one.series.name)
    folder.mkdir(parents=True, exist_ok=True)
    write_series_outputs(one, folder)
    return folder / run_files.REPORT


def write_series_outputs(record: SeriesRecord, run_dir: Path) -> Analysis:
    """The single-series run's derived files: tables, plots, summary.md and report.html."""
    analysis = analyse(record)
    results.write_csv(run_dir / "summary.csv", analysis.summary)
    results.write_csv(run_dir / "metrics_by_fold.csv", analysis.by_fold)
    results.write_csv(run_dir / "metrics_by_step.csv", analysis.by_step)
    results.write_csv(run_dir / "ranks.csv", analysis.ranks)
    results.write_csv(run_dir / "stationarity.csv", analysis.stationarity)
    if analysis.cost is not None:
        results.write_csv(run_dir / "cost.csv", analysis.cost.frame)
    if len(analysis.intervals):
        results.write_csv(run_dir / "intervals.csv", analysis.intervals)
        results.write_csv(run_dir / "intervals_by_step.csv", analysis.interval_steps)
    results.write_text(run_dir / "dm_pvalues.csv", analysis.dm_pvalues.to_csv(float_format="%.6g"))
    results.write_text(run_dir / "dm_statistics.csv",
                       analysis.dm_statistics.to_csv(float_format="%.6g"))
    results.write_text(run_dir / "dm_holm.csv", analysis.dm_holm.to_csv(float_format="%.6g"))
    results.write_csv(run_dir / "mcs.csv", analysis.mcs.table)
    names = [name for name in TABLES if (name not in STEP_TABLES or record.horizon > 1)
             and (name != "intervals" or len(analysis.intervals))
             and (name != "mcs" or len(analysis.mcs.table))]
    rendered = results.write_tables(  # each once: files, summary.md, report
        run_dir, names, lambda name, fmt: render_table(analysis, name, fmt, record.leaky))
    images = write_plots(record, analysis, run_dir / "plots")
    results.write_text(run_dir / run_files.SUMMARY_MD,
                       summary_markdown(record, analysis, rendered["md"]))
    from forecast_bench.evaluation.reporting.report import render_report

    explain = sorted(str(p.relative_to(run_dir)) for p in (run_dir / "explain").glob("*")
                     if p.suffix in (".md", ".csv", ".png"))
    results.write_text(run_dir / run_files.REPORT,
                       render_report(record, analysis, images, rendered["html"], explain))
    return analysis


def render_table(analysis: Analysis, name: str, fmt: str, leaky: frozenset[str]) -> str:
    """One of TABLES as md|csv|latex|html (the summary with its bold best values)."""
    if name == "summary":
        return formats.render(analysis.summary, fmt)
    if name == "folds":
        return formats.render_frame(tables.wide_scores(analysis.by_fold, "fold", leaky=leaky),
                                    fmt, best="row")
    if name in STEP_TABLES:
        wide = tables.wide_scores(analysis.by_step, "step", STEP_TABLES[name], leaky=leaky)
        return formats.render_frame(wide, fmt, best="row")
    if name == "ranks":
        ranks = analysis.ranks.assign(model=tables.marked(analysis.ranks.model, set(leaky)))
        ranked = [c for c in ranks.columns if c != "model"]
        return formats.render_frame(ranks, fmt, headers=tables.RANK_HEADERS, best="column",
                                    lower_is_better=ranked, floatfmt=".2f")
    if name == "dm":
        return formats.render_frame(analysis.dm_pvalues.reset_index(names="model"), fmt,
                                    bold_below=0.05, pvalues=analysis.dm_pvalues.columns)
    if name == "dm_holm":
        return formats.render_frame(analysis.dm_holm.reset_index(names="model"), fmt,
                                    bold_below=0.05, pvalues=analysis.dm_holm.columns)
    if name == "mcs":
        return confidence_set.render(analysis.mcs, fmt) or analysis.mcs.why
    if name == "intervals":
        return formats.render_frame(interval_view(analysis.intervals), fmt, floatfmt=".3f")
    if name == "cost" and analysis.cost is not None:
        return analysis.cost.render(fmt)
    raise ValueError(f"unknown table {name!r}; use one of {', '.join(TABLES)}")


def write_plots(record: SeriesRecord, analysis: Analysis, folder: Path) -> dict[str, Path]:
    """Every figure of the report as PNG in `folder`; returns name -> path of those written."""
    from forecast_bench.evaluation.reporting import (
        comparison_plots,
        plots,  # matplotlib only when plots are written
    )

    written: dict[str, Path] = {}
    column = str(record.series.name or "value")
    frequency = infer_frequency(pd.DatetimeIndex(record.series.index))
    for path in plots.plot_eda(record.series, folder, name=column, frequency=frequency):
        written[path.stem] = path
    written["folds_timeline"] = comparison_plots.plot_folds_timeline(
        record.folds, folder / "folds_timeline.png", title=f"{record.name}: folds")
    forecasts = record.forecasts
    if len(forecasts):
        shown = forecasts.assign(model=tables.marked(forecasts.model, set(record.leaky)))
        dates = pd.DatetimeIndex(record.series.index)
        window = windows.shown_window(forecasts, windows.is_sub_daily(dates))
        if record.horizon > 1:
            from forecast_bench.evaluation.reporting import path_plots

            written["forecast_paths"] = path_plots.plot_forecast_paths(
                shown, folder / "forecast_paths.png", title=record.name, shown_from=window)
        else:
            written["actual_vs_predicted"] = plots.plot_actual_vs_predicted(
                shown, folder / "actual_vs_predicted.png",
                title=f"{record.name}: actual vs predicted", shown_from=window)
        written.update(calendar_plots(shown, windows.calendar_keys(dates, frequency),
                                      folder, record.name))
        written["error_by_fold"] = comparison_plots.plot_error_by_fold(
            analysis.by_fold, folder / "error_by_fold.png", title=f"{record.name}: RMSE per fold")
        models = set(forecasts.model)
        if "naive" in models and len(models) > 1:
            written["cumulative_loss_vs_naive"] = comparison_plots.plot_cumulative_loss_difference(
                forecasts, folder / "cumulative_loss_vs_naive.png", step=record.horizon,
                title=f"{record.name}: cumulative squared-error difference against naive")
        if len(analysis.dm_pvalues) > 1:
            written["dm_pvalues"] = comparison_plots.plot_dm_heatmap(
                analysis.dm_pvalues, analysis.dm_statistics, folder / "dm_pvalues.png",
                title=f"{record.name}: Diebold-Mariano p-values (row vs column)")
    if len(analysis.intervals):
        from forecast_bench.evaluation.reporting import interval_plots

        fan = interval_plots.plot_fan_chart(
            record.series, forecasts, folder / "fan_chart.png",
            title=f"{record.name}: forecasts with prediction intervals (last fold)",
            methods=interval_methods(record.status))
        if fan is not None:
            written["fan_chart"] = fan
        coverage = interval_plots.plot_coverage_by_step(
            analysis.interval_steps, folder / "coverage_by_step.png",
            title=f"{record.name}: empirical coverage of the intervals")
        if coverage is not None:
            written["coverage_by_step"] = coverage
    if analysis.cost is not None:
        from forecast_bench.evaluation.reporting.cost_plots import plot_cost

        cost = plot_cost(analysis.cost, folder / "cost.png",
                         title=f"{record.name}: accuracy against cost")
        if cost is not None:
            written["cost"] = cost
    curves = plots.plot_training_curves(record.histories, folder / "training_curves.png")
    if curves is not None:
        written["training_curves"] = curves
    return written


CALENDAR_TITLES = {"hour": "mean absolute error by hour of day of the target",
                   "weekday": "mean absolute error by day of week of the target"}


def calendar_plots(forecasts: pd.DataFrame, keys: tuple[str, ...], folder: Path,
                   name: str) -> dict[str, Path]:
    """errors_by_hour.png and errors_by_weekday.png for the `keys` (windows.calendar_keys)."""
    if not keys:
        return {}
    from forecast_bench.evaluation.reporting.calendar_plots import plot_errors_by

    return {f"errors_by_{key}": plot_errors_by(forecasts, key, folder / f"errors_by_{key}.png",
                                               f"{name}: {CALENDAR_TITLES[key]}")
            for key in keys}


def summary_markdown(record: SeriesRecord, analysis: Analysis, markdown: dict[str, str]) -> str:
    """summary.md: the run in Markdown (the report's tables without the images);
    markdown: the TABLES already rendered as Markdown, by name."""
    lines = headline.headline(record, analysis)
    data = record.manifest.get("data", {})
    parts = [
        f"# forecast-bench run `{record.run_id}`",
        "",
        headline.markdown(lines),
        "",
        f"Data sha256: {str(data.get('sha256', ''))[:12]}.",
        *(f"Data note: {note}" for note in data.get("notes", [])),
        *filter(None, [gaps.summary_line(data)]),
        "", "## Summary", "", analysis.text,
        "", "## Ranks (1 = best)", "", markdown["ranks"],
        "", "## RMSE per fold", "", markdown["folds"],
    ]
    if record.horizon > 1:
        parts += ["", "## RMSE per horizon step", "", markdown["steps"],
                  "", "## MAPE % per horizon step", "", markdown["steps_mape"]]
    if "intervals" in markdown:
        parts += ["", "## Prediction intervals", "", interval_metrics.table_note(), "",
                  markdown["intervals"]]
    parts += [
        "", f"## Diebold-Mariano p-values, {record.horizon}-step forecasts", "",
        "Two-sided, Harvey-Leybourne-Newbold corrected, squared loss, on the forecasts both "
        "models made; below 0.05: the two models' accuracy differs by more than noise.", "",
        markdown["dm"],
    ]
    shortfall = significance.dm_shortfall(record.forecasts, record.horizon)
    if shortfall:
        parts += ["", shortfall]
    parts += ["", "Holm-corrected over the pairs:", "", markdown["dm_holm"],
              "", "## Model confidence set", "", analysis.mcs.note()]
    if "mcs" in markdown:
        parts += ["", markdown["mcs"]]
    for title, table in (("Fitted models", tables.fitted_table(record.status)),
                         ("Failures", tables.failures_table(record.status))):
        if table:
            parts += ["", f"## {title}", "", table]
    parts += ["", "Full report with plots: `report.html`."]
    return "\n".join(parts) + "\n"

