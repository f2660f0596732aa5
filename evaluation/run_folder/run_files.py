"""The run folder's format in one place: its files' names (results/<run-id>/...) and the
columns of the raw tables every run writes. The harness builds its tables with these columns,
`results` writes them and `record` reads them back."""

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

# y_origin: the last value the forecast saw (for directional accuracy)
FORECAST_COLUMNS = ["series", "model", "fold", "origin", "target", "step", "y_origin", "y_true",
                    "y_pred"]  # then lower_<level>, upper_<level> per interval level
# fit and predict seconds: wall-clock, then CPU (the process's; absent from runs before 2026-12)
TIMING_COLUMNS = ["fit_seconds", "predict_seconds", "fit_cpu_seconds", "predict_cpu_seconds"]
STATUS_COLUMNS = ["series", "model", "fold", "status", "reason", "leaky", "fitted",
                  "intervals", *TIMING_COLUMNS, "warnings", "cached"]
SKIPPED_COLUMNS = ["series", "model", "reason"]  # model: empty where the whole series was
