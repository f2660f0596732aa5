"""Sampling frequencies: seasonal periods (M4 conventions), inference from dates, regular grids."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.data import DataSpec, _iso, _runs
from models.errors import ConfigError, DataError

# Seasonal period per frequency, as M4 uses for the MASE scale and seasonal naive. A period of 1
# for (business) daily data keeps the one-step MASE scale of daily prices.
FREQUENCIES: dict[str, int] = {
    "yearly": 1,
    "quarterly": 4,
    "monthly": 12,
    "weekly": 1,
    "daily": 1,
    "business daily": 1,
    "other": 1,
    "unknown": 1,
}
_PANDAS_FREQ = {"yearly": "YS", "quarterly": "QS", "monthly": "MS", "weekly": "W", "daily": "D",
                "business daily": "B"}
_PERIOD_CODE = {"yearly": "Y", "quarterly": "Q", "monthly": "M", "weekly": "W", "daily": "D"}
# Median spacing in days (inclusive bounds) -> frequency; daily steps are told apart below.
_SPACINGS = (((6.5, 7.5), "weekly"), ((28.0, 31.0), "monthly"), ((89.0, 92.0), "quarterly"),
             ((365.0, 366.0), "yearly"))


def infer_frequency(dates: pd.DatetimeIndex) -> str:
    """The frequency (a key of FREQUENCIES) of sorted ``dates``, from their median spacing."""
    if len(dates) < 3:
        return "unknown"
    stamps = dates if isinstance(dates, pd.DatetimeIndex) else pd.DatetimeIndex(dates)
    steps = np.diff(stamps.to_numpy()) / np.timedelta64(1, "D")
    median = float(np.median(steps))
    if abs(median - 1.0) < 1e-9:
        weekend = (stamps.day_of_week >= 5).any()
        return "business daily" if not weekend and (steps > 1).any() else "daily"
    for (low, high), name in _SPACINGS:
        if low <= median <= high:
            return name
    return "unknown"


def period_of(frequency: str) -> int:
    """The seasonal period of ``frequency`` (a key of FREQUENCIES)."""
    try:
        return FREQUENCIES[frequency]
    except KeyError:
        raise ConfigError(f"unknown frequency {frequency!r}; use one of "
                          f"{', '.join(FREQUENCIES)}") from None


def pandas_freq(frequency: str) -> str | None:
    """The pandas offset alias of ``frequency`` ("MS", "QS", ...); None for other/unknown."""
    period_of(frequency)  # validates the name
    return _PANDAS_FREQ.get(frequency)


def missing_steps(dates: pd.DatetimeIndex, frequency: str) -> pd.DatetimeIndex:
    """Dates that a regular ``frequency`` grid through sorted unique ``dates`` lacks.

    Empty when the frequency has no regular grid (business daily, other, unknown), when two dates
    share one step (the series is not on that grid), or when the dates sit at different points
    of their steps (neither the same offset from the step's start nor all at its end)."""
    code = _PERIOD_CODE.get(frequency)
    empty = pd.DatetimeIndex([], dtype=dates.dtype, name=dates.name)
    if code is None or len(dates) < 2:
        return empty
    steps = np.diff(_ordinals(dates.to_numpy(), code))
    if (steps == 1).all() or (steps < 1).any():  # on the grid, or two dates in one step
        return empty
    periods = dates.to_period(code)
    if not periods.is_unique:
        return empty
    full = pd.period_range(periods[0], periods[-1], freq=code)
    if len(full) == len(periods):
        return empty
    absent = full.difference(periods)
    starts = periods.start_time.as_unit(dates.unit)
    offsets = dates - starts
    if (offsets == offsets[0]).all():
        found = absent.start_time.as_unit(dates.unit) + offsets[0]
    elif (dates.normalize() == periods.end_time.normalize().as_unit(dates.unit)).all():
        found = absent.end_time.normalize().as_unit(dates.unit)
    else:
        return empty
    return pd.DatetimeIndex(found, name=dates.name)


def on_grid(
    dates: pd.DatetimeIndex,
    columns: list[np.ndarray],
    lines: np.ndarray,
    frequency: str,
    label: str,
    spec: DataSpec,
) -> tuple[pd.DatetimeIndex, list[np.ndarray], np.ndarray, str | None]:
    """Put sorted unique dates on the regular grid of ``frequency`` (inside data.start/end): the
    new cells are missing, for data.fill to fill; their line is that of the next row."""
    inside = dates
    if spec.start is not None or spec.end is not None:
        inside = pd.DatetimeIndex(pd.Series(0, index=dates).loc[spec.start : spec.end].index)
    extra = missing_steps(inside, frequency) if len(inside) else []
    if not len(extra):
        return dates, columns, lines, None
    full = dates.append(extra).sort_values()
    take = np.full(len(full), -1)
    take[full.get_indexer(dates)] = np.arange(len(dates))
    after = pd.Series(np.where(take >= 0, take, np.nan)).bfill().to_numpy(dtype=int)
    new = np.flatnonzero(take < 0)
    first = f"first {_iso(full[new[0]])}, before line {lines[after[new[0]]]}"
    if spec.fill == "none":
        raise DataError(f"{label} skips {_dates(len(new), frequency)} ({first}); set data.fill = "
                        "'ffill' (or 'interpolate') or add the rows")
    longest = max(length for _, length in _runs(take < 0))
    if longest > spec.max_gap:
        raise DataError(f"{label} skips {longest} consecutive {frequency} dates ({first}; "
                        f"data.max_gap = {spec.max_gap}); fix the data or raise data.max_gap")
    filled = [np.where(take >= 0, col[np.maximum(take, 0)], np.nan) for col in columns]
    note = f"put on the regular {frequency} grid: inserted {_dates(len(new), frequency)} ({first})"
    return pd.DatetimeIndex(full, name=dates.name), filled, lines[after], note


def _dates(count: int, frequency: str) -> str:
    return f"{count} missing {frequency} date{'s' if count > 1 else ''}"


def _ordinals(values: np.ndarray, code: str) -> np.ndarray:
    """The number of the period (pandas' Y, Q, M, W-SUN or D) holding each datetime64 value."""
    if code in ("Y", "D"):
        return values.astype(f"datetime64[{code}]").astype(np.int64)
    months = values.astype("datetime64[M]").astype(np.int64)
    if code == "M":
        return months
    if code == "Q":
        return months // 3
    return (values.astype("datetime64[D]").astype(np.int64) + 3) // 7  # weeks from Monday
