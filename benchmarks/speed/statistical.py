"""Speed of the statistical baselines on the 1045 M3 monthly series of Makridakis et al. (2018)
(in-sample length 81-126, fixed origin, h = 18), against statsforecast in the same run.

Usage: python benchmarks/speed/statistical.py [--runs 3] [--out DIR] [--sample N]
       [--statsforecast-venv DIR | --no-peer] [--limit N]

Each of our models is timed in this process (fit on the training part, forecast 18 steps), BLAS
pinned to one thread; statsforecast runs the same model on the same series in a throw-away
virtual environment (created with pip on first use; statsforecast pins pandas < 3, which this
project cannot), one process, one job. Naive, SES, Holt and damped are given the series our
seasonal adjustment produced and re-seasonalised the same way, so the two differ only in
estimation; as statsforecast has no such adjustment, the adjustment's time (measured here, and
reported as its own row) is added to statsforecast's for those models.
ETS and auto-ARIMA (seconds per series) are timed on `--sample` series spread over the 1045.
Reports ms per series (median over runs), the ratio to statsforecast, and how far the two
implementations' forecasts and accuracy are apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from forecast_bench import models
from forecast_bench.benchmarks.config import DataSpec
from forecast_bench.benchmarks.data.collection import load_collection
from forecast_bench.benchmarks.speed import common
from forecast_bench.benchmarks.speed.common import (
    THREAD_VARS,
    machine_lines,
    peer_python,
    write_report,
)
from forecast_bench.evaluation.scoring.metrics import smape
from forecast_bench.models.seasonality import Deseasonalizer

HORIZON, PERIOD = 18, 12
FAST = ("naive2", "ses", "holt", "damped", "comb", "theta")
SLOW = ("ets", "arima")
# our model -> (statsforecast model expression, input: "adjusted" or "original")
PEERS = {
    "naive2": ("Naive()", "adjusted"),
    "ses": ("AutoETS(model='ANN', alias='m')", "adjusted"),
    "holt": ("AutoETS(model='AAN', damped=False, alias='m')", "adjusted"),
    "damped": ("AutoETS(model='AAN', damped=True, alias='m')", "adjusted"),
    "theta": ("Theta(season_length=12, decomposition_type='multiplicative', alias='m')",
              "original"),
    "ets": ("AutoETS(season_length=12, alias='m')", "original"),
    "arima": ("AutoARIMA(season_length=12, alias='m')", "original"),
}
PEER_SCRIPT = """
import json, sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore")
from statsforecast.models import AutoARIMA, AutoETS, Naive, Theta
task = json.load(open(sys.argv[1]))
out = {}
for name, spec in task["models"].items():
    series = task["series"][spec["input"]]
    ids = spec["ids"]
    runs, forecasts = [], []
    for _ in range(task["runs"]):
        start = time.perf_counter()
        forecasts = [eval(spec["model"]).forecast(np.asarray(series[i]), h=task["h"])["mean"]
                     for i in ids]
        runs.append(time.perf_counter() - start)
    out[name] = {"seconds": runs, "forecasts": np.asarray(forecasts).tolist()}
import statsforecast
out["version"] = statsforecast.__version__
print(json.dumps(out))
"""


def load_series() -> list:
    """The 1045 series: M3 monthly with 81 <= in-sample length <= 126."""
    found = load_collection(DataSpec(source="m3:monthly", min_length=81 + HORIZON,
                                     max_length=126 + HORIZON))
    return [item.series.to_numpy(dtype=float) for item in found]


def time_ours(name: str, series: list, ids: list[int], runs: int) -> tuple[list[float], np.ndarray]:
    """Seconds of each run (fit + forecast on every series in ids) and the last forecasts."""
    seconds, forecasts = [], []
    for _ in range(runs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            forecasts = [models.get(name).with_period(PERIOD).fit(series[i][:-HORIZON])
                         .predict(HORIZON) for i in ids]
            seconds.append(time.perf_counter() - start)
    return seconds, np.asarray(forecasts)


def time_adjustment(series: list, runs: int) -> tuple[list[float], list[Deseasonalizer]]:
    """Seconds of each run of the seasonal adjustment alone (test, decomposition, adjusting the
    training part, re-seasonalising 18 forecasts) over all series, and the fitted adjusters."""
    seconds: list[float] = []
    fitted: list[Deseasonalizer] = []
    for _ in range(runs):
        start = time.perf_counter()
        fitted = []
        for y in series:
            season = Deseasonalizer.fit(y[:-HORIZON], PERIOD)
            season.adjust(y[:-HORIZON])
            season.reseasonalize(np.ones((1, HORIZON)), np.array([len(y) - HORIZON]))
            fitted.append(season)
        seconds.append(time.perf_counter() - start)
    return seconds, fitted


def run_peer(python: Path, series: list, adjusters: list, plan: dict, runs: int) -> dict:
    """statsforecast's timings and forecasts for each planned model."""
    adjusted = [season.adjust(y[:-HORIZON]).tolist()
                for y, season in zip(series, adjusters, strict=True)]
    task = {"h": HORIZON, "runs": runs, "models": plan,
            "series": {"original": [y[:-HORIZON].tolist() for y in series],
                       "adjusted": adjusted}}
    return common.run_peer(python, PEER_SCRIPT, task)


def reseasonalized(series: list, adjusters: list, ids: list[int],
                   forecasts: np.ndarray) -> np.ndarray:
    origins = [np.array([len(series[i]) - HORIZON]) for i in ids]
    return np.asarray([adjusters[i].reseasonalize(row[None, :], origin)[0]
                       for i, row, origin in zip(ids, forecasts, origins, strict=True)])


def mean_smape(series: list, ids: list[int], forecasts: np.ndarray) -> float:
    return float(np.mean([smape(series[i][-HORIZON:], f) for i, f in zip(ids, forecasts,
                                                                         strict=True)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=60, help="series timed for ets, arima")
    parser.add_argument("--out", type=Path, default=Path("results/speed"))
    parser.add_argument("--statsforecast-venv", type=Path,
                        default=Path(tempfile.gettempdir()) / "forecast-bench-statsforecast")
    parser.add_argument("--models", default=",".join((*FAST, *SLOW)))
    parser.add_argument("--no-peer", action="store_true", help="time ours only")
    parser.add_argument("--limit", type=int, help="the first N series only (a smoke run)")
    args = parser.parse_args(argv)
    for name in THREAD_VARS:  # the peer's processes
        os.environ[name] = "1"
    threadpool_limits(limits=1)  # this process: numpy's BLAS started before the variables
    series = load_series()[: args.limit]
    every = list(range(len(series)))
    sample = every[:: max(1, len(series) // args.sample)][: args.sample]
    names = args.models.split(",")
    ids = {name: (sample if name in SLOW else every) for name in names}
    ours = {name: time_ours(name, series, ids[name], args.runs) for name in names}
    adjustment_seconds, adjusters = time_adjustment(series, args.runs)
    adjustment_ms = 1000 * statistics.median(adjustment_seconds) / len(series)
    python = None if args.no_peer else peer_python(args.statsforecast_venv)
    peer: dict = {}
    if python is None and not args.no_peer:
        print("statsforecast could not be installed: its columns stay empty", flush=True)
    elif python is not None:
        plan = {name: {"model": model, "input": kind, "ids": ids[name]}
                for name, (model, kind) in PEERS.items()
                if name in names or (name in ("ses", "holt", "damped") and "comb" in names)}
        peer = run_peer(python, series, adjusters, plan, args.runs)
    rows = ["| model | series timed | ours ms/series | statsforecast ms/series | ratio "
            "| ours sMAPE | statsforecast sMAPE | median abs. forecast difference % |",
            "|---|---|---|---|---|---|---|---|"]
    for name, (seconds, forecasts) in ours.items():
        n = len(ids[name])
        mine = 1000 * statistics.median(seconds) / n
        cells = ["-"] * 4
        parts = ("ses", "holt", "damped") if name == "comb" else (name,)
        if peer and all(p in peer for p in parts):
            theirs = 1000 * sum(statistics.median(peer[p]["seconds"]) for p in parts) / n
            peer_fc = np.mean([np.asarray(peer[p]["forecasts"]) for p in parts], axis=0)
            if PEERS[parts[0]][1] == "adjusted":  # the same model needs our adjustment too
                theirs += adjustment_ms
                peer_fc = reseasonalized(series, adjusters, ids[name], peer_fc)
            diff = 100 * np.median(np.abs(forecasts - peer_fc) / np.abs(peer_fc))
            cells = [f"{theirs:.2f}", f"{mine / theirs:.1f}x",
                     f"{mean_smape(series, ids[name], peer_fc):.2f}", f"{diff:.3f}"]
        rows.append(f"| {name} | {n} | {mine:.2f} | {cells[0]} | {cells[1]} "
                    f"| {mean_smape(series, ids[name], forecasts):.2f} | {cells[2]} "
                    f"| {cells[3]} |")
    rows.append(f"| seasonal adjustment alone | {len(series)} | {adjustment_ms:.2f} | - | - | - "
                "| - | - |")
    versions = (f"numpy {np.__version__}, statsforecast {peer.get('version', 'not installed')}")
    report = "\n".join([
        "# Speed: the statistical baselines on 1045 M3 monthly series (h = 18, fixed origin)",
        "", *machine_lines(versions, threads=", ".join(f"{v}=1" for v in THREAD_VARS)),
        f"- runs: {args.runs} (medians); ets and arima on {args.sample} series spread over "
        "the 1045", "", *rows, "",
        "statsforecast's counterpart: naive2 - Naive on our adjusted series; ses/holt/damped - "
        "AutoETS ANN/AAN/AAdN on our adjusted series; comb - the sum of those three; theta - "
        "Theta (its own seasonality test and decomposition); ets - AutoETS; arima - AutoARIMA.",
        "statsforecast has no seasonal adjustment for Naive and AutoETS, so for naive2, ses, "
        "holt, damped and comb its time includes our adjustment's (the row 'seasonal adjustment "
        "alone', measured in this run): the same model, with the part statsforecast lacks "
        "done by our code.",
        "Goal (issue 15): no model slower than 3x statsforecast.",
    ]) + "\n"
    write_report(args.out, "statistical", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
