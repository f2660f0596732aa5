"""Prediction intervals: Gaussian bounds from a model's own forecast standard deviation
(analytic), or conformal bounds from the model's own errors on earlier origins (any model).

Conformal (split conformal with absolute errors, rolling): for origin o and step k, the
calibration errors are those of the same model's k-step forecasts from earlier origins o' whose
target o' + k - 1 lies before o, at most `CALIBRATION_WINDOW` of them, the most recent. The
bound is the point forecast +- the ceil((n + 1) level)-th smallest absolute error (Vovk et al.
2005; Lei et al. 2018), NaN when n is too small for the level. No bound uses a value at or after
its origin. Errors from origins inside the training part are in-sample (the model saw their
targets when fitted), so a model that overfits gets intervals that are too narrow; the
coverage tables show it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from forecast_bench.models.errors import ModelError

CALIBRATION_WINDOW = 500  # most recent calibration errors per step


def check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """Levels in percent, each strictly between 0 and 100, sorted and without repeats."""
    out = []
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 100:
            raise ModelError(f"interval levels are percentages strictly between 0 and 100, "
                             f"e.g. [80, 95]; got {level!r}")
        out.append(float(level))
    return tuple(sorted(set(out)))


def level_name(level: float) -> str:
    """80.0 -> '80', 97.5 -> '97.5' (for column names)."""
    return f"{level:g}"


def gaussian_bounds(point: np.ndarray, sd: np.ndarray,
                    levels: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """point +- z sd for each level: two arrays (levels x origins x horizon)."""
    z = np.array([NormalDist().inv_cdf(0.5 + level / 200) for level in levels])[:, None, None]
    return point - z * sd, point + z * sd


def conformal_rank(n: int, level: float) -> int | None:
    """The 1-based rank of the absolute error used as the bound; None when n is too small."""
    rank = math.ceil((n + 1) * level / 100 - 1e-9)
    return rank if rank <= n else None


def conformal_bounds(point: np.ndarray, origins: np.ndarray, calibration_origins: np.ndarray,
                     calibration_errors: np.ndarray, levels: tuple[float, ...],
                     window: int = CALIBRATION_WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (levels x origins x horizon) around `point` (origins x horizon).

    calibration_errors[i, j] is the error (actual - forecast) of the forecast from
    calibration_origins[i] (sorted) at step j + 1, NaN where its target is unknown.
    """
    n_levels, (n_origins, horizon) = len(levels), point.shape
    half = np.full((n_levels, n_origins, horizon), np.nan)
    for j in range(horizon):
        column = np.abs(calibration_errors[:, j])
        # origin o may use calibration origins o' with o' + j <= o - 1
        ends = np.searchsorted(calibration_origins, origins - 1 - j, side="right")
        for row, end in enumerate(ends):
            errors = column[max(0, end - window):end]
            errors = np.sort(errors[np.isfinite(errors)])
            for index, level in enumerate(levels):
                rank = conformal_rank(len(errors), level)
                if rank is not None:
                    half[index, row, j] = errors[rank - 1]
    return point - half, point + half
