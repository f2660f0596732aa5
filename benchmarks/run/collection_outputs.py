"""Everything a collection run derives from its forecasts: per-series scores, the aggregate
tables in four formats, plots, summary.md and report.html. Used at the end of a run and by
`forecast-bench report RUN_DIR`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from forecast_bench.benchmarks.data import Dataset
from forecast_bench.benchmarks.data.collection import Collection, SeriesData
from forecast_bench.benchmarks.data.periods import periods_words
from forecast_bench.benchmarks.run import table_names
from forecast_bench.evaluation.harness import gaps
from forecast_bench.evaluation.reporting import formats
from forecast_bench.evaluation.run_folder import results, run_files
from forecast_bench.evaluation.run_folder.record import RunRecord
from forecast_bench.evaluation.scoring import confidence_set, interval_metrics
from forecast_bench.evaluation.scoring.analysis import interval_methods, interval_view
from forecast_bench.evaluation.scoring.collection_analysis import (
    AGGREGATE_HEADERS,
    LOWER,
    CollectionAnalysis,
    analyse_collection,
)
from forecast_bench.models.errors import ConfigError

COLLECTION_TABLES = ("aggregate", "by_category", "by_step", "coverage", "intervals", "wilcoxon",
                     "cost", "mcs")
PAIRWISE_HEADERS = {"model_a": "A", "model_b": "B", "series": "series", "a_lower": "A lower",
                    "b_lower": "B lower", "median_diff": "median A - B", "p": "Wilcoxon p",
                    "p_holm": "Holm p", "differs": "differs"}
FAN_CHARTS = 3  # series shown with their interval bands (the first of the common series)


def collection_table(analysis: CollectionAnalysis, name: str, fmt: str) -> str | None:
    """One of COLLECTION_TABLES as md|csv|latex|html; None for an empty one (no categories)."""
    if name == "aggregate":
        return formats.render_frame(analysis.summary, fmt, headers=AGGREGATE_HEADERS,
                                    best="column", lower_is_better=LOWER, floatfmt=".3f")
    if name == "by_category":
        if analysis.by_category.empty:
            return None
        return formats.render_frame(analysis.by_category, fmt, floatfmt=".3f")
    if name == "by_step":
        wide = analysis.by_step.pivot(index="step", columns="model", values="smape_mean")
        wide = wide[list(dict.fromkeys(analysis.by_step["model"]))]
        return formats.render_frame(wide.reset_index(), fmt, best="row", floatfmt=".2f")
    if name == "coverage":
        return formats.render_frame(analysis.coverage, fmt)
    if name == "wilcoxon":  # every pair of models, MASE over the common series
        return formats.render_frame(analysis.pairwise, fmt, headers=PAIRWISE_HEADERS,
                                    pvalues=("p", "p_holm"), floatfmt=".3g")
    if name == "mcs":  # the model confidence set on the per-series MASE
        return confidence_set.render(analysis.mcs, fmt)
    if name == "intervals":
        if analysis.intervals.empty:
            return None
        return formats.render_frame(interval_view(analysis.intervals), fmt, floatfmt=".3f")
    if name == "cost" and analysis.cost is not None:  # accuracy against seconds per series
        return analysis.cost.render(fmt)
    raise ValueError(f"unknown table {name!r}; use one of {', '.join(COLLECTION_TABLES)}")


def write_collection_outputs(record: RunRecord, run_dir: Path) -> CollectionAnalysis:
    """Write the derived files of `record` into run_dir (replacing earlier ones); return them."""
    analysis = analyse_collection(record)
    results.write_csv(run_dir / run_files.SERIES_SCORES, analysis.series_scores)
    results.write_csv(run_dir / "summary.csv", analysis.summary)
    results.write_csv(run_dir / "by_category.csv", analysis.by_category)
    results.write_csv(run_dir / "by_step.csv", analysis.by_step)
    results.write_csv(run_dir / "coverage.csv", analysis.coverage)
    results.write_csv(run_dir / "wilcoxon_holm.csv", analysis.pairwise)
    if analysis.cost is not None:
        results.write_csv(run_dir / "cost.csv", analysis.cost.frame)
    results.write_csv(run_dir / "mcs.csv", analysis.mcs.table)
    if len(analysis.intervals):
        results.write_csv(run_dir / "intervals.csv", analysis.intervals)
        results.write_csv(run_dir / "intervals_by_step.csv", analysis.interval_steps)
    results.write_text(run_dir / "friedman.json", json.dumps(_friedman(analysis), indent=2)
                       + "\n")
    rendered = results.write_tables(
        run_dir, COLLECTION_TABLES, lambda name, fmt: collection_table(analysis, name, fmt))
    images = write_collection_plots(record, analysis, run_dir / run_files.PLOTS)
    results.write_text(run_dir / run_files.SUMMARY_MD,
                       collection_markdown(record, analysis, rendered["md"]))
    from forecast_bench.evaluation.reporting.collection_report import render_collection_report

    results.write_text(run_dir / run_files.REPORT,
                       render_collection_report(record, analysis, images, rendered["html"]))
    return analysis


def write_collection_plots(record: RunRecord, analysis: CollectionAnalysis,
                           folder: Path) -> dict[str, Path]:
    """Every figure of the report as PNG in `folder`; returns name -> path of those written."""
    from forecast_bench.evaluation.reporting import collection_plots
    from forecast_bench.evaluation.reporting.cd_diagram import (
        plot_cd_diagram,
        plot_wilcoxon_diagram,
    )

    folder.mkdir(parents=True, exist_ok=True)
    name, written = record.name, {}
    if analysis.friedman.k >= 2 and analysis.friedman.n_series >= 2:
        written["cd_diagram"] = plot_cd_diagram(
            analysis.friedman, folder / "cd_diagram.png",
            title=f"{name}: mean MASE ranks over {analysis.friedman.n_series} series")
        written["wilcoxon_diagram"] = plot_wilcoxon_diagram(
            analysis.friedman, analysis.pairwise, folder / "wilcoxon_diagram.png",
            title=f"{name}: mean MASE ranks, Wilcoxon-Holm cliques")
    if len(analysis.by_step):
        written["by_step"] = collection_plots.plot_by_step(
            analysis.by_step, folder / "by_step.png", title=f"{name}: accuracy by horizon step")
    if len(analysis.by_category):
        written["by_category"] = collection_plots.plot_by_category(
            analysis.by_category, folder / "by_category.png", title=f"{name}: MASE by category")
    if analysis.common:
        written["error_distribution"] = collection_plots.plot_error_distribution(
            analysis.series_scores, analysis.common, folder / "error_distribution.png",
            title=f"{name}: MASE per series")
        examples = collection_plots.plot_examples(record, analysis.series_scores, analysis.common,
                                                  folder / "examples.png",
                                                  title=f"{name}: example series")
        if examples is not None:
            written["examples"] = examples
    if analysis.cost is not None:
        from forecast_bench.evaluation.reporting.cost_plots import plot_cost

        if (cost := plot_cost(analysis.cost, folder / "cost.png",
                              title=f"{name}: accuracy against cost per series")) is not None:
            written["cost"] = cost
    if len(analysis.intervals):
        from forecast_bench.evaluation.reporting import interval_plots

        coverage = interval_plots.plot_coverage_by_step(
            analysis.interval_steps, folder / "coverage_by_step.png",
            title=f"{name}: coverage of the intervals, mean over series")
        if coverage is not None:
            written["coverage_by_step"] = coverage
        for index, series_id in enumerate(analysis.common[:FAN_CHARTS]):
            fan = interval_plots.plot_fan_chart(
                record.series(series_id), record.forecasts[record.forecasts.series == series_id],
                folder / f"fan_chart_{index + 1}.png",
                title=f"{name}: series {series_id} with intervals",
                methods=interval_methods(record.status))
            if fan is not None:
                written[f"fan_chart_{index + 1}"] = fan
    return written


def collection_markdown(record: RunRecord, analysis: CollectionAnalysis,
                        markdown: dict[str, str]) -> str:
    """summary.md: the run's tables in Markdown."""
    data = record.manifest.get("data", {})
    parts = [
        f"# forecast-bench run `{record.run_id}`", "",
        f"Data: `{data.get('source', '?')}`, {data.get('n_series', '?')} series read "
        f"({data.get('n_skipped', '?')} more skipped by cleaning), "
        f"{data.get('n_evaluated', '?')} evaluated, reference model `{record.reference}`.", "",
        *([f"{line}.", ""] if (line := gaps.summary_line(data)) else []),
        "## Aggregate scores", "", analysis.text,
        "", "## sMAPE per horizon step (mean over the common series)", "", markdown["by_step"],
    ]
    if "by_category" in markdown:
        parts += ["", "## Per category", "", markdown["by_category"]]
    if "intervals" in markdown:
        parts += ["", "## Prediction intervals (mean over the common series)", "",
                  interval_metrics.table_note(), "", markdown["intervals"]]
    if "mcs" in markdown:
        parts += ["", "## Model confidence set", "", analysis.mcs.note(), "", markdown["mcs"]]
    parts += ["", "## Coverage", "", markdown["coverage"],
              "", "Full report with plots: `report.html`."]
    return "\n".join(parts) + "\n"


def _friedman(analysis: CollectionAnalysis) -> dict[str, object]:
    result = analysis.friedman
    return {
        "metric": result.metric, "n_series": result.n_series, "k": result.k,
        "statistic": _float(result.statistic), "pvalue": _float(result.pvalue),
        "iman_davenport_f": _float(result.iman_davenport_f),
        "iman_davenport_pvalue": _float(result.iman_davenport_pvalue),
        "critical_difference": _float(result.critical_difference), "alpha": result.alpha,
        "mean_ranks": {str(k): float(v) for k, v in result.mean_ranks.items()},
    }


def _float(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


def dataset_summary(dataset: Dataset, item: SeriesData | None = None) -> str:
    """One series in a few lines: its provenance, size, dates, figures and notes; with `item`
    (the series as a run reads it), its frequency and the seasonal period the models get."""
    rows = [(key, "; ".join(value) if isinstance(value, list | tuple) else _figure(value))
            for key, value in dataset.describe().items()]
    if item is not None:
        rows += [("frequency", item.frequency),
                 ("seasonal_periods", periods_words(item.periods) or "none (1)"),
                 ("seasonal_period", str(item.period)), ("mase_period", str(item.mase_period))]
    return tabulate([*rows, ("sha256", dataset.sha256())], tablefmt="plain",
                    disable_numparse=True)


def _figure(value: object) -> object:
    """A float to about 4 significant digits (whole numbers as they are); others unchanged."""
    if not isinstance(value, float):
        return value
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.4g}"
    return f"{value:.0f}" if "e+" in text and abs(value) < 1e15 else text


def collection_summary(collection: Collection) -> str:
    """A collection in a few lines: counts, lengths, frequencies, categories, horizons."""
    rows = []
    for key, value in collection.describe().items():
        if key == "filled_or_dropped":  # counts per series: in series_info.csv of a run
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{name}: {count}" for name, count in value.items())
        elif isinstance(value, float):
            value = f"{value:.6g}"
        rows.append((key, value))
    rows.append(("sha256", collection.sha256()))
    text = tabulate(rows, tablefmt="plain")
    if collection.skipped:
        text += f"\n\nskipped ({len(collection.skipped)}):\n" + "\n".join(
            f"  {series}: {reason}" for series, reason in collection.skipped[:10])
    return text


def table_of_run(record: RunRecord, run_dir: Path, table: str, fmt: str) -> str:
    """`forecast-bench table` on a collection run folder (`record`, read from run_dir)."""
    name = {"summary": "aggregate", "steps": "by_step", "categories": "by_category"}.get(
        table, table)
    if name in ("makridakis2018", "makridakis2018_pairs"):
        from forecast_bench.benchmarks.makridakis2018 import (
            paired_table,
            paper_series,
            paper_table,
        )

        analysis = analyse_collection(record)
        common, ranks = paper_series(record, analysis.series_scores, analysis.common)
        if name == "makridakis2018":
            frame = paper_table(record, analysis.step_scores, common, ranks, run_dir)
            return formats.render_frame(frame, fmt, floatfmt=".2f")
        members = record.members if len(record.members) else None
        frame = paired_table(analysis.series_scores, members, record.scales, common)
        return formats.render_frame(frame, fmt, floatfmt=".3g")
    if name in ("nbeats2020", "ensemble"):
        return _nbeats_table(record, name, fmt)
    if name not in COLLECTION_TABLES:
        raise ConfigError(f"{run_dir} is a collection run: its tables are "
                          f"{', '.join(table_names.COLLECTION)}")
    analysis = analyse_collection(record)
    text = collection_table(analysis, name, fmt)
    if text is None and name == "mcs":
        raise ConfigError(f"{run_dir}: {analysis.mcs.why}")
    if text is None and name == "intervals":
        raise ConfigError(f"{run_dir} has no prediction intervals; rerun it with "
                          "--levels 80,95")
    if text is None:
        raise ConfigError(f"{run_dir} has no categories; use --table summary, steps or coverage")
    return text


def _nbeats_table(record: RunRecord, name: str, fmt: str) -> str:
    """The N-BEATS tables (benchmarks.nbeats2020): ours beside the published figures, or the
    sMAPE of each ensemble's first k members."""
    from forecast_bench.benchmarks import nbeats2020

    analysis = analyse_collection(record)
    if name == "ensemble":
        if not len(record.members):
            raise ConfigError("this run has no ensemble members (members.csv is empty): no "
                              "model averaged several networks")
        frame = nbeats2020.ensemble_curve(record, analysis.common)
    else:
        cost = analysis.cost.frame.set_index("model") if analysis.cost is not None else None
        frame = nbeats2020.paper_table(record, analysis.series_scores, analysis.common, cost)
    return formats.render_frame(frame, fmt, floatfmt=".4g")
