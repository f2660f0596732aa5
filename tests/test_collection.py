"""Tests for benchmarks.data.collection and benchmarks.data.frequency: M3, long/wide CSV,
subsets."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks.data import DataSpec, is_collection_source, load
from forecast_bench.benchmarks.data import collection as coll
from forecast_bench.benchmarks.data.collection import Collection, load_collection
from forecast_bench.benchmarks.data.frequency import (
    FREQUENCIES,
    infer_frequency,
    missing_steps,
    pandas_freq,
    period_of,
)
from forecast_bench.models.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def m3() -> Collection:
    return load_collection(DataSpec(source="m3"))


@pytest.fixture(scope="module")
def m3_rows() -> dict[str, list[dict[str, str]]]:
    """The vendored file read by hand (csv module, not pandas): rows per series id."""
    rows: dict[str, list[dict[str, str]]] = {}
    with gzip.open(coll.M3_FILE, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.setdefault(row["series"], []).append(row)
    return rows


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- M3 -----------------------------------------------------------------------------------------


def test_m3_file_is_vendored_in_the_package() -> None:
    package = Path(coll.__file__).parents[1]  # benchmarks/, beside benchmarks/data/
    assert package / "datasets" / "m3" / "M3.csv.gz" == coll.M3_FILE
    assert coll.M3_FILE.is_file() and "shared" not in coll.M3_FILE.parts
    assert "Makridakis" in (coll.M3_FILE.parent / "README.md").read_text()


def test_m3_counts_and_horizons(m3: Collection) -> None:
    assert len(m3) == 3003 and m3.skipped == ()
    facts = m3.describe()
    assert facts["frequencies"] == {"yearly": 645, "quarterly": 756, "monthly": 1428, "other": 174}
    assert facts["n_values"] == 236210
    for name, count, horizon, period in (("yearly", 645, 6, 1), ("quarterly", 756, 8, 4),
                                         ("monthly", 1428, 18, 12), ("other", 174, 8, 1)):
        part = load_collection(DataSpec(source=f"m3:{name}"))
        assert len(part) == count
        assert {item.horizon for item in part} == {horizon}
        assert {(item.frequency, item.period) for item in part} == {(name, period)}
    assert m3.ids()[:3] == ["N1", "N2", "N3"] and m3.ids()[-1] == "N3003"


def test_m3_values_match_the_file_read_by_hand(m3: Collection, m3_rows: dict) -> None:
    n1 = m3.get("N1")
    assert n1.series.iloc[:3].tolist() == [940.66, 1084.86, 1244.98]
    assert n1.series.name == "N1" and n1.category == "MICRO" and n1.series.dtype == "float64"
    for sid, frequency in (("N1500", "monthly"), ("N700", "quarterly")):
        rows, item = m3_rows[sid], m3.get(sid)
        assert rows[0]["frequency"] == item.frequency == frequency
        assert item.series.tolist() == [float(row["y"]) for row in rows]
        assert item.horizon == int(rows[0]["horizon"]) and item.category == rows[0]["category"]
        assert item.series.index.name == "date" and item.series.index.is_monotonic_increasing


def test_m3_dates_follow_start_year_and_period(m3: Collection, m3_rows: dict) -> None:
    monthly = m3.get("N1500")
    year, month = int(m3_rows["N1500"][0]["start_year"]), int(m3_rows["N1500"][0]["start_period"])
    assert monthly.series.index[0] == pd.Timestamp(year, month, 1)
    assert infer_frequency(monthly.series.index) == "monthly"
    assert (monthly.series.index == pd.date_range(monthly.series.index[0],
                                                  periods=len(monthly.series), freq="MS")).all()
    quarterly = m3.get("N700")
    year, quarter = int(m3_rows["N700"][0]["start_year"]), int(m3_rows["N700"][0]["start_period"])
    assert quarterly.series.index[0] == pd.Timestamp(year, 3 * quarter - 2, 1)
    assert infer_frequency(quarterly.series.index) == "quarterly"
    assert m3.get("N1").series.index[0] == pd.Timestamp(1975, 1, 1)
    assert m3.get("N1").notes == ()


def test_m3_without_start_gets_placeholder_dates(m3: Collection, m3_rows: dict) -> None:
    no_start = {sid for sid, rows in m3_rows.items() if rows[0]["start_year"] == "0"}
    flagged = {item.id for item in m3 if coll.PLACEHOLDER_NOTE in item.notes}
    assert len(no_start) == 174 + 29
    assert m3_rows["N1071"][0]["start_period"] == "9"  # a quarterly series: no such quarter
    assert flagged == no_start | {"N1071"}
    assert m3.get("N1071").series.index[0] == pd.Timestamp("2000-01-01")
    other, monthly = m3.get("N3003"), m3.get("N2801")
    assert other.series.index[0] == pd.Timestamp("2000-01-01")
    assert infer_frequency(other.series.index) == "daily" and other.frequency == "other"
    assert monthly.series.index[0] == pd.Timestamp("2000-01-01") and monthly.frequency == "monthly"


def test_m3_negative_value_skips_one_series_under_log(m3_rows: dict) -> None:
    found = load_collection(DataSpec(source="m3:monthly", transform="log"))
    assert [sid for sid, _ in found.skipped] == ["N2786"]
    assert found.skipped[0][1].startswith("series 'N2786': data.transform = 'log'")
    assert len(found) == 1427


# --- subsets and overrides ----------------------------------------------------------------------


def test_category_subset_is_case_insensitive(m3_rows: dict) -> None:
    found = load_collection(DataSpec(source="m3:quarterly", category="finance"))
    expected = [sid for sid, rows in m3_rows.items()
                if rows[0]["category"] == "FINANCE" and rows[0]["frequency"] == "quarterly"]
    assert found.ids() == expected and {item.category for item in found} == {"FINANCE"}
    with pytest.raises(DataError, match="categories: DEMOGRAPHIC, FINANCE, INDUSTRY"):
        load_collection(DataSpec(source="m3", category="retail"))


def test_series_subset_keeps_the_order_given() -> None:
    found = load_collection(DataSpec(source="m3", series=["N2000", "N5", "N1402"]))
    assert found.ids() == ["N2000", "N5", "N1402"]
    with pytest.raises(DataError, match=r"names 'n1402', .* m3; the closest id is 'N1402'"):
        load_collection(DataSpec(source="m3", series=["N1", "n1402"]))
    assert DataSpec(source="m3", series="N1, N2").series == ("N1", "N2")


def test_length_bounds_are_inclusive_on_cleaned_lengths(m3: Collection) -> None:
    lengths = {item.id: len(item.series) for item in m3.items if item.frequency == "yearly"}
    found = load_collection(DataSpec(source="m3:yearly", min_length=20, max_length=21))
    assert found.ids() == [sid for sid, n in lengths.items() if 20 <= n <= 21]
    assert {len(item.series) for item in found} == {20, 21}
    short = load_collection(DataSpec(source="m3:yearly", max_length=30, last=25))
    assert len(short) == 645  # data.last cuts every series to <= 25 first
    with pytest.raises(DataError, match=r"lengths are 20 \.\. 47"):
        load_collection(DataSpec(source="m3:yearly", min_length=48))


def test_sample_is_seeded_sized_and_in_collection_order(m3: Collection) -> None:
    first = load_collection(DataSpec(source="m3", sample=25, sample_seed=7))
    again = load_collection(DataSpec(source="m3", sample=25, sample_seed=7))
    other = load_collection(DataSpec(source="m3", sample=25, sample_seed=8))
    assert len(first) == 25 and first.ids() == again.ids() and first.ids() != other.ids()
    order = {sid: i for i, sid in enumerate(m3.ids())}
    assert [order[sid] for sid in first.ids()] == sorted(order[sid] for sid in first.ids())
    with pytest.raises(DataError, match=r"--sample \(data\.sample\) = 175"):
        load_collection(DataSpec(source="m3:other", sample=175))


def test_frequency_and_period_overrides() -> None:
    found = load_collection(DataSpec(source="m3", series=["N1", "N1500"], period=3))
    assert [item.period for item in found] == [3, 3]
    assert [item.frequency for item in found] == ["yearly", "monthly"]
    lynx = load_collection(DataSpec(source="lynx", frequency="other")).get("lynx")
    assert (lynx.frequency, lynx.period) == ("other", 1)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"source": "m4"}, "m3:yearly"),
        ({"source": "long:"}, "long:PATH"),
        ({"source": "m3", "column": "y"}, "data.column"),
        ({"source": "msft", "id_column": "id"}, "data.id_column"),
        ({"source": "m3", "date_column": "ds"}, "data.date_column"),
        ({"source": "m3", "series": []}, "data.series"),
        ({"source": "m3", "series": ["N1", "N1"]}, "twice"),
        ({"source": "m3", "sample": 0}, "data.sample"),
        ({"source": "m3", "min_length": 9, "max_length": 3}, "swap"),
        ({"source": "m3", "period": 0}, "data.period"),
        ({"source": "m3", "frequency": "montly"}, "did you mean 'monthly'"),
    ],
)
def test_spec_validation_of_collection_fields(kwargs: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        DataSpec(**kwargs)  # type: ignore[arg-type]


def test_collection_sources_and_hashable_spec() -> None:
    assert all(is_collection_source(s) for s in ("m3", "m3:other", "long:x.csv", "wide:x.csv"))
    assert not any(is_collection_source(s) for s in ("msft", "csv:x.csv", "m3:weekly"))
    assert DataSpec.is_collection_source("m3")
    assert hash(DataSpec(source="m3", series=["N1"])) == hash(DataSpec(source="m3", series=("N1",)))


# --- long and wide CSV --------------------------------------------------------------------------

LONG = """unique_id,ds,y
a,2020-01-01,1
b,2020-01-01,5
a,2020-02-01,2
c,2020-01-01,7
b,2020-02-01,5
a,2020-03-01,3
b,2020-03-01,5
c,2020-02-01,8
a,2020-05-01,5
c,2020-03-01,9
a,2020-06-01,6
c,2020-04-01,10
"""


def test_long_csv_per_series_cleaning(tmp_path: Path) -> None:
    path = write(tmp_path, LONG)
    for source in (f"csv:{path}", f"long:{path}"):
        found = load_collection(DataSpec(source=source))
        assert found.ids() == ["a", "c"]  # order of first appearance; b is constant
        assert found.skipped == (("b", f"series 'b': column 'y' of {path} is constant (5 on all "
                                  "3 rows kept): there is nothing to forecast; choose another "
                                  "column or other dates"),)
    a, c = found.get("a"), found.get("c")
    assert a.series.tolist() == [1, 2, 3, 3, 5, 6]  # April inserted, forward-filled
    assert a.series.index[3] == pd.Timestamp("2020-04-01") and a.n_filled == 1
    assert any("inserted 1 missing monthly date" in note for note in a.notes)
    assert c.series.tolist() == [7, 8, 9, 10] and c.notes == ()
    assert a.frequency == c.frequency == "monthly" and a.horizon is None
    assert (a.period, a.periods, a.mase_period) == (12, (12,), 12)  # monthly: 12, untested
    assert a.series.name == "a" and a.series.index.name == "date"
    assert found.source == f"long:{path.resolve()}"


def test_long_csv_gap_rules_follow_fill_and_max_gap(tmp_path: Path) -> None:
    path = write(tmp_path, LONG)
    with pytest.raises(DataError, match=r"series 'a': .* skips 1 missing monthly date .*fill"):
        load_collection(DataSpec(source=f"long:{path}", fill="none", series=["a"]))
    with pytest.raises(DataError, match=r"data\.max_gap = 0"):
        load_collection(DataSpec(source=f"long:{path}", max_gap=0, series=["a"]))
    inner = load_collection(DataSpec(source=f"long:{path}", series=["a"], fill="interpolate"))
    assert inner.get("a").series.tolist() == [1, 2, 3, 4, 5, 6]


def test_long_csv_duplicate_date_within_a_series(tmp_path: Path) -> None:
    path = write(tmp_path, "unique_id,ds,y\na,2020-01-01,1\nb,2020-01-01,5\na,2020-02-01,2\n"
                           "b,2020-02-01,6\na,2020-01-01,3\nb,2020-03-01,7\n")
    found = load_collection(DataSpec(source=f"csv:{path}"))
    assert found.ids() == ["b"]
    assert found.skipped[0][0] == "a" and "lines 2 and 6" in found.skipped[0][1]
    with pytest.raises(DataError, match=r"series 'a': duplicate date 2020-01-01 .* 2 and 6"):
        load_collection(DataSpec(source=f"csv:{path}", series=["a"]))


def test_long_csv_other_column_names_and_file_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "when,sid,sales,note\n2021-01-04,x,1,a\n2021-01-11,x,2,b\n"
                           "2021-01-18,x,4,c\n2021-01-04,y,3,d\n2021-01-11,y,1,e\n")
    found = load_collection(DataSpec(source=f"long:{path}", id_column="sid",
                                     date_column="when", column="sales"))
    assert found.ids() == ["x", "y"] and found.get("x").frequency == "weekly"
    assert found.get("y").frequency == "unknown"  # two dates: too few to tell
    with pytest.raises(DataError, match="column 'unique_id' not found"):
        load_collection(DataSpec(source=f"long:{path}"))
    with pytest.raises(DataError, match="several value columns"):
        load_collection(DataSpec(source=f"long:{path}", id_column="sid", date_column="when"))
    with pytest.raises(DataError, match="check the path after 'long:'"):
        load_collection(DataSpec(source=f"long:{tmp_path / 'none.csv'}"))


def test_long_csv_bad_cell_skips_only_its_series(tmp_path: Path) -> None:
    path = write(tmp_path, "unique_id,ds,y\na,2020,1\na,2021,2\na,2022,4\nb,2020,1\nb,2021,x\n")
    found = load_collection(DataSpec(source=f"long:{path}"))
    assert found.ids() == ["a"] and found.get("a").frequency == "yearly"
    assert found.skipped[0][1].startswith("series 'b': non-numeric value 'x'")
    every = write(tmp_path, "unique_id,ds,y\na,2020,1\na,2021,1\nb,2020,2\nb,2021,2\n", "c.csv")
    with pytest.raises(DataError, match=r"every one of the 2 series .* the first: series 'a'"):
        load_collection(DataSpec(source=f"long:{every}"))


def test_wide_csv_every_column_or_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A,B,C\n2020-01-01,1,,x\n2020-02-01,2,3,1\n2020-03-01,3,4,2\n"
                           "2020-05-01,4,6,3\n")
    found = load_collection(DataSpec(source=f"wide:{path}"))
    assert found.ids() == ["A", "B"] and found.skipped[0][0] == "C"
    a, b = found.get("A"), found.get("B")
    assert a.series.tolist() == [1, 2, 3, 3, 4] and a.frequency == "monthly"
    assert b.series.tolist() == [3, 4, 4, 6] and b.series.index[0] == pd.Timestamp("2020-02-01")
    assert any("dropped 1 leading missing values in B" in note for note in b.notes)
    picked = load_collection(DataSpec(source=f"csv:{path}", column="B,A"))
    assert picked.ids() == ["B", "A"] and picked.skipped == ()
    with pytest.raises(DataError, match="column 'Q' not found"):
        load_collection(DataSpec(source=f"wide:{path}", column="A,Q"))


# --- one series: the same as data.load ----------------------------------------------------------


@pytest.mark.parametrize(("source", "name"), [("msft", "msft"), ("sunspots", "sunspots"),
                                              ("lynx", "lynx"), ("csv", "Price")])
def test_collection_of_one_equals_data_load(tmp_path: Path, source: str, name: str) -> None:
    if source == "csv":
        dates = pd.bdate_range("2021-01-04", periods=12)
        rows = [f"{d.date()},{v}" for d, v in zip(dates, [1, 2, "", 4, 5, 6, 7, 8, 9, 10, 11, 12],
                                                  strict=True)]
        text = "\n".join(["Date,Price", *rows]) + "\n"
        source = f"csv:{write(tmp_path, text)}"
    spec = DataSpec(source=source)
    found, dataset = load_collection(spec), load(spec)
    assert found.ids() == [name] and found.skipped == ()
    item = found.items[0]
    pd.testing.assert_series_equal(item.series, dataset.series, check_names=False,
                                   check_exact=True)
    assert item.series.index.equals(dataset.series.index) and item.series.name == name
    assert item.notes == dataset.notes and item.n_filled == dataset.n_filled
    assert item.horizon is None and item.category is None
    assert found.source == dataset.source
    assert found.describe()["categories"] == {} and found.describe()["n_series"] == 1
    assert item.frequency == ("yearly" if name in ("sunspots", "lynx") else "business daily")


def test_load_accepts_a_collection_that_leaves_one_series(tmp_path: Path) -> None:
    single = load(DataSpec(source="m3", series=["N1"]))
    assert single.column == "N1" and single.series.iloc[0] == 940.66
    with pytest.raises(DataError, match=r"holds 3 series .*--series N1 \(data.series\)"):
        load(DataSpec(source="m3", series=["N1", "N2", "N3"]))
    with pytest.raises(DataError, match="column 'Volumes' not found"):  # today's messages
        load_collection(DataSpec(source="msft", column="Volumes"))


def test_hash_describe_and_summary(m3: Collection) -> None:
    part = load_collection(DataSpec(source="m3", series=["N1", "N2801"]))
    assert part.sha256() == load_collection(DataSpec(source="m3", series=["N1", "N2801"])).sha256()
    assert part.sha256() != load_collection(DataSpec(source="m3", series=["N2801", "N1"])).sha256()
    facts = part.describe()
    assert facts["n_series"] == 2 and facts["n_skipped"] == 0
    assert facts["first_date"] == "1975-01-01"
    assert facts["categories"] == {"MICRO": 1, "OTHER": 1} and facts["horizons"] == {6: 1, 18: 1}
    frame = part.summary_frame()
    assert frame["id"].tolist() == ["N1", "N2801"] and frame.loc[0, "min"] == 940.66
    assert list(frame.columns) == ["id", "frequency", "period", "periods", "mase_period",
                                   "horizon", "category", "n",
                                   "first_date", "last_date", "min", "mean", "max", "n_filled",
                                   "n_dropped"]
    with pytest.raises(KeyError, match="closest id is 'N1'"):
        part.get("N11")


# --- frequencies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("YS", "yearly"), ("YE", "yearly"), ("QS", "quarterly"), ("QE", "quarterly"),
     ("MS", "monthly"), ("ME", "monthly"), ("W", "weekly"), ("D", "daily"),
     ("B", "business daily"), ("h", "hourly"), ("30min", "half-hourly"), ("2h", "unknown"),
     ("2D", "unknown")],
)
def test_infer_frequency_on_date_ranges(freq: str, expected: str) -> None:
    dates = pd.date_range("1999-12-31", periods=40, freq=freq)
    assert infer_frequency(dates) == expected
    assert infer_frequency(dates[:2]) == "unknown"


def test_infer_frequency_on_builtin_series() -> None:
    assert infer_frequency(load(DataSpec(source="msft", last="all")).series.index) == \
        "business daily"
    assert infer_frequency(load(DataSpec(source="sunspots")).series.index) == "yearly"
    assert infer_frequency(load(DataSpec(source="lynx")).series.index) == "yearly"
    gappy = pd.date_range("2020-01-01", periods=30, freq="MS").delete([4, 9])
    assert infer_frequency(gappy) == "monthly"


def test_periods_and_pandas_aliases() -> None:
    # MASE's lag per frequency, as M4's: 1 for (business) daily and weekly, 24 for hourly
    assert [period_of(f) for f in ("yearly", "quarterly", "monthly", "weekly", "daily",
                                   "business daily", "other", "unknown", "hourly",
                                   "half-hourly")] == [1, 4, 12, 1, 1, 1, 1, 1, 24, 48]
    assert set(FREQUENCIES) == {"yearly", "quarterly", "monthly", "weekly", "daily",
                                "business daily", "other", "unknown", "hourly", "half-hourly"}
    assert [pandas_freq(f) for f in ("yearly", "quarterly", "monthly", "weekly", "daily",
                                     "business daily", "other", "unknown", "hourly",
                                     "half-hourly")] == [
        "YS", "QS", "MS", "W", "D", "B", None, None, "h", "30min"]
    with pytest.raises(ConfigError, match="unknown frequency"):
        period_of("minutely")
    assert np.isfinite(load_collection(DataSpec(source="m3:other")).items[0].series).all()


@pytest.mark.parametrize(
    ("dates", "frequency", "expected"),
    [
        (["2020-01-31", "2020-02-29", "2020-04-30"], "monthly", ["2020-03-31"]),
        (["2020-01-15", "2020-02-15", "2020-05-15"], "monthly", ["2020-03-15", "2020-04-15"]),
        (["2020-01-01", "2020-04-01", "2020-10-01"], "quarterly", ["2020-07-01"]),
        (["2001-01-01", "2003-01-01", "2004-01-01"], "yearly", ["2002-01-01"]),
        (["2020-01-05", "2020-01-12", "2020-01-26"], "weekly", ["2020-01-19"]),
        (["2020-01-01", "2020-01-02", "2020-01-05"], "daily", ["2020-01-03", "2020-01-04"]),
        (["2020-01-03", "2020-01-06", "2020-01-08"], "business daily", []),  # never gridded
        (["2020-01-01", "2020-01-20", "2020-03-01"], "monthly", []),  # two dates in January
        (["2020-01-01", "2020-02-20", "2020-04-01"], "monthly", []),  # no common day
        (["2020-01-01", "2020-02-01", "2020-03-01"], "monthly", []),
    ],
)
def test_missing_steps(dates: list[str], frequency: str, expected: list[str]) -> None:
    index = pd.DatetimeIndex(dates, name="date")
    assert missing_steps(index, frequency).strftime("%Y-%m-%d").tolist() == expected
