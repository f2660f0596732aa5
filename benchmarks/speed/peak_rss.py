"""Run one command and report its wall time and peak memory, per process, as one JSON line.

Usage: python benchmarks/speed/peak_rss.py [--log FILE] [--interval 0.1] -- COMMAND...

Standard library only and started as a script (not imported through `benchmarks`), so this
wrapper stays ~10 MiB: the command it spawns inherits (see below) nothing bigger.

Why not getrusage alone: on Linux a process's ru_maxrss includes the peak RSS of the memory it
had before exec, i.e. its parent's (fork copies it, vfork shares it, and exec keeps the old
mm's high-water mark). A 10 MiB child of an 800 MiB parent reports 800 MiB. So ru_maxrss of a
loky worker is at least the main process's RSS when it was spawned, and RUSAGE_CHILDREN is one
max over every reaped descendant. Both are kept only as the kernel's whole-tree cross-check:

- main_hwm_kib, workers[].hwm_kib: VmHWM from /proc/<pid>/status, the high-water mark of the
  process's own (post-exec) memory, read every `interval` seconds while it lives. VmHWM only
  grows, so sampling misses only growth in a process's last interval.
- total_rss_kib: the largest sum of VmRSS over the whole tree at one sample (shared library
  pages are counted once per process, so it is an upper bound of the memory in use).
- ru_maxrss_kib: os.wait4 of the command: the max over it and its reaped descendants (with the
  inheritance above, so at most the largest process's peak, never a sum).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    """Direct children of `pid` (/proc/<pid>/task/*/children; a scan of /proc without it)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    if not os.path.exists(f"/proc/{pid}/task/{tids[0]}/children"):
        return [int(p) for p in os.listdir("/proc") if p.isdigit()
                and _read(f"/proc/{p}/stat").rpartition(")")[2].split()[1:2] == [str(pid)]]
    return [int(c) for tid in tids for c in _read(f"/proc/{pid}/task/{tid}/children").split()]


def memory_kib(pid: int) -> tuple[int, int] | None:
    """(VmHWM, VmRSS) of a live process in KiB; None once it has exited."""
    fields = dict(line.split(":", 1) for line in _read(f"/proc/{pid}/status").splitlines()
                  if line.startswith(("VmHWM:", "VmRSS:")))
    if len(fields) < 2:
        return None
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


def kind(pid: int) -> str:
    """'worker' for a joblib/loky or dask LocalCluster worker (a multiprocessing spawn child),
    else the command's first words (git, a resource tracker...)."""
    argv = _read(f"/proc/{pid}/cmdline").split("\0")
    text = " ".join(argv)
    if any(mark in text for mark in ("popen_loky", "LokyProcess", "spawn_main")):
        return "worker"
    words = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(argv[:3]))
    return " ".join(words.split())[:60]


class Sampler(threading.Thread):
    """Polls the process tree under `root` until stopped; keeps each process's largest VmHWM."""

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.hwm: dict[int, int] = {}
        self.kinds: dict[int, str] = {}
        self.total_rss = 0
        self.samples = 0
        self.done = threading.Event()

    def sample(self) -> None:
        pending, total = [self.root], 0
        while pending:
            pid = pending.pop()
            pending += children(pid)
            memory = memory_kib(pid)
            if memory is None:
                continue
            if pid != self.root and pid not in self.kinds:
                self.kinds[pid] = kind(pid)
            self.hwm[pid] = max(self.hwm.get(pid, 0), memory[0])
            total += memory[1]
        self.total_rss = max(self.total_rss, total)
        self.samples += 1

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)


def measure(command: list[str], log: Path | None, interval: float) -> dict[str, Any]:
    """Run `command` (output to `log`), sampling its tree; return the figures described above."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        sampler = Sampler(proc.pid, interval)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # not proc.wait(): it discards the rusage
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.done.set()
        sampler.join()
    finally:
        if not isinstance(out, int):  # the log file (subprocess.DEVNULL is an int)
            out.close()
    workers = [{"pid": pid, "kind": sampler.kinds[pid], "hwm_kib": hwm}
               for pid, hwm in sampler.hwm.items() if pid != proc.pid]
    return {
        "returncode": proc.returncode,
        "seconds": seconds,
        "main_hwm_kib": sampler.hwm.get(proc.pid, 0),
        "workers": [w for w in workers if w["kind"] == "worker"],
        "helpers": [w for w in workers if w["kind"] != "worker"],
        "total_rss_kib": sampler.total_rss,
        "ru_maxrss_kib": usage.ru_maxrss,
        "samples": sampler.samples,
        "interval": interval,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="file for the command's stdout and stderr")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    result = measure(command, args.log, args.interval)
    print(json.dumps(result), flush=True)
    return int(result["returncode"])


if __name__ == "__main__":
    sys.exit(main())
