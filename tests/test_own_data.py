"""A new user's own data: defaults that follow the data, dates in every common form, European
files, configs that rerun from any folder, and readable `data` figures."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks import config, own_data
from forecast_bench.benchmarks.cli import main
from forecast_bench.benchmarks.data import DataSpec, load
from forecast_bench.benchmarks.data.collection import load_collection
from forecast_bench.models.errors import ConfigError, DataError

QUICK = ["--models", "naive,ses", "--levels", "none", "--quiet"]


def values(n: int, seed: int = 0) -> np.ndarray:
    return np.round(100 + np.cumsum(np.random.default_rng(seed).normal(0.1, 1.0, n)), 4)


def write_csv(path: Path, dates: list[str], column: str = "Close", date_name: str = "Date",
              n_seed: int = 0, sep: str = ",", decimal: str = ".", season: float = 0.0) -> Path:
    """A random walk with drift, plus a yearly sine of amplitude `season` on monthly dates."""
    walk = values(len(dates), n_seed) + season * np.sin(np.arange(len(dates)) * np.pi / 6)
    cells = [f"{v:.4f}".replace(".", decimal) for v in walk]
    lines = [f"{date_name}{sep}{column}", *(f"{d}{sep}{v}" for d, v in zip(dates, cells,
                                                                           strict=True))]
    path.write_text("\n".join(lines) + "\n")
    return path


def months(n: int, fmt: str = "%Y-%m", start: str = "1949-01-01") -> list[str]:
    return list(pd.date_range(start, periods=n, freq="MS").strftime(fmt))


def run(capsys, tmp_path: Path, *args: str) -> tuple[int, str, str, Path | None]:
    """main(['run', ...]) in-process: exit status, stdout (lines wrapped at the terminal width
    joined again), stderr and the run folder."""
    out = tmp_path / "results"
    code = main(["run", *args, "--out", str(out)])
    captured = capsys.readouterr()
    folders = sorted(p for p in out.iterdir() if not p.name.startswith(".")) if out.exists() else []
    joined = captured.out.replace("\n  ", " ")
    return code, joined, captured.err, (folders[-1] if folders else None)


def test_test_size_rule():
    assert own_data.test_size_for(1260, 1, 2) == (252, "20% of 1260")  # the MSFT benchmark's
    assert own_data.test_size_for(144, 12, 2)[0] == 24  # 28.8 -> two whole years
    assert own_data.test_size_for(40, 4, 2)[0] == 8
    assert own_data.test_size_for(30, 12, 2)[0] == 6  # 20% holds no whole season: 20%
    size, why = own_data.test_size_for(30, 1, 28)  # never more than the data can hold
    assert size == 2 and "28 training values" in why
    assert own_data.test_size_for(3, 1, 5)[0] == 1


# --- 1. defaults follow the data ---------------------------------------------------------------


def test_csv_run_keeps_every_row_and_sizes_the_test_to_it(capsys, tmp_path):
    dates = list(pd.bdate_range("2010-01-01", periods=2000).strftime("%Y-%m-%d"))
    path = write_csv(tmp_path / "prices.csv", dates)
    code, out, err, run_dir = run(capsys, tmp_path, "--data", f"csv:{path}", *QUICK)
    assert code == 0, err
    assert len(pd.read_csv(run_dir / "series.csv")) == 2000  # not MSFT's last 1260
    assert pd.read_csv(run_dir / "folds.csv").n_test.sum() == 400  # 20%, not MSFT's 252
    assert "-prices-" in run_dir.name  # not msft_daily
    [line] = [text for text in out.splitlines() if text.startswith("defaults from the data")]
    for words in ("all 2000 rows", "column 'Close'", "test size 400", "run name 'prices'"):
        assert words in line, line


def test_the_only_value_column_of_a_monthly_file(capsys, tmp_path):
    path = write_csv(tmp_path / "air.csv", months(144), column="Passengers", date_name="Month",
                     season=10.0)
    code, out, err, run_dir = run(capsys, tmp_path, "--data", f"csv:{path}", *QUICK)
    assert code == 0, err  # was: column 'Close' not found, and Month not found as a date
    assert "column 'Passengers'" in out and "test size 24" in out and "whole seasons" in out
    assert "seasonal period 12 (monthly)" in out  # in the defaults line
    for shown in ("summary.md", "report.html"):  # the headline's split sentence
        assert "seasonal period 12 (the seasonal models" in (
            run_dir / shown).read_text(encoding="utf-8")
    folds = pd.read_csv(run_dir / "folds.csv")
    assert folds.n_test.sum() == 24 and len(folds) == 4
    saved = tomllib.loads((run_dir / "config.toml").read_text())
    assert saved["name"] == "air" and saved["split"]["test_size"] == 24
    assert "last" not in saved["data"] and "column" not in saved["data"]


def test_options_and_own_configs_take_precedence(capsys, tmp_path):
    path = write_csv(tmp_path / "air.csv", months(144), column="Passengers", date_name="Month")
    code, out, err, run_dir = run(capsys, tmp_path, "--data", f"csv:{path}", "--last", "100",
                                  "--test-size", "10", "--folds", "2", *QUICK)
    assert code == 0, err
    assert "100 rows" in out and "all 100" not in out and "test size 10," in out
    assert len(pd.read_csv(run_dir / "series.csv")) == 100
    assert pd.read_csv(run_dir / "folds.csv").n_test.tolist() == [5, 5]
    own = tmp_path / "mine.toml"
    own.write_text('name = "mine"\n[data]\nsource = "csv:air.csv"\n[split]\ntest_size = 30\n'
                   "folds = 3\n[models.naive]\n")
    code, out, err, run_dir = run(capsys, tmp_path, str(own), "--levels", "none", "--quiet")
    assert code == 0, err
    assert "defaults from the data" not in out and "-mine-" in run_dir.name
    assert pd.read_csv(run_dir / "folds.csv").n_test.sum() == 30


def test_a_builtin_dataset_other_than_msft_gets_its_own_defaults(capsys, tmp_path):
    code, out, err, run_dir = run(capsys, tmp_path, "--data", "lynx", *QUICK)
    assert code == 0, err  # was: column 'Close' not found in lynx
    assert "column 'lynx'" in out and "all 114 rows" in out and "test size 23" in out
    assert "-lynx-" in run_dir.name


def test_a_long_file_says_what_it_chose(capsys, tmp_path):
    dates = months(40)
    rows = [f"{uid},{d},{v}" for uid in ("a", "b") for d, v in zip(dates, values(40), strict=True)]
    path = tmp_path / "sales.csv"
    path.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    cfg, line = own_data.configure(f"long:{path}", {}, {}, ["naive"], None, None, None)
    assert cfg.name == "sales" and cfg.split.protocol == "fixed"
    assert "2 series" in line and "18 (monthly)" in line and "run name 'sales'" in line
    # monthly data keep 12 untested (40 months are too few for the test), MASE's lag too
    assert "seasonal period 12 on every series (monthly)" in line


def data_rows(capsys) -> dict[str, str]:
    """`data`'s printed rows: name -> value (rows without a value left out)."""
    lines = capsys.readouterr().out.splitlines()
    return dict(line.split(None, 1) for line in lines if len(line.split(None, 1)) == 2)


def test_data_shows_the_seasonal_period(capsys, tmp_path):
    path = write_csv(tmp_path / "air.csv", months(144), column="Passengers", date_name="Month",
                     season=10.0)
    assert main(["data", f"csv:{path}"]) == 0
    rows = data_rows(capsys)
    assert rows["frequency"].strip() == "monthly" and rows["seasonal_period"].strip() == "12"
    assert rows["seasonal_periods"].strip() == "12" and rows["mase_period"].strip() == "12"
    lines = [f"{uid},{d},{v}" for uid in "ab" for d, v in zip(months(40), values(40), strict=True)]
    (tmp_path / "long.csv").write_text("unique_id,ds,y\n" + "\n".join(lines) + "\n")
    assert main(["data", f"long:{tmp_path / 'long.csv'}"]) == 0
    rows = data_rows(capsys)
    assert rows["seasonal_periods"].strip() == "12: 2"  # monthly: 12, untested
    assert rows["mase_periods"].strip() == "12: 2"


# --- 2. dates ----------------------------------------------------------------------------------


def test_day_first_dates_are_detected_and_said(capsys, tmp_path):
    dates = list(pd.date_range("2020-01-01", periods=60).strftime("%d/%m/%Y"))
    path = write_csv(tmp_path / "eu.csv", dates)
    data = load(DataSpec(source=f"csv:{path}"))
    assert data.series.index[31] == pd.Timestamp("2020-02-01")  # 01/02/2020: 1 February
    assert any("day-first" in note for note in data.notes)
    line = own_data.configure(f"csv:{path}", {}, {}, ["naive"], None, None, None)[1]
    assert "read day-first" in line


def test_ambiguous_dates_are_an_error_naming_both_options(capsys, tmp_path):
    dates = ["01/02/2020", "02/02/2020", "03/02/2020", "04/02/2020", "05/02/2020"]
    path = write_csv(tmp_path / "amb.csv", dates)
    code, _, err, _ = run(capsys, tmp_path, "--data", f"csv:{path}", *QUICK)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "ambiguous" in err and "--dayfirst" in err and "--date-format" in err
    assert "line 2" in err and str(path) in err
    first = load(DataSpec(source=f"csv:{path}", dayfirst=True)).series.index
    assert first[0] == pd.Timestamp("2020-02-01")
    given = load(DataSpec(source=f"csv:{path}", date_format="%m/%d/%Y")).series.index
    assert given[0] == pd.Timestamp("2020-01-02")
    assert load(DataSpec(source=f"csv:{path}", dayfirst=False)).series.index[1].day == 2
    raw = {"data": {"source": f"csv:{path}", "dayfirst": True}}
    assert load(config.from_dict(raw).data).series.index[0].month == 2


def test_mixed_day_orders_name_both_lines(tmp_path):
    path = write_csv(tmp_path / "mixed.csv", ["31/01/2020", "01/31/2020"])
    with pytest.raises(DataError, match=r"mix day-first \(line 2.*month-first \(line 3"):
        load(DataSpec(source=f"csv:{path}"))


@pytest.mark.parametrize(("cells", "name", "first", "second"), [
    (["1949-01", "1949-02", "1949-03"], "Month", "1949-01-01", "1949-02-01"),
    (["1949/01", "1949/02", "1949/03"], "month", "1949-01-01", "1949-02-01"),
    (["Jan 1949", "Feb 1949", "Mar 1949"], "PERIOD", "1949-01-01", "1949-02-01"),
    (["1990Q1", "1990Q2", "1990Q3"], "Quarter", "1990-01-01", "1990-04-01"),
    (["1990-Q1", "1990-Q2", "1990-Q3"], "ds", "1990-01-01", "1990-04-01"),
    (["2020/12/30", "2020/12/31", "2021/01/01"], "when", "2020-12-30", "2020-12-31"),
    (["31.12.2020", "01.01.2021", "02.01.2021"], "Datum", "2020-12-31", "2021-01-01"),
])
def test_date_forms_and_columns_found_by_name_or_content(tmp_path, cells, name, first, second):
    path = write_csv(tmp_path / "f.csv", cells, column="Sales", date_name=name)
    index = load(DataSpec(source=f"csv:{path}")).series.index
    assert index[0] == pd.Timestamp(first) and index[1] == pd.Timestamp(second)


def test_several_date_columns_by_content_ask_for_one(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("start,stop,v\n2020-01-01,2020-01-02,1\n2020-01-02,2020-01-03,2\n")
    with pytest.raises(DataError, match=r"several columns .* hold dates \(start, stop\).*"
                                        "--date-column"):
        load(DataSpec(source=f"csv:{path}"))


def test_data_command_takes_the_date_options(capsys, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Stamp;Count;Note\n01.02.2020;1,5;x\n02.02.2020;2,25;y\n03.02.2020;3;z\n")
    code = main(["data", f"csv:{path}", "--date-column", "Stamp", "--column", "Count",
                 "--date-format", "%d.%m.%Y", "--sep", ";", "--decimal", ","])
    out = capsys.readouterr().out
    assert code == 0 and "2020-02-01" in out and "2.25" in out
    assert main(["data", f"csv:{path}", "--column", "Count", "--dayfirst"]) == 0
    assert "2020-02-03" in capsys.readouterr().out


# --- 3. European files -------------------------------------------------------------------------


def test_semicolons_and_decimal_commas_load_without_options(tmp_path):
    dates = list(pd.date_range("2020-01-01", periods=40).strftime("%d.%m.%Y"))
    path = write_csv(tmp_path / "de.csv", dates, column="Wert", date_name="Datum", sep=";",
                     decimal=",")
    data = load(DataSpec(source=f"csv:{path}"))
    assert data.column == "Wert" and len(data.series) == 40
    assert data.series.to_numpy() == pytest.approx(values(40))
    thousands = tmp_path / "k.csv"
    thousands.write_text('Date;"Umsatz"\n2020-01-01;1.234,5\n2020-01-02;-2,5\n')
    assert list(load(DataSpec(source=f"csv:{thousands}")).series) == [1234.5, -2.5]
    plain = tmp_path / "p.csv"
    plain.write_text("Date;Close\n2020-01-01;1.5\n2020-01-02;2.5\n")
    assert list(load(DataSpec(source=f"csv:{plain}")).series) == [1.5, 2.5]


def test_separator_and_decimal_errors_name_the_fix(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('Date,Close\n2020-01-01,"1,5"\n2020-01-02,"2,5"\n')
    with pytest.raises(DataError, match=r"'1,5' in column 'Close' of .*quoted.csv at line 2; "
                                        r"it has a decimal comma: add --decimal ','"):
        load(DataSpec(source=f"csv:{path}"))
    messy = tmp_path / "messy.csv"
    messy.write_text("Date,Price;EUR\n2020-01-01;3,5\n")
    with pytest.raises(DataError, match=r"header line of .*messy.csv has both ',' and ';'.*"
                                        r"--sep ';' or --sep ','"):
        load(DataSpec(source=f"csv:{messy}"))
    assert list(load(DataSpec(source=f"csv:{messy}", sep=";", date_column="Date,Price",
                              column="EUR", decimal=",")).series) == [3.5]
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("Date;Close\n2020-01-01;1;2;3\n")
    with pytest.raises(DataError, match=r"line 2 of .*ragged.csv has more fields than its "
                                        r"header \(separator ';'\).*--sep"):
        load(DataSpec(source=f"csv:{ragged}"))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dayfirst": "yes"}, "data.dayfirst must be true or false"),
    ({"date_format": "YYYY-MM"}, "strptime format"),
    ({"sep": ";;"}, "one character"),
    ({"decimal": "·"}, "'.' or ','"),
    ({"decimal": ","}, "both ','"),
    ({"source": "msft", "sep": ";"}, "data.sep only applies"),
])
def test_reading_options_are_checked(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        DataSpec(**{"source": "csv:x.csv", **kwargs})


# --- 4. configs rerun from anywhere --------------------------------------------------------------


def test_config_paths_are_relative_to_the_config_and_saved_absolute(capsys, tmp_path,
                                                                    monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    write_csv(project / "air.csv", months(60), column="Passengers", date_name="Month")
    (project / "air.toml").write_text('[data]\nsource = "csv:air.csv"\n[split]\ntest_size = 12\n'
                                      "folds = 2\n[models.naive]\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = config.load_config(Path("../project/air.toml"))
    assert cfg.data.source == f"csv:{project / 'air.csv'}"
    code, _, err, run_dir = run(capsys, elsewhere, "../project/air.toml", "--levels", "none",
                                "--quiet")
    assert code == 0, err
    saved = tomllib.loads((run_dir / "config.toml").read_text())
    assert saved["data"]["source"] == f"csv:{project / 'air.csv'}"
    monkeypatch.chdir(tmp_path)
    code, _, err, again = run(capsys, tmp_path, str(run_dir / "config.toml"), "--quiet")
    assert code == 0, err
    assert (pd.read_csv(again / "forecasts.csv").y_pred.tolist()
            == pd.read_csv(run_dir / "forecasts.csv").y_pred.tolist())


def test_a_relative_csv_option_is_saved_absolute(capsys, tmp_path, monkeypatch):
    write_csv(tmp_path / "air.csv", months(60), column="Passengers", date_name="Month")
    monkeypatch.chdir(tmp_path)
    code, _, err, run_dir = run(capsys, tmp_path, "--data", "csv:air.csv", *QUICK)
    assert code == 0, err
    saved = tomllib.loads((run_dir / "config.toml").read_text())
    assert saved["data"]["source"] == f"csv:{(tmp_path / 'air.csv').resolve()}"


# --- 5. readable figures -------------------------------------------------------------------------


def test_data_prints_about_four_significant_digits(capsys, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Date,Close\n2020-01-01,77.11603934426802\n2020-01-02,1.5\n"
                    "2020-01-03,19396301\n")
    assert main(["data", f"csv:{path}"]) == 0
    out = capsys.readouterr().out
    rows = dict(line.split(None, 1) for line in out.splitlines() if " " in line.strip())
    assert rows["min"].strip() == "1.5" and rows["max"].strip() == "19396301"
    assert rows["mean"].strip() == "6465460"
    assert "77.116039" not in out


def test_collections_read_the_options_too(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("Datum;A;B\n31.01.2020;1,5;2\n29.02.2020;2,5;3\n31.03.2020;3;4\n")
    found = load_collection(DataSpec(source=f"wide:{path}"))
    assert found.ids() == ["A", "B"] and list(found.get("A").series) == [1.5, 2.5, 3.0]
    assert any("day-first" in note for note in found.get("A").notes)
