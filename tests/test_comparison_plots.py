"""Comparison figures draw exactly the numbers computed here by hand, and write valid PNGs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from forecast_bench.evaluation.harness.splits import WalkForward, folds_frame
from forecast_bench.evaluation.reporting import comparison_plots as cp
from forecast_bench.evaluation.scoring.metrics import scores_by_fold
from forecast_bench.evaluation.scoring.significance import dm_matrix
from forecast_bench.models.errors import DataError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Two folds of one-step forecasts: fold 0 targets 2 Jan..5 Jan 2024, fold 1 targets 8..10 Jan.
TARGETS = {0: pd.bdate_range("2024-01-02", periods=4), 1: pd.bdate_range("2024-01-08", periods=3)}
Y_TRUE = [10.0, 11.0, 10.5, 12.0, 12.5, 12.0, 13.0]
PREDS = {"naive": [9.0, 10.0, 11.0, 10.5, 12.0, 12.5, 12.0],
         "a": [10.5, 10.0, 10.0, 12.5, 12.0, 12.5, 13.5],
         "b": [8.0, 11.5, 10.5, 11.0, 13.5, 12.0, 15.0]}


def assert_png(path: Path, min_side: int = 100) -> None:
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > min_side and image.shape[1] > min_side


def hand_forecasts(drop_last_b: bool = True) -> pd.DataFrame:
    """Models naive/a/b over two folds, rows shuffled; b has no forecast for the last target.

    Each origin also has a step-2 row with a wild prediction, which step=1 plots must ignore.
    """
    targets = [t for fold in (0, 1) for t in TARGETS[fold]]
    folds = [fold for fold in (0, 1) for _ in TARGETS[fold]]
    rows = []
    for model, preds in PREDS.items():
        for i, (fold, target) in enumerate(zip(folds, targets, strict=True)):
            if model == "b" and drop_last_b and i == len(targets) - 1:
                continue
            origin = target - pd.offsets.BDay(1)
            rows.append({"model": model, "fold": fold, "origin": origin, "target": target,
                         "step": 1, "y_origin": 0.0, "y_true": Y_TRUE[i], "y_pred": preds[i]})
            rows.append({"model": model, "fold": fold, "origin": origin,
                         "target": target + pd.offsets.BDay(1), "step": 2, "y_origin": 0.0,
                         "y_true": 0.0, "y_pred": 1000.0})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)


def model_lines(ax) -> dict[str, object]:
    return {line.get_label(): line for line in ax.get_lines()
            if not line.get_label().startswith("_")}


def test_cumulative_difference_draws_cumsum_of_squared_error_gaps():
    fig = cp._cumulative_loss_difference_figure(hand_forecasts(), reference="naive")
    try:
        ax = fig.axes[0]
        lines = model_lines(ax)
        dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        zero = [line for line in ax.get_lines() if list(line.get_ydata()) == [0, 0]]
        ylabel = ax.get_ylabel()
    finally:
        plt.close(fig)
    assert sorted(lines) == ["a", "b"]  # one line per model other than the reference
    all_targets = np.concatenate([TARGETS[0], TARGETS[1]])
    y, naive = np.array(Y_TRUE), np.array(PREDS["naive"])
    for model, keep in (("a", 7), ("b", 6)):  # b shares 6 rows with naive
        pred = np.array(PREDS[model])
        expected = np.cumsum(((y - naive) ** 2 - (y - pred) ** 2)[:keep])
        np.testing.assert_allclose(np.asarray(lines[model].get_ydata(), float), expected)
        np.testing.assert_array_equal(mdates.date2num(lines[model].get_xdata()),
                                      mdates.date2num(all_targets[:keep]))
    assert len(dashed) == 1  # one boundary between two folds, at fold 1's first target
    assert mdates.date2num(dashed[0].get_xdata()[0]) == mdates.date2num(TARGETS[1][0])
    assert len(zero) == 1
    assert "naive" in ylabel and "error^2" in ylabel


def test_cumulative_difference_values_by_hand():
    curves = cp.cumulative_loss_difference(hand_forecasts(drop_last_b=False), "naive")
    # a: gaps 1-0.25, 1-1, 0.25-0.25, 2.25-0.25, 0.25-0.25, 0.25-0.25, 1-0.25
    np.testing.assert_allclose(curves["a"].to_numpy(), [0.75, 0.75, 0.75, 2.75, 2.75, 2.75, 3.5])


def test_cumulative_difference_uses_only_rows_the_reference_has():
    table = hand_forecasts(drop_last_b=False)
    gap = (table.model == "naive") & (table.step == 1) & (table.target == TARGETS[0][1])
    curves = cp.cumulative_loss_difference(table[~gap], "naive")
    np.testing.assert_allclose(curves["a"].to_numpy(), [0.75, 0.75, 2.75, 2.75, 2.75, 3.5])
    assert TARGETS[0][1] not in curves["a"].index


def test_cumulative_difference_from_csv_strings_and_other_reference(tmp_path):
    csv = tmp_path / "forecasts.csv"
    hand_forecasts().to_csv(csv, index=False)  # dates come back as strings
    curves = cp.cumulative_loss_difference(pd.read_csv(csv), reference="a")
    assert sorted(curves) == ["b", "naive"]
    y, a, naive = np.array(Y_TRUE), np.array(PREDS["a"]), np.array(PREDS["naive"])
    expected = np.cumsum((y - a) ** 2 - (y - naive) ** 2)
    np.testing.assert_allclose(curves["naive"].to_numpy(), expected)


def test_cumulative_difference_missing_reference_or_step(tmp_path):
    table = hand_forecasts()
    with pytest.raises(DataError, match="'arima' not in the forecasts"):
        cp.plot_cumulative_loss_difference(table, tmp_path / "x.png", reference="arima")
    with pytest.raises(DataError, match=r"step == 3; steps present: \[1, 2\]"):
        cp.plot_cumulative_loss_difference(table, tmp_path / "x.png", step=3)
    with pytest.raises(DataError, match="y_pred"):
        cp.plot_cumulative_loss_difference(table.drop(columns="y_pred"), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_error_by_fold_draws_each_models_fold_rmse():
    by_fold = scores_by_fold(hand_forecasts()[lambda t: t.step == 1]).iloc[::-1]  # folds unsorted
    fig = cp._error_by_fold_figure(by_fold)
    try:
        ax = fig.axes[0]
        lines = model_lines(ax)
        ticks = ax.get_xticks()
        ylabel = ax.get_ylabel()
    finally:
        plt.close(fig)
    assert sorted(lines) == ["a", "b", "naive"]
    y = np.array(Y_TRUE)
    for model, preds in PREDS.items():
        err = y - np.array(preds)
        parts = (err[:4], err[4:6] if model == "b" else err[4:])
        expected = [np.sqrt(np.mean(part**2)) for part in parts]
        np.testing.assert_allclose(lines[model].get_ydata(), expected)
        assert list(lines[model].get_xdata()) == [0, 1]
        assert lines[model].get_marker() not in ("None", "", None)
    assert np.all(ticks == np.round(ticks))  # integer fold ticks only
    assert ylabel == "RMSE on the fold (each fold on its own)"


def test_error_by_fold_other_metric_and_missing_column(tmp_path):
    by_fold = pd.DataFrame({"model": ["x", "x"], "fold": [1, 0], "mae": [2.0, 1.0]})
    fig = cp._error_by_fold_figure(by_fold, metric="mae")
    try:
        assert list(fig.axes[0].get_lines()[0].get_ydata()) == [1.0, 2.0]
        assert fig.axes[0].get_ylabel().startswith("MAE")
    finally:
        plt.close(fig)
    with pytest.raises(DataError, match="rmse"):
        cp.plot_error_by_fold(by_fold, tmp_path / "x.png")


def test_format_pvalue():
    assert [cp.format_pvalue(p) for p in (np.nan, 0.0, 0.00099, 0.001, 0.0456, 1.0)] == [
        "-", "<0.001", "<0.001", "0.001", "0.046", "1.000"]


def test_dm_heatmap_cells_and_image():
    models = ["naive", "arima", "lstm"]
    values = np.array([[np.nan, 0.0004, 0.0312], [0.0004, np.nan, 0.5], [0.0312, 0.5, np.nan]])
    signs = np.array([[np.nan, 3.0, -2.0], [-3.0, np.nan, 0.5], [2.0, -0.5, np.nan]])
    fig = cp._dm_heatmap_figure(pd.DataFrame(values, index=models, columns=models),
                                pd.DataFrame(signs, index=models, columns=models))
    try:
        ax = fig.axes[0]
        texts = [t.get_text() for t in ax.texts]
        image = ax.get_images()[0].get_array()
        xlabels = [t.get_text() for t in ax.get_xticklabels()]
        ylabels = [t.get_text() for t in ax.get_yticklabels()]
        rotation = ax.get_xticklabels()[0].get_rotation()
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
    finally:
        plt.close(fig)
    assert texts == ["-", "<0.001", "0.031", "<0.001", "-", "0.500", "0.031", "0.500", "-"]
    for (i, j), p in np.ndenumerate(values):
        expected = cp.dm_cell_color(signs[i, j], p)
        np.testing.assert_allclose(image[i, j], to_rgb(expected))
    assert xlabels == models and ylabels == models and rotation > 0
    assert "row better, p < 0.05" in legend and "row worse, not significant" in legend


def test_dm_heatmap_one_model_and_bad_shape(tmp_path):
    one = pd.DataFrame([[np.nan]], index=["naive"], columns=["naive"])
    fig = cp._dm_heatmap_figure(one, one)
    try:
        assert [t.get_text() for t in fig.axes[0].texts] == ["-"]
    finally:
        plt.close(fig)
    wide = pd.DataFrame([[0.1, 0.2]], index=["a"], columns=["a", "b"])
    with pytest.raises(DataError, match="square"):
        cp.plot_dm_heatmap(wide, wide, tmp_path / "x.png")


FOLD_DATES = {"train_start": [dt.date(2020, 1, 1), dt.date(2020, 1, 1), dt.date(2020, 3, 2)],
              "train_end": [dt.date(2020, 6, 30), dt.date(2020, 7, 31), dt.date(2020, 8, 31)],
              "test_start": [dt.date(2020, 7, 1), dt.date(2020, 8, 3), dt.date(2020, 9, 1)],
              "test_end": [dt.date(2020, 7, 31), dt.date(2020, 8, 31), dt.date(2020, 9, 1)]}


def folds_table(kind: str, tmp_path: Path) -> pd.DataFrame:
    table = pd.DataFrame({"fold": [2, 0, 1]})  # out of order on purpose
    order = [2, 0, 1]
    for column, dates in FOLD_DATES.items():
        table[column] = [dates[k] for k in order]
    if kind == "timestamp":
        for column in FOLD_DATES:
            table[column] = pd.to_datetime(table[column])
    elif kind == "csv":
        table.to_csv(tmp_path / "folds.csv", index=False)
        table = pd.read_csv(tmp_path / "folds.csv")
        assert isinstance(table["train_start"].iloc[0], str)
    return table


@pytest.mark.parametrize("kind", ["date", "timestamp", "csv"])
def test_folds_timeline_bars(kind, tmp_path):
    fig = cp._folds_timeline_figure(folds_table(kind, tmp_path))
    try:
        ax = fig.axes[0]
        bars = {c.get_label(): list(c.patches) for c in ax.containers}
        top, bottom = ax.get_ylim()
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
    finally:
        plt.close(fig)
    assert sorted(bars) == ["test", "train"] and legend == ["train", "test"]
    for part in ("train", "test"):
        assert len(bars[part]) == 3  # one bar per fold
        for rect in bars[part]:
            fold = round(rect.get_y() + rect.get_height() / 2)
            start = FOLD_DATES[f"{part}_start"][fold]
            end = FOLD_DATES[f"{part}_end"][fold]
            assert rect.get_x() == mdates.date2num(start)
            assert rect.get_width() == (end - start).days + 1  # whole days, end included
    assert top > bottom  # y inverted: fold 0 at the top


def test_folds_timeline_from_folds_frame_and_bad_input(tmp_path, series):
    folds = folds_frame(WalkForward(test_size=40, folds=4).split(len(series)), series)
    folds.to_csv(tmp_path / "folds.csv", index=False)
    fig = cp._folds_timeline_figure(pd.read_csv(tmp_path / "folds.csv"))
    try:
        test_bars = fig.axes[0].containers[1].patches
        assert [r.get_x() for r in test_bars] == list(mdates.date2num(folds["test_start"]))
    finally:
        plt.close(fig)
    with pytest.raises(DataError, match="test_end"):
        cp.plot_folds_timeline(folds.drop(columns="test_end"), tmp_path / "x.png")
    with pytest.raises(DataError, match="'train_start' holds non-dates"):
        cp.plot_folds_timeline(folds.assign(train_start="soon"), tmp_path / "x.png")


def test_every_public_function_writes_a_png(tmp_path):
    table = hand_forecasts()
    statistics, pvalues = dm_matrix(table)
    paths = [
        cp.plot_error_by_fold(scores_by_fold(table[table.step == 1]), tmp_path / "a" / "e.png"),
        cp.plot_cumulative_loss_difference(table, tmp_path / "c.png", title="MSFT"),
        cp.plot_dm_heatmap(pvalues, statistics, tmp_path / "dm.png"),
        cp.plot_folds_timeline(folds_table("csv", tmp_path), tmp_path / "t.png"),
    ]
    assert paths == [tmp_path / "a" / "e.png", tmp_path / "c.png", tmp_path / "dm.png",
                     tmp_path / "t.png"]
    for path in paths:
        assert_png(path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files
    assert not plt.get_fignums()  # every figure was closed
