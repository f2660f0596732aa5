"""Two runs started at once into the same results folder: unique run folders, both complete,
the same forecasts, and a shared cache that a third run reads back whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

CLI = (sys.executable, "-m", "forecast_bench.benchmarks")  # the command line, this Python

ARGS = ["run", "--data", "msft", "--last", "300", "--test-size", "40", "--folds", "4",
        "--models", "naive,drift,arima", "--quiet"]


def start(out: Path) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *ARGS, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_dir(stdout: str) -> Path:
    return Path(stdout.strip().splitlines()[-1].split("results: ")[1])


def test_two_runs_at_once_do_not_corrupt_each_other(tmp_path):
    out = tmp_path / "results"
    first, second = start(out), start(out)
    outputs = [process.communicate(timeout=600) for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, [err for _, err in outputs]
    dirs = [run_dir(stdout) for stdout, _ in outputs]
    assert dirs[0] != dirs[1] and all(d.parent == out for d in dirs)
    for folder in dirs:
        assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"
        assert not list(folder.rglob(".*.tmp"))  # no temporary file left behind
    forecasts = [pd.read_csv(folder / "forecasts.csv") for folder in dirs]
    pd.testing.assert_frame_equal(forecasts[0], forecasts[1], check_exact=True)
    third = start(out)
    stdout, err = third.communicate(timeout=600)
    assert third.returncode == 0, err
    cache = json.loads((run_dir(stdout) / "manifest.json").read_text())["execution"]["cache"]
    assert (cache["hits"], cache["misses"]) == (12, 0)  # every entry readable
