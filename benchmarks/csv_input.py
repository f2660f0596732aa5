"""Reading a user's CSV: every cell as text, so bad cells can be named by line and column."""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from models.errors import DataError

MISSING = frozenset({"", "NA", "NaN", "nan", "null", "None", "N/A", "#N/A"})
DATE_NAMES = ("date", "datetime", "timestamp", "time", "day")


def read_csv(path: Path, label: str, prefix: str = "csv:") -> pd.DataFrame:
    """Read every cell as a string; line numbers stay aligned (blank lines are kept).

    ``prefix``: the source form the path came with (csv:, long: or wide:), for messages."""
    if not path.exists():
        raise DataError(f"data file not found: {label}; check the path after {prefix!r}")
    if path.is_dir():
        raise DataError(f"data path {label} is a directory; give a CSV file after {prefix!r}")
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {label} is empty; it needs a header and data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        why = str(exc).strip().splitlines()[-1]
        raise DataError(f"cannot read {label} as a UTF-8 CSV file ({why}); fix the file") from None
    frame = frame.fillna("").rename(columns=lambda name: " ".join(str(name).split()))
    twice = frame.columns[frame.columns.duplicated()].tolist()
    if twice:
        raise DataError(f"column {twice[0]!r} appears more than once in the header of {label}; "
                        "give every column its own name")
    if (frame == "").all(axis=1).all():
        raise DataError(f"data file {label} has a header but no data rows; add data below it")
    return frame


def date_column(frame: pd.DataFrame, wanted: str | None, label: str) -> str:
    if wanted is not None:
        if wanted not in frame.columns:
            raise DataError(not_found(wanted, label, list(frame.columns), "--date-column"))
        return wanted
    for name in frame.columns:
        if name.lower() in DATE_NAMES:
            return name
    raise DataError(
        f"no date column found in {label} (columns: {', '.join(frame.columns)}); "
        "name it with --date-column"
    )


def value_column(frame: pd.DataFrame, wanted: str | None, date_col: str, label: str) -> str:
    others = [name for name in frame.columns if name != date_col]
    if wanted is not None and wanted == date_col:
        raise DataError(f"column {wanted!r} is the date column of {label}; choose another --column")
    if wanted is not None:
        if wanted not in others:
            raise DataError(not_found(wanted, label, others, "--column"))
        return wanted
    if "Close" in others:
        return "Close"
    if len(others) == 1:
        return others[0]
    what = "no value column" if not others else "several value columns"
    raise DataError(
        f"{label} has {what} besides {date_col!r} (columns: {', '.join(frame.columns)}); "
        "choose one with --column"
    )


def not_found(name: str, label: str, columns: list[str], option: str) -> str:
    """'column X not found' message with the closest name (case-insensitive) as suggestion."""
    lowered = {col.lower(): col for col in columns}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    hint = f"did you mean {lowered[close[0]]!r}?" if close else f"choose one with {option}"
    return f"column {name!r} not found in {label}; {hint} (columns: {', '.join(columns)})"


def parse_dates(cells: pd.Series, lines: np.ndarray, column: str, label: str) -> pd.DatetimeIndex:
    text = cells.str.strip()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
            if parsed.isna().any():
                inferred = pd.to_datetime(text, errors="coerce")
                if inferred.isna().sum() < parsed.isna().sum():
                    parsed = inferred
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(
            f"cannot parse the dates in column {column!r} of {label} ({exc}); "
            "use one date format throughout, e.g. YYYY-MM-DD"
        ) from None
    years = pd.DatetimeIndex(parsed).year.to_numpy(dtype=float)  # NaN where not parsed
    bad = parsed.isna().to_numpy() | text.isin(MISSING).to_numpy() | (years < 1)
    if bad.any():
        i = bad.argmax()
        raise DataError(
            f"cannot parse date {text.iloc[i]!r} in column {column!r} of {label} at line "
            f"{lines[i]}; write every date in one format, e.g. YYYY-MM-DD, or delete the row"
        )
    index = pd.DatetimeIndex(parsed)
    return index.tz_localize(None) if index.tz is not None else index


def parse_values(cells: pd.Series, lines: np.ndarray, column: str, label: str) -> np.ndarray:
    text = cells.str.strip()
    missing = text.isin(MISSING).to_numpy()
    numbers = pd.to_numeric(text.where(~missing, "nan"), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(numbers) & ~missing
    if bad.any():
        i = bad.argmax()
        raise DataError(
            f"non-numeric value {text.iloc[i]!r} in column {column!r} of {label} at line "
            f"{lines[i]}; fix the cell or leave it empty to mark a missing value"
        )
    infinite = np.isinf(numbers)
    if infinite.any():
        i = infinite.argmax()
        raise DataError(
            f"infinite value {text.iloc[i]!r} in column {column!r} of {label} at line "
            f"{lines[i]}; replace it with a number or leave the cell empty"
        )
    return numbers


def long_series(
    frame: pd.DataFrame,
    lines: np.ndarray,
    label: str,
    id_col: str,
    date_wanted: str | None,
    value_wanted: str | None,
) -> tuple[str, list[tuple[str, pd.DatetimeIndex, np.ndarray, np.ndarray, str | None]]]:
    """The value column of a long file and, per series id (in order of first appearance), its
    dates, values, lines and the message of a bad cell (None when all parse).

    Defaults: date column ``ds`` if present (else the usual detection), value column ``y`` if
    present (else the only one left)."""
    columns = list(frame.columns)
    if id_col not in columns:
        raise DataError(not_found(id_col, label, columns, "data.id_column"))
    rest = frame.drop(columns=id_col)
    date_col = date_column(rest, date_wanted or ("ds" if "ds" in rest.columns else None), label)
    if value_wanted is None and "y" in rest.columns and date_col != "y":
        value_wanted = "y"
    column = value_column(rest, value_wanted, date_col, label)
    ids = frame[id_col].str.strip().to_numpy(dtype=object)
    if (ids == "").any():
        line = lines[int(np.argmax(ids == ""))]
        raise DataError(f"missing series id in column {id_col!r} of {label} at line {line}; "
                        "fill it in or delete the row")
    codes, uniques = pd.factorize(ids)
    order = np.argsort(codes, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
    parsers = {date_col: parse_dates, column: parse_values}
    whole: dict[str, object] = {}
    for name, parse in parsers.items():
        try:
            whole[name] = parse(frame[name], lines, name, label)
        except DataError:
            whole[name] = None  # parsed per series below: one bad cell spoils one series

    def part(name: str, rows: np.ndarray) -> object:
        if whole[name] is not None:
            return whole[name][rows]
        return parsers[name](frame[name].iloc[rows], lines[rows], name, label)

    found = []
    for uid, rows in zip(uniques, groups, strict=True):
        try:
            dates, values, error = part(date_col, rows), part(column, rows), None
        except DataError as exc:
            dates, values, error = pd.DatetimeIndex([]), np.empty(0), str(exc)
        found.append((str(uid), dates, values, lines[rows], error))
    return column, found


def wide_series(
    frame: pd.DataFrame, lines: np.ndarray, label: str, date_wanted: str | None,
    columns: str | None,
) -> tuple[pd.DatetimeIndex, list[tuple[str, np.ndarray, str | None]]]:
    """The shared dates of a wide file and, per value column (all, or the comma-separated
    ``columns``), its values and the message of a bad cell (values all missing then)."""
    date_col = date_column(frame, date_wanted, label)
    if columns:
        names = [value_column(frame, name.strip(), date_col, label)
                 for name in columns.split(",") if name.strip()]
    else:
        names = [name for name in frame.columns if name != date_col]
    if not names:
        raise DataError(f"{label} has no value column besides {date_col!r}; add one")
    dates = parse_dates(frame[date_col], lines, date_col, label)
    found = []
    for name in names:
        try:
            found.append((name, parse_values(frame[name], lines, name, label), None))
        except DataError as exc:
            found.append((name, np.full(len(frame), np.nan), str(exc)))
    return dates, found
