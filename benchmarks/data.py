"""Load and clean one series: built-in datasets (no network) or a user's CSV file.

Data problems raise a one-line ``DataError`` naming the file, column, line (header = 1) and fix.
Sources of many series (M3, long/wide CSV) load in ``benchmarks.collection``.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import builtin_data, csv_dates, csv_input
from models.errors import ConfigError, DataError

DATASETS: dict[str, str] = {
    "msft": "Microsoft daily prices 1986-03-13..2017-11-10 (pmdarima); Close, last 1260 days",
    "sunspots": "Yearly sunspot activity 1700..2008 (statsmodels); column SUNACTIVITY",
    "lynx": "Yearly Canadian lynx trappings 1821..1934 (pmdarima); column lynx",
}
FILLS = ("ffill", "interpolate", "none")
TRANSFORMS = ("none", "log", "log10")
_DEFAULT_COLUMN = {"msft": "Close", "sunspots": "SUNACTIVITY", "lynx": "lynx"}
_DEFAULT_LAST = {"msft": 1260}
M3_SOURCES = ("m3", "m3:yearly", "m3:quarterly", "m3:monthly", "m3:other")
SOURCE_FORMS = ("msft, sunspots, lynx, m3, m3:yearly, m3:quarterly, m3:monthly, m3:other, "
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
    # Collections (benchmarks.collection): long-CSV id column (default unique_id), subsets
    # (series ids in order, M3 category, length bounds, a seeded random sample), overrides.
    id_column: str | None = None
    series: tuple[str, ...] | list[str] | None = None  # stored as a tuple (hashable)
    category: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    sample: int | None = None
    sample_seed: int = 0
    frequency: str | None = None
    period: int | None = None
    # Reading a CSV (benchmarks.csv_input, csv_dates): day order (None: detected), strptime
    # format of the dates, field separator and decimal mark (None: sniffed).
    dayfirst: bool | None = None
    date_format: str | None = None
    sep: str | None = None
    decimal: str | None = None

    is_collection_source = staticmethod(is_collection_source)

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
        if not (last is None or last == "all" or (is_int and last > 0)):
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
        from benchmarks.collection import check_spec

        check_spec(self)
        bounds = {name: _parse_bound(name, getattr(self, name)) for name in ("start", "end")}
        if None not in bounds.values() and bounds["start"] > bounds["end"]:
            raise ConfigError(
                f"data.start ({self.start}) is after data.end ({self.end}); swap them"
            )


@dataclass(frozen=True, eq=False)
class Dataset:
    """A cleaned series (float64, sorted unique DatetimeIndex named "date") and its provenance."""

    series: pd.Series
    source: str
    column: str
    n_filled: int  # values filled by data.fill (missing cells and dates inserted on the grid)
    notes: tuple[str, ...]
    n_dropped: int = 0  # leading (with interpolate: also trailing) missing values dropped
    filled: np.ndarray | None = None  # True where a value of `series` was filled; None: none

    def sha256(self) -> str:
        """Deterministic hash of the ISO dates and float reprs of the series."""
        digest = hashlib.sha256()
        for stamp, value in zip(self.series.index, self.series.to_numpy(), strict=True):
            digest.update(f"{stamp.isoformat()} {float(value)!r}\n".encode())
        return digest.hexdigest()

    def describe(self) -> dict[str, object]:
        """Summary for reports: source, column, size, date range, min/max/mean, cleaning notes."""
        values = self.series.to_numpy()
        return {
            "source": self.source,
            "column": self.column,
            "n": len(values),
            "first_date": _iso(self.series.index[0]),
            "last_date": _iso(self.series.index[-1]),
            "min": float(values.min()),
            "max": float(values.max()),
            "mean": float(values.mean()),
            "n_filled": self.n_filled,
            "n_dropped": self.n_dropped,
            "notes": list(self.notes),
        }


def load(spec: DataSpec) -> Dataset:
    """Load, validate and clean the series described by ``spec``.

    A source holding several series (or a spec with a subset) goes through
    ``benchmarks.collection`` and must leave exactly one series."""
    frame = None
    if spec.source.startswith("csv:"):
        path = Path(spec.source[4:]).expanduser()
        frame = csv_input.read_csv(path, str(path), sep=spec.sep, decimal=spec.decimal)
    subsets = ("series", "category", "min_length", "max_length", "sample")
    if is_collection_source(spec.source) or any(getattr(spec, k) is not None for k in subsets) or (
        frame is not None and holds_many(list(frame.columns), spec)
    ):
        from benchmarks.collection import load_single

        return load_single(spec, frame)
    return load_one(spec, frame)


def load_one(spec: DataSpec, frame: pd.DataFrame | None = None) -> Dataset:
    """One series of a built-in dataset or a one-value-column CSV (``frame``: its cells), put
    on its regular date grid as a collection's series are (frequency.on_grid)."""
    if spec.source.startswith("csv:"):
        path = Path(spec.source[4:]).expanduser()
        label, source = str(path), f"csv:{path.resolve()}"
        if frame is None:
            frame = csv_input.read_csv(path, label, sep=spec.sep, decimal=spec.decimal)
        lines = np.arange(len(frame)) + 2
        blank = (frame == "").all(axis=1).to_numpy()
        frame, lines = frame[~blank], lines[~blank]
        form = date_format(spec)
        date_col = csv_dates.date_column(frame, spec.date_column, label, form)
        column = csv_input.value_column(frame, spec.column, date_col, label)
        dates, note = csv_dates.parse_dates(frame[date_col], lines, date_col, label, form)
        values = csv_input.parse_values(frame[column], lines, column, label)
    else:
        label = source = spec.source
        frame = builtin_data.frame_of(spec.source)
        column = spec.column or _DEFAULT_COLUMN[spec.source]
        if column not in frame.columns:
            raise DataError(csv_dates.not_found(column, label, list(frame.columns), "--column"))
        dates, note = frame.index, None
        values = frame[column].to_numpy(dtype=float)
        lines = np.arange(len(frame)) + 2
    check_order(dates, lines, label)
    from benchmarks.frequency import infer_frequency, on_grid

    frequency = spec.frequency or infer_frequency(dates)
    dates, (values,), lines, grid = on_grid(dates, [values], lines, frequency, label, spec)
    last = _DEFAULT_LAST.get(spec.source) if spec.last is None else spec.last
    found = finish(dates, values, lines, column, label, source, spec, last)
    notes = tuple(text for text in (note, grid) if text)
    return replace(found, notes=(*notes, *found.notes)) if notes else found


def date_format(spec: DataSpec) -> csv_dates.DateFormat:
    """How ``spec`` asks for a CSV's dates to be read."""
    return csv_dates.DateFormat(spec.dayfirst, spec.date_format)


def holds_many(columns: list[str], spec: DataSpec) -> bool:
    """Whether a csv: file is a collection: it has the id column, or data.column lists several."""
    return spec.id_column is not None or "unique_id" in columns or "," in (spec.column or "")


def finish(
    dates: pd.DatetimeIndex,
    values: np.ndarray,
    lines: np.ndarray,
    column: str,
    label: str,
    source: str,
    spec: DataSpec,
    last: int | str | None,
) -> Dataset:
    """Clean one series whose dates are sorted and unique: every rule of ``spec`` applies."""
    if np.isnan(values).all():
        raise DataError(
            f"column {column!r} of {label} has no values (all {len(values)} cells are missing); "
            "choose another column with --column"
        )
    keep = None if last is None or last == "all" else int(last)
    series, filled, n_dropped, notes = _clean(dates, values, lines, column, label, spec, keep)
    kept = series.to_numpy()
    if len(kept) > 1 and kept.min() == kept.max():
        raise DataError(
            f"column {column!r} of {label} is constant ({series.iloc[0]:g} on all {len(series)}"
            " rows kept): there is nothing to forecast; choose another column or other dates"
        )
    if spec.transform != "none":
        series = _transformed(series, spec.transform, column, label)
        notes.append(f"values are the {spec.transform} of {column}")
    series.name = column
    return Dataset(series, source, column, int(filled.sum()), tuple(notes), n_dropped,
                   filled if filled.any() else None)


def check_order(dates: pd.DatetimeIndex, lines: np.ndarray, label: str) -> None:
    """Fail on a repeated date or a date before its predecessor, naming both lines."""
    dup = dates.duplicated(keep="first")
    if dup.any():
        i = int(dup.argmax())
        j = int(np.flatnonzero(dates == dates[i])[0])
        raise DataError(
            f"duplicate date {_iso(dates[i])} in {label} at lines {lines[j]} and {lines[i]}; "
            "remove one of the rows"
        )
    if len(dates) > 1:
        down = np.flatnonzero(dates[1:] < dates[:-1])
        if len(down):
            i = int(down[0]) + 1
            raise DataError(
                f"dates in {label} are not in increasing order: line {lines[i]} "
                f"({_iso(dates[i])}) comes after line {lines[i - 1]} ({_iso(dates[i - 1])}); "
                "sort the file by date"
            )


def _clean(
    dates: pd.DatetimeIndex,
    values: np.ndarray,
    lines: np.ndarray,
    column: str,
    label: str,
    spec: DataSpec,
    last: int | None,
) -> tuple[pd.Series, np.ndarray, int, list[str]]:
    """Filter by start/end, drop leading gaps, fill the rest, keep the last N observations.

    Returns the series, which of its values were filled, how many were dropped, the notes."""
    if spec.start is None and spec.end is None and np.isfinite(values).all():  # fast path
        is_index = isinstance(dates, pd.DatetimeIndex)  # rename: a new index object, cheaply
        index = dates.rename("date") if is_index else pd.DatetimeIndex(dates, name="date")
        series = pd.Series(np.array(values, dtype="float64"), index=index, name="value")
        if last is not None and len(series) < last:
            return series, np.zeros(len(series), bool), 0, [
                f"only {len(series)} observations available (data.last = {last})"]
        series = series if last is None else series.iloc[-last:]
        return series, np.zeros(len(series), bool), 0, []
    frame = pd.DataFrame(
        {"value": values, "line": lines}, index=pd.DatetimeIndex(dates, name="date")
    )
    if spec.start is not None or spec.end is not None:
        window = frame.loc[spec.start : spec.end]
        wanted = f"{spec.start or 'the start'} .. {spec.end or 'the end'}"
        covers = f"the data covers {_iso(frame.index[0])} .. {_iso(frame.index[-1])}"
        if window.empty:
            raise DataError(f"no rows in {label} between {wanted}; {covers}; widen --start/--end "
                           "(data.start/end)")
        if window["value"].isna().all():
            raise DataError(
                f"all values of {column!r} in {label} between {wanted} are missing; "
                "widen --start/--end (data.start/end)"
            )
        frame = window
    notes: list[str] = []
    missing = frame["value"].isna().to_numpy()
    lead = int(missing.argmin())
    tail = int(missing[::-1].argmin()) if spec.fill == "interpolate" else 0
    for count, where, rows in (
        (lead, "leading", frame.iloc[:lead]),
        (tail, "trailing", frame.iloc[len(frame) - tail :]),
    ):
        if count:
            span = f"lines {rows['line'].iloc[0]}-{rows['line'].iloc[-1]}"
            notes.append(f"dropped {count} {where} missing values in {column} ({span})")
    frame = frame.iloc[lead : len(frame) - tail]
    missing = frame["value"].isna().to_numpy()
    for start, length in _runs(missing):
        line = frame["line"].iloc[start]
        if spec.fill == "none":
            raise DataError(
                f"missing value in column {column!r} of {label} at line {line}; "
                "set data.fill = 'ffill' (or 'interpolate') or fill in the cell"
            )
        if length > spec.max_gap:
            raise DataError(
                f"{length} consecutive missing values in column {column!r} of {label} starting "
                f"at line {line} (data.max_gap = {spec.max_gap}); fix the data or raise "
                "data.max_gap"
            )
    if spec.fill == "ffill":
        frame = frame.assign(value=frame["value"].ffill())
    elif spec.fill == "interpolate":
        frame = frame.assign(value=frame["value"].interpolate(method="linear"))
    overflow = ~np.isfinite(frame["value"].to_numpy())
    if overflow.any():
        line = frame["line"].iloc[int(overflow.argmax())]
        raise DataError(f"filling the gap in column {column!r} of {label} at line {line} "
                        "overflowed (the values around it are too large); rescale the column")
    frame = frame.assign(filled=missing)
    if last is not None and len(frame) < last:
        notes.append(f"only {len(frame)} observations available (data.last = {last})")
    elif last is not None:
        frame = frame.iloc[-last:]
    n_filled = int(frame["filled"].sum())
    if n_filled:
        verb = "forward-filled" if spec.fill == "ffill" else "linearly interpolated"
        first = frame["line"].to_numpy()[frame["filled"].to_numpy().argmax()]
        notes.append(f"{verb} {n_filled} missing values in {column} (first at line {first})")
    filled = frame["filled"].to_numpy(dtype=bool)
    return frame["value"].astype("float64"), filled, lead + tail, notes


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each run of True in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


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


def _transformed(series: pd.Series, transform: str, column: str, label: str) -> pd.Series:
    bad = np.flatnonzero(series.to_numpy() <= 0)
    if bad.size:
        raise DataError(
            f"data.transform = {transform!r} needs positive values, but {column!r} of {label} is "
            f"{series.iloc[bad[0]]:g} on {_iso(series.index[bad[0]])}; drop the transform or "
            "choose a positive column"
        )
    return np.log10(series) if transform == "log10" else np.log(series)


def _iso(stamp: pd.Timestamp) -> str:
    """Date only when the time is midnight, else the full ISO timestamp."""
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
