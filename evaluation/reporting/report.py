"""report.html: one self-contained page (images embedded as base64) that reads offline."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from forecast_bench.evaluation.harness import gaps
from forecast_bench.evaluation.reporting import formats, headline
from forecast_bench.evaluation.run_folder.record import SeriesRecord
from forecast_bench.evaluation.scoring import interval_metrics
from forecast_bench.evaluation.scoring.analysis import Analysis
from forecast_bench.evaluation.scoring.cost import CostTable

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 1em auto; padding: 0 .8em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.5em; overflow-wrap: anywhere; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
nav { display: flex; flex-wrap: wrap; gap: .2em .9em; margin: .5em 0 1em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f0f0f0; }
img { max-width: 100%; height: auto; border: 1px solid #eee; margin: .5em 0; }
.note { color: #555; font-size: .9em; }
code { overflow-wrap: anywhere; }
.warn { color: #a00; font-weight: bold; }
ul.headline li { margin: .3em 0; } ul.headline li.winner { font-size: 1.1em; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(520px, 100%), 1fr));
        gap: .5em; }
details { margin: .5em 0; } summary { cursor: pointer; }
pre { background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: .85em; }
.scroll { overflow-x: auto; max-width: 100%; }
"""
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def image_tag(path: Path, alt: str) -> str:
    """An <img> carrying the PNG itself, so the page needs no other file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def render_report(record: SeriesRecord, analysis: Analysis, images: dict[str, Path],
                  tables: dict[str, str], explain: list[str] | None = None) -> str:
    """The page: the headline, the scores, the plots, the other tables, failures, then the data
    (EDA), the folds and the manifest.

    images: plot name -> PNG path (missing names are skipped); tables: table name -> HTML;
    explain: files written by `forecast-bench explain`, relative to the run folder.
    """
    forecast_plot = (figure(images, "forecast_paths", "forecast paths from a few origins")
                     or figure(images, "actual_vs_predicted", "actual vs predicted"))
    sections = [
        ("headline", "At a glance", headline.to_html(headline.headline(record, analysis))),
        ("summary", "Scores", scroll(tables["summary"]) + notes_list(analysis.notes)),
        ("forecasts", "Forecasts", forecast_plot
         + figure(images, "errors_by_hour", "mean absolute error by hour of day")
         + figure(images, "errors_by_weekday", "mean absolute error by day of week")
         + figure(images, "cumulative_loss_vs_naive",
                  "cumulative squared-error difference against naive")),
        ("per-fold", "RMSE per fold", "<p class='note'>Each fold scored on its own; the lowest"
         " RMSE of each fold in bold.</p>" + figure(images, "error_by_fold", "RMSE per fold")
         + scroll(tables["folds"])),
    ]
    if "steps" in tables:
        sections.append(("per-step", "RMSE per horizon step", scroll(tables["steps"])))
    if "steps_mape" in tables:
        sections.append(("per-step-mape", "MAPE % per horizon step",
                         "<p class='note'>Mean |error| / |actual| x 100 over the forecasts of"
                         " each step (all origins); undefined (-) where an actual is 0.</p>"
                         + scroll(tables["steps_mape"])))
    sections += [
        ("dm", "Diebold-Mariano tests", _dm_text(record, analysis)
         + figure(images, "dm_pvalues", "DM p-value heatmap") + scroll(tables["dm"])
         + _holm(tables)),
        ("mcs", "Model confidence set", f"<p class='note'>{html.escape(analysis.mcs.note())}"
         "</p>" + scroll(tables.get("mcs", ""))),
        ("ranks", "Ranks", "<p class='note'>1 = best on that metric (ties share the mean rank);"
         " mean rank over the metrics a model has.</p>" + scroll(tables["ranks"])),
    ]
    if "cost" in tables and analysis.cost is not None:
        sections.append(cost_section(analysis.cost, images, tables["cost"]))
    if "intervals" in tables:
        sections.append(("intervals", "Prediction intervals",
                         f"<p class='note'>{html.escape(interval_metrics.table_note())}</p>"
                         + scroll(tables["intervals"])
                         + figure(images, "coverage_by_step", "coverage by horizon step")
                         + figure(images, "fan_chart", "forecasts with interval bands")))
    sections += [
        ("training", "Training curves", figure(images, "training_curves", "training curves")
         or "<p>No model of this run records training curves.</p>"),
        ("fitted", "Fitted models", _status_table(record.status, "fitted")
         or "<p>No model reports what it fitted.</p>"),
        ("failures", "Failures", _failures(record.status)),
        ("data", "Data", _data_section(record, analysis, images)),
        ("folds", "Folds", figure(images, "folds_timeline", "train and test spans")
         + _frame_html(_dates_as_text(record.folds))),
    ]
    if explain:
        links = "".join(f'<li><a href="{html.escape(f)}">{html.escape(f)}</a></li>'
                        for f in explain)
        sections.append(("explain", "LSTM explained", "<p>Written by <code>forecast-bench "
                         "explain</code>: the network's gates, states and parameters, next to"
                         " this page in the run folder.</p><ul>" + links + "</ul>"))
    sections.append(("manifest", "Manifest", _manifest(record)))
    return page(record.run_id, record.manifest, sections)


Section = tuple[str, str, str]  # (anchor, title, HTML content)


def cost_section(cost: CostTable, images: dict[str, Path], table: str) -> Section:
    """Accuracy against cost: the plot, the table and how its figures were taken."""
    return ("cost", "Accuracy and cost", figure(images, "cost", "accuracy against cost")
            + scroll(table) + notes_list(cost.notes()))


def page(run_id: str, manifest: dict, sections: list[Section]) -> str:
    """The whole HTML page: title, an incomplete-run warning, a table of contents (links to the
    sections), then the sections; the same frame for single-series and collection reports."""
    nav = "".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title, _ in sections)
    body = "\n".join(f'<section id="{key}">\n<h2>{html.escape(title)}</h2>\n{content}\n</section>'
                     for key, title, content in sections)
    title = f"forecast-bench run {run_id}"
    incomplete = ("" if manifest.get("status") == "complete" else
                  "<p class='warn'>This run did not finish: no complete manifest.json.</p>")
    return (f"<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n{VIEWPORT}\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n{incomplete}\n<nav>{nav}</nav>\n{body}\n"
            "</body>\n</html>\n")


def figure(images: dict[str, Path], name: str, alt: str) -> str:
    path = images.get(name)
    return image_tag(path, alt) if path is not None and Path(path).is_file() else ""


def notes_list(notes: list[str]) -> str:
    return "<ul class='note'>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"


def scroll(table: str) -> str:
    """A table inside a box that scrolls sideways, so a wide table never widens the page."""
    return f"<div class='scroll'>{table}</div>"


def facts_table(facts: list[tuple[str, object]]) -> str:
    """Two columns, name and value, in a scroll box."""
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in facts)
    return scroll(f"<table>{rows}</table>")


def _frame_html(frame: pd.DataFrame) -> str:
    return scroll(formats.render_frame(frame, "html"))


def _data_section(record: SeriesRecord, analysis: Analysis, images: dict[str, Path]) -> str:
    data = record.manifest.get("data", {})
    series = record.series
    facts = [
        ("source", data.get("source", "")), ("column", data.get("column", series.name)),
        ("values", len(series)),
        ("dates", f"{series.index[0].date()} .. {series.index[-1].date()}"),
        ("min / mean / max", f"{series.min():.4g} / {series.mean():.4g} / {series.max():.4g}"),
        ("sha256", data.get("sha256", "")),
        *(("cleaning", note) for note in data.get("notes", [])),
        *(("filled / dropped", line) for line in filter(None, [gaps.summary_line(data)])),
    ]
    eda = "<div class='grid'>" + "".join(
        figure(images, name, name.replace("_", " "))
        for name in ("eda_price", "eda_moving_averages", "eda_returns", "eda_boxplots")) + "</div>"
    tests = (scroll(formats.render_frame(analysis.stationarity, "html", pvalues=["pvalue"]))
             if len(analysis.stationarity) else "<p>Stationarity tests could not run.</p>")
    return (f"{facts_table(facts)}\n<h3>Exploratory plots</h3>\n{eda}\n"
            "<h3>Stationarity (ADF: null = unit root; KPSS: null = stationary)</h3>\n" + tests)


def _dm_text(record: SeriesRecord, analysis: Analysis) -> str:
    """How to read the DM table and heatmap, and why cells are empty when some are."""
    horizon = record.horizon
    at = "" if horizon == 1 else (f" (step {horizon} only: the DM test takes one forecast per"
                                  " origin, the run's last step)")
    text = (f"<p class='note'>Cell [row, column]: p-value of the Diebold-Mariano test of the row"
            f" model against the column model on the {horizon}-step forecasts both made{at}"
            " (two-sided, Harvey-Leybourne-Newbold corrected, squared loss). Below 0.05 (bold)"
            " the two models' accuracy differs by more than noise. In the heatmap blue means"
            " the row model has the lower loss, red the higher; strong colours only where"
            " p &lt; 0.05.</p>")
    models = list(analysis.dm_pvalues.index)
    if len(models) < 2:
        why = "Only one model produced forecasts: there is no pair to test."
    else:
        why = analysis.dm_shortfall
    return text + (f"<p class='dm-why warn'>{html.escape(why)}</p>" if why else "")


def _holm(tables: dict[str, str]) -> str:
    if "dm_holm" not in tables:
        return ""
    return ("<p class='note'>The same p-values Holm-corrected over the pairs (the chance of any"
            " false 'differs' held at 0.05 over all of them):</p>" + scroll(tables["dm_holm"]))


def _status_table(status: pd.DataFrame, column: str) -> str:
    rows = status[status[column].fillna("").astype(str) != ""][["model", "fold", column]]
    return _frame_html(rows.reset_index(drop=True)) if len(rows) else ""


def _failures(status: pd.DataFrame) -> str:
    failed = status[status.status != "ok"][["model", "fold", "reason"]]
    if failed.empty:
        return "<p>None: every model ran on every fold.</p>"
    return ("<p class='warn'>Failed tasks are left out of every score above.</p>"
            + _frame_html(failed.reset_index(drop=True)))


def _manifest(record: SeriesRecord) -> str:
    """Key facts (versions, data hash, seed, timings), then the full manifest and config."""
    manifest = record.manifest or {"status": "incomplete (no manifest.json)"}
    seconds = manifest.get("wall_seconds", {})
    facts = [
        ("status", manifest.get("status")), ("created", manifest.get("created")),
        ("command", manifest.get("command")), ("git commit", manifest.get("git_commit")),
        ("seed", manifest.get("seed")), ("data sha256", manifest.get("data", {}).get("sha256")),
        ("total seconds", seconds.get("total")),
        *((f"seconds: {model}", value) for model, value in seconds.get("models", {}).items()),
        ("platform", manifest.get("platform")),
        *((f"version: {name}", version)
          for name, version in manifest.get("packages", {}).items()),
    ]
    shown = [(k, v) for k, v in facts if v is not None]
    return (f"{facts_table(shown)}\n<details><summary>manifest.json</summary><pre>"
            + html.escape(json.dumps(manifest, indent=2)) + "</pre></details>\n"
            "<details><summary>config.toml (fully resolved)</summary><pre>"
            + html.escape(record.config_text) + "</pre></details>")


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    dates = frame.select_dtypes("datetime").columns
    return frame.assign(**{c: frame[c].dt.strftime("%Y-%m-%d") for c in dates})
