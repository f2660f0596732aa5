"""A one-line progress bar over a run's (model, fold) tasks, on stderr when it is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from evaluation.splits import Fold
from evaluation.walk_forward import Progress

WIDTH = 24


class ProgressBar:
    """`[#####-----] 12/24 tasks, 1m05s elapsed, ETA 1m10s  lstm fold 2: ok`, redrawn in place.

    The ETA counts only computed tasks: cached ones finish at once and would make it too short.
    """

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.started = time.perf_counter()
        self.computed = 0
        self.width = 0

    def __call__(self, label: str, fold: Fold, status: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        self.computed += "cached" not in status
        left = total - done
        eta = elapsed / self.computed * left if self.computed else 0.0
        filled = round(WIDTH * done / total) if total else WIDTH
        line = (f"[{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total} tasks, "
                f"{_clock(elapsed)} elapsed, ETA {_clock(eta)}  {label} fold {fold.index}: "
                f"{status}")
        self.stream.write("\r" + line.ljust(self.width))
        self.width = len(line)
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def progress_for(quiet: bool, stream: TextIO = sys.stderr) -> Progress | None:
    """A bar on a terminal; nothing with --quiet or when stderr is a file or a pipe."""
    return None if quiet or not stream.isatty() else ProgressBar(stream)
