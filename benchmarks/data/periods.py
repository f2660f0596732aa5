"""Seasonal periods from the data: the periods a frequency suggests (``CANDIDATES``), each kept
only where the series shows it, and the period options (--period, data.period).

The test (``shows_period``) is the competitions' (M3/M4; models.seasonality): the
autocorrelation r_m at the (rounded) lag m must exceed 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n).
It is applied to the series less its trend, a centred moving average of order m (classical
decomposition's), and only r_m > 0 counts (a cycle of m correlates positively): on the raw
values a random walk passes it at every lag, since its autocorrelations all stay near 1. A
candidate tested after kept ones is tested on the series less their (additive) seasonal indices,
so that hourly data with a daily cycle only does not keep 168 for its seven daily cycles. The
series must hold MIN_CYCLES full cycles of m: one for the moving average, two for r_m.

The limit is strict with smooth cycles (the cycle's own r_k inflate the sum): a clean cycle
needs about 4 to 6 cycles (48 monthly values with a clear season would keep no 12, hence
monthly and quarterly data keep theirs untested: BY_FREQUENCY). The white-noise
limit 1.645 / sqrt(n) would find those, but kept a period on 43 of 100 simulated hourly random
walks of six weeks (this limit: 4 of 100); --period serves the short seasonal series.

The test sees the whole series, test part included: the choice of a period looks ahead (as a
period chosen by eye would); the models fit their own seasonal terms on training parts only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecast_bench.models.errors import ConfigError
from forecast_bench.models.seasonality import (
    additive_indices,
    centred_moving_average,
    seasonality_limit,
)

# The periods each frequency suggests, primary first; other frequencies suggest none.
CANDIDATES: dict[str, tuple[float, ...]] = {
    "half-hourly": (48, 336),  # day, week
    "hourly": (24, 168),  # day, week
    "daily": (7, 365.25),  # week, year
    "weekly": (52.18,),  # year (365.25 / 7)
    "business daily": (5,),  # week
    "monthly": (12,),
    "quarterly": (4,),
}
MIN_CYCLES = 3
# One candidate the competitions give by frequency alone (M3, M4: m = 12 monthly, 4 quarterly),
# kept untested: the seasonal methods (Naive2, Theta, SES/Holt/damped on adjusted data) run the
# same test themselves on each training part, and the strict limit would take 12 from a short
# monthly file with a clear season (48 values), which always had it.
BY_FREQUENCY = {"monthly": 12, "quarterly": 4}


def autocorrelations(y: np.ndarray, max_lag: int) -> np.ndarray:
    """r_1 .. r_max_lag (demeaned, divided by the lag-0 sum, as models.seasonality's) by FFT:
    O(n log n), for long hourly series."""
    x = np.asarray(y, dtype=float) - np.mean(y)
    n = len(x)
    spectrum = np.fft.rfft(x, 2 * n)
    sums = np.fft.irfft(spectrum * np.conj(spectrum), 2 * n)[: max_lag + 1]
    lagged = np.zeros(max_lag + 1)
    lagged[: min(n, max_lag + 1)] = sums[: min(n, max_lag + 1)]
    return lagged[1:] / lagged[0] if lagged[0] > 0 else np.zeros(max_lag)


def shows_period(y: np.ndarray, period: float) -> bool:
    """Whether `y` shows a cycle of `period` (rounded): the test of the module docstring."""
    lag = round(period)
    y = np.asarray(y, dtype=float)
    if lag < 2 or len(y) < MIN_CYCLES * period:
        return False
    trend = centred_moving_average(y, lag)
    detrended = (y - trend)[~np.isnan(trend)]
    r = autocorrelations(detrended, lag)
    return bool(r[-1] > seasonality_limit(detrended, lag, r=r[:-1]))


def found_periods(y: np.ndarray, frequency: str) -> tuple[float, ...]:
    """The candidates of `frequency` that `y` shows, in CANDIDATES' order; each tested on `y`
    less the seasonal indices of those kept before it. Monthly and quarterly data keep their
    one period untested (BY_FREQUENCY), as before periods were tested."""
    if frequency in BY_FREQUENCY:
        return (BY_FREQUENCY[frequency],)
    rest = np.asarray(y, dtype=float)
    kept: list[float] = []
    for period in CANDIDATES.get(frequency, ()):
        if shows_period(rest, period):
            kept.append(period)
            lag = round(period)
            rest = rest - additive_indices(rest, lag)[np.arange(len(rest)) % lag]
    return tuple(kept)


def primary(periods: Sequence[float]) -> int:
    """The period of models taking one (seasonal naive, ETS, ...): the first whole one, else 1
    (as Forecaster.with_periods)."""
    return next((int(p) for p in periods if float(p).is_integer()), 1)


def parse_periods(value: object, option: str) -> tuple[float, ...]:
    """A period option as a tuple: an int or float >= 1, a list of them or "24,168"; a period
    of 1 means none, whole floats become ints. ConfigError naming `option` otherwise."""
    parts = value.split(",") if isinstance(value, str) else value
    parts = parts if isinstance(parts, list | tuple) else [parts]
    found: list[float] = []
    for part in parts:
        number = _number(part.strip() if isinstance(part, str) else part)
        if number is None or not number >= 1 or not np.isfinite(number):
            raise ConfigError(f"{option} takes seasonal periods >= 1 (several: the primary first,"
                              f" e.g. 24,168), got {value!r}")
        if number != 1:
            found.append(int(number) if float(number).is_integer() else float(number))
    if not parts or len(set(found)) < len(found):
        raise ConfigError(f"{option} takes seasonal periods >= 1, each once (e.g. 24,168), "
                          f"got {value!r}")
    return tuple(found)


def _number(part: object) -> float | None:
    if isinstance(part, bool):
        return None
    if isinstance(part, int | float | np.integer | np.floating):
        return float(part)
    try:
        return float(part) if isinstance(part, str) and part else None
    except ValueError:
        return None


def periods_words(periods: Sequence[float]) -> str:
    """(24, 168) -> "24 168"; (7, 365.25) -> "7 365.25"; () -> "" (series_info.csv's cell)."""
    return " ".join(f"{p:g}" for p in periods)


def from_words(text: object) -> tuple[float, ...]:
    """periods_words read back from a CSV cell: "24 168", a number (a cell holding one period
    reads as 12 or 12.0), or NaN / "" for none."""
    if isinstance(text, int | float | np.integer | np.floating):
        text = "" if np.isnan(text) else f"{text:g}"
    if not isinstance(text, str):
        return ()
    return tuple(int(float(w)) if float(w).is_integer() else float(w) for w in text.split())
