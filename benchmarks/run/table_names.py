"""The names `forecast-bench table RUN --table NAME` takes (a module of constants: the CLI
imports it without pandas)."""

from __future__ import annotations

SINGLE = ("summary", "folds", "steps", "steps_mape", "ranks", "dm", "dm_holm", "mcs",
          "intervals", "cost")
COLLECTION = ("summary", "steps", "categories", "coverage", "intervals", "wilcoxon", "mcs",
              "cost", "ensemble", "makridakis2018", "makridakis2018_pairs", "nbeats2020")
CHOICES = tuple(dict.fromkeys(SINGLE + COLLECTION))
HELP = ("summary (default), folds (RMSE per fold), steps (RMSE per horizon step), steps_mape "
        "(MAPE per horizon step), ranks, dm (Diebold-Mariano p-values), dm_holm (the same, "
        "Holm-corrected), mcs (model confidence set), intervals (coverage and scores of the "
        "prediction intervals), cost (accuracy against seconds per series, Pareto front); a "
        "collection run: summary, steps, categories, coverage, intervals, wilcoxon (every pair "
        "of models: Wilcoxon on MASE across series, Holm-corrected), mcs (on the per-series "
        "MASE), cost, ensemble (sMAPE of the median of an ensemble's first k members), "
        "makridakis2018 (beside the published figures of Makridakis et al. 2018), "
        "makridakis2018_pairs (global against per-series models), nbeats2020 (beside the "
        "published N-BEATS figures on M3 monthly)")
