"""The vendored M3 competition data (benchmarks/datasets/m3), read once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_bench.models.errors import DataError

M3_FILE = Path(__file__).parents[1] / "datasets" / "m3" / "M3.csv.gz"
PLACEHOLDER_NOTE = "M3 gives no start date; dates are placeholders"
_M3_DTYPES = {"series": str, "frequency": "category", "category": "category", "horizon": "int64",
              "start_year": "int64", "start_period": "int64", "t": "int64", "y": "float64"}


@cache
def m3_table() -> tuple[pd.DataFrame, np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """The vendored M3 file (read once): per-series facts, row bounds, row dates and values."""
    if not M3_FILE.is_file():
        raise DataError(f"the M3 data file {M3_FILE} is missing; reinstall forecast-bench")
    rows = pd.read_csv(M3_FILE, dtype=_M3_DTYPES)
    ids = rows["series"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    bounds = np.r_[starts, len(rows)]
    first = rows.iloc[starts].reset_index(drop=True)
    t = rows["t"].to_numpy()
    if not (t == np.arange(len(rows)) - np.repeat(starts, np.diff(bounds)) + 1).all() or (
        first["series"].duplicated().any()
    ):
        raise DataError(f"the M3 data file {M3_FILE} is not in series/t order; reinstall it")
    year, period = rows["start_year"].to_numpy(), rows["start_period"].to_numpy()
    freq = rows["frequency"].astype(str).to_numpy()
    step = np.select([freq == "yearly", freq == "quarterly"], [12, 3], 1)
    offset = np.select([freq == "quarterly", freq == "monthly"], [3 * (period - 1), period - 1], 0)
    valid = (year > 0) & (freq != "other") & (
        (freq == "yearly") | ((offset >= 0) & (offset < 12)))
    months = np.where(valid, (year - 1970) * 12 + offset, 30 * 12) + step * (t - 1)
    dates = np.where(freq == "other",
                     np.datetime64("2000-01-01", "D") + (t - 1).astype("timedelta64[D]"),
                     months.astype("datetime64[M]").astype("datetime64[D]"))
    first["placeholder"] = ~valid[starts]
    index = pd.DatetimeIndex(dates.astype("datetime64[us]"), name="date")
    return first, bounds, index, rows["y"].to_numpy(dtype="float64")
