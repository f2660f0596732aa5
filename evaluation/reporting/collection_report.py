"""report.html of a collection run: the headline (the winner and whether its lead is
significant) and the aggregate table first, then the critical-difference diagram, accuracy per
horizon step and per category, per-series error distributions, a handful of series, coverage
and failures, the data and the manifest. One self-contained page."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from forecast_bench.evaluation.harness import gaps
from forecast_bench.evaluation.reporting import formats
from forecast_bench.evaluation.reporting.formats import p_text
from forecast_bench.evaluation.reporting.report import (
    cost_section,
    facts_table,
    figure,
    notes_list,
    page,
    scroll,
)
from forecast_bench.evaluation.run_folder.record import RunRecord
from forecast_bench.evaluation.scoring import collection_stats, interval_metrics
from forecast_bench.evaluation.scoring.collection_analysis import (
    CollectionAnalysis,
    common_words,
    coverage_words,
    periods_text,
)


def render_collection_report(record: RunRecord, analysis: CollectionAnalysis,
                             images: dict[str, Path],
                             tables: dict[str, str]) -> str:
    """The page; images: plot name -> PNG path (missing ones skipped); tables: name -> HTML."""
    friedman = analysis.friedman
    sections = [
        ("headline", "At a glance", _headline(record, analysis)),
        ("summary", "Aggregate scores", scroll(tables["aggregate"]) + notes_list(analysis.notes)),
        ("ranks", "Ranks and significance across series",
         f"<p>Friedman chi2 = {_num(friedman.statistic)}, {p_text(friedman.pvalue)};"
         f" Iman-Davenport F = {_num(friedman.iman_davenport_f)},"
         f" {p_text(friedman.iman_davenport_pvalue)}; {friedman.k} models, {friedman.n_series}"
         f" series; Nemenyi critical difference ({friedman.alpha:g}):"
         f" {_num(friedman.critical_difference)}. Models joined by a bar do not differ"
         " significantly (Demsar 2006).</p>"
         + figure(images, "cd_diagram", "critical-difference diagram")
         + _wilcoxon(analysis, images, tables)),
        ("steps", "Accuracy per horizon step", figure(images, "by_step", "accuracy by step")
         + scroll(tables["by_step"])),
    ]
    if "by_category" in tables:
        sections.append(("categories", "Accuracy per category",
                         figure(images, "by_category", "MASE by category")
                         + scroll(tables["by_category"])))
    if "intervals" in tables:
        sections.append(("intervals", "Prediction intervals",
                         f"<p class='note'>{html.escape(interval_metrics.table_note())} Each "
                         "score is a mean over the common series.</p>"
                         + scroll(tables["intervals"])
                         + figure(images, "coverage_by_step", "coverage by horizon step")
                         + "".join(figure(images, key, "a series with interval bands")
                                   for key in sorted(images) if key.startswith("fan_chart"))))
    sections += [
        ("distribution", "Per-series errors",
         figure(images, "error_distribution", "per-series MASE distribution")),
        ("examples", "Example series",
         "<p class='note'>For each model its best, typical (median) and worst series by MASE;"
         " the forecasts from the last origin against the reference's.</p>"
         + figure(images, "examples", "example series")),
        *([cost_section(analysis.cost, images, tables["cost"])]
          if "cost" in tables and analysis.cost is not None else []),
        ("coverage", "Coverage", scroll(tables["coverage"])),
        ("failures", "Failures and skipped series", _failures(record)),
        ("data", "Data", _data(record)),
        ("manifest", "Manifest", "<details><summary>config.toml (fully resolved)</summary><pre>"
         + html.escape(record.config_text) + "</pre></details>"
         + f"<pre>{html.escape(str(record.manifest.get('wall_seconds', {})))}</pre>"),
    ]
    return page(record.run_id, record.manifest, sections)


def _wilcoxon(analysis: CollectionAnalysis, images: dict[str, Path],
              tables: dict[str, str]) -> str:
    """The Wilcoxon-Holm diagram and table, then the model confidence set."""
    parts = ["<p>Every pair of models by the Wilcoxon signed-rank test on their per-series"
             " MASE, Holm-corrected over the pairs (Benavoli, Corani &amp; Mangili 2016): unlike"
             " Nemenyi's, a pair's verdict does not depend on the other models compared. Models"
             " joined by a bar form a clique that no pair test at 0.05 tells apart (a bar spans"
             " its members' ranks, so a model inside its span need not belong to it).</p>",
             figure(images, "wilcoxon_diagram", "Wilcoxon-Holm critical-difference diagram")]
    if "wilcoxon" in tables:
        parts.append("<details><summary>Every pair</summary>" + scroll(tables["wilcoxon"])
                     + "</details>")
    parts.append(f"<h3>Model confidence set</h3><p>{html.escape(analysis.mcs.note())}</p>")
    if "mcs" in tables:
        parts.append(scroll(tables["mcs"]))
    return "".join(parts)


def _headline(record: RunRecord, analysis: CollectionAnalysis) -> str:
    """What was compared, the best model by OWA, and whether its mean MASE rank differs from
    the next best's and the reference's by more than Nemenyi's critical difference."""
    summary, friedman = analysis.summary, analysis.friedman
    best = summary.iloc[0]
    source = record.manifest.get("data", {}).get("source", "?")
    partial = "; ".join(coverage_words(record, analysis.coverage).values())
    context = (f"{len(summary)} models on {common_words(record, common=analysis.common)} of "
               f"{source}{f' ({partial})' if partial else ''},"
               f" {periods_text(record.info) or 'seasonal period not recorded'},"
               f" scored against the reference {record.reference}.")
    items = [f"Most accurate by OWA: <strong>{html.escape(str(best['model']))}</strong> (OWA"
             f" {best['owa']:.3f}, mean sMAPE {best['smape_mean']:.2f}, mean MASE"
             f" {best['mase_mean']:.3f})."]
    verdict = ("the models differ" if friedman.pvalue < friedman.alpha
               else "no evidence that the models differ")
    items.append(f"Friedman test on the MASE ranks across series: {p_text(friedman.pvalue)},"
                 f" {verdict} at {friedman.alpha:g}.")
    others = [("next best", summary.iloc[1]["model"])] if len(summary) > 1 else []
    if record.reference != best["model"] and record.reference in set(summary.model):
        others.append(("reference", record.reference))
    for role, model in others:
        items.append(f"Against the {role} {html.escape(str(model))}: "
                     + _rank_gap(friedman, str(best["model"]), str(model)))
    mark = f" class='winner' data-model='{html.escape(str(best['model']), quote=True)}'"
    rows = "".join(f"<li{mark if i == 0 else ''}>{item}</li>" for i, item in enumerate(items))
    return f"<p class='note'>{html.escape(context)}</p>\n<ul class='headline'>{rows}</ul>"


def _rank_gap(friedman: collection_stats.FriedmanResult, model: str, other: str) -> str:
    ranks, cd = friedman.mean_ranks, friedman.critical_difference
    if model not in ranks or other not in ranks or pd.isna(cd):
        return "the mean ranks cannot be compared (too few series)."
    gap = float(ranks[other] - ranks[model])
    verdict = ("significant (larger than" if abs(gap) > cd else "not significant (within")
    return (f"mean MASE rank {ranks[model]:.2f} against {ranks[other]:.2f}, a gap of {gap:+.2f}:"
            f" {verdict} the Nemenyi critical difference {cd:.2f}).")


def _failures(record: RunRecord) -> str:
    failed = record.status[record.status.status != "ok"][["series", "model", "fold", "reason"]]
    parts = []
    for rows, what in ((record.skipped_series, "series skipped before any model ran"),
                       (record.too_short, "(series, model) pairs left out, the series too"
                                          " short for the model")):
        if len(rows):
            parts.append(f"<p>{len(rows)} {what} (first 50):</p>" + scroll(
                formats.render_frame(rows.head(50).reset_index(drop=True), "html")))
    if len(failed):
        parts.append(f"<p class='warn'>{len(failed)} failed task(s), left out of the scores"
                     " (first 50):</p>"
                     + scroll(formats.render_frame(failed.head(50).reset_index(drop=True),
                                                   "html")))
    return "".join(parts) or "<p>None: every model ran on every series.</p>"


def _data(record: RunRecord) -> str:
    data = record.manifest.get("data", {})
    facts = [(key, value) for key, value in data.items() if not isinstance(value, dict | list)]
    per_series = "filled_or_dropped"  # counts per series: series_info.csv has them
    facts += [(key, ", ".join(f"{k}: {v}" for k, v in value.items()))
              for key, value in data.items() if isinstance(value, dict) and key != per_series]
    line = gaps.summary_line(data)
    return (f"<p>{html.escape(line)}.</p>" if line else "") + facts_table(facts)


def _num(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.3f}"

