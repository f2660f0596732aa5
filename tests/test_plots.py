"""Figures are valid PNGs; panels, RMSE titles and moving averages match independent numbers."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from forecast_bench.evaluation.reporting import plots
from forecast_bench.models.errors import DataError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def random_walk(n: int = 300, seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(100 + np.cumsum(rng.normal(0, 1, n)),
                     index=pd.bdate_range("2021-06-01", periods=n), name="Close")


def forecasts(models: list[str], folds: int = 3, per_fold: int = 20, seed: int = 0):
    """A harness-style long table: one-step forecasts, plus two-step rows to be ignored."""
    series = random_walk()
    rng = np.random.default_rng(seed)
    start = len(series) - folds * per_fold
    rows = []
    for k, model in enumerate(models):
        for fold in range(folds):
            for origin in range(start + fold * per_fold, start + (fold + 1) * per_fold):
                for step in (1, 2):
                    target = origin + step - 1
                    if target >= start + (fold + 1) * per_fold:
                        continue
                    rows.append({
                        "model": model, "fold": fold, "origin": series.index[origin - 1],
                        "target": series.index[target], "step": step,
                        "y_origin": series.iloc[origin - 1], "y_true": series.iloc[target],
                        "y_pred": series.iloc[origin - 1] + rng.normal(0, 0.5 + k)})
    return pd.DataFrame(rows)


def assert_png(path: Path, min_side: int = 100) -> None:
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > min_side and image.shape[1] > min_side


def no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_plot_eda_writes_four_pngs(tmp_path):
    out = tmp_path / "eda"  # created on demand
    paths = plots.plot_eda(random_walk(), out, name="MSFT Close")
    names = ["eda_price.png", "eda_moving_averages.png", "eda_returns.png", "eda_boxplots.png"]
    assert paths == [out / n for n in names]
    for path in paths:
        assert_png(path)
    assert mpimg.imread(paths[0]).shape[:2] == (round(4.5 * plots.DPI), 10 * plots.DPI)
    assert no_temporary_files(out)
    assert not plt.get_fignums()  # every figure was closed


def test_plot_eda_needs_dates(tmp_path):
    with pytest.raises(DataError, match="DatetimeIndex"):
        plots.plot_eda(pd.Series(np.arange(50.0)), tmp_path)


def test_moving_averages_are_trailing():
    series = random_walk()
    ma = plots.moving_averages(series)
    assert list(ma.columns) == ["MA7", "MA50"]
    assert ma["MA7"].iloc[:6].isna().all() and ma["MA7"].iloc[6:].notna().all()
    assert ma["MA50"].iloc[:49].isna().all() and not np.isnan(ma["MA50"].iloc[49])
    pd.testing.assert_series_equal(ma["MA7"], series.rolling(7).mean(), check_names=False)
    values = series.to_numpy()
    by_hand = [values[i - 6:i + 1].mean() for i in range(6, len(values))]  # ends at i: trailing
    np.testing.assert_allclose(ma["MA7"].to_numpy()[6:], by_hand, rtol=1e-12)


def test_moving_average_figure_draws_the_trailing_means():
    series = random_walk()
    fig = plots._moving_averages_figure(series, "Close", "business daily")
    try:
        lines = {line.get_label(): np.asarray(line.get_ydata(), dtype=float)
                 for line in fig.axes[0].get_lines()}
    finally:
        plt.close(fig)
    ma7 = next(v for k, v in lines.items() if k.startswith("MA7"))
    ma50 = next(v for k, v in lines.items() if k.startswith("MA50"))
    np.testing.assert_allclose(ma7, series.rolling(7).mean().to_numpy())
    np.testing.assert_allclose(ma50, series.rolling(50).mean().to_numpy())


def test_monthly_series_get_monthly_windows_and_words():
    series = pd.Series(np.arange(1.0, 61.0), index=pd.date_range("2010-01-01", periods=60,
                                                                 freq="MS"))
    fig = plots._moving_averages_figure(series, "sales", "monthly")
    try:
        labels = [line.get_label() for line in fig.axes[0].get_lines()]
        title = fig.axes[0].get_title()
    finally:
        plt.close(fig)
    assert labels[1:] == ["MA3 (trailing 3-month mean)", "MA12 (trailing 12-month mean)"]
    assert title == "sales with 3- and 12-month moving averages"
    assert plots.daily_changes(series, "month")[1] == "Month-on-month returns"


def test_daily_changes_are_returns_in_percent_or_differences_after_a_zero():
    series = random_walk()
    values = series.to_numpy()
    returns, title, unit = plots.daily_changes(series)
    assert np.isnan(returns.iloc[0]) and (title, unit) == ("Daily returns", "return (%)")
    np.testing.assert_allclose(returns.to_numpy()[1:], (values[1:] / values[:-1] - 1) * 100,
                               rtol=1e-12)
    series.iloc[10] = 0.0  # a return after it would be infinite (sunspots have zero years)
    changes, title, unit = plots.daily_changes(series)
    assert (title, unit) == ("Daily changes", "change")
    np.testing.assert_allclose(changes.to_numpy()[1:], np.diff(series.to_numpy()), rtol=1e-12)


def test_eda_of_a_series_with_zeros_plots_changes(tmp_path):
    series = random_walk()
    series.iloc[::40] = 0.0
    paths = plots.plot_eda(series, tmp_path, name="count")
    assert [p.name for p in paths] == ["eda_price.png", "eda_moving_averages.png",
                                       "eda_returns.png", "eda_boxplots.png"]
    assert all(p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("models", [["naive"], ["naive", "drift", "arima"]])
def test_actual_vs_predicted_panels_and_rmse(models):
    table = forecasts(models)
    fig = plots._actual_vs_predicted_figure(table, "MSFT", step=1)
    try:
        assert len(fig.axes) == 1 + len(models)
        top, *panels = fig.axes
        assert len(top.get_lines()) == 1 + len(models) + 3  # actual, models, 3 fold markers
        actual = top.get_lines()[0]
        drawn = [line for line in top.get_lines() if line.get_label() in models]
        assert len(drawn) == len(models) and actual.get_label() == "actual"
        assert actual.get_linewidth() < 1  # thin, beneath every model
        assert all(actual.get_zorder() < line.get_zorder() for line in drawn)
        for ax, model in zip(panels, models, strict=True):
            title = ax.get_title()
            assert title.startswith(f"{model}:")
            shown = float(re.search(r"RMSE ([0-9.]+)", title).group(1))
            mine = table[(table.model == model) & (table.step == 1)]
            expected = np.sqrt(np.mean((mine.y_true.to_numpy() - mine.y_pred.to_numpy()) ** 2))
            assert shown == pytest.approx(expected, abs=5e-5)
            assert len(ax.get_lines()) == 2 + 3  # actual, the model, 3 fold markers
            np.testing.assert_array_equal(ax.get_lines()[-1].get_ydata(), mine.y_pred)
    finally:
        plt.close(fig)


def test_actual_vs_predicted_marks_fold_starts():
    table = forecasts(["naive"])
    fig = plots._actual_vs_predicted_figure(table, "x")
    try:
        markers = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == ":"]
        drawn = sorted(plots.mdates.date2num(line.get_xdata()[0]) for line in markers)
    finally:
        plt.close(fig)
    starts = table[table.step == 1].groupby("fold")["target"].min()
    expected = sorted(plots.mdates.date2num(starts.to_numpy()))
    np.testing.assert_allclose(drawn, expected)


def test_plot_actual_vs_predicted_writes_png_for_one_and_six_models(tmp_path):
    one = plots.plot_actual_vs_predicted(forecasts(["naive"]), tmp_path / "one.png", "one")
    six_models = ["naive", "drift", "seasonal_naive", "arima", "lstm", "hybrid"]
    csv = tmp_path / "forecasts.csv"
    forecasts(six_models).to_csv(csv, index=False)  # dates come back as strings
    six = plots.plot_actual_vs_predicted(pd.read_csv(csv), tmp_path / "six.png", "six", step=2)
    assert (one, six) == (tmp_path / "one.png", tmp_path / "six.png")
    assert_png(one)
    assert_png(six)
    assert mpimg.imread(six).shape[0] > mpimg.imread(one).shape[0]
    assert no_temporary_files(tmp_path)
    assert not plt.get_fignums()


def test_actual_vs_predicted_rejects_missing_step(tmp_path):
    with pytest.raises(DataError, match=r"step == 5; steps present: \[1, 2\]"):
        plots.plot_actual_vs_predicted(forecasts(["naive"]), tmp_path / "x.png", "x", step=5)
    assert not (tmp_path / "x.png").exists()


def test_training_curves(tmp_path):
    histories = {
        "lstm": [{"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]},
                 {"loss": [0.9, 0.4], "val_loss": [1.0, 0.8]}],
        "lstm_small": [{"loss": [2.0, 1.0, 0.8, 0.7]}],
        "empty": [],
    }
    fig = plots._training_curves_figure(histories)
    try:
        assert len(fig.axes) == 2  # the empty label gets no panel
        lstm = fig.axes[0]
        styles = [(line.get_linestyle(), list(line.get_ydata())) for line in lstm.get_lines()]
        assert styles == [("-", [1.0, 0.5, 0.3]), ("--", [1.1, 0.7, 0.6]),
                          ("-", [0.9, 0.4]), ("--", [1.0, 0.8])]
        assert list(lstm.get_lines()[0].get_xdata()) == [1, 2, 3]  # epochs count from 1
    finally:
        plt.close(fig)
    path = plots.plot_training_curves(histories, tmp_path / "curves.png")
    assert path == tmp_path / "curves.png"
    assert_png(path)


@pytest.mark.parametrize("histories", [{}, {"lstm": []}, {"lstm": [{"loss": []}, {}]}])
def test_training_curves_none_when_nothing_to_plot(tmp_path, histories):
    assert plots.plot_training_curves(histories, tmp_path / "curves.png") is None
    assert not (tmp_path / "curves.png").exists()
    assert not plt.get_fignums()
