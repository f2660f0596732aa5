"""The report's first lines: what was compared on what data and split, the winner, and whether
its lead over the next best model and over the naive baseline is more than noise. Every figure
comes from the run's own tables (the summary and the Diebold-Mariano p-values)."""

from __future__ import annotations

import dataclasses
import html
import re

import pandas as pd

from forecast_bench.evaluation.reporting.formats import p_text
from forecast_bench.evaluation.run_folder.record import SeriesRecord
from forecast_bench.evaluation.scoring.analysis import Analysis

REFERENCE = "naive"
ALPHA = 0.05


@dataclasses.dataclass(frozen=True)
class Headline:
    """winner: the summary's best row (None when no model scored); sentences: Markdown, model
    names in **bold**; the first says what was compared, `verdict` (an index) names the winner."""

    winner: str | None
    sentences: list[str]
    verdict: int


def data_text(record: SeriesRecord) -> str:
    """One sentence: source, column, number of values and dates."""
    series = record.series
    source = record.manifest.get("data", {}).get("source", "?")
    return (f"Data: `{source}` column `{series.name}`, {len(series)} values "
            f"{series.index[0].date()} .. {series.index[-1].date()}.")


def split_text(record: SeriesRecord) -> str:
    """One sentence: folds, window, test values, horizon, origin step and what is fitted."""
    folds, split = record.folds, record.config.get("split", {})
    window = split.get("window", "expanding")
    window = "expanding" if window == "expanding" else f"sliding ({window})"
    return (f"Split: {len(folds)} {window} fold(s), {int(folds.n_test.sum())} test values from "
            f"{pd.Timestamp(folds.test_start.iloc[0]).date()}, horizon {record.horizon}, origins "
            f"every {split.get('step', 1)} step(s){period_text(folds)}; {fitting_text(folds)}.")


def period_text(folds: pd.DataFrame) -> str:
    """", seasonal period m (...)" from folds.csv's mase_period; "" when the run does not say."""
    if "mase_period" not in folds or folds.mase_period.isna().all():
        return ""
    period = int(folds.mase_period.dropna().iloc[0])
    cell = folds.periods.iloc[0] if "periods" in folds else period  # older runs: the same
    words = cell.strip() if isinstance(cell, str) else "" if pd.isna(cell) else f"{cell:g}"
    if words in (str(period), "" if period == 1 else "-"):
        return (f", seasonal period {period} (the seasonal models' and MASE's; --period or"
                " data.period sets it)")
    models = f"seasonal period{'s' if ' ' in words else ''} {words}" if words else "no season"
    return (f", {models} for the seasonal models and lag {period} for MASE's scale (--period"
            " or data.period sets both)")


def fitting_text(folds: pd.DataFrame) -> str:
    """When the models are fitted: the harness fits each model once per fold, on the fold's
    training part, and forecasts the fold's origins with those parameters (no refit per
    origin; evaluation.harness.walk_forward)."""
    origins = int(folds.n_origins.sum()) if "n_origins" in folds else None
    if len(folds) > 1:
        return (f"each model refitted at the start of each of the {len(folds)} folds, then "
                "forecast from the fold's origins with those parameters")
    if origins == 1:
        return "each model fitted once, on the training part, and forecast from one origin"
    return ("each model fitted once, on the training part, then forecast from every origin with"
            " those parameters (no refit)")


def headline(record: SeriesRecord, analysis: Analysis) -> Headline:
    """The headline of a single-series run, computed from `analysis`."""
    summary = analysis.summary
    names = ", ".join(f"**{m}**" for m in summary.model)
    sentences = [f"{len(summary)} model(s) compared: {names}.", data_text(record),
                 split_text(record)]
    scored = summary[summary.rmse.notna()].reset_index(drop=True)
    failed = int((record.status.status != "ok").sum())
    tail = ([f"{failed} model-fold task(s) failed and are left out of every score (see"
             " Failures)."] if failed else [])
    short = [m for m, counts in record.manifest.get("models", {}).items()
             if counts.get("n_too_short")]
    if short:
        tail.append("Left out, the series too short for them (see skipped.csv): "
                    + ", ".join(f"**{m}**" for m in short) + ".")
    if scored.empty:
        return Headline(None, [*sentences, "No model produced a forecast.", *tail], 3)
    best = scored.iloc[0]
    steps = "" if record.horizon == 1 else f"all {record.horizon} steps, "
    leaky = (" It is marked leaky: it saw the test period while fitting, so its score is no"
             " fair forecast." if best.model in record.leaky else "")
    sentences.append(f"Most accurate by RMSE over every forecast ({steps}all folds): "
                     f"**{best.model}** (RMSE {best.rmse:.4f}).{leaky}")
    verdict = len(sentences) - 1
    if len(scored) > 1:
        runner = scored.iloc[1]
        sentences.append(f"Next best: **{runner.model}** (RMSE {runner.rmse:.4f}, "
                         f"{percent_higher(runner.rmse, best.rmse)}); "
                         + _significance(analysis, best.model, runner.model))
    sentences += _versus_reference(analysis, scored) + tail
    return Headline(str(best.model), sentences, verdict)


def _versus_reference(analysis: Analysis, scored: pd.DataFrame) -> list[str]:
    models = list(scored.model)
    if REFERENCE not in models:
        return [f"There is no {REFERENCE} baseline in this run to compare against."]
    best = scored.iloc[0]
    if best.model == REFERENCE:
        return [f"The {REFERENCE} baseline (the last value carried forward) is the most accurate"
                " model: no model beats it."]
    if len(models) > 1 and models[1] == REFERENCE:
        return [f"The next best is the {REFERENCE} baseline itself."]
    ref = scored[scored.model == REFERENCE].iloc[0]
    return [f"Against the {REFERENCE} baseline (RMSE {ref.rmse:.4f}): **{best.model}**'s RMSE is"
            f" {percent_lower(ref.rmse, best.rmse)}; "
            + _significance(analysis, best.model, REFERENCE)]


def _significance(analysis: Analysis, model: str, other: str) -> str:
    table = analysis.dm_pvalues
    p = (table.loc[model, other] if model in table.index and other in table.columns
         else float("nan"))
    if pd.isna(p):
        return ("the Diebold-Mariano test could not be run on this pair (see the"
                " Diebold-Mariano section for why).")
    shown = p_text(p)
    if p < ALPHA:
        return (f"the Diebold-Mariano test finds the difference significant ({shown} <"
                f" {ALPHA:g}): more than noise.")
    return (f"the Diebold-Mariano test finds no significant difference ({shown} >= {ALPHA:g}):"
            " the gap could be noise.")


def percent_lower(reference: float, value: float) -> str:
    """How much lower `value` is than `reference`, as a share of the reference:
    (reference - value) / reference x 100, e.g. 10 against 6 -> "40.0% lower" (no figure when
    the reference is not positive)."""
    if not reference > 0:
        return "lower"
    return f"{_percent(100 * (reference - value) / reference)} lower"


def percent_higher(value: float, best: float) -> str:
    """How much higher `value` is than `best`, as a share of the best: (value - best) / best x
    100, e.g. 10 against a best of 6 -> "66.7% higher"."""
    if not best > 0:
        return "higher"  # no share of a zero RMSE
    return f"{_percent(100 * (value - best) / best)} higher"


def _percent(gap: float) -> str:
    return f"{gap:.1f}%" if abs(gap) >= 1 else f"{gap:.2f}%"


def markdown(lines: Headline) -> str:
    """The headline in Markdown: what was compared, then the findings as a list."""
    findings = "\n".join(f"- {s}" for s in lines.sentences[lines.verdict:])
    return " ".join(lines.sentences[:lines.verdict]) + "\n\n" + findings


def to_html(lines: Headline) -> str:
    """The headline as HTML: what was compared as a paragraph, the findings as a list whose
    first item (the winner's) carries class "winner" and data-model; bold and code kept."""
    def inline(text: str) -> str:
        text = html.escape(text)
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", text)

    context = " ".join(inline(s) for s in lines.sentences[:lines.verdict])
    mark = ("" if lines.winner is None else
            f" class='winner' data-model='{html.escape(lines.winner, quote=True)}'")
    items = [f"<li{mark if i == 0 else ''}>{inline(s)}</li>"
             for i, s in enumerate(lines.sentences[lines.verdict:])]
    return f"<p class='note'>{context}</p>\n<ul class='headline'>{''.join(items)}</ul>"
