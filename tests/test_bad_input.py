"""Bad input through the CLI, as users meet it: exit 2, one line on stderr that names the
problem and the fix, no traceback, and every earlier result untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import random_walk
from tests.test_cli import cli, digests

GOOD = random_walk(260, seed=9)


def csv_text(values=None, dates=None, column: str = "Close", date_name: str = "Date") -> str:
    values = GOOD.to_numpy() if values is None else values
    dates = GOOD.index.strftime("%Y-%m-%d").tolist()[: len(values)] if dates is None else dates
    return pd.DataFrame({date_name: dates, column: values}).to_csv(index=False)


def with_cells(rows: dict[int, str]) -> str:
    """The good CSV with some Close cells replaced (0-based data rows)."""
    cells = [repr(float(v)) for v in GOOD.to_numpy()]
    for row, text in rows.items():
        cells[row] = text
    return csv_text(cells)


FILES = {
    "empty.csv": "",
    "header_only.csv": "Date,Close\n",
    "no_date.csv": csv_text(dates=list(range(len(GOOD))), date_name="Index"),
    "non_numeric.csv": with_cells({17: "12,5x"}),
    "bad_date.csv": csv_text(dates=[*GOOD.index.strftime("%Y-%m-%d")[:40], "2020-13-45",
                                    *GOOD.index.strftime("%Y-%m-%d")[41:]]),
    "duplicate_dates.csv": csv_text(dates=[*GOOD.index.strftime("%Y-%m-%d")[:30],
                                           GOOD.index[29].strftime("%Y-%m-%d"),
                                           *GOOD.index.strftime("%Y-%m-%d")[31:]]),
    "unsorted.csv": csv_text(dates=[*GOOD.index.strftime("%Y-%m-%d")[:50][::-1],
                                    *GOOD.index.strftime("%Y-%m-%d")[50:]]),
    "all_nan.csv": csv_text([""] * len(GOOD)),
    "nan_run.csv": with_cells(dict.fromkeys(range(100, 120), "")),
    "short.csv": csv_text(GOOD.to_numpy()[:25]),
    "constant.csv": csv_text(np.full(len(GOOD), 42.0)),
    "negative.csv": csv_text(np.r_[GOOD.to_numpy()[:-5], [-1.0] * 5]),
    "not_toml.toml": "this is = = not toml",
    "unknown_key.toml": "[split]\nfoldz = 3\n",
    "wrong_type.toml": '[split]\nfolds = "four"\n',
    "zero_size.toml": "[split]\ntest_size = 0\n",
    "negative_size.toml": "[split]\nfolds = -2\n",
    "unknown_model.toml": "[models.lstmm]\n",
    "bad_param.toml": "[models.lstm]\nlook_back = 0\n",
    "a_file": "x",
    "long_short.csv": "unique_id,ds,y\na,2020-01-01,1\na,2020-02-01,2\nb,2020-01-01,3\n"
                      "b,2020-02-01,5\n",
}


def cases(tmp: Path) -> list[tuple[list[str], str]]:
    data = ["run", "--data", f"csv:{tmp / 'good.csv'}"]
    quick = ["--test-size", "40", "--folds", "2", "--models", "naive"]
    return [
        (["run", "--data", "csv:missing.csv"], "data file not found: missing.csv"),
        (["run", "--data", f"csv:{tmp / 'empty.csv'}"], "is empty"),
        (["run", "--data", f"csv:{tmp / 'header_only.csv'}"], "has a header but no data rows"),
        (["run", "--data", f"csv:{tmp / 'no_date.csv'}"], "no date column found"),
        ([*data, "--column", "Clsoe"], "did you mean 'Close'"),
        (["run", "--data", f"csv:{tmp / 'non_numeric.csv'}"], "line 19"),
        (["run", "--data", f"csv:{tmp / 'bad_date.csv'}"], "2020-13-45"),
        (["run", "--data", f"csv:{tmp / 'duplicate_dates.csv'}"], "duplicate date"),
        (["run", "--data", f"csv:{tmp / 'unsorted.csv'}"], "not in increasing order"),
        (["run", "--data", f"csv:{tmp / 'all_nan.csv'}"], "no values"),
        (["run", "--data", f"csv:{tmp / 'nan_run.csv'}"], "max_gap"),
        (["run", "--data", f"csv:{tmp / 'short.csv'}", *quick], "the series has 25 values"),
        ([*data, "--test-size", "40", "--folds", "40", "--horizon", "5"], "horizon"),
        (["run", "--data", f"csv:{tmp / 'constant.csv'}", *quick], "constant"),
        (["run", str(tmp / "log.toml")], "log"),
        (["run", str(tmp / "not_toml.toml")], "not valid TOML"),
        (["run", str(tmp / "unknown_key.toml")], "did you mean 'folds'"),
        (["run", str(tmp / "wrong_type.toml")], "folds"),
        (["run", str(tmp / "zero_size.toml")], "test_size"),
        (["run", str(tmp / "negative_size.toml")], "folds"),
        (["run", str(tmp / "unknown_model.toml")], "did you mean 'lstm'"),
        (["run", str(tmp / "bad_param.toml")], "look_back"),
        ([*data, *quick, "--out", str(tmp / "a_file")], "is a file"),
        ([*data, *quick, "--out", "/proc/forecast-bench-results"], "cannot create a run folder"),
        ([*data, "--jobs", "0"], "--jobs"),
        ([*data, "--models", "arimma"], "did you mean 'arima'"),
        ([*data, "--window", "wide"], "--window"),
        ([*data, "--test-size", "5000"], "lower split.test_size"),
        ([*data, "--horizon", "0"], "horizon"),
        (["run", "--data", "nasdaq"], "not a known dataset"),
        (["run", "--data", f"long:{tmp / 'good.csv'}"], "unique_id"),
        (["run", "--data", f"long:{tmp / 'long_short.csv'}", "--horizon", "6"],
         "no series of"),
        (["run", "--data", "m3:weekly"], "not a known dataset"),
        (["run", "--data", "m3:monthly", "--series", "N1402,N99999"], "N99999"),
        (["run", "--data", "m3", "--category", "MACROO"], "MACROO"),
        (["run", "--data", "m3:yearly", "--reference", "nope"], "reference 'nope'"),
        (["run", "--data", "m3:yearly", "--protocol", "random"], "--protocol"),
        (["run", "--data", "m3:yearly", "--horizon", "soon"], "--horizon"),
        (["frobnicate"], "invalid choice"),
        (["table", str(tmp / "no_run")], "is not a folder"),
        (["report", str(tmp)], "lacks config.toml"),
        (["compare", str(tmp), str(tmp / "no_run")], "lacks config.toml"),
    ]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("bad")
    for name, text in FILES.items():
        (tmp / name).write_text(text)
    (tmp / "good.csv").write_text(csv_text())
    (tmp / "log.toml").write_text(f'[data]\nsource = "csv:{tmp / "negative.csv"}"\n'
                                  'transform = "log"\n')
    done = cli("run", "--data", f"csv:{tmp / 'good.csv'}", "--test-size", "40", "--folds", "2",
               "--models", "naive,drift", "--out", str(tmp / "results"), "--quiet", cwd=tmp)
    assert done.returncode == 0, done.stderr
    return tmp


def test_there_are_at_least_twenty_cases(workdir):
    assert len(cases(workdir)) >= 20


@pytest.mark.parametrize("index", range(len(cases(Path("unused")))))
def test_bad_input_exits_2_with_one_line(workdir, index):
    args, message = cases(workdir)[index]
    before = digests(workdir / "results")
    folders = sorted((workdir / "results").iterdir())
    done = cli(*args, cwd=workdir)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, (args, done.stderr)
    assert len(lines) == 1 and "Traceback" not in done.stderr, (args, done.stderr)
    assert message in lines[0], (args, lines[0])
    assert digests(workdir / "results") == before  # every earlier result untouched
    assert sorted((workdir / "results").iterdir()) == folders  # and no new run folder
