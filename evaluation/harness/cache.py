"""A content-addressed cache of (model, fold) task results under results/.cache/.

The key hashes everything a task's forecasts depend on: the model's registry name and resolved
parameters (seed included), a version of the code that computes it, the data slice it sees, the
fold (positions, origins) and horizon, and the versions of the libraries doing the numerics.
Change any of them and the task reruns; add a model and only its tasks run. Entries are written
to a temporary name and renamed, so an interrupted write is never read.

Entries are plain data: one JSON document and raw numeric arrays (no pickle, no object
arrays), so opening a cache that someone else wrote can never run code. The format is a magic
line, a SHA-256 checksum of the entry's key and body, then the body: the JSON's length, the
JSON (with each array's name, dtype and shape), the arrays' bytes; read with one file read and
np.frombuffer (an .npz took ~1 ms per entry to open). An entry failing its checksum is a miss,
never a result.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import platform
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from forecast_bench.evaluation.run_folder.atomic import write_atomic
from forecast_bench.models import errors as model_errors

LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "pmdarima",
             "tensorflow-cpu", "tensorflow", "keras")
FORMAT = 2  # bump when the stored TaskResult changes shape (2: JSON + raw arrays, no pickle)
PREFIX = b"forecast-bench cache "
MAGIC = PREFIX + b"3\n"  # 3: with a checksum (entries of 2 are misses, then overwritten)
DIGEST_SIZE = 32
SHOWN_REASONS = 3  # the invalid-entry warning names the commonest reasons only
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
    kind: type = type(model)  # annotated: mypy takes a type[X] for unhashable
    return _class_code_version(kind)


@functools.cache
def _class_code_version(kind: type) -> str:
    here = Path(__file__).resolve().parent
    models_dir = Path(model_errors.__file__).resolve().parent
    paths = {str(p) for p in models_dir.glob("*.py")}
    paths.update(str(here / name) for name in ("walk_forward.py", "collection_tasks.py", "task.py"))
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


class InvalidEntry(ValueError):
    """A cache file that is not a usable entry; the message says why, in a few words."""


def _as_entry(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Entry:
    return meta, arrays


class TaskCache:
    """Task results in `root`/<key[:2]>/<key>.fbc.

    An entry that fails its checksum, comes from an older version, cannot be read or does not
    fit its task is a miss: counted by reason and reported in one line by `warn_invalid`. A
    write that fails (a read-only folder, a full disk, a directory at the entry's path) is
    reported once, and the run goes on without caching.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0
        self.invalid: Counter[str] = Counter()  # reason -> entries, since the last warning
        self.first_invalid: Path | None = None
        self.write_failures = 0

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.fbc"

    def get(self, key: str, load: Callable[[dict[str, Any], dict[str, np.ndarray]], Any]
            = _as_entry) -> Any:
        """`load(document, arrays)` of the entry under `key`, or None: absent, or invalid
        (counted in `invalid`). `load` raises KeyError, ValueError, TypeError or IndexError
        when the entry does not fit what the caller expects."""
        path = self._path(key)
        value, reason = None, ""
        try:
            value = load(*decode(path.read_bytes(), key))
        except (FileNotFoundError, NotADirectoryError):
            pass  # never written
        except InvalidEntry as exc:
            reason = str(exc)
        except OSError as exc:  # a directory at the path, no permission to read
            reason = f"unreadable ({type(exc).__name__})"
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            reason = f"not a result of its task ({type(exc).__name__}: {exc})"
        if reason:
            self.invalid[reason] += 1
            self.first_invalid = self.first_invalid or path
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def warn_invalid(self) -> None:
        """One line on the invalid entries met since the last call (none: nothing)."""
        if not self.invalid:
            return
        count = sum(self.invalid.values())
        common = self.invalid.most_common()
        reasons = ", ".join(f"{n} {reason}" for reason, n in common[:SHOWN_REASONS])
        if len(common) > SHOWN_REASONS:
            reasons += f", {count - sum(n for _, n in common[:SHOWN_REASONS])} for other reasons"
        self._warn(f"{count} cache entr{'y' if count == 1 else 'ies'} in {self.root} could not "
                   f"be used and are recomputed: {reasons} (first: {self.first_invalid})")
        self.invalid.clear()
        self.first_invalid = None

    def put(self, key: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Written atomically (temporary file, then rename): a killed write is never read. A
        write that fails is reported on the first failure and otherwise ignored."""
        data = encode(meta, arrays, key)
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, lambda handle: handle.write(data))
        except OSError as exc:
            self.write_failures += 1
            if self.write_failures == 1:
                self._warn(f"cannot write to the cache ({type(exc).__name__}: {exc}); the run "
                           f"goes on without caching its results (make {self.root} a writable "
                           "folder, or pass --no-cache)")

    def _warn(self, message: str) -> None:
        print(f"forecast-bench: warning: {message}", file=sys.stderr, flush=True)

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        count = self.size()[0]
        shutil.rmtree(self.root, ignore_errors=True)
        return count

    def size(self) -> tuple[int, int]:
        """(entries, bytes) on disk."""
        files = [p for p in self.root.glob("*/*.fbc") if p.is_file()] if self.root.is_dir() else []
        return len(files), sum(p.stat().st_size for p in files)


def _checksum(key: str, body: bytes) -> bytes:
    """SHA-256 of the entry's key and body: a changed bit, or an entry under another key's
    name, fails it."""
    return hashlib.sha256(key.encode() + b"\0" + body).digest()


def encode(meta: dict[str, Any], arrays: dict[str, np.ndarray], key: str) -> bytes:
    """An entry's bytes: MAGIC, the checksum (32 bytes), then the body: the header's length (8
    bytes), the JSON header, the arrays."""
    specs, blobs = [], []
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        if array.dtype.kind not in NUMERIC:
            raise ValueError(f"cache arrays must be numeric; {name!r} is {array.dtype}")
        specs.append({"name": name, "dtype": array.dtype.str, "shape": list(array.shape)})
        blobs.append(array.tobytes())
    header = json.dumps({"meta": meta, "arrays": specs}, default=float).encode("utf-8")
    body = b"".join([len(header).to_bytes(8, "little"), header, *blobs])
    return MAGIC + _checksum(key, body) + body


def decode(data: bytes, key: str) -> Entry:
    """The (document, arrays) of the entry stored under `key`; InvalidEntry when `data` is not
    one (its reason: not an entry, an older format, a failed checksum, malformed)."""
    if not data.startswith(MAGIC):
        older = data.startswith(PREFIX)
        raise InvalidEntry("from an older version (no checksum)" if older else "not an entry")
    start = len(MAGIC) + DIGEST_SIZE
    body = data[start:]
    if data[len(MAGIC):start] != _checksum(key, body):
        raise InvalidEntry("failed the checksum")
    try:
        return _parse(body)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidEntry(f"malformed ({type(exc).__name__}: {exc})") from None


def _parse(body: bytes) -> Entry:
    end = 8 + int.from_bytes(body[:8], "little")
    header = json.loads(body[8:end].decode("utf-8"))
    arrays, offset = {}, end
    for spec in header["arrays"]:
        dtype = np.dtype(spec["dtype"])
        if dtype.kind not in NUMERIC:
            raise ValueError(f"{spec['name']!r} is {dtype}, not numeric")
        count = int(np.prod(spec["shape"], dtype=np.int64))
        arrays[spec["name"]] = np.frombuffer(body, dtype, count, offset).reshape(spec["shape"])
        offset += count * dtype.itemsize
    meta = header["meta"]
    if not isinstance(meta, dict) or offset != len(body):
        raise ValueError("the header does not match the data")
    return meta, arrays
