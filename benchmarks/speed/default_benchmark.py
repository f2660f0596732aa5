"""Speed and memory of the default benchmark end to end: --jobs, the task cache, peak RSS.

Usage: python benchmarks/speed/default_benchmark.py [--runs 3] [--add lstm_diff] [--out DIR]
       [--blas-threads 1] [--quick]

Every row is `forecast-bench run [...] --quiet --out <temp folder>` in a fresh process,
run through peak_rss.py: wall time from spawn to exit (startup, data, every task, the report),
and each process's peak memory. Rounds are interleaved: each round runs every row once, in new
temporary folders (deleted after the round). --quick: a 300-day, 2-fold config of naive, drift
and ARIMA(1,1,1) written to the temporary folder, adding arima, 1 round: a smoke test.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

from tabulate import tabulate

from forecast_bench.benchmarks.config import DEFAULT_CONFIG, REFERENCE, load_config
from forecast_bench.benchmarks.run.runner import CACHE_DIR
from forecast_bench.benchmarks.speed.common import THREAD_VARS, machine_lines, write_report

CLI = (sys.executable, "-m", "forecast_bench.benchmarks")  # the command line, this Python

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = Path(__file__).with_name("peak_rss.py")
TF_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
QUICK_CONFIG = """\
name = "msft_quick"
seed = 0

[data]
source = "msft"
column = "Close"
last = 300

[split]
test_size = 40
folds = 2
horizon = 1

[models.naive]

[models.drift]

[models.arima]
order = [1, 1, 1]
"""
ROWS = {  # key: (label, ratio numerator, ratio denominator, what the ratio is)
    "jobs1": ("cold, `--jobs 1 --no-cache`", "jobs1", "jobs1", "reference"),
    "jobs2": ("cold, `--jobs 2 --no-cache`", "jobs1", "jobs2", "speed-up: jobs 1 / jobs 2"),
    "dask2": ("cold, `--executor dask --jobs 2 --no-cache`", "jobs1", "dask2",
              "speed-up: jobs 1 / dask"),
    "cold": ("cold cached run, empty folder", "cold", "jobs1", "this / `--no-cache` jobs 1"),
    "warm": ("warm rerun, same folder (all cached)", "cold", "warm", "cold / warm"),
    "partial": ("cached run without {add}", "partial", "cold", "this / cold full run"),
    "add": ("add {add} to that cached run", "add", "cold", "this / cold full run"),
}


@dataclasses.dataclass(frozen=True)
class Run:
    """One CLI run: its wall time, memory figures (peak_rss.py's JSON) and run-folder facts."""

    seconds: float
    memory: dict[str, Any]
    rmse: dict[str, str]  # model -> summary.csv's rmse text
    forecasts: dict[tuple[str, ...], float]  # (model, fold, origin, step) -> y_pred
    tasks: Counter[str]  # model -> (model, fold) tasks
    computed: Counter[str]  # model -> tasks not taken from the cache
    cache: tuple[int, int] | None  # manifest's (hits, misses); None with --no-cache


def cli_env(blas_threads: int) -> dict[str, str]:
    """This environment without thread settings; BLAS/OpenMP pinned to `blas_threads` if > 0.

    TensorFlow links neither OpenBLAS nor OpenMP, so these never limit it: with --jobs 1 it
    keeps its default pools on every CPU, with --jobs N the executor pins each worker.
    """
    env = {k: v for k, v in os.environ.items() if k not in (*THREAD_VARS, *TF_VARS)}
    if blas_threads > 0:
        env.update({name: str(blas_threads) for name in THREAD_VARS})
    return env


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a run folder's CSV, as text."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_run(run_dir: Path, memory: dict[str, Any]) -> Run:
    """The facts the checks need, read from a finished run folder."""
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    cache = manifest["execution"]["cache"]
    status = read_csv(run_dir / "status.csv")
    return Run(
        seconds=float(memory["seconds"]),
        memory=memory,
        rmse={row["model"]: row["rmse"] for row in read_csv(run_dir / "summary.csv")},
        forecasts={(r["model"], r["fold"], r["origin"], r["step"]): float(r["y_pred"] or "nan")
                   for r in read_csv(run_dir / "forecasts.csv")},
        tasks=Counter(row["model"] for row in status),
        computed=Counter(row["model"] for row in status if row.get("cached") != "True"),
        cache=(int(cache["hits"]), int(cache["misses"])) if isinstance(cache, dict) else None,
    )


def cli(args: list[str], out: Path, env: dict[str, str]) -> Run:
    """Run `forecast-bench run ARGS --quiet --out OUT` through the memory wrapper."""
    before = set(out.iterdir()) if out.is_dir() else set()
    log = out.with_name(f"{out.name}-{len(before)}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [*CLI, "run", *args, "--quiet", "--out", str(out)]
    done = subprocess.run([sys.executable, str(WRAPPER), "--log", str(log), "--", *command],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        output = log.read_text(errors="replace")[-3000:] if log.exists() else done.stderr
        raise SystemExit(f"`{' '.join(command)}` failed (exit {done.returncode}):\n{output}")
    new = [p for p in out.iterdir() if p.is_dir() and p not in before and p.name != CACHE_DIR]
    if len(new) != 1:
        raise SystemExit(f"expected one new run folder in {out}, found {new}")
    return read_run(new[0], json.loads(done.stdout.strip().splitlines()[-1]))


def max_forecast_diff(a: Run, b: Run) -> float:
    """Largest |difference| of two runs' forecasts (inf if they forecast different points)."""
    if a.forecasts.keys() != b.forecasts.keys():
        return float("inf")
    return max((abs(a.forecasts[k] - b.forecasts[k]) for k in a.forecasts), default=0.0)


def mib(kib: float) -> float:
    """KiB (what /proc and getrusage report on Linux) to MiB."""
    return kib / 1024


def memory_row(label: str, runs: list[Run]) -> list[str]:
    """Medians over the runs: main process, largest worker, workers, all together, ru_maxrss."""
    def median(values: list[float]) -> str:
        """The median, rounded to whole MiB."""
        return f"{statistics.median(values):.0f}"

    workers = [[w["hwm_kib"] for w in r.memory["workers"]] for r in runs]
    largest = median([mib(max(w)) for w in workers]) if all(workers) else "-"
    return [label, median([mib(r.memory["main_hwm_kib"]) for r in runs]), largest,
            str(max(len(w) for w in workers)),
            median([mib(r.memory["total_rss_kib"]) for r in runs]),
            median([mib(r.memory["ru_maxrss_kib"]) for r in runs])]


def hits_misses(runs: list[Run]) -> str:
    """The runs' distinct cache 'hits/misses' (one value when every round agrees)."""
    return " ".join(sorted({f"{r.cache[0]}/{r.cache[1]}" if r.cache else "off" for r in runs}))


def computed(runs: list[Run]) -> str:
    """The runs' distinct 'model: tasks computed' lists."""
    return " | ".join(sorted({", ".join(f"{m} {n}" for m, n in r.computed.items()) or "none"
                              for r in runs}))


def check(passed: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if passed else "FAIL"


def measure(cfg_args: list[str], labels: list[str], add: str, runs: int, env: dict[str, str],
            work: Path) -> dict[str, list[Run]]:
    """Every row once per round, rounds interleaved; jobs 1 and 2 alternate which goes first."""
    partial = ["--models", ",".join(label for label in labels if label != add)]
    plan = {"jobs1": ["--jobs", "1", "--no-cache"], "jobs2": ["--jobs", "2", "--no-cache"],
            "dask2": ["--executor", "dask", "--jobs", "2", "--no-cache"],
            "cold": [], "warm": [], "partial": partial, "add": []}
    folder = {"jobs1": "jobs1", "jobs2": "jobs2", "dask2": "dask2", "cold": "cached",
              "warm": "cached", "partial": "add", "add": "add"}
    measured: dict[str, list[Run]] = {key: [] for key in ROWS}
    for index in range(runs):
        base = work / f"round{index + 1}"
        order = ["jobs1", "jobs2", "dask2"] if index % 2 == 0 else ["dask2", "jobs2", "jobs1"]
        for key in [*order, "cold", "warm", "partial", "add"]:
            run = cli([*cfg_args, *plan[key]], base / folder[key], env)
            measured[key].append(run)
            print(f"round {index + 1}/{runs} {key}: {run.seconds:.2f} s, cache "
                  f"{run.cache or 'off'}, main {mib(run.memory['main_hwm_kib']):.0f} MiB",
                  flush=True)
        shutil.rmtree(base)
    return measured


def report(measured: dict[str, list[Run]], name: str, labels: list[str], add: str,
           threads: str, quick: bool = False) -> tuple[str, bool]:
    """The markdown report and whether every check passed."""
    med = {key: statistics.median(r.seconds for r in runs) for key, runs in measured.items()}
    rows = []
    for key, (label, top, bottom, meaning) in ROWS.items():
        seconds = [r.seconds for r in measured[key]]
        hits = hits_misses(measured[key])
        rows.append([label.format(add=add), f"{med[key]:.2f}", f"{min(seconds):.2f}",
                     f"{max(seconds):.2f}", str(len(seconds)), f"{med[top] / med[bottom]:.2f}",
                     meaning, hits])
    table = tabulate(rows, headers=["", "median s", "min s", "max s", "runs", "ratio",
                                    "ratio is", "cache hits/misses"],
                     tablefmt="github", disable_numparse=True,
                     colalign=("left", *["right"] * 5, "left", "right"))
    memory = tabulate([memory_row(ROWS[k][0].format(add=add), measured[k]) for k in ROWS],
                      headers=["", "main process MiB", "largest worker MiB", "workers",
                               "all processes MiB", "ru_maxrss MiB"],
                      tablefmt="github", disable_numparse=True,
                      colalign=("left", *["right"] * 5))

    j1, j2 = measured["jobs1"], measured["jobs2"]
    reference = j1[0]
    tasks = sum(reference.tasks.values())
    added = reference.tasks[add]
    jobs_same = all(a.rmse == b.rmse for a, b in zip(j1, j2, strict=True))
    jobs_diff = max(max_forecast_diff(a, b) for a, b in zip(j1, j2, strict=True))
    dask_diff = max(max_forecast_diff(a, b) for a, b in zip(j1, measured["dask2"], strict=True))
    others = {m: v for m, v in reference.rmse.items() if m != add}
    repeat = (all(r.rmse == reference.rmse
                  for k in ("jobs1", "jobs2", "dask2", "cold", "warm", "add")
                  for r in measured[k])
              and all(r.rmse == others for r in measured["partial"]))
    expect = {"cold": (0, tasks), "warm": (tasks, 0), "partial": (0, tasks - added),
              "add": (tasks - added, added)}
    cache_ok = all(r.cache == want for key, want in expect.items() for r in measured[key])
    only_added = all(r.computed == Counter({add: added}) for r in measured["add"])
    passed = jobs_same and jobs_diff == 0 and dask_diff == 0 and repeat and cache_ok and only_added
    n_forecasts = len(reference.forecasts)
    j2_workers = max(len(r.memory["workers"]) for r in j2)
    text = "\n".join([
        f"# Default benchmark end to end, {dt.date.today().isoformat()}",
        "",
        f"{name}: models {', '.join(labels)}; {len(reference.tasks)} models "
        f"x {tasks // max(len(reference.tasks), 1)} folds = {tasks} (model, fold) tasks, "
        f"{n_forecasts} forecasts. Each row runs `forecast-bench run [...] --quiet --out "
        "<temp>` in a fresh process, timed from spawn to exit (startup, data, tasks, tables, "
        f"plots, report.html); {len(j1)} interleaved round(s), every row once per round.",
        "",
        table,
        "",
        f"- `--jobs 2` speed-up over `--jobs 1`: {med['jobs1'] / med['jobs2']:.2f} (medians; "
        f"{os.cpu_count()} CPUs, so 2 at most, less the serial startup and report writing)",
        f"- RMSE identity, jobs 1 vs jobs 2: summary.csv RMSEs identical in every round: "
        f"{'yes' if jobs_same else 'no'}; max |forecast difference| {jobs_diff:.3g} over "
        f"{n_forecasts} forecasts -> {check(jobs_same and jobs_diff == 0)}",
        f"- `--executor dask --jobs 2` (a LocalCluster of 2 worker processes, started and "
        f"stopped in the run) vs `--jobs 1`: {med['jobs1'] / med['dask2']:.2f}x; max |forecast "
        f"difference| {dask_diff:.3g} -> {check(dask_diff == 0)}",
        f"- warm rerun: {med['warm']:.2f} s against {med['cold']:.2f} s for the cold cached "
        f"run (cold / warm {med['cold'] / med['warm']:.1f}); cache hits/misses "
        f"{hits_misses(measured['warm'])}: with every task cached, what remains is startup, "
        "loading and writing the tables, plots and report",
        f"- add one model: the cached run without {add} takes {med['partial']:.2f} s; adding "
        f"{add} to it takes {med['add']:.2f} s, {med['add'] / med['cold']:.0%} of a cold full "
        f"run; cache hits/misses {hits_misses(measured['add'])}, tasks computed: "
        f"{computed(measured['add'])} (expected: only {add}'s {added})",
        f"- cache checks (cold 0/{tasks}, warm {tasks}/0, without {add} 0/{tasks - added}, add "
        f"{tasks - added}/{added}; only {add} computed): {check(cache_ok and only_added)}",
        f"- every run reproduces the first cold run's RMSEs (cached, warm, added): "
        f"{check(repeat)}",
        "",
        "## Peak resident memory (MiB, medians over the runs)",
        "",
        memory,
        "",
        "- main process, largest worker: the process's own peak RSS (VmHWM in "
        "/proc/<pid>/status, the high-water mark of its memory since exec), read every "
        f"{reference.memory['interval']} s by peak_rss.py while it lives; VmHWM only grows, so "
        "sampling misses only growth in a process's last interval",
        f"- workers: joblib/loky or dask worker processes seen ({j2_workers} with `--jobs 2`); "
        "small helper processes (loky's resource tracker, dask's nanny) are not counted",
        "- all processes: the largest sum of VmRSS over the run's process tree at one sample "
        "(shared library pages counted once per process: an upper bound of the RAM in use)",
        "- ru_maxrss: os.wait4 of the CLI process, the kernel's max over it and its reaped "
        "descendants. Not used for workers: a child's ru_maxrss includes its parent's RSS "
        "before exec (fork copies it, vfork shares it), so each worker would report at least "
        "the main process's RSS when it was spawned; measured through a ~10 MiB wrapper so "
        "the harness is not inherited either",
        *machine_lines(f"tensorflow-cpu {metadata.version('tensorflow-cpu')}, joblib "
                       f"{metadata.version('joblib')}, statsmodels "
                       f"{metadata.version('statsmodels')}", threads=threads),
        "",
    ])
    if quick:
        text = text.replace("\n\n|", "\n\n- `--quick`: a smoke run of this script on a tiny "
                            "config; its times are dominated by startup and report writing and "
                            "say nothing about the default benchmark\n\n|", 1)
    return text, passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="rounds, each row once (default 3; quick 1)")
    parser.add_argument("--add", help="the model added to a cached run (default lstm_diff; "
                        "quick: arima)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="OPENBLAS/OMP/MKL threads of the measured runs (0: unset)")
    parser.add_argument("--quick", action="store_true", help="small config, 1 round: a smoke run")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    if runs < 1 or args.blas_threads < 0:
        parser.error("--runs must be >= 1 and --blas-threads >= 0")
    add = args.add or ("arima" if args.quick else "lstm_diff")

    with tempfile.TemporaryDirectory(prefix="speed-default-") as tmp:
        work = Path(tmp)
        if args.quick:
            config = work / "quick.toml"
            config.write_text(QUICK_CONFIG, encoding="utf-8")
            cfg_args = [str(config)]
        else:
            config, cfg_args = DEFAULT_CONFIG, []
        cfg = load_config(config)
        labels = [entry.label for entry in cfg.models]
        labels = labels if REFERENCE in labels else [REFERENCE, *labels]
        if add not in labels or add == REFERENCE:
            parser.error(f"--add must be one of {', '.join(labels[1:])}; got {add!r}")
        print(f"{cfg.name}: {len(labels)} models, {runs} round(s) of {len(ROWS)} runs",
              flush=True)
        measured = measure(cfg_args, labels, add, runs, cli_env(args.blas_threads), work)
    blas = ", ".join(f"{name}={args.blas_threads or 'unset'}" for name in THREAD_VARS)
    threads = (f"the measured runs get {blas} and no TF_NUM_*_THREADS: TensorFlow (which "
               "links neither OpenBLAS nor OpenMP) keeps its default pools on all CPUs with "
               "`--jobs 1`; with `--jobs N` the executor pins each worker to cpu_count // N")
    text, passed = report(measured, cfg.name, labels, add, threads, args.quick)
    write_report(args.out, "default-benchmark", text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
