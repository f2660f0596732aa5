"""High-frequency data: Taylor's half-hourly demand (dates, the paper's split), the per-step MAPE
table, the reports of sub-daily runs (a one-week window, errors by hour of day and day of week),
and low-frequency reports left as they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.data import load
from forecast_bench.benchmarks.data.spec import DataSpec
from forecast_bench.benchmarks.run import runner
from forecast_bench.benchmarks.run.outputs import calendar_plots
from forecast_bench.evaluation.reporting import windows
from forecast_bench.evaluation.reporting.calendar_plots import errors_by
from forecast_bench.evaluation.run_folder.record import load_run
from forecast_bench.evaluation.scoring import metrics

from .test_report import Page

ROOT = Path(__file__).resolve().parents[1]
TAYLOR_CONFIG = ROOT / "benchmarks" / "configs" / "taylor.toml"
EXAMPLE = ROOT / "results" / "example"


def test_taylor_has_its_dates_and_starts_on_a_monday():
    """4032 half-hours from Monday 2000-06-05 00:00 (pmdarima's and R's documentation); the
    data agree: the 6th and 7th day of each week (Saturday, Sunday) have the lowest demand."""
    series = load(DataSpec(source="taylor")).series
    assert len(series) == 4032 and series.name == "demand"
    assert series.index[0] == pd.Timestamp("2000-06-05 00:00") and series.index[0].day_of_week == 0
    assert series.index[-1] == pd.Timestamp("2000-08-27 23:30")
    assert (np.diff(series.index.to_numpy()) == np.timedelta64(30, "m")).all()
    assert series.iloc[:3].tolist() == [22262.0, 21756.0, 22247.0]  # pmdarima's docstring
    day_of_week = np.arange(len(series)) // 48 % 7  # 0 = the first day, counted from the data
    means = pd.Series(series.to_numpy()).groupby(day_of_week).mean()
    assert set(means.nsmallest(2).index) == {5, 6}


def test_taylor_config_gives_the_papers_origins():
    """Fit once on the first 8 weeks, forecast 1..48 half-hours from each midnight of the last
    4 weeks: 28 origins, 31 July .. 27 August 2000."""
    cfg = config.load_config(TAYLOR_CONFIG)
    series = load(cfg.data).series
    folds = cfg.split.split(len(series))
    assert len(folds) == 1
    (fold,) = folds
    assert (fold.train_start, fold.train_end, fold.test_end) == (0, 8 * 336, 12 * 336)
    assert fold.origins == tuple(range(2688, 4032 - 47, 48)) and len(fold.origins) == 28
    first_targets = series.index[list(fold.origins)]
    assert (first_targets.hour == 0).all() and (first_targets.minute == 0).all()
    assert first_targets[0] == pd.Timestamp("2000-07-31") and first_targets[0].day_of_week == 0
    assert first_targets[-1] == pd.Timestamp("2000-08-27")
    assert cfg.split.horizon == 48
    assert "arima" not in {entry.model for entry in cfg.models}


def _forecasts(rng: np.random.Generator) -> pd.DataFrame:
    targets = pd.date_range("2024-01-01", periods=24 * 9, freq="h")
    rows = [pd.DataFrame({"model": model, "target": targets,
                          "y_true": rng.normal(100, 5, len(targets)),
                          "y_pred": rng.normal(100, 5, len(targets))}) for model in ("b", "a")]
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("key", ["hour", "weekday"])
def test_errors_by_hour_and_weekday_are_a_groupby(key):
    forecasts = _forecasts(np.random.default_rng(3))
    table = errors_by(forecasts, key)
    by_hand = forecasts.assign(err=(forecasts.y_true - forecasts.y_pred).abs())
    stamps = by_hand.target.dt
    by_hand[key] = stamps.hour if key == "hour" else stamps.day_of_week
    expected = by_hand.groupby(["model", key])["err"].mean()
    assert list(dict.fromkeys(table.model)) == ["b", "a"]  # first-seen order
    assert len(table) == len(expected) == 2 * (24 if key == "hour" else 7)
    for row in table.itertuples():
        assert row.mae == pytest.approx(expected[(row.model, getattr(row, key))], rel=1e-12)
    assert table.n.sum() == len(forecasts)


def test_window_is_the_last_week_for_sub_daily_data_only():
    forecasts = _forecasts(np.random.default_rng(0))
    hourly = pd.DatetimeIndex(forecasts.target.unique())
    assert windows.is_sub_daily(hourly)
    start = windows.shown_window(forecasts, True)
    # targets to 2024-01-09 23:00: the 7 days shown are 3..9 January, 168 hours
    assert start == pd.Timestamp("2024-01-03 00:00")
    assert (forecasts.target >= start).sum() == 2 * 168
    assert "the last week of the test" in windows.window_note(start, forecasts)
    assert windows.calendar_keys(hourly, "unknown") == ("hour", "weekday")
    daily = pd.date_range("2024-01-01", periods=30, freq="D")
    assert not windows.is_sub_daily(daily)
    assert windows.calendar_keys(daily, "daily") == ("weekday",)
    assert windows.calendar_keys(pd.bdate_range("2024-01-01", periods=30), "business daily") == ()
    assert windows.shown_window(forecasts.assign(target=forecasts.target.dt.normalize()),
                                False) is None  # a short test of daily data: all of it


@pytest.fixture(scope="module")
def hourly_run(tmp_path_factory) -> Path:
    """A tiny hourly series (10 days, a daily cycle), 2 days tested from 2 daily origins."""
    folder = tmp_path_factory.mktemp("hourly")
    dates = pd.date_range("2024-03-04", periods=240, freq="h")
    rng = np.random.default_rng(1)
    values = 50 + 10 * np.sin(2 * np.pi * dates.hour / 24) + rng.normal(0, 1, len(dates))
    path = folder / "hourly.csv"
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d %H:%M"), "load": values}).to_csv(path,
                                                                                   index=False)
    cfg = config.from_dict({
        "name": "hourly", "data": {"source": f"csv:{path}", "period": 24},
        "split": {"test_size": 48, "folds": 1, "horizon": 24, "step": 24},
        "models": {"naive": {}, "seasonal_naive": {}},
    })
    return runner.run(cfg, folder / "results").run_dir


def test_hourly_run_has_the_calendar_plots_and_the_mape_per_step(hourly_run):
    plots = {p.stem for p in (hourly_run / "plots").iterdir()}
    assert {"forecast_paths", "errors_by_hour", "errors_by_weekday"} <= plots
    page = Page((hourly_run / "report.html").read_text(encoding="utf-8"))
    assert {"mean absolute error by hour of day", "mean absolute error by day of week"} <= set(
        page.images)
    assert {"per-step", "per-step-mape"} <= set(page.sections)
    forecasts = pd.read_csv(hourly_run / "forecasts.csv")
    text = (hourly_run / "tables" / "steps_mape.md").read_text()
    for step in (1, 24):  # MAPE of step s, by hand, in the table
        part = forecasts[(forecasts.model == "seasonal_naive") & (forecasts.step == step)]
        mape = float(np.mean(np.abs((part.y_true - part.y_pred) / part.y_true)) * 100)
        assert f"{mape:.4f}" in text
        assert mape == pytest.approx(metrics.mape(part.y_true, part.y_pred), rel=1e-12)
    assert "## MAPE % per horizon step" in (hourly_run / "summary.md").read_text()


def test_low_frequency_example_is_left_as_it_was():
    """The committed example (business-daily MSFT, 252 one-step targets) triggers neither the
    window nor the calendar plots, and its report has none of the new images or sections."""
    record = load_run(EXAMPLE).one()
    dates = pd.DatetimeIndex(record.series.index)
    assert not windows.is_sub_daily(dates)
    assert windows.shown_window(record.forecasts, False) is None
    assert windows.calendar_keys(dates, "business daily") == ()
    assert calendar_plots(record.forecasts, (), Path("unused"), record.name) == {}
    page = Page((EXAMPLE / "report.html").read_text(encoding="utf-8"))
    assert not {"mean absolute error by hour of day", "mean absolute error by day of week"} & set(
        page.images)
    assert "per-step-mape" not in page.sections


def test_forecast_paths_show_only_the_last_week_of_sub_daily_data():
    """Nine daily origins of 24 hourly steps: the plot draws the 7 in the last week, and no
    actual value before it; the panel titles still score every forecast."""
    from forecast_bench.evaluation.reporting.path_plots import _forecast_paths_figure

    targets = pd.date_range("2024-01-01", periods=24 * 9, freq="h")
    forecasts = pd.DataFrame({
        "model": "m", "fold": 0, "origin": targets[::24].repeat(24) - pd.Timedelta(hours=1),
        "target": targets, "step": np.tile(np.arange(1, 25), 9), "y_origin": 1.0,
        "y_true": np.arange(len(targets), dtype=float), "y_pred": 0.0})
    start = windows.shown_window(forecasts, True)
    fig = _forecast_paths_figure(forecasts, "t", shown_from=start)
    top = fig.axes[0]
    assert "from 7 of 9 origins" in top.get_title() and "last week" in top.get_title()
    actual = top.get_lines()[0]  # drawn first, beneath the models
    assert pd.Timestamp(min(actual.get_xdata())) >= start - pd.Timedelta(hours=1)
    assert "all 216 forecasts" in fig.axes[1].get_title()


def test_run_data_taylor_is_the_papers_protocol_with_both_periods(tmp_path, capsys):
    """`run --data taylor` takes benchmarks/configs/taylor.toml: 28 daily origins, 1-48 steps,
    periods 48 and 336 found in the data, mstl and dhr beside seasonal naive."""
    from forecast_bench.benchmarks.cli import main

    code = main(["run", "--data", "taylor", "--models", "seasonal_naive,mstl,dhr",
                 "--out", str(tmp_path), "--quiet", "--no-cache"])
    assert code == 0, capsys.readouterr().err
    record = load_run(next(p for p in tmp_path.iterdir() if p.is_dir()))
    assert record.config["name"] == "taylor"
    forecasts = record.forecasts
    assert (forecasts.groupby("model").origin.nunique() == 28).all()
    assert forecasts.step.max() == 48
    assert set(forecasts.model) == {"naive", "seasonal_naive", "mstl", "dhr"}
    assert record.info.periods.iloc[0] == "48 336"
    status = record.status.set_index("model")
    assert (status.status == "ok").all()
    scores = forecasts.assign(e=(forecasts.y_true - forecasts.y_pred).abs()).groupby("model").e
    assert scores.mean()["mstl"] < scores.mean()["seasonal_naive"]  # the week helps
