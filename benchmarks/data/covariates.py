"""Covariates read beside the target: columns of a csv: or long: file named by
data.future_covariates (known ahead) and data.past_covariates (observed), and calendar features
(data.calendar; public holidays of data.country) computed from each series' dates.

A covariate is never cleaned: every date a series keeps needs its row in the file with a
number in every covariate column, or the run stops with a one-line DataError naming the file,
column and line. Wide files are not supported (one row holds several series' values, but no
place for each one's covariates)."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.data import csv_dates, csv_input, public_holidays
from forecast_bench.benchmarks.data.one_series import iso
from forecast_bench.benchmarks.data.spec import CALENDAR_FEATURES, DataSpec, date_format
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.errors import ConfigError, DataError

CALENDAR = CALENDAR_FEATURES  # day-of-week, month and public holiday dummies
Found = TypeVar("Found", bound=Any)  # a Collection (benchmarks.data.collection imports this)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def file_columns(spec: DataSpec) -> list[str]:
    """The covariate columns to read from the file, future ones first."""
    return [*(spec.future_covariates or ()), *(spec.past_covariates or ())]


def split(frame: pd.DataFrame, spec: DataSpec, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The file's cells without the covariate columns (for the target's readers, whose
    column detection must not see them), and every cell (for `attach`)."""
    names = file_columns(spec)
    for name in names:
        if name not in frame.columns:
            raise DataError(csv_dates.not_found(name, label, list(frame.columns),
                                                "--future-covariates/--past-covariates"))
    return frame.drop(columns=names), frame


@dataclasses.dataclass(frozen=True)
class _Table:
    """One series' covariate rows as read: dates, values (rows x columns), line numbers."""

    dates: pd.DatetimeIndex
    values: np.ndarray
    lines: np.ndarray


def read_tables(frame: pd.DataFrame, spec: DataSpec, label: str,
                id_column: str | None) -> dict[str | None, _Table]:
    """The covariate columns of a file, per series id (None: a one-series file)."""
    names = file_columns(spec)
    lines = np.arange(len(frame)) + 2
    blank = (frame == "").all(axis=1).to_numpy()
    frame, lines = frame[~blank], lines[~blank]
    form = date_format(spec)
    rest = frame.drop(columns=[*names, *([id_column] if id_column else [])])
    wanted = spec.date_column
    if wanted is None and id_column is not None and "ds" in rest.columns:
        wanted = "ds"
    date_col = csv_dates.date_column(rest, wanted, label, form)
    form, _ = csv_dates.day_order(frame[date_col], lines, date_col, label, form)
    dates = csv_dates.parse_dates(frame[date_col], lines, date_col, label, form)[0]
    values = np.column_stack([csv_input.parse_values(frame[name], lines, name, label)
                              for name in names])
    if id_column is None:
        return {None: _Table(dates, values, lines)}
    ids = frame[id_column].str.strip().to_numpy(dtype=object)
    return {str(uid): _Table(dates[ids == uid], values[ids == uid], lines[ids == uid])
            for uid in pd.unique(ids)}


def aligned(table: _Table, index: pd.DatetimeIndex, names: list[str], label: str,
            series: str) -> np.ndarray:
    """The table's rows at the series' dates; DataError for a date without a row or a cell
    without a number."""
    positions = pd.Index(table.dates).get_indexer(index)
    if (positions < 0).any():
        missing = index[int(np.argmax(positions < 0))]
        raise DataError(f"{label} has no row for {iso(missing)} of series {series!r} (a date "
                        "cleaning inserted on the grid), so its covariates are unknown there; "
                        "add the row with the covariates' values")
    values = table.values[positions]
    bad = np.argwhere(np.isnan(values))
    if len(bad):
        row, col = bad[0]
        raise DataError(f"missing value in covariate column {names[col]!r} of {label} at line "
                        f"{table.lines[positions[row]]}; fill in the cell (covariates are not "
                        "filled)")
    return values


def calendar(index: pd.DatetimeIndex, wanted: tuple[str, ...],
             country: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Dummies of the day of week (Monday the baseline), of the month (January the baseline)
    and of the public holidays of `country` (holiday: 1 on every timestamp of a holiday's
    date); a dummy that never varies on these dates (Saturday in business days, a holiday
    none of them falls on) is left out, since a constant regressor cannot be estimated beside
    an intercept."""
    columns, names = [], []
    for feature in wanted:
        if feature == "holiday":
            if country is None:
                raise ConfigError("the calendar feature holiday needs a country: add "
                                  "--country GB (data.country)")
            candidates = [(public_holidays.holiday_flags(index, country), "holiday")]
        else:
            codes, labels = ((index.dayofweek, _DAYS) if feature == "dow"
                             else (index.month - 1, _MONTHS))
            candidates = [((np.asarray(codes) == code).astype(float), f"{feature}_{labels[code]}")
                          for code in range(1, len(labels))]
        for column, name in candidates:
            if 0 < column.sum() < len(column):
                columns.append(column)
                names.append(name)
    return np.column_stack(columns) if columns else np.empty((len(index), 0)), names


def series_covariates(index: pd.DatetimeIndex, table: _Table | None, spec: DataSpec,
                      label: str, series: str) -> Covariates | None:
    """One series' covariates: the file's columns (future, then past) and the calendar's."""
    names = file_columns(spec)
    if not names and not spec.calendar:
        return None
    parts, known = [], []
    if names:
        if table is None:
            raise DataError(f"{label} has no rows for series {series!r}")
        parts.append(aligned(table, index, names, label, series))
        known += [True] * len(spec.future_covariates or ()) + [False] * len(
            spec.past_covariates or ())
    values, calendar_names = calendar(index, tuple(spec.calendar or ()), spec.country)
    parts.append(values)
    known += [True] * len(calendar_names)
    return Covariates(np.column_stack(parts), (*names, *calendar_names), tuple(known))


def refuse_wide(spec: DataSpec, label: str) -> None:
    """DataError when covariate columns are asked of a wide file."""
    if file_columns(spec):
        raise DataError(f"covariates are not supported for a wide file ({label}: one column "
                        "per series); write it long (id, date, value and the covariates per "
                        "row) or drop --future-covariates/--past-covariates")


def attach(found: Found, cells: pd.DataFrame | None, spec: DataSpec, label: str,
           id_column: str | None) -> Found:
    """A Collection whose series carry their covariates, when data.*_covariates or
    data.calendar asks for some; `cells`: the file's (None for a built-in source or M3),
    `id_column`: a long file's (None: one series)."""
    if not file_columns(spec) and not spec.calendar:
        return found
    tables = ({} if cells is None or not file_columns(spec)
              else read_tables(cells, spec, label, id_column))
    items = tuple(dataclasses.replace(item, covariates=series_covariates(
        item.series.index, tables.get(None if id_column is None else item.id), spec, label,
        item.id)) for item in found.items)
    return dataclasses.replace(found, items=items)
