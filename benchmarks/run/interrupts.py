"""Ctrl-C and SIGTERM end a command the same way: the workers shut down, one line on stderr
(no traceback), exit status 130 (SIGINT) or 143 (SIGTERM), as a shell reports a process that
either signal ended. A run's finished tasks are in the cache, so rerunning resumes."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread where Ctrl-C raises KeyboardInterrupt, so that every
    `finally` and the executors' shutdown run alike."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises Terminated meanwhile (only the main thread can set a handler)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_handler(args: argparse.Namespace) -> int:
    """args.handler(args), its exit status; an interrupted one prints one line instead."""
    try:
        with sigterm_as_interrupt():
            return args.handler(args)
    except KeyboardInterrupt as interrupt:
        return report(interrupt, args)


def report(interrupt: KeyboardInterrupt, args: argparse.Namespace) -> int:
    """Print the one line for an interrupted command; its exit status."""
    terminated = isinstance(interrupt, Terminated)
    line = "forecast-bench: " + ("terminated (SIGTERM)" if terminated else "interrupted")
    if getattr(args, "no_cache", True) is False:  # a run or tutorial that caches its tasks
        line += "; the finished tasks are cached: rerun the same command to resume"
    print(line, file=sys.stderr)
    return 128 + (signal.SIGTERM if terminated else signal.SIGINT)
