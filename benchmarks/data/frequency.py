"""Sampling frequencies: seasonal periods (M4 conventions), inference from dates, the dates a
regular grid lacks (benchmarks.data.one_series.on_grid puts a series on it)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast_bench.models.errors import ConfigError

# MASE's seasonal lag per frequency, as M4 scales it (24 for hourly; 48, a day, for half-hourly
# by the same rule). A lag of 1 for (business) daily and weekly data keeps the one-step MASE scale
# of M4 (and of daily prices). The seasonal models' periods come from the data instead
# (benchmarks.data.periods); --period (data.period) sets both.
FREQUENCIES: dict[str, int] = {
    "half-hourly": 48,
    "hourly": 24,
    "yearly": 1,
    "quarterly": 4,
    "monthly": 12,
    "weekly": 1,
    "daily": 1,
    "business daily": 1,
    "other": 1,
    "unknown": 1,
}
_PANDAS_FREQ = {"half-hourly": "30min", "hourly": "h", "yearly": "YS", "quarterly": "QS",
                "monthly": "MS", "weekly": "W", "daily": "D", "business daily": "B"}
_PERIOD_CODE = {"half-hourly": "30min", "hourly": "h", "yearly": "Y", "quarterly": "Q",
                "monthly": "M", "weekly": "W", "daily": "D"}
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
    for hours, name in ((1.0, "hourly"), (0.5, "half-hourly")):
        if abs(median * 24 - hours) < 1e-9:
            return name
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


def _ordinals(values: np.ndarray, code: str) -> np.ndarray:
    """The number of the period (pandas' Y, Q, M, W-SUN, D, h or 30min) holding each datetime64
    value."""
    if code == "30min":
        return values.astype("datetime64[m]").astype(np.int64) // 30
    if code in ("Y", "D", "h"):
        return values.astype(f"datetime64[{code}]").astype(np.int64)
    months = values.astype("datetime64[M]").astype(np.int64)
    if code == "M":
        return months
    if code == "Q":
        return months // 3
    return (values.astype("datetime64[D]").astype(np.int64) + 3) // 7  # weeks from Monday
