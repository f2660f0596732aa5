"""Reading a user's CSV: every cell as text, so bad cells can be named by line and column.

The separator is sniffed from the header line (``;`` when it has ``;`` and no ``,`` outside
quotes, a tab likewise), and with ``;`` or a tab, numbers written with decimal commas (1,5 or
1.234,5) are read as such; ``sep`` and ``decimal`` override both. Dates: ``csv_dates``.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.data.csv_dates import (
    DETECT,
    MISSING,
    DateFormat,
    date_column,
    day_order,
    not_found,
    parse_dates,
)
from forecast_bench.models.errors import ConfigError, DataError

_COMMA_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"  # 1,5  1.234,5  1.234
FILE_PREFIXES = ("csv:", "long:", "wide:")


def resolved_source(source: str, base: Path) -> str:
    """A file source (csv:, long:, wide:) with its relative path taken from ``base``, made
    absolute; any other source as it is."""
    kind, _, rest = source.partition(":")
    if f"{kind}:" not in FILE_PREFIXES or not rest:
        return source
    return f"{kind}:{(base / Path(rest).expanduser()).resolve()}"


def check_file_options(source: str, **given: object) -> None:
    """ConfigError unless the file-reading options (date_column, dayfirst, date_format, sep,
    decimal) suit each other and the source."""
    dayfirst, date_format, sep, decimal = (given[name] for name in
                                           ("dayfirst", "date_format", "sep", "decimal"))
    for name, value in given.items():
        if value is not None and not source.startswith(FILE_PREFIXES):
            raise ConfigError(f"data.{name} only applies to csv:PATH, long:PATH and wide:PATH "
                              f"sources; remove it for {source!r}")
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise ConfigError(f"data.dayfirst must be true or false; got {dayfirst!r}")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise ConfigError(f"data.date_format must be a strptime format such as '%d.%m.%Y'; "
                          f"got {date_format!r}")
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1 or sep in "\"\n\r"):
        raise ConfigError(f"data.sep must be one character such as ';' (a tab: '\\t'); "
                          f"got {sep!r}")
    if decimal not in (None, ".", ","):
        raise ConfigError(f"data.decimal must be '.' or ','; got {decimal!r}")
    if decimal is not None and decimal == (sep or ","):
        raise ConfigError(f"data.decimal and data.sep are both {decimal!r}; a file with decimal "
                          "commas separates its fields with ';' (data.sep = ';')")


def read_csv(path: Path, label: str, prefix: str = "csv:", sep: str | None = None,
             decimal: str | None = None) -> pd.DataFrame:
    """Read every cell as a string; line numbers stay aligned (blank lines are kept).

    ``prefix``: the source form the path came with (csv:, long: or wide:), for messages.
    Numbers with decimal commas come back with decimal points."""
    if not path.exists():
        raise DataError(f"data file not found: {label}; check the path after {prefix!r}")
    if path.is_dir():
        raise DataError(f"data path {label} is a directory; give a CSV file after {prefix!r}")
    header = _header(path)
    sep = sep or _sniff_sep(header, label)
    try:
        with warnings.catch_warnings():  # index_col=False: a long row is no index, but a warning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False,
                                encoding="utf-8-sig", sep=sep, index_col=False)
    except pd.errors.ParserWarning:
        raise DataError(f"{_long_row(path, sep)} of {label} has more fields than its header "
                        f"(separator {sep!r}); remove the extra fields, quote cells holding "
                        f"{sep!r}, or give the separator with --sep (data.sep)") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {label} is empty; it needs a header and data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        why = str(exc).strip().splitlines()[-1]
        other = next((c for c in ";\t," if c != sep and c in header), None)
        fix = (f"if its fields are separated by {other!r}, add --sep {other!r} (data.sep); "
               "else fix the file") if other else "fix the file"
        raise DataError(f"cannot read {label} as a UTF-8 CSV file ({why}); {fix}") from None
    frame = frame.fillna("").rename(columns=lambda name: " ".join(str(name).split()))
    twice = frame.columns[frame.columns.duplicated()].tolist()
    if twice:
        raise DataError(f"column {twice[0]!r} appears more than once in the header of {label}; "
                        "give every column its own name")
    if (frame == "").all(axis=1).all():
        raise DataError(f"data file {label} has a header but no data rows; add data below it")
    if decimal == "," or (decimal is None and sep != "," and _has_decimal_commas(frame)):
        frame = frame.apply(_with_decimal_points)
    return frame


def _header(path: Path) -> str:
    """The file's first line ('' when it cannot be read as text: read_csv then says why)."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            return handle.readline()
    except (OSError, UnicodeDecodeError):
        return ""


def _long_row(path: Path, sep: str) -> str:
    """'line N' (N: the first line with more fields than the header), or 'a line'."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle, delimiter=sep)
            width = len(next(rows))
            for row in rows:
                if len(row) > width:
                    return f"line {rows.line_num}"
    except (csv.Error, UnicodeDecodeError, StopIteration):
        pass
    return "a line"


def _sniff_sep(header: str, label: str) -> str:
    """The one of ',', ';' and tab that the header has outside quotes (',' when none);
    DataError naming --sep when it has several."""
    bare = re.sub(r'"[^"]*"', "", header)
    found = [sep for sep in (",", ";", "\t") if sep in bare]
    if len(found) > 1:
        shown = " and ".join(repr(sep) for sep in found)
        raise DataError(f"the header line of {label} has both {shown}, so its separator is "
                        f"unclear; give it with --sep {found[1]!r} or --sep {found[0]!r} "
                        "(data.sep)")
    return found[0] if found else ","


def _has_decimal_commas(frame: pd.DataFrame) -> bool:
    """Whether some cell is a number written with a decimal comma (1,5 or 1.234,5)."""
    return any(frame[name].str.fullmatch(r"\s*[+-]?\d[\d.]*,\d+\s*").any()
               for name in frame.columns)


def _with_decimal_points(cells: pd.Series) -> pd.Series:
    """Cells that are numbers with decimal commas (and dots between thousands) rewritten with
    a decimal point; every other cell as it was."""
    text = cells.str.strip()
    number = text.str.fullmatch(_COMMA_NUMBER).to_numpy(dtype=bool)
    if not number.any():
        return cells
    rewritten = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return cells.where(~number, rewritten)


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


def parse_values(cells: pd.Series, lines: np.ndarray, column: str, label: str) -> np.ndarray:
    """The numbers of ``cells`` (NaN where missing); DataError naming the first bad cell."""
    text = cells.str.strip()
    missing = text.isin(MISSING).to_numpy()
    numbers = pd.to_numeric(text.where(~missing, "nan"), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(numbers) & ~missing
    if bad.any():
        i = bad.argmax()
        fix = ("it has a decimal comma: add --decimal ',' with --sep ';' (data.decimal, "
               "data.sep) if the file is written so, or fix the cell"
               if re.fullmatch(_COMMA_NUMBER, text.iloc[i]) else
               "fix the cell or leave it empty to mark a missing value")
        raise DataError(f"non-numeric value {text.iloc[i]!r} in column {column!r} of {label} "
                        f"at line {lines[i]}; {fix}")
    infinite = np.isinf(numbers)
    if infinite.any():
        i = infinite.argmax()
        raise DataError(
            f"infinite value {text.iloc[i]!r} in column {column!r} of {label} at line "
            f"{lines[i]}; replace it with a number or leave the cell empty"
        )
    return numbers


Found = tuple[str, pd.DatetimeIndex, np.ndarray, np.ndarray, str | None]


def long_series(frame: pd.DataFrame, lines: np.ndarray, label: str, id_col: str,
                date_wanted: str | None, value_wanted: str | None,
                form: DateFormat = DETECT) -> tuple[str, list[Found], tuple[str, ...]]:
    """The value column of a long file; per series id (in order of first appearance), its
    dates, values, lines and the message of a bad cell (None when all parse); the notes on
    the dates and on the value column when it is not ``y``.

    Defaults: date column ``ds`` if present (else the usual detection), value column ``y`` if
    present (else the only one left, named in a note). The day order is settled on the whole
    column."""
    columns = list(frame.columns)
    if id_col not in columns:
        raise DataError(not_found(id_col, label, columns, "--id-column (data.id_column)"))
    rest = frame.drop(columns=id_col)
    date_col = date_column(rest, date_wanted or ("ds" if "ds" in rest.columns else None), label,
                           form)
    if value_wanted is None and "y" in rest.columns and date_col != "y":
        value_wanted = "y"
    column = value_column(rest, value_wanted, date_col, label)
    chosen = None if value_wanted is not None else (
        f"values from column {column!r} (the file has no column y; choose another with --column)")
    ids = frame[id_col].str.strip().to_numpy(dtype=object)
    if (ids == "").any():
        line = lines[int(np.argmax(ids == ""))]
        raise DataError(f"missing series id in column {id_col!r} of {label} at line {line}; "
                        "fill it in or delete the row")
    codes, uniques = pd.factorize(ids)
    order = np.argsort(codes, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
    form, note = day_order(frame[date_col], lines, date_col, label, form)

    def dates_of(cells: pd.Series, at: np.ndarray) -> pd.DatetimeIndex:
        return parse_dates(cells, at, date_col, label, form)[0]

    parsers = {date_col: dates_of, column: lambda cells, at: parse_values(cells, at, column,
                                                                          label)}
    whole: dict[str, Any] = {}
    for name, parse in parsers.items():
        try:
            whole[name] = parse(frame[name], lines)
        except DataError:
            whole[name] = None  # parsed per series below: one bad cell spoils one series

    def part(name: str, rows: np.ndarray) -> Any:
        if whole[name] is not None:
            return whole[name][rows]
        return parsers[name](frame[name].iloc[rows], lines[rows])

    found = []
    for uid, rows in zip(uniques, groups, strict=True):
        try:
            dates, values, error = part(date_col, rows), part(column, rows), None
        except DataError as exc:
            dates, values, error = pd.DatetimeIndex([]), np.empty(0), str(exc)
        found.append((str(uid), dates, values, lines[rows], error))
    return column, found, tuple(text for text in (note, chosen) if text)


def wide_series(
    frame: pd.DataFrame, lines: np.ndarray, label: str, date_wanted: str | None,
    columns: str | None, form: DateFormat = DETECT,
) -> tuple[pd.DatetimeIndex, list[tuple[str, np.ndarray, str | None]], str | None]:
    """The shared dates of a wide file; per value column (all, or the comma-separated
    ``columns``), its values and the message of a bad cell (values all missing then); the
    dates' note."""
    date_col = date_column(frame, date_wanted, label, form)
    if columns:
        names = [value_column(frame, name.strip(), date_col, label)
                 for name in columns.split(",") if name.strip()]
    else:
        names = [name for name in frame.columns if name != date_col]
    if not names:
        raise DataError(f"{label} has no value column besides {date_col!r}; add one")
    dates, note = parse_dates(frame[date_col], lines, date_col, label, form)
    found: list[tuple[str, np.ndarray, str | None]] = []
    for name in names:
        try:
            found.append((name, parse_values(frame[name], lines, name, label), None))
        except DataError as exc:
            found.append((name, np.full(len(frame), np.nan), str(exc)))
    return dates, found, note
