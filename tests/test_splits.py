"""Walk-forward splits: coverage, order, sizes, windows, and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_bench.evaluation.harness.splits import WalkForward, folds_frame
from forecast_bench.models.errors import ConfigError


@pytest.mark.parametrize(
    ("n", "test_size", "folds", "horizon", "step", "window"),
    [(1260, 252, 4, 1, 1, "expanding"), (300, 50, 3, 1, 1, 100), (300, 50, 3, 5, 1, "expanding"),
     (200, 61, 4, 2, 3, 50), (100, 0.2, 1, 1, 1, "expanding")],
)
def test_folds_tile_the_test_span(n, test_size, folds, horizon, step, window):
    split = WalkForward(test_size=test_size, folds=folds, horizon=horizon, step=step,
                        window=window)
    result = split.split(n)
    n_test = split.n_test(n)
    assert len(result) == folds
    assert result[0].train_end == n - n_test and result[-1].test_end == n
    covered = np.concatenate([np.arange(f.train_end, f.test_end) for f in result])
    np.testing.assert_array_equal(covered, np.arange(n - n_test, n))  # each test point once
    sizes = [f.test_end - f.train_end for f in result]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    for fold in result:
        assert fold.train_start < fold.train_end <= fold.origins[0]
        assert fold.origins[-1] + horizon <= fold.test_end  # targets stay inside the fold
        assert all(b - a == step for a, b in zip(fold.origins, fold.origins[1:], strict=False))
        if window == "expanding":
            assert fold.train_start == 0
        else:
            assert fold.train_size == window


def test_tutorial_holdout_is_one_80_20_fold():
    (fold,) = WalkForward(test_size=0.2, folds=1).split(1260)
    assert (fold.train_start, fold.train_end, fold.test_end) == (0, 1008, 1260)
    assert fold.origins == tuple(range(1008, 1260))


def test_default_split_is_four_folds_of_63():
    folds = WalkForward().split(1260)
    assert [(f.train_end, f.test_end) for f in folds] == [
        (1008, 1071), (1071, 1134), (1134, 1197), (1197, 1260)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"folds": 0}, "folds"), ({"horizon": 0}, "horizon"), ({"step": -1}, "step"),
     ({"test_size": 0}, "test_size"), ({"test_size": 1.5}, "test_size"),
     ({"window": "rolling"}, "window"), ({"window": 0}, "window"), ({"folds": 2.0}, "folds")],
)
def test_invalid_parameters(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        WalkForward(**kwargs)


@pytest.mark.parametrize(
    ("n", "kwargs", "message"),
    [(100, {"test_size": 99}, "needs"), (100, {"test_size": 50, "window": 60}, "needs"),
     (100, {"test_size": 6, "folds": 4, "horizon": 2}, "too small")],
)
def test_series_too_short(n, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        WalkForward(**kwargs).split(n, min_train=5)


def test_folds_frame_has_dates():
    dates = pd.bdate_range("2021-01-01", periods=100)
    values = np.arange(100.0) ** 2
    frame = folds_frame(WalkForward(test_size=20, folds=2).split(100), pd.Series(values, dates))
    assert frame.test_start.tolist() == [dates[80].date(), dates[90].date()]
    assert frame.n_origins.tolist() == [10, 10]
    # MASE scale by hand: mean |y_t - y_{t-1}| over the training part, t = 1..79 (then 89)
    assert frame.naive_mae_train.tolist() == pytest.approx(
        [np.mean([t**2 - (t - 1) ** 2 for t in range(1, 80)]),
         np.mean([t**2 - (t - 1) ** 2 for t in range(1, 90)])])


def test_mase_scale_uses_the_seasonal_period():
    """M4's scale: mean |y_t - y_{t-m}| over the training part, by hand for m = 4."""
    dates = pd.date_range("2000-01-01", periods=40, freq="QS")
    values = np.sin(np.arange(40) * np.pi / 2) * 10 + np.arange(40.0)  # seasonal + trend
    frame = folds_frame(WalkForward(test_size=8, folds=1, horizon=8).split(40),
                        pd.Series(values, dates), period=4)
    by_hand = np.mean([abs(values[t] - values[t - 4]) for t in range(4, 32)])
    assert frame.naive_mae_train.iloc[0] == pytest.approx(by_hand, rel=1e-12)
    assert frame.mase_period.iloc[0] == 4
    too_short = folds_frame(WalkForward(test_size=2, folds=1).split(6), pd.Series(
        values[:6], dates[:6]), period=4)
    assert np.isnan(too_short.naive_mae_train.iloc[0])  # 4 training values: no seasonal lag


def test_fixed_protocol_is_one_origin_at_the_dataset_horizon():
    split = WalkForward(protocol="fixed", horizon="dataset")
    [fold] = split.resolved(18).split(100)
    assert (fold.train_end, fold.test_end, fold.origins) == (82, 100, (82,))
    with pytest.raises(ConfigError, match="dataset"):
        split.split(100)
    with pytest.raises(ConfigError, match="protocol"):
        WalkForward(protocol="sometimes")
