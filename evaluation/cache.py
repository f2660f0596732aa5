"""A content-addressed cache of (model, fold) task results under results/.cache/.

The key hashes everything a task's forecasts depend on: the model's registry name and resolved
parameters (seed included), a version of the code that computes it, the data slice it sees, the
fold (positions, origins) and horizon, and the versions of the libraries doing the numerics.
Change any of them and the task reruns; add a model and only its tasks run. Entries are written
to a temporary name and renamed, so an interrupted write is never read.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import pickle
import platform
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.files import write_atomic

LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "pmdarima",
             "tensorflow-cpu", "tensorflow", "keras")
FORMAT = 1  # bump when the stored TaskResult changes shape


def installed_versions(names: tuple[str, ...]) -> dict[str, str | None]:
    """Python's version and each distribution's (None when not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


@functools.cache
def library_versions() -> dict[str, str | None]:
    """The versions that enter every cache key."""
    return installed_versions(LIBRARIES)


@functools.cache
def _source_digest(paths: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def code_version(model: object) -> str:
    """Hash of the source that computes a task: every module of the `models` package (models
    build on each other, e.g. the hybrid on ARIMA and LSTM), the harness's task code, and the
    model class's own module (a third-party model lives outside `models`)."""
    here = Path(__file__).resolve().parent
    models_dir = here.parent / "models"
    paths = {str(p) for p in models_dir.glob("*.py")}
    paths.add(str(here / "walk_forward.py"))
    own = inspect.getsourcefile(type(model))
    if own:
        paths.add(str(Path(own).resolve()))
    return _source_digest(tuple(sorted(paths)))


def task_key(name: str, params: dict[str, Any], code: str, values: np.ndarray,
             fold_spec: dict[str, Any], horizon: int) -> str:
    """The SHA-256 naming one task's result."""
    payload = json.dumps({
        "format": FORMAT, "model": name, "params": params, "code": code,
        "fold": fold_spec, "horizon": horizon, "libraries": library_versions(),
        "data": hashlib.sha256(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        .hexdigest(),
    }, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class TaskCache:
    """Pickled task results in `root`/<key[:2]>/<key>.pkl; unreadable entries count as misses."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> Any | None:
        path = self._path(key)
        try:
            with path.open("rb") as handle:
                value = pickle.load(handle)
        except FileNotFoundError:
            value = None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            value = None  # corrupt or from an incompatible version: recompute
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        """Written atomically (temporary file, then rename): a killed write is never read."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda handle: pickle.dump(value, handle, pickle.HIGHEST_PROTOCOL))

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        count = sum(1 for _ in self.root.glob("*/*.pkl")) if self.root.is_dir() else 0
        shutil.rmtree(self.root, ignore_errors=True)
        return count

    def size(self) -> tuple[int, int]:
        """(entries, bytes) on disk."""
        files = list(self.root.glob("*/*.pkl")) if self.root.is_dir() else []
        return len(files), sum(p.stat().st_size for p in files)
