"""Every relative figure in words is right: "X% lower" is a share of the reference, "X%
higher" a share of the best, checked on explicit numbers and against a run's forecasts.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks.cli import main
from forecast_bench.evaluation.reporting.headline import percent_higher, percent_lower


def test_lower_is_a_share_of_the_reference():
    assert percent_lower(10, 6) == "40.0% lower"
    assert percent_lower(47.532, 47.532 * (1 - 0.644)) == "64.4% lower"
    assert percent_lower(100, 99.5) == "0.50% lower"
    assert percent_lower(0, 0) == "lower"  # no share of nothing


def test_higher_is_a_share_of_the_best():
    assert percent_higher(10, 6) == "66.7% higher"
    assert percent_higher(6.03, 6) == "0.50% higher"
    assert percent_higher(1, 0) == "higher"


def trending_csv(path: Path, n: int = 120) -> Path:
    """A steady rise with noise: the drift model beats the naive baseline by far."""
    rng = np.random.default_rng(3)
    values = 100 + 2.0 * np.arange(n) + rng.normal(0, 1.0, n)
    dates = pd.date_range("2000-01-03", periods=n, freq="B").strftime("%Y-%m-%d")
    pd.DataFrame({"Date": dates, "Close": np.round(values, 4)}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trend_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("trend")
    source = f"csv:{trending_csv(root / 'trend.csv')}"
    code = main(["run", "--data", source, "--models", "naive,ses,drift,holt", "--levels", "none",
                 "--horizon", "3", "--quiet", "--no-cache", "--out", str(root / "runs")])
    assert code == 0
    return next((root / "runs").iterdir())


def test_headline_percent_equals_the_one_from_forecasts_csv(trend_run):
    forecasts = pd.read_csv(trend_run / "forecasts.csv")
    rmse = {model: float(np.sqrt(np.mean((part.y_true - part.y_pred) ** 2)))
            for model, part in forecasts.groupby("model")}
    best, runner, *_ = sorted(rmse, key=rmse.get)
    assert "naive" not in (best, runner)
    lower = 100 * (rmse["naive"] - rmse[best]) / rmse["naive"]
    higher = 100 * (rmse[runner] - rmse[best]) / rmse[best]
    assert 50 < lower < 100  # the old ratio - 1 said more than 100% here
    summary = (trend_run / "summary.md").read_text(encoding="utf-8")
    page = (trend_run / "report.html").read_text(encoding="utf-8")
    said = f"RMSE is {lower:.1f}% lower"
    assert said in summary and said in page
    assert f"**{runner}** (RMSE {rmse[runner]:.4f}, {higher:.1f}% higher)" in summary
