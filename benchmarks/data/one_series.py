"""One series: a built-in dataset or a one-value-column CSV read, put on its regular date
grid and cleaned (``load_one``). The grid and cleaning rules apply to every series of a
collection (``benchmarks.data.collection``) too; data problems raise a one-line ``DataError`` naming
the file, column, line (header = 1) and fix."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.data import builtin_data, csv_dates, csv_input
from forecast_bench.benchmarks.data.frequency import infer_frequency, missing_steps
from forecast_bench.benchmarks.data.spec import DataSpec, date_format
from forecast_bench.models.errors import DataError

_DEFAULT_COLUMN = {"msft": "Close", "sunspots": "SUNACTIVITY", "lynx": "lynx",
                  "taylor": "demand"}
_DEFAULT_LAST = {"msft": 1260}


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
            "first_date": iso(self.series.index[0]),
            "last_date": iso(self.series.index[-1]),
            "min": float(values.min()),
            "max": float(values.max()),
            "mean": float(values.mean()),
            "n_filled": self.n_filled,
            "n_dropped": self.n_dropped,
            "notes": list(self.notes),
        }


def load_one(spec: DataSpec, frame: pd.DataFrame | None = None) -> Dataset:
    """One series of a built-in dataset or a one-value-column CSV (``frame``: its cells), put
    on its regular date grid as a collection's series are (on_grid)."""
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
    frequency = spec.frequency or infer_frequency(dates)
    dates, (values,), lines, grid = on_grid(dates, [values], lines, frequency, label, spec)
    last = _DEFAULT_LAST.get(spec.source) if spec.last is None else spec.last
    found = finish(dates, values, lines, column, label, source, spec, last)
    notes = tuple(text for text in (note, grid) if text)
    return replace(found, notes=(*notes, *found.notes)) if notes else found


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
            f"duplicate date {iso(dates[i])} in {label} at lines {lines[j]} and {lines[i]}; "
            "remove one of the rows"
        )
    if len(dates) > 1:
        down = np.flatnonzero(dates[1:] < dates[:-1])
        if len(down):
            i = int(down[0]) + 1
            raise DataError(
                f"dates in {label} are not in increasing order: line {lines[i]} "
                f"({iso(dates[i])}) comes after line {lines[i - 1]} ({iso(dates[i - 1])}); "
                "sort the file by date"
            )


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
    first = f"first {iso(full[new[0]])}, before line {lines[after[new[0]]]}"
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
        covers = f"the data covers {iso(frame.index[0])} .. {iso(frame.index[-1])}"
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


def _transformed(series: pd.Series, transform: str, column: str, label: str) -> pd.Series:
    bad = np.flatnonzero(series.to_numpy() <= 0)
    if bad.size:
        raise DataError(
            f"data.transform = {transform!r} needs positive values, but {column!r} of {label} is "
            f"{series.iloc[bad[0]]:g} on {iso(series.index[bad[0]])}; drop the transform or "
            "choose a positive column"
        )
    return np.log10(series) if transform == "log10" else np.log(series)


def iso(stamp: pd.Timestamp) -> str:
    """Date only when the time is midnight, else the full ISO timestamp."""
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
