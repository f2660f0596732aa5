"""Collections of series: M3 (vendored), long and wide CSV files, and every single-series source.

Every cleaning rule of ``benchmarks.data.one_series`` applies per series. In a collection of more
than one series a series that fails cleaning is left out and listed in ``Collection.skipped``;
problems of the file itself stay fatal one-line ``DataError``s.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecast_bench.benchmarks.data import covariates, csv_input
from forecast_bench.benchmarks.data.frequency import FREQUENCIES, infer_frequency
from forecast_bench.benchmarks.data.m3 import M3_FILE as M3_FILE  # re-exported
from forecast_bench.benchmarks.data.m3 import PLACEHOLDER_NOTE, m3_table
from forecast_bench.benchmarks.data.one_series import (
    Dataset,
    check_order,
    finish,
    iso,
    load_one,
    on_grid,
)
from forecast_bench.benchmarks.data.periods import found_periods, periods_words, primary
from forecast_bench.benchmarks.data.spec import M3_SOURCES, DataSpec, date_format, holds_many
from forecast_bench.evaluation.harness import gaps
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.errors import DataError


@dataclass(frozen=True, eq=False)
class SeriesData:
    """One cleaned series of a collection and what is known about it."""

    id: str
    series: pd.Series  # float64, sorted unique DatetimeIndex named "date", series.name == id
    frequency: str  # a key of FREQUENCIES
    period: int  # the primary seasonal period: the first whole one of `periods`, else 1
    horizon: int | None  # the dataset's forecast horizon (M3), else None
    category: str | None  # M3 category, else None
    notes: tuple[str, ...]  # cleaning notes, as Dataset.notes
    n_filled: int = 0  # values filled by data.fill, as Dataset.n_filled
    n_dropped: int = 0  # missing values dropped, as Dataset.n_dropped
    filled: np.ndarray | None = None  # True where a value was filled, as Dataset.filled
    periods: tuple[float, ...] = ()  # every seasonal period, primary first; (): none
    mase_period: int = 0  # MASE's seasonal lag (0: `period`)
    covariates: Covariates | None = None  # rows beside the series' values (data.*_covariates)

    def __post_init__(self) -> None:
        if not self.mase_period:
            object.__setattr__(self, "mase_period", self.period)


@dataclass(frozen=True, eq=False)
class Collection:
    """Cleaned series in source order, and the (id, reason) of those cleaning left out."""

    source: str
    items: tuple[SeriesData, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    def ids(self) -> list[str]:
        return [item.id for item in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[SeriesData]:
        return iter(self.items)

    def get(self, id: str) -> SeriesData:
        """The series with this id (KeyError naming the closest id when absent)."""
        for item in self.items:
            if item.id == id:
                return item
        raise KeyError(f"no series {id!r} in {self.source}{_closest(id, self.ids())}")

    def sha256(self) -> str:
        """Deterministic hash of the ids, ISO dates and float reprs of every series."""
        digest = hashlib.sha256()
        for item in self.items:
            index = item.series.index
            seconds = index.to_numpy().astype("datetime64[s]")
            if (seconds == index.to_numpy()).all():  # whole seconds: isoformat, vectorised
                stamps = np.datetime_as_string(seconds, unit="s").tolist()
            else:
                stamps = [stamp.isoformat() for stamp in index]
            values = item.series.to_numpy(dtype=float).tolist()
            lines = [f"{s} {v!r}\n" for s, v in zip(stamps, values, strict=True)]
            digest.update(f"# {item.id}\n{''.join(lines)}".encode())
        return digest.hexdigest()

    def describe(self) -> dict[str, object]:
        """Summary for reports: sizes, lengths, frequencies, categories, horizons, date range."""
        lengths = np.array([len(item.series) for item in self.items])
        starts = [item.series.index[0] for item in self.items]
        ends = [item.series.index[-1] for item in self.items]
        return {
            "source": self.source,
            "n_series": len(self.items),
            "n_skipped": len(self.skipped),
            "n_values": int(lengths.sum()),
            "length_min": int(lengths.min()),
            "length_median": float(np.median(lengths)),
            "length_max": int(lengths.max()),
            "frequencies": _counts(item.frequency for item in self.items),
            "seasonal_periods": _counts(periods_words(item.periods) or "none (1)"
                                        for item in self.items),
            "mase_periods": _counts(item.mase_period for item in self.items),
            "categories": _counts(item.category for item in self.items),
            "horizons": _counts(item.horizon for item in self.items),
            "first_date": iso(min(starts)),
            "last_date": iso(max(ends)),
            **gaps.totals(self.items),
        }

    def summary_frame(self) -> pd.DataFrame:
        """One row per series: id, frequency, period (the primary), periods ("24 168"; empty:
        none), mase_period, horizon, category, n, dates, min/mean/max, and how many values
        cleaning filled and dropped."""
        rows = [
            {"id": item.id, "frequency": item.frequency, "period": item.period,
             "periods": periods_words(item.periods), "mase_period": item.mase_period,
             "horizon": item.horizon, "category": item.category, "n": len(item.series),
             "first_date": item.series.index[0], "last_date": item.series.index[-1],
             "min": float(item.series.min()), "mean": float(item.series.mean()),
             "max": float(item.series.max()), "n_filled": item.n_filled,
             "n_dropped": item.n_dropped}
            for item in self.items
        ]
        return pd.DataFrame(rows, columns=["id", "frequency", "period", "periods", "mase_period",
                                           "horizon", "category", "n", "first_date",
                                           "last_date", "min", "mean", "max", "n_filled",
                                           "n_dropped"])


class _Raw(NamedTuple):
    """One series before cleaning."""

    id: str
    dates: pd.DatetimeIndex
    values: np.ndarray
    lines: np.ndarray
    column: str
    frequency: str | None = None  # given by the source (M3) or already inferred (wide)
    period: int | None = None  # the seasonal period the source gives (M3's), else from the data
    horizon: int | None = None
    category: str | None = None
    notes: tuple[str, ...] = ()
    check: bool = True  # dates still to be checked for order and put on their regular grid
    error: str | None = None  # a problem found while reading (a bad cell), raised when cleaned


def load_collection(spec: DataSpec) -> Collection:
    """Load and clean every series of ``spec.source``, then apply the subsets of ``spec``.

    Sources: m3 and m3:yearly|quarterly|monthly|other (vendored M3); long:PATH, or csv:PATH with
    the id column (one row per series, date, value); wide:PATH, or csv:PATH with data.column =
    "A,B" (one column per series); msft, sunspots, lynx and one-column csv:PATH (a collection
    of one whose series is data.load's)."""
    return _load(spec)[0]


def load_with_dataset(spec: DataSpec) -> tuple[Collection, Dataset | None]:
    """The collection of ``spec`` and, when the source holds a single series (a built-in
    dataset or a one-column csv:), that series as ``data.load`` gives it."""
    return _load(spec)


def load_single(spec: DataSpec) -> Dataset:
    """The one series a spec leaves, as a Dataset (``data.load`` for collection sources)."""
    found, single = _load(spec)
    return single if single is not None else only_series(found)


def only_series(found: Collection) -> Dataset:
    """The one series of ``found`` as a Dataset; DataError when it holds several."""
    if len(found) != 1:
        shown = ", ".join(found.ids()[:5]) + (", ..." if len(found) > 5 else "")
        raise DataError(f"{found.source} holds {len(found)} series ({shown}); this needs one: "
                        f"pick it with --series {found.ids()[0]} (data.series)")
    item = found.items[0]
    return Dataset(item.series, found.source, item.id, item.n_filled, item.notes, item.n_dropped,
                   item.filled)


def _load(spec: DataSpec) -> tuple[Collection, Dataset | None]:
    """The collection, and the Dataset itself when the source holds a single series."""
    source = spec.source
    if source in M3_SOURCES:
        raws, label, name = _m3_raws(source), "m3", source
    elif source.startswith(csv_input.FILE_PREFIXES):
        kind, _, text = source.partition(":")
        path = Path(text).expanduser()
        label, name = str(path), f"{kind}:{path.resolve()}"
        cells = csv_input.read_csv(path, label, f"{kind}:", spec.sep, spec.decimal)
        frame, cells = covariates.split(cells, spec, label)
        if kind == "csv" and not holds_many(list(frame.columns), spec):
            return _single(spec, frame, cells, label)
        lines = np.arange(len(frame)) + 2
        blank = (frame == "").all(axis=1).to_numpy()
        frame, lines = frame[~blank], lines[~blank]
        is_long = kind == "long" or (kind == "csv" and (
            spec.id_column is not None or "unique_id" in frame.columns))
        reader = _long_raws if is_long else _wide_raws
        raws = reader(frame, lines, label, spec)
    else:
        return _single(spec, None)
    raws = _pick(raws, spec, name)
    items, skipped = [], []
    for raw in raws:
        try:
            items.append(_clean(raw, label, name, spec))
        except DataError as exc:
            if len(raws) == 1:
                raise DataError(f"series {raw.id!r}: {exc}") from None
            skipped.append((raw.id, f"series {raw.id!r}: {exc}"))
    if not items:
        raise DataError(f"every one of the {len(raws)} series of {name} was left out by "
                        f"cleaning; the first: {skipped[0][1]}")
    found = _subset(Collection(name, tuple(items), tuple(skipped)), spec)
    ids = (spec.id_column or "unique_id") if source not in M3_SOURCES else None
    return covariates.attach(found, None if ids is None else cells, spec, label, ids), None


def _single(spec: DataSpec, frame: pd.DataFrame | None, cells: pd.DataFrame | None = None,
            label: str | None = None) -> tuple[Collection, Dataset]:
    """A today's single-series source as a collection of one (id: source name or column),
    with its covariates (`cells`: the file's, covariate columns included)."""
    found = load_one(spec, frame)
    name = found.column if spec.source.startswith("csv:") else spec.source
    frequency = spec.frequency or infer_frequency(found.series.index)
    periods, mase = _periods(spec, frequency, found.series, None)
    item = SeriesData(name, found.series.rename(name), frequency, primary(periods), None, None,
                      found.notes, found.n_filled, found.n_dropped, found.filled, periods, mase)
    _pick([_Raw(name, found.series.index, np.empty(0), np.empty(0), name)], spec, found.source)
    collection = _subset(Collection(found.source, (item,)), spec)
    return covariates.attach(collection, cells, spec, label or spec.source, None), found


def _clean(raw: _Raw, label: str, source: str, spec: DataSpec) -> SeriesData:
    """Check, regularise and clean one series (DataError when it cannot be used)."""
    if raw.error is not None:
        raise DataError(raw.error)
    dates, values, lines, notes = raw.dates, raw.values, raw.lines, list(raw.notes)
    if raw.check and (np.diff(dates.asi8) <= 0).any():
        check_order(dates, lines, label)  # raises, naming the lines
    frequency = spec.frequency or raw.frequency or infer_frequency(dates)
    if raw.check:
        dates, (values,), lines, note = on_grid(dates, [values], lines, frequency, label, spec)
        notes += [note] if note else []
    found = finish(dates, values, lines, raw.column, label, source, spec, spec.last)
    found.series.name = raw.id  # a new Series, not shared
    periods, mase = _periods(spec, frequency, found.series, raw.period)
    return SeriesData(raw.id, found.series, frequency, primary(periods), raw.horizon,
                      raw.category, (*notes, *found.notes), found.n_filled, found.n_dropped,
                      found.filled, periods, mase)


def _periods(spec: DataSpec, frequency: str, series: pd.Series,
             known: int | None) -> tuple[tuple[float, ...], int]:
    """A series' seasonal periods and MASE's lag: data.period's (MASE: its primary); else the
    source's own period (M3's 12, 4 or 1, for MASE too); else the candidates of its frequency
    that the series shows (benchmarks.data.periods), MASE's lag M4's for the frequency."""
    given = spec.given_periods()
    if given is not None:
        return given, primary(given)
    if known is not None:
        return ((known,) if known > 1 else ()), known
    return found_periods(series.to_numpy(), frequency), FREQUENCIES[frequency]


def _long_raws(frame: pd.DataFrame, lines: np.ndarray, label: str, spec: DataSpec) -> list[_Raw]:
    """One raw series per id of a long file (id, date and value columns)."""
    column, found, notes = csv_input.long_series(frame, lines, label,
                                                 spec.id_column or "unique_id", spec.date_column,
                                                 spec.column, date_format(spec))
    return [_Raw(uid, dates, values, rows, column, notes=notes, error=error)
            for uid, dates, values, rows, error in found]


def _wide_raws(frame: pd.DataFrame, lines: np.ndarray, label: str, spec: DataSpec) -> list[_Raw]:
    """One raw series per value column of a wide file (one shared date column)."""
    covariates.refuse_wide(spec, label)
    dates, found, read = csv_input.wide_series(frame, lines, label, spec.date_column,
                                               spec.column, date_format(spec))
    check_order(dates, lines, label)
    frequency = spec.frequency or infer_frequency(dates)
    dates, values, lines, note = on_grid(dates, [col for _, col, _ in found], lines, frequency,
                                         label, spec)
    notes = tuple(text for text in (read, note) if text)
    return [_Raw(name, dates, col, lines, name, frequency, notes=notes, check=False, error=error)
            for (name, _, error), col in zip(found, values, strict=True)]


def _m3_raws(source: str) -> list[_Raw]:
    first, bounds, dates, values = m3_table()
    wanted = source.partition(":")[2]
    raws = []
    for i, row in enumerate(first.itertuples(index=False)):
        if wanted and row.frequency != wanted:
            continue
        lo, hi = bounds[i], bounds[i + 1]
        raws.append(_Raw(
            row.series, dates[lo:hi], values[lo:hi],
            np.arange(lo, hi) + 2, "y", str(row.frequency), FREQUENCIES[str(row.frequency)],
            int(row.horizon), str(row.category), (PLACEHOLDER_NOTE,) if row.placeholder else (),
            check=False,
        ))
    return raws


def _pick(raws: list[_Raw], spec: DataSpec, source: str) -> list[_Raw]:
    """The raw series that data.series and data.category keep (data.series order)."""
    if spec.category is not None:
        names = sorted({raw.category for raw in raws if raw.category is not None})
        if spec.category.lower() not in {name.lower() for name in names}:
            listed = ", ".join(names) if names else "none: only M3 series have categories"
            raise DataError(f"--category {spec.category!r} is not a category of {source} "
                            f"(categories: {listed}); fix or remove --category (data.category)")
        raws = [raw for raw in raws if (raw.category or "").lower() == spec.category.lower()]
    if spec.series is not None:
        by_id = {raw.id: raw for raw in raws}
        for wanted in spec.series:
            if wanted not in by_id:
                raise DataError(f"--series (data.series) names {wanted!r}, which is not a "
                                f"series of {source}{_closest(wanted, list(by_id))}")
        raws = [by_id[wanted] for wanted in spec.series]
    return raws


def _subset(found: Collection, spec: DataSpec) -> Collection:
    """Apply data.min_length/max_length, then data.sample (kept in collection order)."""
    items = found.items
    low, high = spec.min_length or 1, spec.max_length or "any"
    if spec.min_length is not None or spec.max_length is not None:
        items = tuple(item for item in items
                      if low <= len(item.series) <= (spec.max_length or len(item.series)))
        if not items:
            lengths = [len(item.series) for item in found.items] or [0]
            raise DataError(f"no series of {found.source} has a length within --min-length .. "
                            f"--max-length (data.min_length .. max_length) = {low} .. {high}; the "
                            f"lengths are {min(lengths)} .. {max(lengths)}; widen the bounds")
    if spec.sample is not None:
        if spec.sample > len(items):
            raise DataError(f"--sample (data.sample) = {spec.sample} but {found.source} has "
                            f"only {len(items)} series left to sample from; lower it")
        rng = np.random.default_rng(spec.sample_seed)
        picks = np.sort(rng.choice(len(items), size=spec.sample, replace=False))
        items = tuple(items[i] for i in picks)
    return Collection(found.source, items, found.skipped)


def _closest(wanted: str, ids: list[str]) -> str:
    """'; the closest id is X' (case-insensitive), or '' when none is close."""
    lowered = {sid.lower(): sid for sid in reversed(ids)}
    close = difflib.get_close_matches(wanted.lower(), list(lowered), n=1)
    return f"; the closest id is {lowered[close[0]]!r}" if close else ""


def _counts(values: Iterator[object]) -> dict[object, int]:
    """How often each value occurs, in order of first occurrence (None is not counted)."""
    return dict(Counter(value for value in values if value is not None))
