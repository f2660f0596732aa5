"""Naive, drift and seasonal-naive forecasts and scores against plain NumPy loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_bench import models
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import run_walk_forward
from forecast_bench.evaluation.scoring.metrics import summarize
from tests.conftest import random_walk


def hand_forecasts(y: np.ndarray, folds, kind: str, horizon: int, period: int = 5):
    """The textbook definitions, one origin at a time, in plain Python."""
    out = []
    for fold in folds:
        train = y[fold.train_start:fold.train_end]
        slope = (train[-1] - train[0]) / (len(train) - 1)
        for o in fold.origins:
            for k in range(1, horizon + 1):
                if kind == "naive":
                    pred = y[o - 1]
                elif kind == "drift":
                    pred = y[o - 1] + k * slope
                else:
                    pred = y[o - period + (k - 1) % period]
                out.append((y[o + k - 1], pred))
    return np.array(out)


@pytest.mark.parametrize("kind", ["naive", "drift", "seasonal_naive"])
@pytest.mark.parametrize(("horizon", "window"), [(1, "expanding"), (3, 60)])
def test_forecasts_and_rmse_match_numpy(kind, horizon, window):
    y = random_walk(150, seed=7)
    folds = WalkForward(test_size=30, folds=3, horizon=horizon, window=window).split(len(y))
    params = {"period": 5} if kind == "seasonal_naive" else {}
    result = run_walk_forward(y, folds, {kind: models.get(kind, **params)}, horizon)
    expected = hand_forecasts(y.to_numpy(), folds, kind, horizon)
    np.testing.assert_allclose(result.forecasts[["y_true", "y_pred"]].to_numpy(), expected,
                               rtol=0, atol=1e-12)
    errors = expected[:, 0] - expected[:, 1]
    summary = summarize(result.forecasts, result.status, reference=kind)
    assert summary.rmse.iloc[0] == pytest.approx(np.sqrt(np.mean(errors**2)), rel=1e-12)
    assert summary.mae.iloc[0] == pytest.approx(np.mean(np.abs(errors)), rel=1e-12)


def test_naive_rmse_on_a_tiny_series_by_hand():
    y = pd.Series([1.0, 2.0, 4.0, 7.0, 11.0, 16.0], index=pd.bdate_range("2021-01-01", periods=6))
    folds = WalkForward(test_size=3, folds=1).split(len(y))
    result = run_walk_forward(y, folds, {"naive": models.get("naive")}, 1)
    # forecasts 4, 7, 11 for actuals 7, 11, 16: errors 3, 4, 5
    assert result.forecasts.y_pred.tolist() == [4.0, 7.0, 11.0]
    summary = summarize(result.forecasts, result.status)
    assert summary.rmse.iloc[0] == pytest.approx(np.sqrt((9 + 16 + 25) / 3))
    assert summary.mae.iloc[0] == pytest.approx(4.0)


def test_drift_slope_comes_from_the_training_part_only():
    y = np.array([0.0, 1.0, 2.0, 3.0, 100.0, 200.0])
    model = models.get("drift").fit(y[:4])
    assert model.slope_ == pytest.approx(1.0)
    np.testing.assert_allclose(model.predict_origins(y, [4, 5], 2), [[4.0, 5.0], [101.0, 102.0]])


def test_seasonal_naive_repeats_the_last_period():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    model = models.get("seasonal_naive", period=3).fit(y)
    np.testing.assert_array_equal(model.predict(5), [5.0, 6.0, 7.0, 5.0, 6.0])


@pytest.mark.parametrize("period", [0, -1, 2.5, True, "5"])
def test_seasonal_naive_rejects_bad_periods(period):
    with pytest.raises(models.ConfigError, match="period"):
        models.get("seasonal_naive", period=period)


def test_seasonal_naive_without_a_period_is_the_random_walk():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    alone = models.get("seasonal_naive")
    assert alone.config.period is None and alone.min_train_size == 1
    alone.fit(y[:1])  # period 1 needs one value
    np.testing.assert_array_equal(alone.fit(y).predict(3), [7.0, 7.0, 7.0])
    np.testing.assert_array_equal(alone.predict_origins(y, [3, 6], 2),
                                  models.get("naive").fit(y).predict_origins(y, [3, 6], 2))
    assert alone.describe_fit() == ""
    explicit = models.get("seasonal_naive", period=3).fit(y)
    assert explicit.min_train_size == 3 and explicit.describe_fit() == "period 3"
    np.testing.assert_array_equal(explicit.predict_origins(y, [3, 6], 2), [[1.0, 2.0], [4.0, 5.0]])


def test_with_period_fills_an_unset_period_and_keeps_an_explicit_one():
    y = np.arange(1.0, 13.0)
    unset = models.get("seasonal_naive")
    filled = unset.with_period(4)
    assert filled is not unset and filled.config.period == 4 and unset.config.period is None
    assert filled.min_train_size == 4
    np.testing.assert_array_equal(filled.fit(y).predict(5), [9.0, 10.0, 11.0, 12.0, 9.0])
    explicit = models.get("seasonal_naive", period=3).fit(y)
    kept = explicit.with_period(4)
    assert kept is not explicit and kept.config.period == 3 and not hasattr(kept, "y_train_")
    naive = models.get("naive")
    assert naive.period_param is None and naive.with_period(4).params() == naive.params() == {}
    with pytest.raises(models.ConfigError, match="period must be an integer >= 1"):
        unset.with_period(0)


def test_default_benchmark_naive_rmse_equals_numpy_on_real_msft_data():
    from forecast_bench.benchmarks.config import DEFAULT_CONFIG, load_config
    from forecast_bench.benchmarks.data import load

    cfg = load_config(DEFAULT_CONFIG)
    y = load(cfg.data).series
    folds = cfg.split.split(len(y))
    result = run_walk_forward(y, folds, {"naive": models.get("naive")}, 1)
    # one-step random walk errors over the last 252 days are just the daily price changes
    changes = np.diff(y.to_numpy()[-253:])
    summary = summarize(result.forecasts, result.status)
    assert summary.rmse.iloc[0] == pytest.approx(np.sqrt(np.mean(changes**2)), rel=1e-12)
    assert len(result.forecasts) == 252


def test_a_parameter_called_model_is_refused_when_the_class_is_defined():
    """A run config's [models.LABEL] table names the registered model with `model`; a model
    parameter of that name would make a saved config.toml unreadable."""
    import dataclasses

    from forecast_bench.models.base import Forecaster, ModelConfig

    @dataclasses.dataclass(frozen=True)
    class Clashing(ModelConfig):
        model: str = "x"

    with pytest.raises(TypeError, match="may not be called 'model'"):
        type("Bad", (Forecaster,), {"config_class": Clashing})
