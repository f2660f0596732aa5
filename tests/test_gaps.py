"""Nothing silent: a single CSV is put on its regular date grid, every value filled or dropped
is counted and shown, and a filled value is never scored as an actual."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench import models
from forecast_bench.benchmarks.cli import main
from forecast_bench.benchmarks.data import DataSpec, load
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import SeriesPlan, run_plans
from forecast_bench.models.errors import DataError

QUICK = ["--levels", "none", "--quiet", "--folds", "1", "--horizon", "1"]


def run(capsys, tmp_path: Path, *args: str) -> tuple[int, str, str, Path | None]:
    """main(['run', ...]) in-process: exit status, stdout (wrapped lines joined), stderr and
    the run folder."""
    out = tmp_path / "results"
    code = main(["run", *args, "--out", str(out)])
    captured = capsys.readouterr()
    folders = sorted(p for p in out.iterdir() if not p.name.startswith(".")) if out.exists() else []
    return code, captured.out.replace("\n  ", " "), captured.err, (folders[-1] if folders else None)


def monthly(n: int, seed: int = 0) -> tuple[pd.DatetimeIndex, np.ndarray]:
    dates = pd.date_range("2018-01-01", periods=n, freq="MS")
    return dates, np.round(100 + np.random.default_rng(seed).normal(0, 10, n), 3)


def long_file(path: Path, series: dict[str, tuple[pd.DatetimeIndex, np.ndarray]]) -> str:
    rows = ["unique_id,ds,y"] + [
        f"{uid},{date.date()},{'' if np.isnan(value) else value}"
        for uid, (dates, values) in series.items() for date, value in zip(dates, values,
                                                                          strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return f"long:{path}"


# --- a single CSV on its regular grid ------------------------------------------------------------


def test_a_monthly_csv_with_two_months_deleted_gets_them_back(capsys, tmp_path: Path) -> None:
    dates, values = monthly(48)
    hole = dates.isin(pd.to_datetime(["2021-02-01", "2021-03-01"]))
    by_date = dict(zip(dates, values, strict=True))
    path = tmp_path / "sales.csv"
    path.write_text("date,sales\n" + "".join(
        f"{d.date()},{v}\n" for d, v in zip(dates[~hole], values[~hole], strict=True)))
    dataset = load(DataSpec(source=f"csv:{path}"))
    assert len(dataset.series) == 48 and dataset.n_filled == 2
    assert dataset.filled is not None and dataset.filled[hole].all() and dataset.filled.sum() == 2
    assert any("inserted 2 missing monthly dates" in note for note in dataset.notes)

    code, out, err, run_dir = run(capsys, tmp_path, "--data", f"csv:{path}", "--models",
                                  "seasonal_naive", "--test-size", "6", *QUICK)
    assert code == 0, err
    assert "Data: filled 2 values, not scored where they are test targets." in out
    forecasts = pd.read_csv(run_dir / "forecasts.csv", parse_dates=["target"])
    forecasts = forecasts[forecasts.model == "seasonal_naive"]
    assert len(forecasts) == 6
    for row in forecasts.itertuples():  # the value 12 months before, by date (not by row)
        assert row.y_pred == by_date[row.target - pd.DateOffset(months=12)]
        assert row.y_true == by_date[row.target]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["data"]["n_filled"] == 2 and manifest["data"]["n_dropped"] == 0
    assert "filled 2 values" in (run_dir / "summary.md").read_text()
    assert "filled 2 values" in (run_dir / "report.html").read_text()


def test_a_daily_csv_with_a_30_day_hole_is_not_run_silently(tmp_path: Path) -> None:
    dates = pd.date_range("2020-01-01", periods=120, freq="D")
    kept = dates[(dates < "2020-02-10") | (dates >= "2020-03-11")]
    path = tmp_path / "daily.csv"
    path.write_text("date,value\n" + "".join(f"{d.date()},{i % 7 + i / 10}\n"
                                             for i, d in enumerate(kept)))
    with pytest.raises(DataError, match=r"skips 30 consecutive daily dates \(first 2020-02-10.*"
                                        r"data\.max_gap = 5\)"):
        load(DataSpec(source=f"csv:{path}"))
    filled = load(DataSpec(source=f"csv:{path}", max_gap=30))
    assert len(filled.series) == 120 and filled.n_filled == 30


def test_leading_missing_values_are_counted_as_dropped(tmp_path: Path) -> None:
    path = tmp_path / "lead.csv"
    path.write_text("date,value\n2020-01-01,\n2020-01-02,\n" + "".join(
        f"2020-01-{day:02d},{day * 1.5}\n" for day in range(3, 20)))
    dataset = load(DataSpec(source=f"csv:{path}"))
    assert dataset.n_dropped == 2 and dataset.describe()["n_dropped"] == 2
    assert len(dataset.series) == 17 and dataset.n_filled == 0 and dataset.filled is None


# --- filled values are never scored --------------------------------------------------------------


def test_filled_test_targets_are_not_scored(capsys, tmp_path: Path) -> None:
    dates, values = monthly(30, seed=1)
    raw = values.copy()
    raw[-2:] = np.nan  # the last two targets: carried forward, never observed
    source = long_file(tmp_path / "long.csv", {"A": (dates, raw)})
    code, out, err, run_dir = run(capsys, tmp_path, "--data", source, "--models", "naive",
                                  "--test-size", "6", "--protocol", "rolling", *QUICK)
    assert code == 0, err
    assert "Data: filled 2 values, not scored where they are test targets." in out
    forecasts = pd.read_csv(run_dir / "forecasts.csv", parse_dates=["target"])
    forecasts = forecasts[forecasts.model == "naive"]
    assert forecasts.target.max() == dates[-3] and len(forecasts) == 4
    targets = np.arange(24, 28)  # observed test positions; naive forecasts the value before
    rmse = np.sqrt(np.mean((raw[targets] - raw[targets - 1]) ** 2))
    summary = pd.read_csv(run_dir / "summary.csv").set_index("model")
    assert summary.loc["naive", "rmse"] == pytest.approx(rmse, rel=1e-9)
    assert not np.isnan(raw[targets]).any()


def test_the_harness_emits_no_row_whose_target_was_filled() -> None:
    series = pd.Series(np.arange(20.0) ** 1.5, index=pd.date_range("2020-01-01", periods=20))
    filled = np.zeros(20, bool)
    filled[[15, 19]] = True
    folds = WalkForward(test_size=6, folds=2, horizon=2).split(20)
    plan = SeriesPlan("s", series, folds, 2, {"naive": models.get("naive")}, (80.0,), True,
                      filled)
    result = run_plans([plan])
    for frame in (result.forecasts, result.one_step):
        kept = series.index.get_indexer(pd.DatetimeIndex(frame.target))
        assert not filled[kept].any()
        assert (frame.y_true.to_numpy() == series.to_numpy()[kept]).all()
    origins = [o for fold in folds for o in fold.origins]
    every = [(o, o + step) for o in origins for step in (0, 1) if o + step < 20]
    assert len(result.forecasts) == sum(not filled[t] for _, t in every)
    assert len(result.one_step) == 6 - 2
    frame = result.forecasts  # the bounds stay with their own rows: one width per fold and step
    assert (frame.y_pred == frame.y_origin).all()
    width = (frame.upper_80 - frame.y_pred).groupby([frame.fold, frame.step]).agg(["min", "max"])
    assert np.allclose(width["min"], width["max"]) and (width["min"] > 0).all()


def test_a_series_whose_test_part_is_mostly_filled_is_skipped(capsys, tmp_path: Path) -> None:
    dates, values = monthly(30, seed=2)
    gappy, leading = values.copy(), values.copy()
    gappy[-3:] = np.nan  # 3 of the 4 test values filled
    leading[:2] = np.nan  # dropped
    leading[10:12] = np.nan  # filled, in the training part
    source = long_file(tmp_path / "long.csv", {"A": (dates, values), "B": (dates, gappy),
                                               "C": (dates, leading)})
    code, out, err, run_dir = run(capsys, tmp_path, "--data", source, "--models", "naive",
                                  "--test-size", "4", "--protocol", "rolling", *QUICK)
    assert code == 0, err
    skipped = pd.read_csv(run_dir / "skipped.csv")
    assert skipped.series.tolist() == ["B"]
    assert "3 of its 4 test values were filled" in skipped.reason[0]
    assert set(pd.read_csv(run_dir / "forecasts.csv").series) == {"A", "C"}
    info = pd.read_csv(run_dir / "series_info.csv").set_index("id")
    assert info.n_filled.to_dict() == {"A": 0, "B": 3, "C": 2}
    assert info.n_dropped.to_dict() == {"A": 0, "B": 0, "C": 2}
    data = json.loads((run_dir / "manifest.json").read_text())["data"]
    assert (data["n_filled"], data["n_dropped"], data["n_series_filled"]) == (5, 2, 2)
    assert data["filled_or_dropped"] == {"B": {"n_filled": 3, "n_dropped": 0},
                                         "C": {"n_filled": 2, "n_dropped": 2}}
    line = ("Data: filled 5 values in 2 series (series_info.csv), not scored where they are"
            " test targets; dropped 2 missing values at series ends.")
    assert line in out
    assert line in (run_dir / "summary.md").read_text()
    assert line in (run_dir / "report.html").read_text()


def test_a_single_series_whose_test_part_is_mostly_filled_fails(capsys, tmp_path) -> None:
    dates, values = monthly(30, seed=3)
    values[-3:] = np.nan
    source = long_file(tmp_path / "long.csv", {"A": (dates, values)})
    code, _, err, run_dir = run(capsys, tmp_path, "--data", source, "--models", "naive",
                                "--test-size", "4", "--protocol", "rolling", *QUICK)
    assert code == 2 and run_dir is None
    assert "series 'A': 3 of its 4 test values were filled" in err and "--test-size" in err


# --- long files: errors that name the real problem and the option ------------------------------


def test_a_one_row_long_file_names_its_length_and_the_horizon_option(capsys, tmp_path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("unique_id,ds,y\nA,2020-01-01,1\n")
    code, _, err, _ = run(capsys, tmp_path, "--data", f"long:{path}", "--models", "naive",
                          "--quiet")
    assert code == 2
    assert "series 'A' has only 1 value, too few to tell its frequency" in err
    assert "--horizon N (split.horizon)" in err and "needs a dataset" not in err


def test_a_long_file_without_y_says_which_column_it_used(capsys, tmp_path) -> None:
    dates, values = monthly(60, seed=4)
    path = tmp_path / "sales.csv"
    path.write_text("unique_id,ds,sales\n" + "".join(
        f"{uid},{d.date()},{v + k}\n" for k, uid in enumerate("AB")
        for d, v in zip(dates, values, strict=True)))
    code, out, err, _ = run(capsys, tmp_path, "--data", f"long:{path}", "--models", "naive",
                            "--quiet", "--levels", "none")
    assert code == 0, err
    assert "values from column 'sales' (the file has no column y; choose another with" in out


def test_a_missing_id_column_names_the_option_and_the_key(capsys, tmp_path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id,ds,y\nA,2020-01-01,1\nA,2020-02-01,2\n")
    code, _, err, _ = run(capsys, tmp_path, "--data", f"long:{path}", "--quiet")
    assert code == 2 and "choose one with --id-column (data.id_column)" in err
