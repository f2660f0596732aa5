"""A content-addressed cache of (model, fold) task results under results/.cache/.

The key hashes everything a task's forecasts depend on: the model's registry name and resolved
parameters (seed included), a version of the code that computes it, the data slice it sees, the
fold (positions, origins) and horizon, and the versions of the libraries doing the numerics.
Change any of them and the task reruns; add a model and only its tasks run. Entries are written
to a temporary name and renamed, so an interrupted write is never read.

Entries are plain data: one JSON document and raw numeric arrays (no pickle, no object
arrays), so opening a cache that someone else wrote can never run code. The format is a magic
line, the JSON's length, the JSON (with each array's name, dtype and shape), then the arrays'
bytes: read with one file read and np.frombuffer (an .npz took ~1 ms per entry to open).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import platform
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.files import write_atomic

LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "pmdarima",
             "tensorflow-cpu", "tensorflow", "keras")
FORMAT = 2  # bump when the stored TaskResult changes shape (2: JSON + raw arrays, no pickle)
MAGIC = b"forecast-bench cache 2\n"
NUMERIC = "fiub"  # dtype kinds an entry may hold: float, int, unsigned, bool


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
    model class's own module (a third-party model lives outside `models`). Computed once per
    model class and process: a collection run asks for it once per task."""
    return _class_code_version(type(model))


@functools.cache
def _class_code_version(kind: type) -> str:
    here = Path(__file__).resolve().parent
    models_dir = here.parent / "models"
    paths = {str(p) for p in models_dir.glob("*.py")}
    paths.update(str(here / name) for name in ("walk_forward.py", "panel_tasks.py"))
    own = inspect.getsourcefile(kind)
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


Entry = tuple[dict[str, Any], dict[str, np.ndarray]]  # (JSON document, named arrays)


class TaskCache:
    """Task results in `root`/<key[:2]>/<key>.fbc; unreadable entries count as misses."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.fbc"

    def get(self, key: str) -> Entry | None:
        """(document, arrays) stored under `key`, or None (absent or not a valid entry)."""
        try:
            value: Entry | None = decode(self._path(key).read_bytes())
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
            value = None  # absent, corrupt or from another version: recompute
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Written atomically (temporary file, then rename): a killed write is never read."""
        data = encode(meta, arrays)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda handle: handle.write(data))

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        count = self.size()[0]
        shutil.rmtree(self.root, ignore_errors=True)
        return count

    def size(self) -> tuple[int, int]:
        """(entries, bytes) on disk."""
        files = list(self.root.glob("*/*.fbc")) if self.root.is_dir() else []
        return len(files), sum(p.stat().st_size for p in files)


def encode(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """An entry's bytes: MAGIC, the header's length (8 bytes), the JSON header, the arrays."""
    specs, blobs = [], []
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        if array.dtype.kind not in NUMERIC:
            raise ValueError(f"cache arrays must be numeric; {name!r} is {array.dtype}")
        specs.append({"name": name, "dtype": array.dtype.str, "shape": list(array.shape)})
        blobs.append(array.tobytes())
    header = json.dumps({"meta": meta, "arrays": specs}, default=float).encode("utf-8")
    return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *blobs])


def decode(data: bytes) -> Entry | None:
    """The (document, arrays) of an entry's bytes; None when they are not a valid entry."""
    if not data.startswith(MAGIC):
        return None
    start = len(MAGIC) + 8
    end = start + int.from_bytes(data[len(MAGIC):start], "little")
    header = json.loads(data[start:end].decode("utf-8"))
    arrays, offset = {}, end
    for spec in header["arrays"]:
        dtype = np.dtype(spec["dtype"])
        if dtype.kind not in NUMERIC:
            return None
        count = int(np.prod(spec["shape"], dtype=np.int64))
        size = count * dtype.itemsize
        if offset + size > len(data):
            return None
        arrays[spec["name"]] = np.frombuffer(data, dtype, count, offset).reshape(spec["shape"])
        offset += size
    meta = header["meta"]
    return (meta, arrays) if isinstance(meta, dict) and offset == len(data) else None
