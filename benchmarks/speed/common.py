"""What the speed benchmarks share: timed runs, the machine lines, and the report file."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from forecast_bench.evaluation.run_folder.results import write_text

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
T = TypeVar("T")


def timed(fn: Callable[[], T], runs: int) -> tuple[list[float], list[T]]:
    """Wall-clock seconds and result of each run (warnings silenced while timing)."""
    seconds, results = [], []
    for _ in range(runs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            results.append(fn())
            seconds.append(time.perf_counter() - start)
    return seconds, results


def machine_lines(versions: str, extra: str = "", threads: str = "") -> list[str]:
    """Report lines: the machine, the pinned BLAS threads (this process's, unless `threads`
    describes them), library versions, the command."""
    threads = threads or ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARS)
    return [
        f"- machine: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}" + (f"; {extra}" if extra else ""),
        f"- threads: {threads}",
        f"- versions: {versions}",
        f"- command: `{shlex.join(['python', *sys.argv])}`",
    ]


def write_report(out: Path, slug: str, report: str) -> Path:
    """Write results/speed/<date>-<slug>.md atomically and print the report."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{dt.date.today().isoformat()}-{slug}.md"
    write_text(path, report)
    print(report + f"\nwritten to {path}")
    return path


def peer_python(venv: Path) -> Path | None:
    """The python of a throw-away venv with statsforecast (a peer to time against, which
    cannot be a dependency: it pins pandas < 3), created if missing; None if pip fails."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import statsforecast"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating {venv} with statsforecast (pip; needs the package index)", flush=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)]).returncode == 0 and (
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "statsforecast"])
        .returncode == 0)
    return python if made else None


def run_peer(python: Path, script: str, task: dict) -> dict:
    """The JSON answer (last stdout line) of `script` run on `task` (a JSON file path as its
    argument) by `python`, with one BLAS thread."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(task, handle)
    env = {**os.environ, **{name: "1" for name in THREAD_VARS}}
    done = subprocess.run([str(python), "-c", script, handle.name], capture_output=True,
                          text=True, env=env)
    os.unlink(handle.name)
    if done.returncode != 0:
        raise SystemExit(f"statsforecast run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])
