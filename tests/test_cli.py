"""The command line, run as users run it: in a subprocess."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import random_walk

RUN_FILES = {"config.toml", "manifest.json", "series.csv", "series_info.csv", "skipped.csv",
             "folds.csv", "forecasts.csv",
             "status.csv", "histories.json", "metrics_by_fold.csv", "metrics_by_step.csv",
             "ranks.csv", "stationarity.csv", "summary.csv", "summary.md", "report.html",
             "dm_pvalues.csv", "dm_statistics.csv", "dm_holm.csv", "mcs.csv", "tables", "plots",
             "intervals.csv", "intervals_by_step.csv",  # the default config has levels
             "cost.csv"}
PLOTS = {"eda_price.png", "eda_moving_averages.png", "eda_returns.png", "eda_boxplots.png",
         "folds_timeline.png", "actual_vs_predicted.png", "error_by_fold.png",
         "cumulative_loss_vs_naive.png", "dm_pvalues.png", "fan_chart.png",
         "coverage_by_step.png", "cost.png"}


def runs(out: Path) -> list[Path]:
    """The run folders under a results folder (not the task cache, .cache)."""
    return sorted(p for p in out.iterdir() if not p.name.startswith("."))


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forecast_bench.benchmarks", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def csv_file(tmp_path) -> Path:
    y = random_walk(200, seed=5)
    frame = pd.DataFrame({"Date": y.index.strftime("%Y-%m-%d"), "Open": y.values,
                          "High": y.values + 1, "Low": y.values - 1, "Close": y.values,
                          "Adj Close": y.values, "Volume": 1000})
    path = tmp_path / "prices.csv"
    frame.to_csv(path, index=False)
    return path


def run_ok(tmp_path: Path, csv_file: Path, *extra: str) -> Path:
    out = tmp_path / "results"
    done = cli("run", "--data", f"csv:{csv_file}", "--models", "naive,drift,arima",
               "--test-size", "40", "--folds", "2", "--out", str(out), "--quiet", *extra,
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_every_file(tmp_path, csv_file):
    out = run_ok(tmp_path, csv_file)
    (run_dir,) = runs(out)
    assert {p.name for p in run_dir.iterdir()} == RUN_FILES
    assert {p.name for p in (run_dir / "plots").iterdir()} == PLOTS
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["n_folds"] == 2
    assert len(manifest["data"]["sha256"]) == 64
    assert manifest["packages"]["statsmodels"] and manifest["packages"]["numpy"]
    assert set(manifest["wall_seconds"]["models"]) == {"naive", "drift", "arima"}
    forecasts = pd.read_csv(run_dir / "forecasts.csv")
    assert len(forecasts) == 3 * 40
    summary = pd.read_csv(run_dir / "summary.csv")
    assert set(summary.model) == {"naive", "drift", "arima"}
    by_model = summary.set_index("model")
    assert by_model.loc["naive", "rmse_vs_naive"] == pytest.approx(1.0)
    assert pd.isna(by_model.loc["naive", "dm_pvalue_vs_naive"])
    assert by_model.loc[["drift", "arima"], "dm_pvalue_vs_naive"].between(0, 1).all()
    pvalues = pd.read_csv(run_dir / "dm_pvalues.csv", index_col=0)
    assert pvalues.loc["drift", "naive"] == pytest.approx(by_model.loc["drift",
                                                                       "dm_pvalue_vs_naive"])
    statistics = pd.read_csv(run_dir / "dm_statistics.csv", index_col=0)
    assert statistics.loc["drift", "naive"] == pytest.approx(-statistics.loc["naive", "drift"])
    assert "RMSE (pooled)" in (run_dir / "summary.md").read_text()
    for fmt, marker in (("md", "| drift"), ("csv", "drift,"), ("latex", r"\toprule"),
                        ("html", "<td>drift</td>")):
        shown = cli("table", str(run_dir), "--format", fmt, cwd=tmp_path)
        assert shown.returncode == 0 and marker in shown.stdout, (fmt, shown.stderr)
    intervals = pd.read_csv(run_dir / "intervals.csv")
    assert set(intervals.model) == {"naive", "drift", "arima"}
    assert sorted(set(intervals.level)) == [80, 95] and set(intervals.method) == {"analytic"}
    assert {"lower_80", "upper_95"} <= set(forecasts.columns)
    for table in ("summary", "folds", "ranks", "dm", "intervals"):
        assert (run_dir / "tables" / f"{table}.tex").read_text() == cli(
            "table", str(run_dir), "--table", table, "--format", "latex", cwd=tmp_path).stdout
    rebuilt = cli("report", str(run_dir), cwd=tmp_path)
    assert rebuilt.returncode == 0 and "report.html" in rebuilt.stdout, rebuilt.stderr


def test_a_new_run_never_touches_an_old_one(tmp_path, csv_file):
    out = run_ok(tmp_path, csv_file)
    (first,) = runs(out)
    before = digests(first)
    run_ok(tmp_path, csv_file, "--horizon", "2")
    assert len(runs(out)) == 2 and (out / ".cache").is_dir()
    assert digests(first) == before


def test_default_benchmark_config_runs(tmp_path):
    done = cli("run", "--models", "naive,drift", "--out", str(tmp_path / "r"), "--quiet",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "| drift" in done.stdout and "| naive" in done.stdout


@pytest.mark.parametrize("config", ["sunspots_zhang.toml", "lynx_zhang.toml", "taylor.toml"])
def test_shipped_configs_run_with_their_data(tmp_path, config):
    """Each shipped config's data through the whole report (sunspots has years of 0: returns
    are undefined there, so the EDA and stationarity use differences)."""
    path = Path(__file__).parents[1] / "benchmarks" / "configs" / config
    done = cli("run", str(path), "--models", "naive,drift", "--out", str(tmp_path / "r"),
               "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    [run] = runs(tmp_path / "r")
    assert (run / "report.html").is_file() and (run / "plots" / "eda_returns.png").is_file()


def test_models_and_data_commands(tmp_path):
    listing = cli("models", cwd=tmp_path)
    assert listing.returncode == 0
    for name in ("naive", "drift", "seasonal_naive", "arima"):
        assert name in listing.stdout
    data = cli("data", "msft", cwd=tmp_path)
    assert data.returncode == 0 and "1260" in data.stdout and "2017-11-10" in data.stdout


def test_result_files_are_readable_by_others(tmp_path, csv_file):
    out = run_ok(tmp_path, csv_file)
    (run_dir,) = runs(out)
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert all(p.stat().st_mode & 0o044 for p in files)  # not mkstemp's 0600


def test_levels_option_turns_intervals_off_and_bad_levels_exit_2(tmp_path, csv_file):
    out = run_ok(tmp_path, csv_file, "--levels", "none", "--models", "naive")
    (run_dir,) = runs(out)
    assert not (run_dir / "intervals.csv").exists()
    assert "lower_80" not in pd.read_csv(run_dir / "forecasts.csv").columns
    shown = cli("table", str(run_dir), "--table", "intervals", cwd=tmp_path)
    assert shown.returncode == 2 and "--levels 80,95" in shown.stderr
    assert "Traceback" not in shown.stderr
    for bad, message in (("0,95", "between 0 and 100"), ("eighty", "percentages")):
        done = cli("run", "--data", f"csv:{csv_file}", "--levels", bad, "--out",
                   str(tmp_path / "bad"), "--quiet", cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and not (tmp_path / "bad").exists()
