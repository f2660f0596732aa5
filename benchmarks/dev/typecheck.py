"""Type-check the installed package with mypy: `python benchmarks/dev/typecheck.py` (make lint).

The folders install as one package (pyproject's package-dir: forecast_bench/ is
`forecast_bench`, models/ is `forecast_bench.models`, and so on), through setuptools' editable
import hook, which mypy cannot follow. So this builds that package as a tree of symlinks in a
temporary folder, `<tmp>/forecast_bench/` (forecast_bench/'s own files, and `models`,
`evaluation`, `benchmarks` pointing at the repository's folders), runs `mypy -p
forecast_bench` there with the settings of pyproject's [tool.mypy] and the cache in the
repository's .mypy_cache/, and prints mypy's report with the paths written as repository
paths. The bare folder names never become importable. Exit status: mypy's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Sub-package name -> the repository folder it is installed from (pyproject's package-dir).
SUBPACKAGES = {"models": "models", "evaluation": "evaluation", "benchmarks": "benchmarks"}
PACKAGE = "forecast_bench"


def build_tree(where: Path) -> Path:
    """`where/forecast_bench/`, the installed package's layout as symlinks into ROOT."""
    package = where / PACKAGE
    package.mkdir()
    for entry in (ROOT / PACKAGE).iterdir():
        if entry.name != "__pycache__" and entry.name not in SUBPACKAGES:
            (package / entry.name).symlink_to(entry)
    for name, folder in SUBPACKAGES.items():
        (package / name).symlink_to(ROOT / folder, target_is_directory=True)
    return package


def repo_path(text: str) -> str:
    """A line of mypy's report with the tree's paths written as repository paths."""
    for name, folder in SUBPACKAGES.items():
        text = text.replace(f"{PACKAGE}/{name}/", f"{folder}/")
    return text


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="forecast-bench-typecheck-") as tmp:
        build_tree(Path(tmp))
        env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
        done = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
             "--cache-dir", str(ROOT / ".mypy_cache"), "-p", PACKAGE, *argv],
            cwd=tmp, env=env, capture_output=True, text=True, check=False,
        )
    sys.stdout.write(repo_path(done.stdout))
    sys.stderr.write(repo_path(done.stderr))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
