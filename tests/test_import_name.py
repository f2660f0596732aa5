"""One import name: the project installs as `forecast_bench` alone, so a user's own `models/`,
`evaluation/` or `benchmarks/` folder never shadows it, and the bare names are not importable."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_in(folder: Path, code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter started in `folder` (on sys.path first, as a user's script
    folder is), without this checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_public_api_imports_beside_a_users_own_models_folder(tmp_path: Path) -> None:
    for name in ("models", "evaluation", "benchmarks"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"MINE = {name!r}\n")
    done = run_in(tmp_path, "import models, evaluation, benchmarks\n"
                            "from forecast_bench import Forecaster, get\n"
                            "from forecast_bench.benchmarks.cli import main\n"
                            "print(models.MINE, evaluation.MINE, benchmarks.MINE, "
                            "get('naive').__class__.__name__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["models", "evaluation", "benchmarks", "Naive"]


def test_the_bare_package_names_are_not_installed(tmp_path: Path) -> None:
    for name in ("models", "evaluation", "benchmarks"):
        done = run_in(tmp_path, f"import {name}")
        assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr, (name, done.stderr)


def test_developer_scripts_stay_out_of_the_wheel() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = set(setuptools["packages"])
    folders = {"forecast_bench.benchmarks": ROOT / "benchmarks",
               "forecast_bench.evaluation": ROOT / "evaluation",
               "forecast_bench.models": ROOT / "models"}
    found = {f"{name}.{'.'.join(init.parent.relative_to(folder).parts)}".rstrip(".")
             for name, folder in folders.items() for init in folder.rglob("__init__.py")}
    developer = {"forecast_bench.benchmarks.speed", "forecast_bench.benchmarks.dev"}
    assert developer <= found and not developer & shipped
    assert found - developer <= shipped, f"not shipped: {sorted(found - developer - shipped)}"
