"""Seasonal periods from the data (benchmarks.data.periods): the candidates a frequency suggests,
kept where the series shows them; the --period / data.period options; where they are shown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import acf

from forecast_bench.benchmarks import own_data
from forecast_bench.benchmarks.cli import main
from forecast_bench.benchmarks.config import build_models, load_config
from forecast_bench.benchmarks.data import DataSpec
from forecast_bench.benchmarks.data.collection import load_collection
from forecast_bench.benchmarks.data.frequency import infer_frequency, missing_steps
from forecast_bench.benchmarks.data.periods import (
    autocorrelations,
    found_periods,
    parse_periods,
    shows_period,
)
from forecast_bench.benchmarks.run.steps import series_models
from forecast_bench.evaluation.run_folder.record import load_run
from forecast_bench.evaluation.scoring.collection_analysis import periods_text
from forecast_bench.models.errors import ConfigError

RNG_SEED = 7
WEEK = np.array([0.0, 0.4, 0.2, 0.6, 2.0, 4.0, 3.0])  # a shop's week: busy at the weekend


def hourly(weeks: int, weekly: float = 0.7, seed: int = RNG_SEED) -> np.ndarray:
    """A daily (amplitude 1) and weekly (`weekly`) sine on hourly steps, N(0, 0.5) noise."""
    t = np.arange(24 * 7 * weeks)
    noise = np.random.default_rng(seed).normal(0, 0.5, len(t))
    return 10 + np.sin(2 * np.pi * t / 24) + weekly * np.sin(2 * np.pi * t / 168) + noise


def test_acf_matches_statsmodels():
    y = np.cumsum(np.random.default_rng(1).normal(size=500))
    np.testing.assert_allclose(autocorrelations(y, 40), acf(y, nlags=40, fft=False)[1:],
                               atol=1e-10)


def test_known_seasonalities_are_found():
    assert found_periods(hourly(8), "hourly") == (24, 168)
    # a daily cycle only: 168 is not kept for its seven daily cycles
    assert found_periods(hourly(8, weekly=0.0), "hourly") == (24,)
    days = np.arange(400)
    noise = np.random.default_rng(RNG_SEED).normal(0, 1, len(days))
    assert found_periods(50 + WEEK[days % 7] + noise, "daily") == (7,)
    t = np.arange(48 * 7 * 8)
    half = (np.sin(2 * np.pi * t / 48) + 0.7 * np.sin(2 * np.pi * t / 336)
            + np.random.default_rng(RNG_SEED).normal(0, 0.5, len(t)))
    assert found_periods(half, "half-hourly") == (48, 336)
    months = np.arange(120)
    seasonal_walk = 5 * np.sin(2 * np.pi * months / 12) + np.cumsum(
        np.random.default_rng(RNG_SEED).normal(size=120))
    assert shows_period(seasonal_walk, 12) and shows_period(seasonal_walk[:72], 12)
    assert not shows_period(seasonal_walk[:48], 12)  # the strict limit: 4 cycles are too few
    # ... so monthly and quarterly data keep their period untested, as M3 and M4 give it
    assert found_periods(seasonal_walk[:48], "monthly") == (12,)
    assert found_periods(np.arange(20.0), "quarterly") == (4,)


def test_white_noise_and_random_walks_show_none():
    rng = np.random.default_rng(RNG_SEED)
    for frequency, n in (("hourly", 2000), ("daily", 1200), ("half-hourly", 3000),
                         ("business daily", 1260)):
        assert found_periods(rng.normal(size=n), frequency) == (), frequency
    # on its raw values the competitions' test finds every lag of a random walk seasonal
    walk = np.cumsum(rng.normal(size=1260))
    r = autocorrelations(walk, 5)
    assert r[-1] > 1.645 * np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / len(walk))
    assert found_periods(walk, "business daily") == ()
    assert found_periods(rng.normal(size=100), "yearly") == ()  # no candidates


def test_too_short_for_three_cycles():
    y = hourly(8)
    assert shows_period(y, 168) and not shows_period(y[: 3 * 168 - 1], 168)
    assert shows_period(y[:200], 24) and not shows_period(y[:71], 24)


def test_hourly_dates_are_inferred_and_gridded():
    dates = pd.date_range("2024-03-01", periods=50, freq="h")
    assert infer_frequency(dates) == "hourly"
    assert infer_frequency(pd.date_range("2024-03-01", periods=50, freq="30min")) == "half-hourly"
    gappy = dates.delete([5, 6])
    assert missing_steps(gappy, "hourly").tolist() == [dates[5], dates[6]]


def test_period_options_parse_and_fail_in_one_line(capsys):
    assert parse_periods("24,168", "--period") == (24, 168)
    assert parse_periods([7, 365.25], "data.period") == (7, 365.25)
    assert parse_periods(1, "data.period") == ()
    assert DataSpec(period=[24, 168]).period == (24, 168) and DataSpec(period=12).period == 12
    for bad in (0, "x", [24, 24], [], True, "nan"):
        with pytest.raises(ConfigError, match=r"data\.period takes seasonal periods"):
            DataSpec(period=bad)
    for bad in ("24,x", "0", "24,,168"):
        with pytest.raises(SystemExit) as exit_status:  # argparse's exit, with its status
            main(["run", "--data", "msft", "--period", bad])
        assert exit_status.value.code == 2
        err = capsys.readouterr().err
        assert "--period takes seasonal periods" in err and len(err.strip().splitlines()) == 1


def write_long(path, frequency: str, n: int, values) -> None:
    dates = pd.date_range("2023-01-02", periods=n, freq=frequency).strftime("%Y-%m-%d %H:%M")
    rows = [f"{sid},{d},{v:.4f}" for sid, ys in values.items()
            for d, v in zip(dates, ys, strict=True)]
    path.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")


def test_hourly_file_gets_both_periods_and_the_data_command_shows_them(tmp_path, capsys):
    path = tmp_path / "load.csv"
    write_long(path, "h", 24 * 7 * 8, {"a": hourly(8), "b": hourly(8, seed=3)})
    found = load_collection(DataSpec(source=f"long:{path}"))
    assert [(s.frequency, s.periods, s.period, s.mase_period) for s in found] == [
        ("hourly", (24, 168), 24, 24)] * 2
    assert main(["data", f"long:{path}"]) == 0
    out = capsys.readouterr().out
    assert "seasonal_periods  24 168: 2" in out and "mase_periods      24: 2" in out
    one = tmp_path / "one.csv"
    one.write_text("date,load\n" + "\n".join(
        f"{d:%Y-%m-%d %H:%M},{v:.4f}" for d, v in zip(
            pd.date_range("2023-01-02", periods=24 * 7 * 8, freq="h"), hourly(8), strict=True)))
    assert main(["data", f"csv:{one}"]) == 0
    rows = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines()
                if len(line.split(None, 1)) == 2)
    assert rows["seasonal_periods"].strip() == "24 168" and rows["seasonal_period"] == "24"
    # the defaults line before a run, and the override
    line = own_data.configure(f"csv:{one}", {}, {}, ["naive"], None, None, None)[1]
    assert "seasonal periods 24 168 (hourly)" in line
    line = own_data.configure(f"csv:{one}", {"period": 24}, {}, ["naive"], None, None, None)[1]
    assert "seasonal period 24 (hourly)" in line


def test_a_daily_run_records_and_reports_its_periods(tmp_path, capsys):
    days = np.arange(140)
    rng = np.random.default_rng(RNG_SEED)
    path = tmp_path / "sales.csv"
    write_long(path, "D", len(days), {sid: 50 + WEEK[days % 7] + rng.normal(0, 0.5, len(days))
                                      for sid in ("s1", "s2", "s3")})
    out = tmp_path / "results"
    assert main(["run", "--data", f"long:{path}", "--models", "naive,seasonal_naive",
                 "--levels", "none", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.replace("\n  ", " ")
    assert "seasonal period 7 on every series (MASE's scale: lag 1 on every series)" in printed
    [run_dir] = [p for p in out.iterdir() if not p.name.startswith(".")]
    info = pd.read_csv(run_dir / "series_info.csv")
    assert info.periods.tolist() == [7] * 3 and info.mase_period.tolist() == [1] * 3
    folds = pd.read_csv(run_dir / "folds.csv")
    assert (folds.mase_period == 1).all() and (folds.periods == 7).all()
    # seasonal naive used 7: each forecast is the value a week before its target
    values = pd.read_csv(run_dir / "series.csv")
    y = values[values.series == "s1"].value.to_numpy()
    fc = pd.read_csv(run_dir / "forecasts.csv")
    mine = fc[(fc.series == "s1") & (fc.model == "seasonal_naive")].sort_values("step")
    origin = len(y) - len(mine)
    np.testing.assert_allclose(mine.y_pred, y[origin - 7 + np.arange(len(mine)) % 7])
    said = "seasonal period 7 on every series (MASE's scale: lag 1 on every series)"
    assert said in (run_dir / "summary.md").read_text(encoding="utf-8")
    record = load_run(run_dir)
    assert periods_text(record.info) == said
    # an older run folder, without the periods and mase_period columns, still reads
    info.drop(columns=["periods", "mase_period"]).to_csv(run_dir / "series_info.csv",
                                                          index=False)
    assert periods_text(load_run(run_dir).info) == "seasonal period 7 on every series"


def test_models_get_every_period_and_m3_keeps_its_own():
    found = load_collection(DataSpec(source="m3", series=["N1402", "N700", "N1"]))
    assert [(s.periods, s.period, s.mase_period) for s in found] == [
        ((12,), 12, 12), ((4,), 4, 4), ((), 1, 1)]
    prototypes = build_models(load_config(own_data.default_config("m3")))
    models = series_models(prototypes, found.items[0])
    assert all(model.params().get("period") in (None, 12) for model in models.values())
    assert periods_text(pd.DataFrame({"periods": ["24 168", "24 168", np.nan], "period": [
        24, 24, 1], "mase_period": [24, 24, 24]})) == (
        "seasonal periods 24 168 on 2 series, none on 1 series (MASE's scale: lag 24 on every"
        " series)")
