"""Speed of benchmarks/configs/m3_makridakis2018.toml: its statistical part cold, the whole
config cold with --jobs 2, and a warm rerun; each model's cost per series beside the random
walk's (the paper's CC).

Usage: python benchmarks/speed/makridakis2018.py [--sample N] [--out DIR] [--keep DIR]
       [--statistical-only]

Each measurement is one `forecast-bench run` CLI process through peak_rss.py, in a fresh
results folder except the warm rerun (same folder: every task cached). One run of each: the
whole config takes over an hour on 2 CPUs. Goals: statistical part under 15 minutes cold,
whole config under 90 minutes cold with --jobs 2, warm rerun under 1 minute.
--sample N: N series instead of 1045 (a smoke run; the goals are for the full set).
--keep DIR: keep the runs' results folders there (DIR/whole holds the run the README's table
reads) instead of a temporary folder.
--statistical-only: only the statistical part's cold run, its own cost table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from forecast_bench.benchmarks.speed.common import THREAD_VARS, machine_lines, write_report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONFIG = ROOT / "benchmarks" / "configs" / "m3_makridakis2018.toml"
STATISTICAL = "naive,naive2,ses,holt,damped,comb,theta,arima,ets"
GOALS = {"statistical": 15 * 60, "whole": 90 * 60, "warm": 60}


def cli_run(out: Path, extra: list[str]) -> tuple[dict, Path]:
    """peak_rss.py's measure of one CLI run of the config (seconds, memory), and its folder."""
    command = [sys.executable, str(HERE / "peak_rss.py"), "--", sys.executable, "-m",
               "benchmarks", "run", str(CONFIG), "--out", str(out), "--quiet", *extra]
    env = {**os.environ, **{name: "1" for name in THREAD_VARS}}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    run_dir = max((p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime)
    return json.loads(lines[-1]), run_dir


def model_costs(run_dir: Path) -> pd.DataFrame:
    """Per model: task seconds in all, per series, and relative to the random walk."""
    status = pd.read_csv(run_dir / "status.csv")
    status["seconds"] = status["fit_seconds"].fillna(0) + status["predict_seconds"].fillna(0)
    table = status.groupby("model", sort=False).agg(
        series=("series", "nunique"), failed=("status", lambda s: int((s != "ok").sum())),
        seconds=("seconds", "sum"), per_series=("seconds", "mean"))
    table["CC"] = table["per_series"] / table.loc["naive", "per_series"]
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, help="N series (a smoke run)")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    parser.add_argument("--keep", type=Path, help="keep the runs' results folders here")
    parser.add_argument("--statistical-only", action="store_true",
                        help="only the statistical part's cold run (about 15 minutes)")
    args = parser.parse_args(argv)
    sample = ["--sample", str(args.sample)] if args.sample else []
    measured, identical = {}, None
    with tempfile.TemporaryDirectory(prefix="speed-m18-") as tmp:
        runs = (args.keep or Path(tmp)).resolve()
        if not args.statistical_only:
            measured["whole"], run_dir = cli_run(runs / "whole", ["--jobs", "2", *sample])
            measured["warm"], warm_dir = cli_run(runs / "whole", ["--jobs", "2", *sample])
            identical = ((run_dir / "forecasts.csv").read_bytes()
                         == (warm_dir / "forecasts.csv").read_bytes())
        measured["statistical"], statistical_dir = cli_run(
            runs / "statistical", ["--models", STATISTICAL, "--jobs", "2", *sample])
        costed = statistical_dir if args.statistical_only else run_dir
        costs = model_costs(costed)
        series = json.loads((costed / "manifest.json").read_text())["data"]["n_evaluated"]
    labels = {"statistical": f"statistical part ({STATISTICAL}), cold, --jobs 2",
              "whole": "whole config, cold, --jobs 2", "warm": "whole config, warm rerun"}
    versions = subprocess.run([sys.executable, "-c", "import tensorflow, sklearn; print("
                               "f'tensorflow {tensorflow.__version__}, "
                               "scikit-learn {sklearn.__version__}')"],
                              capture_output=True, text=True).stdout.strip()
    rows = [f"| {labels[key]} | {run['seconds'] / 60:.1f} | {GOALS[key] / 60:.0f} | "
            f"{'yes' if run['seconds'] < GOALS[key] or args.sample else 'NO'} | "
            f"{run['total_rss_kib'] / 2**20:.2f} |" for key, run in measured.items()]
    same = ("not measured (--statistical-only)" if identical is None
            else "yes" if identical else "NO")
    report = "\n".join([
        f"# Speed: the Makridakis et al. (2018) config on {series} M3 monthly series", "",
        *machine_lines(versions, threads=", ".join(f"{v}=1" for v in THREAD_VARS)), "",
        "| run | minutes | goal (minutes, 1045 series) | met | peak memory, all processes (GiB) |",
        "|---|---|---|---|---|", *rows, "",
        f"- forecasts identical, cold vs warm: {same}", "",
        f"Cost per model (the cold {'statistical' if args.statistical_only else 'whole'} run; "
        "seconds of fit and forecast per series, a panel model's job shared equally among its "
        "series; CC relative to the random walk):", "",
        costs.reset_index().to_markdown(index=False, floatfmt=".3f"), "",
    ])
    write_report(args.out, "makridakis2018", report)
    return 1 if identical is False else 0


if __name__ == "__main__":
    sys.exit(main())
