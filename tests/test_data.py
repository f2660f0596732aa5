"""Tests for benchmarks.data: built-in datasets, CSV loading, cleaning and one-line errors."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from forecast_bench.benchmarks.data import DATASETS, DataSpec, load
from forecast_bench.models.errors import ConfigError, DataError

YAHOO_HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"


def write(tmp_path: Path, text: str, name: str = "prices.csv") -> str:
    """Write ``text`` to a CSV file and return the matching ``csv:`` source."""
    path = tmp_path / name
    path.write_text(text)
    return f"csv:{path}"


def simple(rows: list[str], header: str = "Date,Close") -> str:
    return "\n".join([header, *rows]) + "\n"


def days(values: list[str], start: str = "2020-01-01") -> list[str]:
    """Rows 'date,value' on consecutive calendar days."""
    dates = pd.date_range(start, periods=len(values), freq="D")
    return [f"{d.date()},{v}" for d, v in zip(dates, values, strict=True)]


def load_error(source: str, **kwargs: object) -> str:
    with pytest.raises(DataError) as info:
        load(DataSpec(source=source, **kwargs))
    message = str(info.value)
    assert "\n" not in message
    return message


# --- built-in datasets -------------------------------------------------------------------------


def test_datasets_lists_builtins() -> None:
    assert set(DATASETS) == {"msft", "sunspots", "lynx", "taylor"}


def test_msft_default_is_last_five_years_of_close() -> None:
    from pmdarima.datasets import load_msft

    data = load(DataSpec())
    series = data.series
    assert len(series) == 1260
    assert series.name == "Close" and data.column == "Close" and data.source == "msft"
    assert series.index.name == "date"
    assert series.index[-1] == pd.Timestamp("2017-11-10")
    assert series.iloc[-1] == load_msft()["Close"].iloc[-1] == 83.87
    assert series.dtype == "float64"
    assert series.index.is_monotonic_increasing and series.index.is_unique
    assert data.n_filled == 0 and data.notes == ()


def test_msft_all_and_other_column() -> None:
    data = load(DataSpec(last="all"))
    assert len(data.series) == 7983
    assert data.series.index[0] == pd.Timestamp("1986-03-13")
    volume = load(DataSpec(column="Volume", last=3))
    assert volume.series.name == "Volume"
    assert volume.series.iloc[-1] == 19396301.0


def test_msft_start_end_filter_is_inclusive() -> None:
    data = load(DataSpec(start="2017-01-03", end="2017-01-06", last="all"))
    assert list(data.series.index.strftime("%Y-%m-%d")) == [
        "2017-01-03",
        "2017-01-04",
        "2017-01-05",
        "2017-01-06",
    ]
    # start/end apply before `last`; fewer rows than the default last=1260 is noted.
    year = load(DataSpec(start="2010", end="2010-12-31"))
    assert len(year.series) == 252
    assert year.series.index[0] == pd.Timestamp("2010-01-04")
    assert any("only 252 observations" in note for note in year.notes)
    tail = load(DataSpec(end="2010-12-31", last=5))
    assert len(tail.series) == 5 and tail.series.index[-1] == pd.Timestamp("2010-12-31")


def test_sunspots() -> None:
    data = load(DataSpec(source="sunspots"))
    assert len(data.series) == 309
    assert data.series.name == "SUNACTIVITY"
    assert data.series.index[0] == pd.Timestamp("1700-01-01")
    assert data.series.index[-1] == pd.Timestamp("2008-01-01")
    assert data.series.iloc[0] == 5.0


def test_lynx() -> None:
    data = load(DataSpec(source="lynx"))
    assert len(data.series) == 114
    assert data.series.name == "lynx"
    assert data.series.index[0] == pd.Timestamp("1821-01-01")
    assert data.series.iloc[0] == 269.0


def test_builtin_column_not_found_suggests_closest() -> None:
    message = load_error("msft", column="Adj Close")
    assert "column 'Adj Close' not found in msft" in message
    assert "did you mean 'Close'?" in message


def test_start_end_leaving_no_data() -> None:
    message = load_error("msft", start="2030-01-01")
    assert "2030-01-01" in message and "1986-03-13 .. 2017-11-10" in message


# --- DataSpec validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"fill": "zero"}, "data.fill must be one of ffill, interpolate, none; got 'zero'"),
        ({"max_gap": -1}, "data.max_gap"),
        ({"last": 0}, "data.last"),
        ({"last": "some"}, "data.last"),
        ({"last": True}, "data.last"),
        ({"start": "yesterday-ish"}, "data.start"),
        ({"end": "2020-13-45"}, "data.end"),
        ({"start": "2020-01-01", "end": "2019-01-01"}, "swap"),
        ({"source": "msfy"}, "did you mean 'msft'?"),
        ({"source": "sunspot"}, "did you mean 'sunspots'?"),
        ({"source": "prices.csv"}, "csv:PATH"),
        ({"source": "msft", "date_column": "Date"}, "data.date_column"),
    ],
)
def test_spec_validation(kwargs: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        DataSpec(**kwargs)  # type: ignore[arg-type]
    assert expected in str(info.value)


def test_spec_accepts_valid_values() -> None:
    spec = DataSpec(source="csv:x.csv", last="all", fill="none", max_gap=0, start="2020")
    assert spec.last == "all" and spec.max_gap == 0


# --- CSV files ---------------------------------------------------------------------------------


def test_yahoo_csv_fills_null_close(tmp_path: Path) -> None:
    rows = [
        "2020-01-02,10,11,9,10.5,10.4,100",
        "2020-01-03,10,11,9,null,null,null",
        "2020-01-06,10,11,9,11.25,11.1,120",
        "2020-01-07,10,11,9,11.5,11.4,130",
    ]
    source = write(tmp_path, simple(rows, YAHOO_HEADER))
    data = load(DataSpec(source=source))
    assert data.column == "Close" and data.series.name == "Close"
    assert data.source == f"csv:{(tmp_path / 'prices.csv').resolve()}"
    assert list(data.series) == [10.5, 10.5, 11.25, 11.5]
    assert data.series.index[1] == pd.Timestamp("2020-01-03")
    assert data.n_filled == 1
    assert data.notes == ("forward-filled 1 missing values in Close (first at line 3)",)
    adj = load(DataSpec(source=source, column="Adj Close", fill="interpolate"))
    assert adj.series.iloc[1] == pytest.approx((10.4 + 11.1) / 2)


def test_csv_single_value_column_and_date_detection(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["1", "2", "3"]), header="timestamp,price"))
    data = load(DataSpec(source=source))
    assert data.column == "price" and list(data.series) == [1.0, 2.0, 3.0]
    named = write(tmp_path, simple(days(["4", "5"]), header="when,price"), "named.csv")
    assert list(load(DataSpec(source=named, date_column="when")).series) == [4.0, 5.0]


def test_interpolate_is_linear_by_position(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["1", "", "", "4", "5"])))
    data = load(DataSpec(source=source, fill="interpolate"))
    assert list(data.series) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert data.n_filled == 2
    assert "linearly interpolated 2 missing values in Close (first at line 3)" in data.notes


def test_interpolate_drops_trailing_missing_values(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["1", "", "3", "", ""])))
    data = load(DataSpec(source=source, fill="interpolate"))
    assert list(data.series) == [1.0, 2.0, 3.0]
    assert data.notes[0] == "dropped 2 trailing missing values in Close (lines 5-6)"
    # ffill does fill a trailing run (from the last observation).
    assert list(load(DataSpec(source=source)).series) == [1.0, 1.0, 3.0, 3.0, 3.0]


def test_value_column_is_date_column(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["1"])))
    assert "is the date column" in load_error(source, column="Date")


def test_leading_missing_values_are_dropped(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["NA", "", "3", "4"])))
    data = load(DataSpec(source=source))
    assert list(data.series) == [3.0, 4.0]
    assert data.series.index[0] == pd.Timestamp("2020-01-03")
    assert data.n_filled == 0
    assert data.notes == ("dropped 2 leading missing values in Close (lines 2-3)",)


def test_last_keeps_final_rows_and_counts_only_their_fills(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["1", "", "3", "4", "5", "", "7"])))
    data = load(DataSpec(source=source, last=3))
    assert list(data.series) == [5.0, 5.0, 7.0]
    assert data.n_filled == 1
    assert data.notes == ("forward-filled 1 missing values in Close (first at line 7)",)


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    source = write(tmp_path, "Date,Close\n2020-01-01,1\n\n2020-01-03,x\n")
    assert "at line 4" in load_error(source)


# --- CSV errors (one test per case) ------------------------------------------------------------


def test_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    message = load_error(f"csv:{missing}")
    assert message == f"data file not found: {missing}; check the path after 'csv:'"


def test_path_is_directory(tmp_path: Path) -> None:
    assert "is a directory" in load_error(f"csv:{tmp_path}")


def test_empty_file(tmp_path: Path) -> None:
    assert "is empty" in load_error(write(tmp_path, ""))


def test_header_only(tmp_path: Path) -> None:
    assert "no data rows" in load_error(write(tmp_path, "Date,Close\n"))


def test_no_date_column(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "when,price\nsoon,1\n"))
    assert "no date column found" in message
    assert "when, price" in message and "--date-column" in message


def test_given_date_column_missing(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["1"]), header="Date,Close"))
    message = load_error(source, date_column="Dte")
    assert "column 'Dte' not found" in message and "did you mean 'Date'?" in message


def test_value_column_misspelled(tmp_path: Path) -> None:
    source = write(tmp_path, simple(["2020-01-02,1,1,1,1,1,1"], YAHOO_HEADER))
    message = load_error(source, column="Clsoe")
    assert message.startswith(f"column 'Clsoe' not found in {tmp_path / 'prices.csv'}; ")
    assert "did you mean 'Close'?" in message
    assert "(columns: Open, High, Low, Close, Adj Close, Volume)" in message


def test_value_column_ambiguous(tmp_path: Path) -> None:
    source = write(tmp_path, simple(["2020-01-02,1,2"], header="Date,a,b"))
    message = load_error(source)
    assert "several value columns" in message and "--column" in message


def test_unparseable_date(tmp_path: Path) -> None:
    source = write(tmp_path, simple(["2020-01-01,1", "2020-01-02,2", "2020-02-30,3"]))
    message = load_error(source)
    assert "'2020-02-30'" in message and "column 'Date'" in message and "line 4" in message


def test_missing_date(tmp_path: Path) -> None:
    source = write(tmp_path, simple(["2020-01-01,1", ",2"]))
    assert "at line 3" in load_error(source)


def test_duplicate_dates(tmp_path: Path) -> None:
    rows = ["2020-01-01,1", "2020-01-02,2", "2020-01-03,3", "2020-01-02,4"]
    message = load_error(write(tmp_path, simple(rows)))
    assert "duplicate date 2020-01-02" in message and "lines 3 and 5" in message


def test_unsorted_dates_are_an_error(tmp_path: Path) -> None:
    rows = ["2020-01-01,1", "2020-01-02,2", "2020-01-04,3", "2020-01-05,4", "2020-01-06,5"]
    rows.append("2020-01-03,6")
    path = tmp_path / "prices.csv"
    message = load_error(write(tmp_path, simple(rows)))
    assert message == (
        f"dates in {path} are not in increasing order: line 7 (2020-01-03) comes after "
        "line 6 (2020-01-06); sort the file by date"
    )


def test_non_numeric_value(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, simple(days(["1", "2", "abc"]))))
    assert "'abc'" in message and "column 'Close'" in message and "line 4" in message


def test_infinite_value(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, simple(days(["1", "inf", "3"]))))
    assert "infinite value 'inf'" in message and "line 3" in message


def test_all_values_missing(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, simple(days(["", "NaN", "null"]))))
    assert "column 'Close'" in message and "no values" in message


def test_fill_none_rejects_missing(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, simple(days(["1", "2", "N/A", "4"]))), fill="none")
    assert "line 4" in message and "data.fill = 'ffill'" in message


def test_gap_longer_than_max_gap(tmp_path: Path) -> None:
    values = ["1", "", "", "", "5", "6"]
    source = write(tmp_path, simple(days(values)))
    message = load_error(source, max_gap=2)
    assert "3 consecutive missing values" in message and "line 3" in message
    assert "data.max_gap" in message
    assert list(load(DataSpec(source=source, max_gap=3)).series) == [1, 1, 1, 1, 5, 6]


def test_csv_start_end(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["1", "2", "3", "4", "5"])))
    data = load(DataSpec(source=source, start="2020-01-02", end="2020-01-04"))
    assert list(data.series) == [2.0, 3.0, 4.0]
    message = load_error(source, start="2021-01-01")
    assert "2021-01-01" in message and "2020-01-01 .. 2020-01-05" in message


# --- provenance --------------------------------------------------------------------------------


def test_sha256_is_stable_and_sensitive(tmp_path: Path) -> None:
    first = write(tmp_path, simple(days(["1", "2", "3"])), "a.csv")
    second = write(tmp_path, simple(days(["1", "2", "3.0000001"])), "b.csv")
    digest = load(DataSpec(source=first)).sha256()
    assert len(digest) == 64
    assert digest == load(DataSpec(source=first)).sha256()
    assert digest != load(DataSpec(source=second)).sha256()
    assert load(DataSpec()).sha256() == load(DataSpec()).sha256()


def test_describe(tmp_path: Path) -> None:
    source = write(tmp_path, simple(days(["2", "", "8"])))
    summary = load(DataSpec(source=source)).describe()
    assert set(summary) == {
        "source",
        "column",
        "n",
        "first_date",
        "last_date",
        "min",
        "max",
        "mean",
        "n_filled",
        "n_dropped",
        "notes",
    }
    assert summary["n"] == 3 and summary["n_filled"] == 1
    assert summary["first_date"] == "2020-01-01" and summary["last_date"] == "2020-01-03"
    assert summary["min"] == 2.0 and summary["max"] == 8.0
    assert math.isclose(summary["mean"], 4.0)  # type: ignore[arg-type]
    assert summary["notes"] == ["forward-filled 1 missing values in Close (first at line 3)"]


def test_log10_transform_and_its_errors(tmp_path):
    lynx = load(DataSpec(source="lynx", transform="log10"))
    assert lynx.series.iloc[0] == pytest.approx(math.log10(269.0), rel=1e-12)
    assert any("log10" in note for note in lynx.notes)
    path = tmp_path / "zero.csv"
    path.write_text("Date,Close\n2020-01-01,1\n2020-01-02,0\n")
    with pytest.raises(DataError, match=r"needs positive values.*2020-01-02"):
        load(DataSpec(source=f"csv:{path}", transform="log"))
    with pytest.raises(ConfigError, match=r"data\.transform"):
        DataSpec(transform="sqrt")
