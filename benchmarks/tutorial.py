"""`forecast-bench tutorial`: the reference tutorial reproduced, then corrected, in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from forecast_bench.benchmarks import terminal
from forecast_bench.benchmarks.config import RunConfig
from forecast_bench.benchmarks.data.collection import Collection
from forecast_bench.benchmarks.run.runner import RunOutcome, run
from forecast_bench.evaluation.reporting import formats
from forecast_bench.evaluation.reporting.formats import p_text
from forecast_bench.evaluation.run_folder import results
from forecast_bench.evaluation.scoring.collection_analysis import CollectionAnalysis

TUTORIAL_CONFIG = Path(__file__).parent / "configs" / "tutorial.toml"


def run_tutorial(cfg: RunConfig, out_root: Path, **execution: Any) -> RunOutcome:
    """The benchmark run (with its EDA plots and ADF/KPSS tests), plus tutorial.md;
    `execution`: runner.run's progress, executor and use_cache."""
    outcome = run(cfg, out_root, **execution)
    text = explain(outcome.summary, _stationarity(outcome), outcome)
    results.write_text(outcome.run_dir / "tutorial.md", text)
    return outcome


def _stationarity(outcome: RunOutcome) -> pd.DataFrame:
    """The ADF/KPSS table: the tutorial runs on one series (configs/tutorial.toml)."""
    if isinstance(outcome.analysis, CollectionAnalysis):
        raise TypeError("the tutorial runs on one series, not a collection")
    return outcome.analysis.stationarity


def _days(outcome: RunOutcome) -> int:
    """The length of the tutorial's one series."""
    if isinstance(outcome.dataset, Collection):
        raise TypeError("the tutorial runs on one series, not a collection")
    return len(outcome.dataset.series)


CORRECTIONS = (
    ("lstm", "**Scaler fitted on the training 80% only** (no peeking at the test period's range)"),
    ("lstm_lookback30", "**Look-back 30 days** instead of 60 (leak-free)"),
    ("lstm_diff", "**Predicting the daily change** and adding it to the last close (leak-free)"),
)


def explain(summary: pd.DataFrame, tests: pd.DataFrame, outcome: RunOutcome) -> str:
    """tutorial.md: what changed the score and by how much, computed from this run."""
    return "\n".join([
        "# The tutorial, reproduced and corrected", "", *findings(summary, tests, outcome),
        "", "## Scores", "", outcome.text,
        "", "## Stationarity", "",
        formats.render_frame(tests, "md", pvalues=["pvalue"]),
        "", "Plots: `plots/eda_*.png` (price, moving averages, returns, box plots), "
        "`plots/actual_vs_predicted.png`, `plots/training_curves.png`.", "",
    ])


def terminal_text(outcome: RunOutcome) -> str:
    """What `forecast-bench tutorial` prints: the findings and the run's summary, every line
    within terminal.WIDTH (tutorial.md keeps the wide tables)."""
    lines = findings(outcome.summary, _stationarity(outcome), outcome)
    return "\n".join([*(terminal.wrapped(line.replace("**", "")) if line else "" for line in lines),
                      "", terminal.run_text(outcome.analysis)])


def findings(summary: pd.DataFrame, tests: pd.DataFrame, outcome: RunOutcome) -> list[str]:
    """The tutorial's score, the random walk's, each correction's, the ADF verdicts, caveats."""
    scores = summary.set_index("model")
    rmse = {label: value for label, value in scores.rmse.items() if pd.notna(value)}
    base, naive = rmse.get("lstm_tutorial"), rmse.get("naive")
    n_test = int(scores.n_forecasts.max())
    lines = []
    if base is not None:
        lines.append(f"- **The tutorial's set-up** (scaler fitted on all "
                     f"{_days(outcome)} days, one 80/20 split): LSTM RMSE "
                     f"**{base:.4f}** on the last {n_test} days.")
    if naive is not None:
        lines.append(f"- **A random walk** (tomorrow = today) scores **{naive:.4f}** on the "
                     f"same days{_versus(base, naive)}.")
    for label, what in CORRECTIONS:
        if label in rmse:
            change = f", {rmse[label] / base - 1:+.1%} vs the tutorial" if base else ""
            ratio = f"; {rmse[label] / naive:.3f}x the random walk's RMSE" if naive else ""
            lines.append(f"- {what}: RMSE **{rmse[label]:.4f}**{change}{ratio}.")
    return [
        *lines,
        "", _stationarity_words(tests), "",
        "Caveats: one split, one seed per network; retrain with another `seed` or with "
        "`n_seeds` to see how much of a difference is noise. A ratio to the random walk above 1 "
        "means the network is worse than predicting no change.",
    ]


def _versus(model: float | None, naive: float) -> str:
    if model is None:
        return ""
    verdict = "better" if model < naive else "worse"
    return f": the tutorial's LSTM is {verdict}, at {model / naive:.3f}x the random walk's error"


def _stationarity_words(tests: pd.DataFrame) -> str:
    adf = tests[tests.test == "ADF"].set_index("series")
    if not {"level", "returns"} <= set(adf.index):
        return ""
    return (f"ADF test: price {p_text(adf.pvalue['level'])} ({adf.verdict['level']}); daily "
            f"returns {p_text(adf.pvalue['returns'])} ({adf.verdict['returns']}). A network fed "
            "price levels of a series with a unit root mostly learns that tomorrow is close to "
            "today, which is the random walk.")
