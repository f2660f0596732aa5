"""Atomic file writes: a temporary file in the same folder, renamed over the target."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_UMASK = os.umask(0)
os.umask(_UMASK)  # read the process umask (the only portable way is to set and restore it)


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> Path:
    """Call `write` on a temporary file next to `path`, then rename it over `path`.

    Readers never see a half-written file; on failure the temporary file is removed.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
