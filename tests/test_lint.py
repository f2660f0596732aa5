"""Style is part of the suite: ruff and mypy must be clean and modules stay small."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is not installed; pip install -e '.[dev]'"
    done = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean():
    """mypy on the package as installed (benchmarks/dev/typecheck.py, as `make lint` runs it):
    10-15 s with a cold cache, under 1 s warm."""
    assert importlib.util.find_spec("mypy"), "mypy is not installed; pip install -e '.[dev]'"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "dev" / "typecheck.py")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_modules_stay_small():
    sources = [p for d in ("models", "evaluation", "benchmarks") for p in (ROOT / d).rglob("*.py")]
    too_long = {p.name: n for p in sources if (n := len(p.read_text().splitlines())) > 400}
    assert not too_long, f"split these modules (over 400 lines): {too_long}"
