"""A parallel run ended by a signal leaves no process behind and prints one line: SIGKILL or
SIGTERM of the main process only, Ctrl-C to the whole process group (what a terminal sends),
for loky (--jobs 2) and for a dask LocalCluster."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psutil
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and groups")

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
# slow_naive marks that a worker started a task, then sleeps far longer than the test waits
SLOW_RUN = """
import os, sys, time
from forecast_bench.models.naive import Naive
from forecast_bench.models.registry import register

@register("slow_naive")
class SlowNaive(Naive):
    name = "slow_naive"
    def _fit(self, y):
        open(os.path.join(os.environ["MARKS"], str(os.getpid())), "w").close()
        time.sleep(120)
        return super()._fit(y)

if __name__ == "__main__":
    from forecast_bench.benchmarks.cli import main
    sys.exit(main(sys.argv[1:]))
"""


def start(tmp_path: Path, *extra: str) -> subprocess.Popen:
    """A --jobs 2 run of slow_naive in its own session (process group)."""
    script, marks = tmp_path / "slow_run.py", tmp_path / "marks"
    script.write_text(SLOW_RUN)
    marks.mkdir()
    args = [sys.executable, str(script), "run", "--data", "msft", "--last", "200", "--test-size",
            "40", "--folds", "4", "--models", "slow_naive", "--out", str(tmp_path / "results"),
            "--quiet", "--jobs", "2", *extra]
    env = {**os.environ, "MARKS": str(marks), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(condition: Callable[[], T], seconds: float, what: str) -> T:
    """condition()'s first true value, polled for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"no {what} after {seconds} s"
        time.sleep(0.02)
    return value


def has_sigint(pid: int, field: str) -> bool:
    """Whether SIGINT is in the process's signal set `field` of /proc/PID/status: SigCgt
    (caught: Python has started there), SigBlk (blocked)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return bool(int(status.split(f"{field}:")[1].split()[0], 16) & 1 << (signal.SIGINT - 1))


def started_workers(run: subprocess.Popen) -> list:
    """The worker processes (not the resource trackers) that have started Python."""
    def started(child) -> bool:
        with contextlib.suppress(OSError, psutil.Error):
            return ("resource_tracker" not in " ".join(child.cmdline())
                    and has_sigint(child.pid, "SigCgt"))
        return False

    return [child for child in psutil.Process(run.pid).children(recursive=True)
            if started(child)]


def busy(tmp_path: Path) -> int:
    """How many workers have started a slow_naive task."""
    return len(list((tmp_path / "marks").iterdir()))


def alive(processes: list) -> list:
    def running(process) -> bool:
        try:
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    return [process for process in processes if running(process)]


def end_group(run: subprocess.Popen) -> None:
    """Whatever the test found, nothing of the run survives it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.pid, signal.SIGKILL)
    run.communicate(timeout=30)


def signal_and_check(run: subprocess.Popen, send: Callable[[int], None]) -> str:
    """send(pid) once the run has its processes; then every one of them ends within 20 s.
    The run's stderr."""
    descendants = psutil.Process(run.pid).children(recursive=True)
    send(run.pid)
    _, err = run.communicate(timeout=60)
    wait_for(lambda: not alive(descendants), 20, "end of the workers")
    return err


@pytest.mark.parametrize("number", [signal.SIGKILL, signal.SIGTERM])
def test_workers_end_with_the_main_process(tmp_path, number):
    run = start(tmp_path)
    try:
        wait_for(lambda: busy(tmp_path) == 2, 60, "busy workers")
        err = signal_and_check(run, lambda pid: os.kill(pid, number))
        if number == signal.SIGTERM:  # like Ctrl-C: one line, the exit status of a SIGTERM
            assert run.returncode == 143, err
            assert err.splitlines() == ["forecast-bench: terminated (SIGTERM); the finished "
                                        "tasks are cached: rerun the same command to resume"]
    finally:
        end_group(run)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("executor, moment", [("local", "starting"), ("dask", "busy")])
def test_ctrl_c_prints_one_line_and_no_traceback(tmp_path, executor, moment):
    """The terminal sends SIGINT to every process of the group. Workers still starting
    (importing) printed a KeyboardInterrupt traceback: now they block SIGINT from their start
    and this process stops them. dask's busy workers logged errors."""
    run = start(tmp_path, "--executor", executor)
    try:
        if moment == "starting":
            started = wait_for(lambda: started_workers(run), 60, "worker process")
            assert all(has_sigint(worker.pid, "SigBlk") for worker in started)
        else:
            wait_for(lambda: busy(tmp_path) == 2, 60, "busy workers")
        err = signal_and_check(run, lambda pid: os.killpg(pid, signal.SIGINT))
        assert run.returncode == 130, err
        assert err.splitlines() == ["forecast-bench: interrupted; the finished tasks are "
                                    "cached: rerun the same command to resume"]
    finally:
        end_group(run)
