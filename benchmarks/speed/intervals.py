"""What prediction intervals cost: cold CLI runs with and without `--levels`, side by side.

Usage: python benchmarks/speed/intervals.py [--runs 3] [--sample 100] [--out DIR] [--quick]

Two pairs of rows, each a fresh `forecast-bench run [...] --quiet --out <temp>` process
in a new, empty folder (cold), timed from spawn to exit, BLAS pinned to one thread: the default
benchmark (its config's levels vs `--levels none`) and an M3 statistical run (m3:monthly, at
least 99 values, --sample N series, 8 statistical models; `--levels 80,95` vs `none`). After an
untimed warm-up, rounds are interleaved: each runs all four rows, alternating which of a pair
goes first. Goals (the intervals issue): intervals add at most 30% to the default benchmark's
cold time, 50% to the M3 run. The point forecasts (forecasts.csv's y_pred) must be identical
with and without intervals (exit 1 otherwise). --quick: the M3 pair alone, 3 series and naive2,
ses, arima, 1 round, no warm-up: a smoke run.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from forecast_bench.benchmarks.config import DEFAULT_CONFIG, load_config
from forecast_bench.benchmarks.run.runner import CACHE_DIR
from forecast_bench.benchmarks.speed.common import THREAD_VARS, machine_lines, write_report

CLI = (sys.executable, "-m", "forecast_bench.benchmarks")  # the command line, this Python

ROOT = Path(__file__).resolve().parents[2]
GOALS = {"default": 1.30, "m3": 1.50}
M3_MODELS = "naive2,ses,holt,damped,comb,theta,ets,arima"
QUICK_M3_MODELS = "naive2,ses,arima"
KEYS = ("series", "model", "fold", "origin", "step")  # those forecasts.csv has


def cold_run(args: list[str], out: Path) -> tuple[float, dict[tuple[str, ...], str], bool]:
    """One cold CLI run into the empty folder `out`: wall seconds, y_pred text by forecast,
    and whether forecasts.csv has interval columns (lower_*/upper_*)."""
    env = {**os.environ, **{name: "1" for name in THREAD_VARS}}
    command = [*CLI, "run", *args, "--quiet", "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` failed (exit {done.returncode}):\n"
                         f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    [run_dir] = [p for p in out.iterdir() if p.is_dir() and p.name != CACHE_DIR]
    with (run_dir / "forecasts.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        keys = [key for key in KEYS if key in columns]
        points = {tuple(row[key] for key in keys): row["y_pred"] for row in reader}
    has_bounds = any(c.startswith(("lower_", "upper_")) for c in columns)
    return seconds, points, has_bounds


def plan(quick: bool, sample: int) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The CLI arguments and the report label of each row."""
    cfg = load_config(DEFAULT_CONFIG)
    levels = ", ".join(f"{level:g}" for level in cfg.levels) or "none"
    m3 = ["--data", "m3:monthly", "--min-length", "99", "--sample", str(sample), "--seed", "0",
          "--models", QUICK_M3_MODELS if quick else M3_MODELS]
    args = {"default_off": [str(DEFAULT_CONFIG), "--levels", "none"],
            "default_on": [str(DEFAULT_CONFIG)],
            "m3_off": [*m3, "--levels", "none"], "m3_on": [*m3, "--levels", "80,95"]}
    m3_label = f"M3 monthly, {sample} series"
    labels = {"default_off": f"{cfg.name}, `--levels none`",
              "default_on": f"{cfg.name}, config's levels ({levels})",
              "m3_off": f"{m3_label}, `--levels none`", "m3_on": f"{m3_label}, `--levels 80,95`"}
    return args, labels


def warm_up(work: Path) -> None:
    """An untimed two-series run and a TensorFlow import, so that the first timed row does
    not alone pay for reading the libraries and data from disk."""
    cold_run(["--data", "m3:monthly", "--sample", "2", "--models", "naive", "--levels", "none"],
             work / "warm-up")
    shutil.rmtree(work / "warm-up")
    subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True)


def measure(args: dict[str, list[str]], runs: int, work: Path,
            pairs: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every row once per round; within a pair, odd rounds run with intervals first."""
    measured: dict[str, list[tuple]] = {key: [] for key in args}
    for index in range(runs):
        for pair in pairs:
            order = ["off", "on"] if index % 2 == 0 else ["on", "off"]
            for side in order:
                key = f"{pair}_{side}"
                out = work / f"round{index + 1}-{key}"
                measured[key].append(cold_run(args[key], out))
                shutil.rmtree(out)
                print(f"round {index + 1}/{runs} {key}: {measured[key][-1][0]:.2f} s",
                      flush=True)
    return measured


def report(measured: dict[str, list[tuple]], labels: dict[str, str], quick: bool,
           ) -> tuple[str, bool]:
    """The markdown report and whether the point forecasts agree and the bounds are there."""
    med = {key: statistics.median(run[0] for run in runs) for key, runs in measured.items()}
    table = ["| run | median s | min s | max s | runs | with / without | goal | met |",
             "|---|---|---|---|---|---|---|---|"]
    lines = []
    pairs = {pair.rsplit("_", 1)[0]: GOALS[pair.rsplit("_", 1)[0]] for pair in measured}
    for pair, goal in pairs.items():
        ratio = med[f"{pair}_on"] / med[f"{pair}_off"]
        met = "yes" if ratio <= goal else "NO"
        for side in ("off", "on"):
            seconds = [run[0] for run in measured[f"{pair}_{side}"]]
            cells = [f"{ratio:.2f}", f"{goal:.2f}", met] if side == "on" else ["-"] * 3
            table.append(f"| {labels[f'{pair}_{side}']} | {med[f'{pair}_{side}']:.2f} "
                         f"| {min(seconds):.2f} | {max(seconds):.2f} | {len(seconds)} "
                         f"| {' | '.join(cells)} |")
        lines.append(f"- goal, {labels[f'{pair}_on'].split(',')[0]}: intervals add at most "
                     f"{goal - 1:.0%}: {ratio:.2f} ({ratio - 1:+.0%}) -> {met}")
    identical = all(off[1] == on[1] and off[1]
                    for pair in pairs
                    for off, on in zip(measured[f"{pair}_off"], measured[f"{pair}_on"],
                                       strict=True))
    bounds = all(run[2] for pair in pairs for run in measured[f"{pair}_on"]) and not any(
        run[2] for pair in pairs for run in measured[f"{pair}_off"])
    counts = ", ".join(f"{labels[f'{pair}_on'].split(',')[0]} {len(measured[f'{pair}_on'][0][1])}"
                       for pair in pairs)
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in
                         ("numpy", "pandas", "statsmodels", "pmdarima", "tensorflow-cpu"))
    text = "\n".join([
        "# Speed: what prediction intervals add to a cold run", "",
        "Each row is `forecast-bench run [...] --quiet --out <empty temp folder>` in a "
        "fresh process, timed from spawn to exit (startup, data, every task, tables, plots, "
        f"report); {len(measured['m3_on'])} interleaved round(s), every row once per round. "
        "With intervals, the models with their own forecast variance (naive, drift, seasonal "
        "naive, ARIMA, SES, Holt, damped, Theta, ETS when linear) add analytic bounds; every "
        "other model adds conformal ones (one extra batched forecast from up to ~500 earlier "
        "origins per task).", "",
        *(["- `--quick`: a smoke run on tiny configs; its times are dominated by startup and "
           "report writing and say nothing about the goals", ""] if quick else []),
        *table, "",
        *lines,
        f"- point forecasts identical with and without intervals: "
        f"{'yes' if identical else 'no'} (forecasts.csv y_pred, every round; forecasts: "
        f"{counts})",
        f"- interval columns (lower_*/upper_*) in every run with levels, none without: "
        f"{'yes' if bounds else 'no'}",
        *machine_lines(versions, threads=", ".join(f"{v}=1" for v in THREAD_VARS)), "",
    ])
    return text, identical and bounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="interleaved rounds (default 3; quick 1)")
    parser.add_argument("--sample", type=int, help="M3 series (default 100; quick 3)")
    parser.add_argument("--quick", action="store_true", help="small configs, 1 round")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    sample = args.sample if args.sample is not None else (3 if args.quick else 100)
    if runs < 1 or sample < 1:
        parser.error("--runs and --sample must be >= 1")
    with tempfile.TemporaryDirectory(prefix="speed-intervals-") as tmp:
        cli_args, labels = plan(args.quick, sample)
        if not args.quick:  # a smoke run's times mean nothing; spare it the warm-up
            warm_up(Path(tmp))
        # a smoke run checks the script on the M3 pair alone (each row is a CLI process)
        pairs = ("m3",) if args.quick else tuple(GOALS)
        measured = measure({k: v for k, v in cli_args.items() if k.startswith(pairs)}, runs,
                           Path(tmp), pairs)
    text, passed = report(measured, labels, args.quick)
    write_report(args.out, "intervals", text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
