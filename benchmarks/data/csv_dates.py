"""Dates of a user's CSV: finding the date column and reading it.

Forms read: ISO (2020-12-31, 2020-12-31T10:00, 2020), year-first with slashes or dots
(2020/12/31), day-first and month-first (31/12/2020, 12/31/2020, 31.12.20), year-month
(1949-01, 1949/01), year-quarter (1990Q1, 1990-Q1, Q1 1990; the quarter's first day), and
what pandas infers from the first cell (Jan 1949, 31 Dec 2020), or an explicit strptime format.
Slash and dot dates whose day and month are 12 or less everywhere are ambiguous: an error,
unless the order is given. Errors are one line naming the file, column, line and fix.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast_bench.models.errors import DataError

MISSING = frozenset({"", "NA", "NaN", "nan", "null", "None", "N/A", "#N/A"})
# by priority: the first of these a file has (any case) is its date column
DATE_NAMES = ("date", "datetime", "timestamp", "ds", "time", "day", "week", "month", "quarter",
              "period", "year")
ORDER_OPTIONS = ("add --dayfirst if days come first (31/12/2020), or --date-format %m/%d/%Y "
                 "if months come first (data.dayfirst / data.date_format in a config)")
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY = rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}})({_TIME})"  # d/m/y or m/d/y
_YMD = rf"(\d{{4}})([/.])(\d{{1,2}})\2(\d{{1,2}})({_TIME})"  # 2020/12/31 (ISO has the dashes)
_YM = r"(\d{4})[/-](\d{1,2})"  # 1949/01, 1949-01
_YQ = r"(?i:(\d{4})\s*[-/ ]?\s*q([1-4])|q([1-4])\s*[-/ ]?\s*(\d{4}))"  # 1990Q1, Q1 1990
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


@dataclass(frozen=True)
class DateFormat:
    """How to read a date column: day-first (True), month-first (False) or detected (None)
    for slash and dot dates, or a strptime format such as %d.%m.%Y for every cell."""

    dayfirst: bool | None = None
    date_format: str | None = None


DETECT = DateFormat()  # the default: ISO and the other forms, slash/dot day order detected


def date_column(frame: pd.DataFrame, wanted: str | None, label: str,
                form: DateFormat = DETECT) -> str:
    """The date column: ``wanted``, else the first of DATE_NAMES present (any case), else the
    one column whose cells all read as dates (columns of plain numbers are not dates)."""
    if wanted is not None:
        if wanted not in frame.columns:
            raise DataError(not_found(wanted, label, list(frame.columns), "--date-column"))
        return wanted
    lowered = {str(name).lower(): name for name in reversed(frame.columns)}
    for name in DATE_NAMES:
        if name in lowered:
            return lowered[name]
    found = [name for name in frame.columns if _all_dates(frame[name], form)]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(frame.columns)
    if found:
        raise DataError(f"several columns of {label} hold dates ({', '.join(found)}); "
                        "name the date column with --date-column")
    raise DataError(f"no date column found in {label} (columns: {listed}); "
                    "name it with --date-column")


def not_found(name: str, label: str, columns: list[str], option: str) -> str:
    """'column X not found' message with the closest name (case-insensitive) as suggestion."""
    lowered = {col.lower(): col for col in columns}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    hint = f"did you mean {lowered[close[0]]!r}?" if close else f"choose one with {option}"
    return f"column {name!r} not found in {label}; {hint} (columns: {', '.join(columns)})"


def parse_dates(cells: pd.Series, lines: np.ndarray, column: str, label: str,
                form: DateFormat = DETECT) -> tuple[pd.DatetimeIndex, str | None]:
    """The dates of ``cells`` and a note saying which order was detected (None when none was).

    DataError naming the first bad cell's line, or saying the day order is unknown."""
    text = cells.astype(str).str.strip()
    dayfirst, note = form.dayfirst, None
    if form.date_format is None:
        dayfirst, note = _day_order(text, lines, column, label, dayfirst)
    try:
        parsed = _convert(text, dayfirst, form.date_format)
    except (ValueError, TypeError, OverflowError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fix = (f"check --date-format {form.date_format} (data.date_format)" if form.date_format
               else "use one date format throughout, e.g. YYYY-MM-DD")
        raise DataError(f"cannot parse the dates in column {column!r} of {label} ({why}); "
                        f"{fix}") from None
    years = pd.DatetimeIndex(parsed).year.to_numpy(dtype=float)  # NaN where not parsed
    bad = parsed.isna().to_numpy() | text.isin(MISSING).to_numpy() | (years < 1)
    if bad.any():
        i = int(bad.argmax())
        cell = text.iloc[i]
        where = f"date {cell!r} in column {column!r} of {label} at line {lines[i]}"
        if form.date_format is not None:
            raise DataError(f"cannot parse {where} with --date-format {form.date_format} "
                            "(data.date_format); fix the cell or the format")
        if re.fullmatch(_DMY, cell) and dayfirst is not None:
            order = "day-first (DD/MM/YYYY)" if dayfirst else "month-first (MM/DD/YYYY)"
            raise DataError(f"cannot parse {where} read {order}; fix the cell, or give the "
                            "order with --dayfirst or --date-format")
        raise DataError(f"cannot parse {where}; write every date in one format, e.g. "
                        "YYYY-MM-DD, give it with --date-format, or delete the row")
    index = pd.DatetimeIndex(parsed)
    return (index.tz_localize(None) if index.tz is not None else index), note


def day_order(cells: pd.Series, lines: np.ndarray, column: str, label: str,
              form: DateFormat) -> tuple[DateFormat, str | None]:
    """``form`` with the day order of the whole column settled (to read it in parts), and the
    note saying which order was detected."""
    if form.date_format is not None or form.dayfirst is not None:
        return form, None
    dayfirst, note = _day_order(cells.astype(str).str.strip(), lines, column, label, None)
    return DateFormat(dayfirst), note


def _day_order(text: pd.Series, lines: np.ndarray, column: str, label: str,
               dayfirst: bool | None) -> tuple[bool | None, str | None]:
    """The order of day and month in slash/dot dates: given, or detected from a field above
    12 (with a note); DataError when every field is 12 or less, or when the two mix."""
    parts = text.str.extract(f"^{_DMY}$")
    rows = np.flatnonzero(parts[0].notna().to_numpy())
    if dayfirst is not None or not len(rows):
        return dayfirst, None
    first = parts[0].iloc[rows].astype(int).to_numpy()
    second = parts[2].iloc[rows].astype(int).to_numpy()
    day_at, month_at = rows[first > 12], rows[second > 12]
    shown = [f"line {lines[i]}: {text.iloc[i]!r}" for i in (*day_at[:1], *month_at[:1])]
    if len(day_at) and len(month_at):
        raise DataError(f"dates in column {column!r} of {label} mix day-first ({shown[0]}) "
                        f"and month-first ({shown[1]}); write them all in one order")
    if len(day_at) or len(month_at):
        order = "day-first (DD/MM/YYYY)" if len(day_at) else "month-first (MM/DD/YYYY)"
        return bool(len(day_at)), f"dates in column {column} read {order} ({shown[0]})"
    raise DataError(
        f"dates in column {column!r} of {label} are ambiguous: every day and month is 12 or "
        f"less (line {lines[rows[0]]}: {text.iloc[rows[0]]!r}), so the order is unknown; "
        + ORDER_OPTIONS)


def _convert(text: pd.Series, dayfirst: bool | None, date_format: str | None) -> pd.Series:
    """Datetimes of ``text`` (NaT where a cell is no date); ValueError from pandas passes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' format-inference and deprecation warnings
        if date_format is not None:
            return pd.to_datetime(text, format=date_format, errors="coerce")
        iso = _as_iso(text, bool(dayfirst))
        digits = text.str.fullmatch(r"[+-]?\d+").to_numpy(dtype=bool)
        plain = digits & ~text.str.len().isin([4, 8]).to_numpy()  # 1, 12, 123: not dates
        parsed = pd.to_datetime(iso.where(~plain, ""), format="ISO8601", errors="coerce")
        rest = parsed.isna().to_numpy() & ~plain & (iso == text).to_numpy()
        if rest.any():  # no form above: what pandas infers from the first such cell
            inferred = pd.to_datetime(text[rest], errors="coerce", dayfirst=bool(dayfirst))
            parsed = parsed.mask(pd.Series(rest, index=text.index),
                                 inferred.reindex(text.index))
    return parsed


def _as_iso(text: pd.Series, dayfirst: bool) -> pd.Series:
    """``text`` with the slash, dot, year-month and year-quarter forms rewritten as ISO."""
    out = text.astype(object).copy()
    dmy = text.str.extract(f"^{_DMY}$")
    hit = dmy[0].notna().to_numpy()
    if hit.any():
        day, month = (dmy[0], dmy[2]) if dayfirst else (dmy[2], dmy[0])
        year = dmy[3].where(dmy[3].str.len() == 4, _century(dmy[3]))
        out[hit] = (year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + dmy[4])[hit]
    ymd = text.str.extract(f"^{_YMD}$")
    hit = ymd[0].notna().to_numpy()
    if hit.any():
        out[hit] = (ymd[0] + "-" + ymd[2].str.zfill(2) + "-" + ymd[3].str.zfill(2)
                    + ymd[4])[hit]
    ym = text.str.extract(f"^{_YM}$")
    hit = ym[0].notna().to_numpy()
    if hit.any():
        out[hit] = (ym[0] + "-" + ym[1].str.zfill(2) + "-01")[hit]
    yq = text.str.extract(f"^{_YQ}$")
    hit = (yq[0].notna() | yq[2].notna()).to_numpy()
    if hit.any():
        year, quarter = yq[0].fillna(yq[3]), yq[1].fillna(yq[2])
        months = (quarter[hit].astype(int) * 3 - 2).astype(str).str.zfill(2)
        out[hit] = year[hit] + "-" + months + "-01"
    return out


def _century(years: pd.Series) -> pd.Series:
    """Two-digit years as strptime's %y reads them: 69-99 -> 19xx, 00-68 -> 20xx."""
    short = pd.to_numeric(years, errors="coerce")
    return (short + np.where(short >= 69, 1900, 2000)).astype("Int64").astype(str)


def _all_dates(cells: pd.Series, form: DateFormat) -> bool:
    """Whether every cell reads as a date in either day order (plain numbers do not)."""
    text = cells.astype(str).str.strip()
    if not len(text) or text.isin(MISSING).any() or text.str.fullmatch(_NUMBER).all():
        return False
    try:
        return any(_convert(text, first, form.date_format).notna().all()
                   for first in (False, True))
    except (ValueError, TypeError, OverflowError):
        return False
