"""The harness: long-format forecasts, and failures recorded without ending the run."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from forecast_bench import models
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import FORECAST_COLUMNS, run_walk_forward
from forecast_bench.models.base import Forecaster


class _Raises(Forecaster):
    """Fails on the second fold (its training part is longer)."""

    def _fit(self, y):
        if len(y) > 130:
            raise ValueError("did not converge\nsecond line")

    def _predict(self, history, horizon):
        return np.zeros(horizon)


class _ReturnsNan(Forecaster):
    """Returns NaN forecasts."""

    def _fit(self, y):
        warnings.warn("something odd", RuntimeWarning, stacklevel=1)

    def _predict(self, history, horizon):
        return np.full(horizon, np.nan)


def test_long_table_dates_and_values(series):
    folds = WalkForward(test_size=20, folds=2, horizon=2).split(len(series))
    result = run_walk_forward(series, folds, {"naive": models.get("naive")}, 2)
    f = result.forecasts
    assert list(f.columns) == FORECAST_COLUMNS
    first = f.iloc[1]  # origin 140, step 2
    assert first.step == 2
    assert first.origin == series.index[139] and first.target == series.index[141]
    assert first.y_true == series.iloc[141] and first.y_pred == series.iloc[139]


def test_failures_are_recorded_and_others_finish(series):
    folds = WalkForward(test_size=40, folds=2).split(len(series))
    runs = {"naive": models.get("naive"), "raises": _Raises(), "nan": _ReturnsNan()}
    result = run_walk_forward(series, folds, runs, 1)
    status = result.status.set_index(["model", "fold"])
    assert status.loc[("raises", 0), "status"] == "ok"
    assert status.loc[("raises", 1), "status"] == "failed"
    assert status.loc[("raises", 1), "reason"] == "ValueError: did not converge second line"
    assert (status.loc["nan", "status"] == "failed").all()
    assert "NaN" in status.loc[("nan", 0), "reason"]
    assert "RuntimeWarning: something odd" in status.loc[("nan", 0), "warnings"]
    counts = result.forecasts.groupby("model").size().to_dict()
    assert counts == {"naive": 40, "raises": 20}


@pytest.mark.parametrize("window", ["expanding", 50])
def test_every_model_sees_the_same_folds(series, window):
    folds = WalkForward(test_size=30, folds=3, window=window).split(len(series))
    runs = {name: models.get(name) for name in ("naive", "drift", "seasonal_naive")}
    f = run_walk_forward(series, folds, runs, 1).forecasts
    keys = {m: part[["fold", "origin", "target"]].to_numpy().tolist()
            for m, part in f.groupby("model")}
    assert keys["naive"] == keys["drift"] == keys["seasonal_naive"]
