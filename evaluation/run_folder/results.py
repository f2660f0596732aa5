"""Run folders under results/: unique ids, atomic file writes, the manifest."""

from __future__ import annotations

import datetime as dt
import json
import platform
import secrets
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from forecast_bench.evaluation.harness.cache import installed_versions
from forecast_bench.evaluation.reporting.formats import EXTENSIONS
from forecast_bench.evaluation.run_folder import run_files
from forecast_bench.evaluation.run_folder.atomic import write_atomic
from forecast_bench.models.errors import ConfigError

TABLE_FORMATS = ("md", "latex", "html")  # tables/ holds each table in these (CSV: table)

PACKAGES = ("forecast-bench", "numpy", "pandas", "scikit-learn", "statsmodels", "pmdarima",
            "tensorflow-cpu", "keras", "matplotlib", "tabulate", "arch")


def new_run_dir(root: Path, name: str) -> Path:
    """Create results/<timestamp>-<name>-<random>/; never reuses an existing folder."""
    if root.exists() and not root.is_dir():
        raise ConfigError(f"output folder {root} is a file; pass --out with a folder path")
    try:
        root.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = root / f"{stamp}-{name}-{secrets.token_hex(3)}"
        run_dir.mkdir()  # raises if it exists: a run never overwrites another
    except OSError as exc:
        raise ConfigError(f"cannot create a run folder in {root}: {exc.strerror}; "
                          "pass --out with a writable folder") from None
    return run_dir


def write_text(path: Path, text: str) -> None:
    """Write `text` atomically (temporary file, then rename)."""
    write_atomic(path, lambda handle: handle.write(text.encode("utf-8")))


def write_csv(path: Path, frame: pd.DataFrame, float_format: str | None = "%.10g") -> None:
    """float_format=None writes floats exactly (shortest round-trip repr) for raw data."""
    write_text(path, frame.to_csv(index=False, float_format=float_format))


def write_json(path: Path, payload: dict) -> None:
    write_text(path, json.dumps(payload, indent=2, default=str) + "\n")


def write_tables(run_dir: Path, names: Sequence[str],
                 render: Callable[[str, str], str | None]) -> dict[str, dict[str, str]]:
    """Each table of `names` rendered once per format of the folder (render(name, fmt); None:
    that table is left out) and written to tables/<name>.<ext>; returns fmt -> name -> text,
    for summary.md and report.html to reuse."""
    (run_dir / run_files.TABLES).mkdir(exist_ok=True)
    rendered: dict[str, dict[str, str]] = {}
    for fmt in TABLE_FORMATS:
        rendered[fmt] = {}
        for name in names:
            text = render(name, fmt)
            if text is not None:
                rendered[fmt][name] = text
                write_text(run_dir / run_files.TABLES / f"{name}.{EXTENSIONS[fmt]}", text)
    return rendered


def package_versions() -> dict[str, str | None]:
    return installed_versions(PACKAGES)


def git_commit() -> str | None:
    """The project's git commit, with '+dirty' when the work tree has changes; None outside git."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty.strip() else "")


def environment() -> dict[str, object]:
    return {
        "packages": package_versions(),
        "platform": platform.platform(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "git_commit": git_commit(),
    }
