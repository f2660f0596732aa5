"""Reports for high-frequency or long series (no plotting here): the window the forecast plots
show (the last week of the test for sub-daily data, the last LONG_SHOWN targets of a test with
more than LONG_TEST of them otherwise) and which error-by-calendar plots a series gets.
Business-daily, weekly and coarser series with short tests get neither, so their reports keep
the plots they had."""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEK = pd.Timedelta(days=7)
LONG_TEST = 1000  # more test targets than this (not sub-daily): the plots show the last ...
LONG_SHOWN = 500  # ... this many


def is_sub_daily(index: pd.DatetimeIndex) -> bool:
    """True when the median spacing of the (sorted) dates is under a day: hourly, half-hourly."""
    if len(index) < 2:
        return False
    steps = np.diff(pd.DatetimeIndex(index).to_numpy()) / np.timedelta64(1, "D")
    return bool(np.median(steps) < 1 - 1e-9)


def shown_window(forecasts: pd.DataFrame, sub_daily: bool) -> pd.Timestamp | None:
    """The first target date the forecast plots show, or None to show every target: the last
    7 days of targets for sub-daily data, the last LONG_SHOWN targets of a test with more than
    LONG_TEST of them otherwise."""
    if not len(forecasts):
        return None
    targets = pd.DatetimeIndex(sorted(pd.to_datetime(forecasts["target"]).unique()))
    if sub_daily:
        start = targets[-1] - WEEK
        return targets[targets > start][0] if targets[0] <= start else None
    return targets[-LONG_SHOWN] if len(targets) > LONG_TEST else None


def window_note(start: pd.Timestamp | None, forecasts: pd.DataFrame) -> str:
    """' (shown: FIRST .. LAST, the last week of the test)' for plot titles; '' without one."""
    if start is None:
        return ""
    last = pd.to_datetime(forecasts["target"]).max()
    span = "the last week" if last - start < WEEK else f"the last {LONG_SHOWN} targets"
    return f" (shown: {start:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M}, {span} of the test)"


def calendar_keys(index: pd.DatetimeIndex, frequency: str) -> tuple[str, ...]:
    """Which error plots a series gets: hour and weekday when sub-daily, weekday for calendar
    daily data, none otherwise (business daily has no weekend; coarser data no weekday)."""
    if is_sub_daily(index):
        return ("hour", "weekday")
    return ("weekday",) if frequency == "daily" else ()
