"""report.html of a collection run: the aggregate table first, then the critical-difference
diagram, accuracy per horizon step and per category, per-series error distributions, a handful
of series, coverage and failures, the data and the manifest. One self-contained page."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from evaluation import formats, interval_metrics
from evaluation.panel_analysis import PanelAnalysis
from evaluation.panel_analysis import p_text as _p
from evaluation.panel_record import PanelRecord
from evaluation.report import figure, notes_list, page


def render_panel_report(record: PanelRecord, analysis: PanelAnalysis, images: dict[str, Path],
                        tables: dict[str, str]) -> str:
    """The page; images: plot name -> PNG path (missing ones skipped); tables: name -> HTML."""
    friedman = analysis.friedman
    sections = [
        ("summary", "Aggregate scores", _scroll(tables["aggregate"]) + notes_list(analysis.notes)),
        ("ranks", "Ranks and significance across series",
         f"<p>Friedman chi2 = {_num(friedman.statistic)}, {_p(friedman.pvalue)};"
         f" Iman-Davenport F = {_num(friedman.iman_davenport_f)},"
         f" {_p(friedman.iman_davenport_pvalue)}; {friedman.k} models, {friedman.n_series}"
         f" series; Nemenyi critical difference ({friedman.alpha:g}):"
         f" {_num(friedman.critical_difference)}. Models joined by a bar do not differ"
         " significantly (Demsar 2006).</p>"
         + figure(images, "cd_diagram", "critical-difference diagram")),
        ("steps", "Accuracy per horizon step", figure(images, "by_step", "accuracy by step")
         + _scroll(tables["by_step"])),
    ]
    if "by_category" in tables:
        sections.append(("categories", "Accuracy per category",
                         figure(images, "by_category", "MASE by category")
                         + _scroll(tables["by_category"])))
    if "intervals" in tables:
        sections.append(("intervals", "Prediction intervals",
                         f"<p class='note'>{html.escape(interval_metrics.table_note())} Each "
                         "score is a mean over the common series.</p>"
                         + _scroll(tables["intervals"])
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
        ("coverage", "Coverage", _scroll(tables["coverage"])),
        ("failures", "Failures and skipped series", _failures(record)),
        ("data", "Data", _data(record)),
        ("manifest", "Manifest", "<details><summary>config.toml (fully resolved)</summary><pre>"
         + html.escape(record.config_text) + "</pre></details>"
         + f"<pre>{html.escape(str(record.manifest.get('wall_seconds', {})))}</pre>"),
    ]
    lead = f"<p>{html.escape(_headline(record, analysis))}</p>\n"
    return page(record.run_id, record.manifest, sections, lead)


def _headline(record: PanelRecord, analysis: PanelAnalysis) -> str:
    summary = analysis.summary
    best = summary.iloc[0]
    return (f"{len(summary)} models on {len(analysis.common)} series of "
            f"{record.manifest.get('data', {}).get('source', '?')}; best by OWA: {best['model']}"
            f" (OWA {best['owa']:.3f}, mean sMAPE {best['smape_mean']:.2f}, mean MASE "
            f"{best['mase_mean']:.3f}) against the reference {record.reference}.")


def _scroll(table: str) -> str:
    return f"<div class='scroll'>{table}</div>"


def _failures(record: PanelRecord) -> str:
    failed = record.status[record.status.status != "ok"][["series", "model", "fold", "reason"]]
    parts = []
    if len(record.skipped):
        parts.append(f"<p>{len(record.skipped)} series skipped before any model ran:</p>"
                     + _scroll(formats.render_frame(record.skipped.head(50), "html")))
    if len(failed):
        parts.append(f"<p class='warn'>{len(failed)} failed task(s), left out of the scores"
                     " (first 50):</p>"
                     + _scroll(formats.render_frame(failed.head(50).reset_index(drop=True),
                                                    "html")))
    return "".join(parts) or "<p>None: every model ran on every series.</p>"


def _data(record: PanelRecord) -> str:
    data = record.manifest.get("data", {})
    facts = [(key, value) for key, value in data.items() if not isinstance(value, dict | list)]
    facts += [(key, ", ".join(f"{k}: {v}" for k, v in value.items()))
              for key, value in data.items() if isinstance(value, dict)]
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in facts)
    return f"<div class='scroll'><table>{rows}</table></div>"


def _num(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.3f}"

