"""What to load and how to clean it: ``DataSpec`` (a config's ``[data]`` section), validated
when it is built, and the sources it may name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.data import csv_dates, csv_input, public_holidays
from forecast_bench.benchmarks.data.frequency import FREQUENCIES
from forecast_bench.benchmarks.data.periods import parse_periods
from forecast_bench.models.errors import ConfigError

DATASETS: dict[str, str] = {
    "msft": "Microsoft daily prices 1986-03-13..2017-11-10 (pmdarima); Close, last 1260 days",
    "sunspots": "Yearly sunspot activity 1700..2008 (statsmodels); column SUNACTIVITY",
    "lynx": "Yearly Canadian lynx trappings 1821..1934 (pmdarima); column lynx",
    "taylor": "Half-hourly electricity demand, England and Wales, 2000-06-05..2000-08-27 "
              "(pmdarima; Taylor 2003); column demand (MW)",
}
FILLS = ("ffill", "interpolate", "none")
TRANSFORMS = ("none", "log", "log10")
M3_SOURCES = ("m3", "m3:yearly", "m3:quarterly", "m3:monthly", "m3:other")
CALENDAR_FEATURES = ("dow", "month", "holiday")  # data.calendar (benchmarks.data.covariates)
SOURCE_FORMS = ("msft, sunspots, lynx, taylor, m3, m3:yearly, m3:quarterly, m3:monthly, m3:other, "
                "csv:PATH, long:PATH or wide:PATH")


def is_collection_source(source: str) -> bool:
    """True for sources that always hold a collection (m3*, long:, wide:); csv: depends."""
    return source in M3_SOURCES or source.startswith(("long:", "wide:"))


@dataclass(frozen=True)
class DataSpec:
    """Which series to load and how to clean it (the ``[data]`` section of a config)."""

    source: str = "msft"
    column: str | None = None
    date_column: str | None = None
    start: str | None = None
    end: str | None = None
    last: int | str | None = None
    fill: str = "ffill"
    max_gap: int = 5
    transform: str = "none"  # none, log or log10 (e.g. Zhang's log10 lynx series)
    # Collections (benchmarks.data.collection): long-CSV id column (default unique_id), subsets
    # (series ids in order, M3 category, length bounds, a seeded random sample), overrides.
    id_column: str | None = None
    series: tuple[str, ...] | list[str] | None = None  # stored as a tuple (hashable)
    category: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    sample: int | None = None
    sample_seed: int = 0
    frequency: str | None = None
    # seasonal periods, primary first (an int, a list like [24, 168] or "24,168"); None: from
    # the data (benchmarks.data.periods). Stored as an int when one whole period, else a tuple.
    period: int | float | tuple[float, ...] | list[float] | str | None = None
    # Reading a CSV (benchmarks.data.csv_input, csv_dates): day order (None: detected), strptime
    # format of the dates, field separator and decimal mark (None: sniffed).
    dayfirst: bool | None = None
    date_format: str | None = None
    sep: str | None = None
    decimal: str | None = None
    # Covariates (benchmarks.data.covariates): columns of a csv: or long: file known ahead
    # (future) or observed (past), and calendar features; lists, or "A,B"; stored as tuples.
    # country: the public holidays of calendar feature "holiday", "GB" or "AU-VIC"
    # (benchmarks.data.public_holidays), stored as the holidays package names it.
    future_covariates: tuple[str, ...] | list[str] | str | None = None
    past_covariates: tuple[str, ...] | list[str] | str | None = None
    calendar: tuple[str, ...] | list[str] | str | None = None
    country: str | None = None

    is_collection_source = staticmethod(is_collection_source)

    def given_periods(self) -> tuple[float, ...] | None:
        """data.period as a tuple of periods (() for 1: none); None when not set."""
        return None if self.period is None else parse_periods(self.period, "data.period")

    def __post_init__(self) -> None:
        source = self.source
        if not isinstance(source, str) or not (
            source in DATASETS or source in M3_SOURCES
            or any(source.startswith(p) and source[len(p):] for p in csv_input.FILE_PREFIXES)
        ):
            known = [*DATASETS, *M3_SOURCES]
            close = difflib.get_close_matches(str(source).lower(), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"data.source {source!r} is not a known dataset; {hint}use {SOURCE_FORMS}"
            )
        if self.transform not in TRANSFORMS:
            raise ConfigError(f"data.transform must be one of {', '.join(TRANSFORMS)}; "
                              f"got {self.transform!r}")
        if self.fill not in FILLS:
            raise ConfigError(f"data.fill must be one of {', '.join(FILLS)}; got {self.fill!r}")
        if isinstance(self.max_gap, bool) or not isinstance(self.max_gap, int) or self.max_gap < 0:
            raise ConfigError(f"data.max_gap must be an integer >= 0; got {self.max_gap!r}")
        last = self.last
        is_int = isinstance(last, int | np.integer) and not isinstance(last, bool)
        if not (last is None or last == "all" or (is_int and int(last) > 0)):
            raise ConfigError(f"data.last must be a positive integer or 'all'; got {last!r}")
        csv_input.check_file_options(source, date_column=self.date_column,
                                     dayfirst=self.dayfirst, date_format=self.date_format,
                                     sep=self.sep, decimal=self.decimal)
        if self.id_column is not None and not source.startswith(("csv:", "long:")):
            raise ConfigError(f"data.id_column only applies to csv:PATH and long:PATH sources; "
                              f"remove it for {source!r}")
        if self.column is not None and source in M3_SOURCES:
            raise ConfigError(f"data.column does not apply to {source!r} (every M3 series is "
                              "its own column y); remove it, or pick series with data.series")
        _check_collection_fields(self)
        _check_covariates(self)
        start, end = (_parse_bound(name, getattr(self, name)) for name in ("start", "end"))
        if start is not None and end is not None and start > end:
            raise ConfigError(
                f"data.start ({self.start}) is after data.end ({self.end}); swap them"
            )


def _check_collection_fields(spec: DataSpec) -> None:
    """Validate the collection fields of a DataSpec (from its __post_init__); data.series
    becomes a tuple (a string: comma-separated ids)."""
    ids = spec.series
    if isinstance(ids, str):
        ids = [part.strip() for part in ids.split(",")]
    if ids is not None:
        if not isinstance(ids, list | tuple) or not ids or not all(isinstance(i, str) for i in ids):
            raise ConfigError(f"data.series must be a non-empty list of series ids; got {ids!r}")
        twice = [i for n, i in enumerate(ids) if i in ids[:n]]
        if twice:
            raise ConfigError(f"data.series lists {twice[0]!r} twice; list every id once")
        object.__setattr__(spec, "series", tuple(ids))
    for name in ("id_column", "category"):
        value = getattr(spec, name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"data.{name} must be a non-empty string; got {value!r}")
    if spec.period is not None:
        given = parse_periods(spec.period, "data.period")
        whole = len(given) == 1 and isinstance(given[0], int)
        object.__setattr__(spec, "period", given[0] if whole else given or 1)
    for name, low in (("min_length", 1), ("max_length", 1), ("sample", 1), ("sample_seed", 0)):
        value = getattr(spec, name)
        bad = isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low
        if (value is not None or name == "sample_seed") and bad:
            raise ConfigError(f"data.{name} must be an integer >= {low}; got {value!r}")
    shortest, longest = spec.min_length, spec.max_length
    if shortest is not None and longest is not None and shortest > longest:
        raise ConfigError(f"data.min_length ({spec.min_length}) is above data.max_length "
                          f"({spec.max_length}); swap them")
    if spec.frequency is not None and spec.frequency not in FREQUENCIES:
        close = difflib.get_close_matches(str(spec.frequency).lower(), list(FREQUENCIES), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"data.frequency {spec.frequency!r} is not known; {hint}use one of "
                          f"{', '.join(FREQUENCIES)}")


def _names(value: object, field: str) -> tuple[str, ...] | None:
    """A list of names (or "A,B") as a tuple; ConfigError when it is not one."""
    if value is None:
        return None
    items = [part.strip() for part in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items or not all(
            isinstance(i, str) and i.strip() for i in items):
        raise ConfigError(f"data.{field} must be a non-empty list of column names; got {value!r}")
    return tuple(items)


def _check_covariates(spec: DataSpec) -> None:
    """Validate data.future_covariates, past_covariates and calendar (stored as tuples) and
    data.country (only with the calendar feature holiday, which needs it)."""
    future = _names(spec.future_covariates, "future_covariates")
    past = _names(spec.past_covariates, "past_covariates")
    calendar = _names(spec.calendar, "calendar")
    for name, value in (("future_covariates", future), ("past_covariates", past),
                        ("calendar", calendar)):
        object.__setattr__(spec, name, value)
    columns = [*(future or ()), *(past or ())]
    twice = [c for n, c in enumerate(columns) if c in columns[:n]]
    if twice:
        raise ConfigError(f"covariate column {twice[0]!r} is listed twice in "
                          "data.future_covariates/past_covariates; list it once")
    if columns and not spec.source.startswith(("csv:", "long:")):
        raise ConfigError(f"covariates are read from csv:PATH or long:PATH files, not from "
                          f"{spec.source!r} (wide files hold no per-series covariates); "
                          "remove --future-covariates/--past-covariates")
    clash = next((c for c in (spec.column, spec.date_column) if c in columns), None)
    if clash is not None:
        raise ConfigError(f"column {clash!r} is the value or date column; it cannot also be "
                          "a covariate")
    unknown = [c for c in calendar or () if c not in CALENDAR_FEATURES]
    if unknown:
        raise ConfigError(f"data.calendar feature {unknown[0]!r} is not known; use "
                          f"{', '.join(CALENDAR_FEATURES)}")
    holiday = "holiday" in (calendar or ())
    if holiday and spec.country is None:
        raise ConfigError("the calendar feature holiday needs a country: add --country GB "
                          "(data.country = \"GB\"; a subdivision as GB-SCT or AU-VIC)")
    if spec.country is not None and not holiday:
        raise ConfigError(f"data.country {spec.country!r} only sets the public holidays of the "
                          "calendar feature holiday; add holiday to --calendar (data.calendar) "
                          "or drop --country")
    if spec.country is not None:
        object.__setattr__(spec, "country", public_holidays.parse_country(spec.country))


def date_format(spec: DataSpec) -> csv_dates.DateFormat:
    """How ``spec`` asks for a CSV's dates to be read."""
    return csv_dates.DateFormat(spec.dayfirst, spec.date_format)


def holds_many(columns: list[str], spec: DataSpec) -> bool:
    """Whether a csv: file is a collection: it has the id column, or data.column lists several."""
    return spec.id_column is not None or "unique_id" in columns or "," in (spec.column or "")


def _parse_bound(name: str, value: str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ConfigError(f"data.{name} must be an ISO date like 2015-01-31; got {value!r}")
    return stamp
