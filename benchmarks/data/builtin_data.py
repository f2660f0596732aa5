"""The built-in datasets as frames of float columns indexed by date (no network)."""

from __future__ import annotations

from functools import cache

import pandas as pd

# pmdarima's load_taylor has no dates; its docstring (and R forecast's `taylor`) says the data run
# from Monday 5 June 2000 to Sunday 27 August 2000, 48 half-hours a day (4032 = 84 x 48), and
# timetk's taylor_30_min, the same values, stamps the first 2000-06-05 00:00.
TAYLOR_START = "2000-06-05 00:00"


@cache
def frame_of(name: str) -> pd.DataFrame:
    """A built-in dataset as a frame of float columns indexed by date (cached)."""
    if name == "msft":
        from pmdarima.datasets import load_msft

        raw = load_msft()
        index = pd.to_datetime(raw["Date"], format="%Y-%m-%d")
        frame = raw.drop(columns="Date").astype(float)
    elif name == "sunspots":
        import statsmodels.api as sm

        raw = sm.datasets.sunspots.load_pandas().data
        index = pd.to_datetime(raw["YEAR"].astype(int).astype(str), format="%Y")
        frame = raw[["SUNACTIVITY"]].astype(float)
    elif name == "taylor":
        from pmdarima.datasets import load_taylor

        raw = load_taylor(as_series=True)
        index = pd.date_range(TAYLOR_START, periods=len(raw), freq="30min")
        frame = pd.DataFrame({"demand": raw.to_numpy(dtype=float)})
    else:
        from pmdarima.datasets import load_lynx

        raw = load_lynx(as_series=True)
        index = pd.to_datetime(raw.index.astype(str), format="%Y")
        frame = pd.DataFrame({"lynx": raw.to_numpy(dtype=float)})
    frame.index = pd.DatetimeIndex(index, name="date")
    return frame
