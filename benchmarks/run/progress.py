"""A one-line progress bar over a run's (series, model, fold) tasks, on stderr when it is a
terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from forecast_bench.evaluation.harness.walk_forward import Progress, Tick

WIDTH = 24


class ProgressBar:
    """`[#####-----] 12/24 tasks, 3/6 series, 1m05s elapsed, ETA 1m10s  N1 lstm fold 2: ok`,
    redrawn in place (the series count only when the run has several).

    The ETA counts only computed tasks: cached ones finish at once and would make it too short.
    """

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.started = time.perf_counter()
        self.computed = 0
        self.width = 0

    def __call__(self, tick: Tick) -> None:
        elapsed = time.perf_counter() - self.started
        self.computed += "cached" not in tick.status
        left = tick.total - tick.done
        eta = elapsed / self.computed * left if self.computed else 0.0
        filled = round(WIDTH * tick.done / tick.total) if tick.total else WIDTH
        series = (f"{tick.series_done}/{tick.n_series} series, " if tick.n_series > 1 else "")
        where = f"{tick.series} " if tick.n_series > 1 else ""
        line = (f"[{'#' * filled}{'-' * (WIDTH - filled)}] {tick.done}/{tick.total} tasks, "
                f"{series}{_clock(elapsed)} elapsed, ETA {_clock(eta)}  {where}{tick.label} "
                f"fold {tick.fold}: {tick.status}")
        self.stream.write("\r" + line.ljust(self.width))
        self.width = len(line)
        if tick.done == tick.total:
            self.stream.write("\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def progress_for(quiet: bool, stream: TextIO = sys.stderr) -> Progress | None:
    """A bar on a terminal; nothing with --quiet or when stderr is a file or a pipe."""
    return None if quiet or not stream.isatty() else ProgressBar(stream)
