"""Covariates: other columns a model may read beside the series (issue 28).

A covariate is "known ahead" (a future covariate: calendar, promotions, planned prices; a
forecast may read it up to its target) or not (a past covariate: observed with the series; a
forecast from origin o may read it only before o). The rows are aligned with the series'
values; a forecast's covariates must reach its last target.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from forecast_bench.models.errors import ModelError


@dataclasses.dataclass(frozen=True, eq=False)
class Covariates:
    """values: rows x columns (float64, finite), row t beside the series' value t; names: one
    per column; known_ahead: one per column, True for a future covariate."""

    values: np.ndarray
    names: tuple[str, ...]
    known_ahead: tuple[bool, ...]

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=float, copy=True)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != len(self.names) or (
                len(self.known_ahead) != len(self.names)):
            raise ModelError(f"covariates of shape {values.shape} do not match their "
                             f"{len(self.names)} names and {len(self.known_ahead)} flags")
        bad = np.argwhere(~np.isfinite(values))
        if len(bad):
            row, col = bad[0]
            raise ModelError(f"covariate {self.names[col]!r} has a non-finite value at row {row}")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        object.__setattr__(self, "known_ahead", tuple(bool(k) for k in self.known_ahead))

    def __len__(self) -> int:
        return len(self.values)

    def rows(self, start: int, stop: int) -> Covariates:
        """Rows start..stop-1, the same columns."""
        return Covariates(self.values[start:stop], self.names, self.known_ahead)

    def future(self) -> Covariates:
        """Only the known-ahead columns (maybe none)."""
        keep = [i for i, known in enumerate(self.known_ahead) if known]
        return Covariates(self.values[:, keep], tuple(self.names[i] for i in keep),
                          (True,) * len(keep))

    def digest(self) -> str:
        """SHA-256 of the names, flags and values (part of a cache key)."""
        digest = hashlib.sha256(repr((self.names, self.known_ahead)).encode())
        digest.update(np.ascontiguousarray(self.values).tobytes())
        return digest.hexdigest()


def check_covariates(covariates: Covariates | None, rows: int, what: str,
                     fitted: tuple[str, tuple[str, ...] | None] | None = None) -> None:
    """ModelError unless `covariates` (when given) has at least `rows` rows and, with
    `fitted` (the model's name, the covariate names it was fitted with), the same names."""
    names = None if covariates is None else covariates.names
    if fitted is not None and names != fitted[1]:
        raise ModelError(f"model '{fitted[0]}' was fitted with covariates {fitted[1]}; "
                         f"{what} was given {names}")
    if covariates is not None and len(covariates) < rows:
        raise ModelError(f"covariates have {len(covariates)} rows; {what} needs {rows} "
                         "(every forecast target's row)")
