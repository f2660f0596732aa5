"""Speed and memory of the global `lightgbm` model on a daily panel: 1000 synthetic sales-like
series of two years (730 days) each, 28 days ahead (issue 28).

Usage: python benchmarks/speed/lightgbm_panel.py [--series 1000] [--runs 3] [--seed 0]
       [--out DIR]

Data, deterministic from --seed: each series a level (log-normal, median 20 units a day), a
weekly profile (7 log-normal day factors, mean 1), a yearly sine (amplitude 0-30%, any phase)
and noise (a log-normal day factor, then Poisson counts); one series in five is intermittent
(a level of 0.3-3 and 30-70% of its days zero). Written as a long CSV (unique_id, ds, y) in a
temporary folder and run through the real command line, as a user would:
`forecast-bench run --data long:FILE --horizon 28 --models lightgbm --no-cache --quiet`, so the
protocol is the harness's default for a collection (benchmarks/configs/competition.toml): one
fixed origin per series, each trained on its first 702 days and forecast for its last 28 once;
the seasonal periods are those the data shows (7 for most); the run adds its reference model
(naive2) and conformal 80/95% intervals. The model has its default parameters (300 trees,
recursive forecasts, no covariates).

Rows, each in a fresh process through peak_rss.py (wall time and peak memory):
- model alone: the same collection loaded by the project's loader, then `fit_collection` on
  the 1000 training parts and `forecast_collection` from the 1000 origins, point forecasts only
  and again with the run's 80/95% intervals (their split-conformal calibration: a copy refitted
  without each series' last 140 training days, then its forecasts from the 140 origins in them),
  each timed on its own; the data loading is not timed;
- the CLI with `--jobs 1`, timed from spawn to exit; the model's fit and predict seconds are
  read from the run's status.csv, the rest is the harness (start-up, loading, naive2, scores,
  tables, plots, report);
- the CLI with `--levels none` (point forecasts only: what the intervals cost), with `--jobs 2`
  and with `--executor dask --jobs 2` (a LocalCluster of 2 workers), once each (round 1), each
  checked to give exactly the serial point forecasts.
Model alone and `--jobs 1` run --runs rounds, interleaved; medians are reported. Nothing is
asserted: the report says whether the forecasts are equal (max |difference| printed).
--series N: the first N series of the same panel (a smaller, quicker run). The default run
(1000 series, 3 rounds: 9 model fits) took about 9 minutes on 2 CPUs (2026-12-07); --series 50
--runs 1 about a minute.
"""

import os

# One BLAS thread, set before numpy is imported (a value already in the environment wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate

from forecast_bench.benchmarks.speed.common import THREAD_VARS, machine_lines, write_report
from forecast_bench.models.boosting import LightGbm

CLI = (sys.executable, "-m", "forecast_bench.benchmarks")  # the command line, this Python
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WRAPPER = HERE / "peak_rss.py"
DAYS, HORIZON, LEVELS = 730, 28, (80.0, 95.0)
MODEL = "lightgbm"
LABELS = {"jobs1": "CLI `--jobs 1`", "points": "CLI `--jobs 1 --levels none`",
          "jobs2": "CLI `--jobs 2`", "dask2": "CLI `--executor dask --jobs 2`"}
OPTIONS = {"jobs1": ["--jobs", "1"], "points": ["--jobs", "1", "--levels", "none"],
           "jobs2": ["--jobs", "2"], "dask2": ["--executor", "dask", "--jobs", "2"]}


def panel(n_series: int, seed: int) -> pd.DataFrame:
    """The long frame (unique_id, ds, y) of `n_series` daily sales-like series (module doc);
    the first N series of a larger panel are the N-series panel (one generator per series)."""
    days = np.arange(DAYS)
    dates = pd.date_range("2023-01-01", periods=DAYS, freq="D").strftime("%Y-%m-%d")
    frames = []
    for i in range(n_series):
        rng = np.random.default_rng([seed, i])
        intermittent = rng.random() < 0.2
        level = rng.uniform(0.3, 3.0) if intermittent else rng.lognormal(np.log(20.0), 1.0)
        week = rng.lognormal(0.0, 0.2, 7)
        week /= week.mean()
        year = 1 + rng.uniform(0.0, 0.3) * np.sin(2 * np.pi * days / 365.25
                                                  + rng.uniform(0, 2 * np.pi))
        noise = rng.lognormal(-0.02, 0.2, DAYS)
        y = rng.poisson(level * week[days % 7] * year * noise).astype(float)
        if intermittent:
            y[rng.random(DAYS) < rng.uniform(0.3, 0.7)] = 0.0
        frames.append(pd.DataFrame({"unique_id": f"S{i:04d}", "ds": dates, "y": y}))
    return pd.concat(frames, ignore_index=True)


def alone(csv_path: Path, runs: int, result: Path) -> int:
    """The model alone (a child process, run through peak_rss.py): load the collection as the
    CLI does, then time fit_collection and forecast_collection `runs` times; JSON to `result`,
    the first round's point forecasts (series x HORIZON) next to it as .npy."""
    from forecast_bench.benchmarks.data.collection import load_collection
    from forecast_bench.benchmarks.data.spec import DataSpec
    from forecast_bench.models.collection import CollectionForecaster
    from forecast_bench.models.registry import get

    collection = load_collection(DataSpec(source=f"long:{csv_path}"))
    values = [item.series.to_numpy(dtype=float) for item in collection]
    periods = [item.period for item in collection]
    train = [y[:-HORIZON] for y in values]
    origins = [np.array([len(y) - HORIZON]) for y in values]
    seconds: dict[str, list[float]] = {"fit": [], "predict": [], "predict_levels": []}
    forecasts = None
    for _ in range(runs):
        model = get(MODEL)
        if not isinstance(model, CollectionForecaster):
            raise SystemExit(f"{MODEL} is not fitted on a collection: {type(model).__name__}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model.fit_collection(train, periods)
            seconds["fit"].append(time.perf_counter() - start)
            start = time.perf_counter()
            point = model.forecast_collection(values, origins, HORIZON)
            seconds["predict"].append(time.perf_counter() - start)
            start = time.perf_counter()
            model.forecast_collection(values, origins, HORIZON, LEVELS)
            seconds["predict_levels"].append(time.perf_counter() - start)
        if forecasts is None:
            forecasts = np.concatenate([f.point for f in point])
    assert forecasts is not None
    np.save(result.with_suffix(".npy"), forecasts)
    result.write_text(json.dumps({"seconds": seconds, "ids": collection.ids(),
                                  "periods": [int(p) for p in periods],
                                  "fitted": model.describe_fit()}), encoding="utf-8")
    return 0


def wrapped(command: list[str], log: Path) -> dict[str, Any]:
    """Run `command` through peak_rss.py (BLAS pinned to one thread); its JSON line."""
    env = {**os.environ, **{name: "1" for name in THREAD_VARS}}
    done = subprocess.run([sys.executable, str(WRAPPER), "--log", str(log), "--", *command],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        output = log.read_text(errors="replace")[-3000:] if log.exists() else done.stderr
        raise SystemExit(f"`{' '.join(command)}` failed (exit {done.returncode}):\n{output}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def model_alone(csv_path: Path, work: Path, index: int) -> dict[str, Any]:
    """One model-alone process: its seconds, forecasts and memory."""
    result = work / f"alone{index}.json"
    memory = wrapped([sys.executable, str(Path(__file__).resolve()), "--alone", str(csv_path),
                      "--runs", "1", "--result", str(result)], work / f"alone{index}.log")
    found = json.loads(result.read_text(encoding="utf-8"))
    return {"seconds": {key: value[0] for key, value in found["seconds"].items()},
            "wall": memory["seconds"], "memory": memory, "ids": found["ids"],
            "periods": found["periods"], "fitted": found["fitted"],
            "forecasts": np.load(result.with_suffix(".npy"))}


def cli_run(csv_path: Path, out: Path, extra: list[str]) -> dict[str, Any]:
    """One `forecast-bench run` process: wall time, memory, the model's seconds and forecasts."""
    command = [*CLI, "run", "--data", f"long:{csv_path}", "--horizon", str(HORIZON),
               "--models", MODEL, "--no-cache", "--quiet", "--out", str(out), *extra]
    memory = wrapped(command, out.with_suffix(".log"))
    (run_dir,) = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    with (run_dir / "status.csv").open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["model"] == MODEL]
    if not rows or any(row["status"] != "ok" for row in rows):
        raise SystemExit(f"{MODEL} failed in {run_dir}: see its status.csv")
    frame = pd.read_csv(run_dir / "forecasts.csv")
    frame = frame[frame["model"] == MODEL].sort_values(["series", "step"])
    ids = list(dict.fromkeys(frame["series"]))
    return {"wall": memory["seconds"], "memory": memory, "tasks": len(rows),
            "seconds": {"fit": sum(float(r["fit_seconds"]) for r in rows),
                        "predict": sum(float(r["predict_seconds"]) for r in rows)},
            "ids": ids, "forecasts": frame["y_pred"].to_numpy().reshape(len(ids), HORIZON),
            "fitted": rows[0]["fitted"]}


def difference(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Largest |difference| of two runs' forecasts, series matched by id (inf if the series
    differ)."""
    if sorted(a["ids"]) != sorted(b["ids"]):
        return float("inf")
    order = {uid: i for i, uid in enumerate(b["ids"])}
    other = b["forecasts"][[order[uid] for uid in a["ids"]]]
    return float(np.max(np.abs(a["forecasts"] - other)))


def mib(kib: float) -> float:
    return kib / 1024


def report(rows: dict[str, list[dict[str, Any]]], args: argparse.Namespace, zeros: float,
           load: tuple[float, float]) -> str:
    """The markdown report."""
    n = args.series
    alone_rows, serial = rows["alone"], rows["jobs1"]

    def med(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r["seconds"][key] for r in runs)

    def wall(runs: list[dict[str, Any]]) -> float:
        return statistics.median(r["wall"] for r in runs)

    def memory(runs: list[dict[str, Any]]) -> list[str]:
        workers = [max(w["hwm_kib"] for w in r["memory"]["workers"]) for r in runs
                   if r["memory"]["workers"]]
        return [f"{statistics.median(mib(r['memory']['main_hwm_kib']) for r in runs):.0f}",
                f"{mib(statistics.median(workers)):.0f}" if workers else "-",
                f"{statistics.median(mib(r['memory']['total_rss_kib']) for r in runs):.0f}"]

    fit, predict, levels = (med(alone_rows, key) for key in ("fit", "predict", "predict_levels"))
    table = [["model alone", len(alone_rows), f"{fit:.1f}", f"{predict:.2f}", f"{levels:.1f}",
              f"{wall(alone_rows):.1f}", f"{1000 * fit / n:.1f}", f"{1000 * levels / n:.1f}",
              f"{1000 * wall(alone_rows) / n:.1f}", *memory(alone_rows)]]
    for key, label in LABELS.items():
        runs = rows[key]
        points = key == "points"
        table.append([label, len(runs), f"{med(runs, 'fit'):.1f}",
                      f"{med(runs, 'predict'):.2f}" if points else "-",
                      "-" if points else f"{med(runs, 'predict'):.1f}", f"{wall(runs):.1f}",
                      f"{1000 * med(runs, 'fit') / n:.1f}",
                      f"{1000 * med(runs, 'predict') / n:.1f}",
                      f"{1000 * wall(runs) / n:.1f}", *memory(runs)])
    table_text = tabulate(table, headers=["", "runs", "fit s", "predict s, points",
                                          "predict s, with intervals", "process wall s",
                                          "fit ms / series", "predict ms / series",
                                          "wall ms / series", "peak MiB, main",
                                          "largest worker", "all processes"],
                          tablefmt="github", disable_numparse=True)
    overhead = wall(serial) - med(serial, "fit") - med(serial, "predict")
    reference = serial[0]
    checks = [("model alone vs CLI `--jobs 1` (round 1)", difference(alone_rows[0], reference)),
              ("CLI `--jobs 1 --levels none` vs `--jobs 1`",
               difference(rows["points"][0], reference)),
              ("CLI `--jobs 2` vs `--jobs 1`", difference(rows["jobs2"][0], reference)),
              ("CLI `--executor dask --jobs 2` vs `--jobs 1`",
               difference(rows["dask2"][0], reference))]
    checks += [(f"CLI `--jobs 1`, round {i + 1} vs round 1", difference(run, reference))
               for i, run in enumerate(serial[1:], start=1)]
    holdout = max(HORIZON, round(float(LightGbm.calibration_holdout or 0) * (DAYS - HORIZON)))
    periods = pd.Series(alone_rows[0]["periods"]).value_counts().sort_index()
    versions = (f"lightgbm {metadata.version('lightgbm')}, numpy {np.__version__}, "
                f"pandas {pd.__version__}, dask {metadata.version('distributed')}")
    return "\n".join([
        f"# Speed: the global `{MODEL}` model on a daily panel of {n} series",
        "",
        f"{n} synthetic daily sales-like series (seed {args.seed}) of {DAYS} days, "
        f"{100 * zeros:.1f}% of the values zero; one fixed origin per series (the harness's "
        f"default for a collection): trained on the first {DAYS - HORIZON} days, forecast "
        f"1-{HORIZON} days ahead once; {n * (DAYS - HORIZON)} training values. Seasonal "
        "periods found by the loader: "
        + ", ".join(f"{p} ({c} series)" for p, c in periods.items())
        + f". Model: default `{MODEL}` parameters; fitted: {alone_rows[0]['fitted']}.",
        "",
        table_text,
        "",
        f"- per series, model alone: fit {1000 * fit / n:.1f} ms, predict {1000 * predict / n:.2f}"
        f" ms for the point forecasts, {1000 * levels / n:.1f} ms with the 80/95% intervals (the "
        f"split-conformal calibration: a copy refitted without each series' last {holdout} "
        f"training days, then its recursion from the {holdout} origins in them); the table's "
        "predict ms / series is the latter, as the CLI's",
        f"- per series, CLI `--jobs 1` from spawn to exit: {1000 * wall(serial) / n:.1f} ms; "
        f"the model's fit {1000 * med(serial, 'fit') / n:.1f} ms and predict "
        f"{1000 * med(serial, 'predict') / n:.1f} ms (status.csv; predict includes the 80/95% "
        f"intervals), the rest, {overhead:.1f} s for the run ({1000 * overhead / n:.1f} ms a "
        "series), is the harness: start-up, loading the CSV, naive2, scores, tables, plots "
        "and report",
        "- `--jobs 2` cannot speed up the model: its fit is one unit of work (one booster on "
        "every series), run in one worker; the harness ships the panel there and back",
        *[f"- forecasts, {name}: max |difference| {diff:.3g} over {n * HORIZON} forecasts -> "
          f"{'equal' if diff == 0 else 'NOT equal'}" for name, diff in checks],
        "- process wall s: each row a fresh process through peak_rss.py, spawn to exit (the "
        "model-alone process also imports, loads the data and predicts twice). Peak memory: "
        "VmHWM of the main process and of the largest worker (a loky or dask worker), and the "
        "largest sum of VmRSS over the process tree at one sample",
        f"- rounds: model alone and `--jobs 1` {args.runs}, interleaved; the other rows once "
        f"(round 1). Load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end, "
        f"on {os.cpu_count()} CPUs: above {os.cpu_count()}, other work shared them and the "
        "seconds are those of a loaded machine",
        *machine_lines(versions, threads=", ".join(f"{v}=1" for v in THREAD_VARS)
                       + "; LightGBM num_threads=1 (the model's setting)"),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000, help="series in the panel")
    parser.add_argument("--runs", type=int, default=3, help="rounds (medians kept)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic panel")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    parser.add_argument("--alone", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.series < 2:
        parser.error("--runs must be >= 1 and --series >= 2")
    if args.alone is not None:
        return alone(args.alone, args.runs, args.result)

    start_load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="speed-lightgbm-") as tmp:
        work = Path(tmp)
        csv_path = work / "daily_sales.csv"
        data = panel(args.series, args.seed)
        data.to_csv(csv_path, index=False)
        zeros = float((data["y"] == 0).mean())
        rows: dict[str, list[dict[str, Any]]] = {key: [] for key in ("alone", *LABELS)}
        for index in range(args.runs):
            order = ["alone", "jobs1"] if index % 2 == 0 else ["jobs1", "alone"]
            if index == 0:
                order += ["points", "jobs2", "dask2"]
            for key in order:
                run = (model_alone(csv_path, work, index) if key == "alone" else
                       cli_run(csv_path, work / f"{key}-{index}", OPTIONS[key]))
                rows[key].append(run)
                print(f"round {index + 1}/{args.runs} {key}: {run['wall']:.1f} s, fit "
                      f"{run['seconds']['fit']:.1f} s, main "
                      f"{mib(run['memory']['main_hwm_kib']):.0f} MiB", flush=True)
    text = report(rows, args, zeros, (start_load, os.getloadavg()[0]))
    write_report(args.out, "lightgbm_panel", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
