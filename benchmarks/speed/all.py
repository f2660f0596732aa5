"""All speed benchmarks (`make speed`): each script in a fresh process, one combined report.

Usage: python benchmarks/speed/all.py [--runs 3] [--out DIR] [--quick]

Runs arima_walk_forward.py, mstl_statsforecast.py, lstm_walk_forward.py, default_benchmark.py,
m3_panel.py, statistical.py, intervals.py, collection_networks.py, nbeats_step.py and
lightgbm_panel.py one after another, each in its own process (one's imports, thread settings
and memory never reach the next one's timings), keeps each report as <out>/<date>-<slug>.md and
writes them one after another to <out>/<date>.md. About 85 minutes on 2 CPUs with --runs 3 before
collection_networks.py and mstl_statsforecast.py, most of it the default benchmark end to end
(6 full runs per round in default_benchmark.py, 6 more in intervals.py); collection_networks.py
(per-series networks on all 1045 M3 monthly series, two shapes) adds its own time, not yet
measured in full here, nbeats_step.py (N-BEATS, N-BEATS-I and N-HiTS training steps at full
size) several minutes more, and mstl_statsforecast.py about 6 (2 with --quick), nearly all of
it statsforecast's 56 per-origin decompositions a round (its peer, like arima_walk_forward.py's,
is skipped with a message when statsforecast cannot be installed), and lightgbm_panel.py (the
global LightGBM model on 1000 daily series, 9 fits) about 21. Run it on a quiet machine.
--quick: 1 run each, LSTM 1 epoch, the default benchmark's --quick config,
collection_networks.py on 20 series, nbeats_step.py on small networks, lightgbm_panel.py on 50
series (a smoke run of this script, minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from forecast_bench.evaluation.run_folder.results import write_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPTS = ("arima_walk_forward.py", "mstl_statsforecast.py", "lstm_walk_forward.py",
           "default_benchmark.py", "m3_panel.py", "statistical.py", "intervals.py",
           "collection_networks.py", "nbeats_step.py", "lightgbm_panel.py")
QUICK = {"lstm_walk_forward.py": ["--epochs", "1"], "default_benchmark.py": ["--quick"],
         "m3_panel.py": ["--quick"], "statistical.py": ["--limit", "20", "--sample", "4"],
         "intervals.py": ["--quick"], "collection_networks.py": ["--quick"],
         "nbeats_step.py": ["--quick"], "lightgbm_panel.py": ["--series", "50"]}


def run_script(script: str, runs: int, quick: bool, out: Path) -> tuple[int, str | None, float]:
    """Run one script (output streamed) into an empty folder; its exit code, report, minutes."""
    with tempfile.TemporaryDirectory(prefix="speed-all-") as tmp:
        command = [sys.executable, str(HERE / script), "--runs", str(runs), "--out", tmp,
                   *(QUICK.get(script, []) if quick else [])]
        print(f"\n=== {script} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.run(command, cwd=ROOT).returncode
        minutes = (time.perf_counter() - start) / 60
        reports = sorted(Path(tmp).glob("*.md"))
        if not reports:
            return code, None, minutes
        text = reports[-1].read_text(encoding="utf-8")
        write_text(out / reports[-1].name, text)
    return code, text, minutes


def demote(text: str) -> str:
    """Headings one level down ('# A' -> '## A'), so the reports nest under one title."""
    return re.sub(r"^(#+ )", r"#\1", text, flags=re.MULTILINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="timed runs of each (default 3; quick 1)")
    parser.add_argument("--quick", action="store_true", help="1 run each, small settings")
    parser.add_argument("--out", type=Path, default=Path("results/speed"), help="report folder")
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    if runs < 1:
        parser.error("--runs must be >= 1")
    args.out.mkdir(parents=True, exist_ok=True)

    sections, status, codes = [], [], []
    for script in SCRIPTS:
        code, text, minutes = run_script(script, runs, args.quick, args.out)
        codes.append(code)
        status.append(f"- `{script}`: exit {code} "
                      f"({'checks passed' if code == 0 else 'a check FAILED or it crashed'}), "
                      f"{minutes:.1f} min")
        sections.append(demote(text).rstrip() if text is not None else
                        f"## {script}\n\nFailed with exit code {code} before writing a report.")
    combined = "\n".join([
        f"# Speed benchmarks, {dt.date.today().isoformat()}",
        "",
        f"`make speed`: each script in its own process, {runs} run(s) of each measurement, "
        "medians and ratios measured side by side in the same run. The per-script reports "
        "are also written as <date>-<slug>.md next to this file.",
        "",
        *status,
        "",
        "\n\n".join(sections),
        "",
    ])
    path = args.out / f"{dt.date.today().isoformat()}.md"
    write_text(path, combined)
    print(f"\n{chr(10).join(status)}\ncombined report: {path}")
    return 1 if any(codes) else 0


if __name__ == "__main__":
    sys.exit(main())
