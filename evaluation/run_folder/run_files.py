"""One home for the names of a run folder's files (results/<run-id>/...)."""

from __future__ import annotations

CONFIG = "config.toml"  # the fully resolved configuration
MANIFEST = "manifest.json"  # versions, data hash, timings; written last: marks a complete run
SERIES = "series.csv"  # one series: date, value; a collection: series, date, value (long)
SERIES_INFO = "series_info.csv"  # a collection: one row per series (frequency, period, ...)
SKIPPED = "skipped.csv"  # a collection: series left out (cleaning, too short), with reasons
FOLDS = "folds.csv"  # one row per (series,) fold: positions, dates, MASE scale
FORECASTS = "forecasts.csv"  # one row per (series, model, fold, origin, step)
STATUS = "status.csv"  # one row per (series, model, fold): ok or failed, timings, warnings
MEMBERS = "members.csv"  # each seed's forecasts, for models averaging several
ONE_STEP = "one_step.csv"  # split.one_step: each test value forecast one step ahead
HISTORIES = "histories.json"  # training curves of the networks
SERIES_SCORES = "series_scores.csv"  # a collection: every metric per (series, model)
SUMMARY_MD = "summary.md"
REPORT = "report.html"
TABLES = "tables"  # folder: every table as .md, .tex and .html
PLOTS = "plots"  # folder: every figure as .png
