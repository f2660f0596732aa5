"""The tutorial reproduction: the write-up's numbers, and the command end to end (tiny nets)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from forecast_bench.benchmarks import tutorial
from tests.test_cli import runs

CLI = (sys.executable, "-m", "forecast_bench.benchmarks")  # the command line, this Python


def test_tutorial_config_is_the_tutorial():
    raw = tomllib.loads(tutorial.TUTORIAL_CONFIG.read_text())
    assert raw["data"] == {"source": "msft", "column": "Close", "last": 1260, "fill": "ffill"}
    assert raw["split"] == {"test_size": 0.2, "folds": 1, "horizon": 1}
    assert raw["models"]["lstm_tutorial"] == {"model": "lstm", "scaler_fit": "all"}
    from forecast_bench.models.lstm import LstmConfig

    preset = LstmConfig()  # the preset's defaults are the tutorial's network and training
    assert (preset.look_back, preset.units, preset.dense, preset.dropout) == (60, (50, 50),
                                                                              (25,), 0.2)
    assert (preset.epochs, preset.batch_size, preset.cell) == (100, 32, "lstm")


def test_explain_reports_changes_against_the_tutorial_and_naive():
    summary = pd.DataFrame({"model": ["naive", "lstm_tutorial", "lstm", "lstm_diff"],
                            "rmse": [1.0, 2.0, 2.5, 1.1], "n_forecasts": [252] * 4})
    tests = pd.DataFrame({"test": ["ADF", "ADF"], "series": ["level", "returns"],
                          "statistic": [0.1, -9.0], "pvalue": [0.97, 1e-9], "lags": [0, 1],
                          "verdict": ["non-stationary", "stationary"]})
    outcome = SimpleNamespace(dataset=SimpleNamespace(series=pd.Series(range(1260))),
                              text="TABLE")
    text = tutorial.explain(summary, tests, outcome)
    assert "LSTM RMSE **2.0000** on the last 252 days" in text
    assert "worse, at 2.000x the random walk's error" in text
    assert "RMSE **2.5000**, +25.0% vs the tutorial; 2.500x the random walk's RMSE" in text
    assert "RMSE **1.1000**, -45.0% vs the tutorial; 1.100x" in text
    assert "price p = 0.9700 (non-stationary)" in text
    assert "daily returns p < 0.0001 (stationary)" in text
    assert "| returns  |     -9.0000 | <0.0001  |" in text  # the table's p-values
    assert "Look-back 30" not in text  # absent models are left out, not invented


TINY = """
name = "tutorial_tiny"
[data]
source = "msft"
last = 260
[split]
test_size = 0.2
folds = 1
[models.lstm_tutorial]
model = "lstm"
scaler_fit = "all"
look_back = 8
units = [4]
dense = []
[models.lstm]
model = "lstm"
look_back = 8
units = [4]
dense = []
"""


@pytest.mark.parametrize("epochs", [1])
def test_tutorial_command_writes_its_files(tmp_path, epochs):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    done = subprocess.run(
        [*CLI, "tutorial", str(config), "--epochs", str(epochs),
         "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (run_dir,) = runs(tmp_path / "out")
    names = {p.name for p in run_dir.iterdir()} | {p.name for p in (run_dir / "plots").iterdir()}
    assert {"tutorial.md", "stationarity.csv", "summary.md", "eda_price.png",
            "eda_moving_averages.png", "eda_returns.png", "eda_boxplots.png",
            "actual_vs_predicted.png", "training_curves.png"} <= names
    text = (run_dir / "tutorial.md").read_text()
    assert "The tutorial's set-up" in text and "lstm_tutorial (leaky)" in text
    assert "Scaler fitted on the training 80% only" in text
    resolved = tomllib.loads((run_dir / "config.toml").read_text())
    assert resolved["models"]["lstm"]["epochs"] == epochs  # --epochs reached every network
    stationarity = pd.read_csv(run_dir / "stationarity.csv")
    assert set(stationarity.series) == {"level", "returns"}
    assert Path(run_dir / "members.csv").exists() is False  # one seed each: no members file
    printed = done.stdout.splitlines()  # the findings and the run summary, not tutorial.md
    assert max(len(line) for line in printed[:-1]) <= 100, max(printed[:-1], key=len)
    assert any("The tutorial's set-up" in line for line in printed)
    assert "## Scores" not in printed and "**" not in done.stdout  # not tutorial.md's markdown
    assert printed[-1] == f"results, with tutorial.md: {run_dir}"
