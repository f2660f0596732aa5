"""ARIMA walk-forward forecasts against statsmodels called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

import models
from evaluation.splits import WalkForward
from evaluation.walk_forward import run_walk_forward
from tests.conftest import random_walk


@pytest.mark.parametrize(
    ("order", "trend", "horizon"),
    [((1, 1, 1), None, 1), ((1, 1, 0), "c", 3), ((2, 0, 1), None, 2), ((0, 1, 1), "t", 3)],
)
def test_walk_forward_equals_statsmodels_fixed_parameter_forecasts(order, trend, horizon):
    y = random_walk(220, seed=3)
    folds = WalkForward(test_size=40, folds=2, horizon=horizon).split(len(y))
    model = models.get("arima", order=list(order), trend=trend)
    result = run_walk_forward(y, folds, {"arima": model}, horizon)
    assert (result.status.status == "ok").all()
    values = y.to_numpy()
    expected = []
    for fold in folds:
        train = values[fold.train_start:fold.train_end]
        resolved = trend or ("c" if order[1] == 0 else "n")
        fitted = SARIMAX(train, order=order, trend=resolved).fit(disp=False)
        for o in fold.origins:
            direct = SARIMAX(values[fold.train_start:o], order=order, trend=resolved)
            expected.append(direct.filter(fitted.params).forecast(horizon))
    np.testing.assert_allclose(result.forecasts.y_pred.to_numpy(), np.concatenate(expected),
                               rtol=0, atol=1e-8)


def test_seasonal_order_is_used():
    t = np.arange(120)
    y = 10 + 3 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.3, 120)
    model = models.get("arima", order=[1, 0, 0], seasonal_order=[1, 0, 0, 12]).fit(y[:100])
    direct = SARIMAX(y[:100], order=(1, 0, 0), seasonal_order=(1, 0, 0, 12), trend="c")
    expected = direct.filter(model.result_.params).forecast(4)
    np.testing.assert_allclose(model.predict(4), expected, atol=1e-8)
    np.testing.assert_allclose(model.predict_origins(y, [100, 110], 4)[0], expected, atol=1e-8)


def seasonal(n: int) -> np.ndarray:
    """A period-12 sine with a little noise."""
    t = np.arange(n)
    return 10 + 3 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.3, n)


def test_auto_with_a_seasonal_period_chooses_a_seasonal_order(monkeypatch):
    import pmdarima

    calls, real = [], pmdarima.auto_arima

    def narrow(y, **kwargs):  # keep the seasonal search short: P <= 1, Q = 0 (about 1 s)
        calls.append(kwargs)
        return real(y, **{**kwargs, "max_P": 1, "max_Q": 0, "start_Q": 0})

    monkeypatch.setattr(pmdarima, "auto_arima", narrow)
    y = seasonal(60)
    small = {"order": "auto", "max_p": 0, "max_d": 0, "max_q": 0}
    plain = models.get("arima", **small).fit(y[:48])
    assert plain.config.seasonal_period is None and plain.seasonal_order_ == (0, 0, 0, 0)
    assert "period" not in plain.describe_fit()
    model = models.get("arima", **small, seasonal_period=12).fit(y[:48])
    assert [(c["seasonal"], c["m"]) for c in calls] == [(False, 1), (True, 12)]
    assert model.seasonal_order_[3] == 12 and any(model.seasonal_order_[:3])
    assert model.describe_fit().endswith("period 12")
    assert model.min_train_size == 36  # three periods
    errors = {m: np.abs(m.predict_origins(y, [48, 50], 10) - [y[48:58], y[50:60]]).mean()
              for m in (plain, model)}
    assert errors[model] < errors[plain] / 2


def test_with_period_sets_an_unset_seasonal_period_only():
    auto = models.get("arima", max_p=1)
    assert auto.min_train_size == 20
    assert auto.with_period(12).config.seasonal_period == 12
    assert auto.with_period(12).params() == {**auto.params(), "seasonal_period": 12}
    explicit = models.get("arima", seasonal_period=4)
    assert explicit.with_period(12).config.seasonal_period == 4
    fixed = models.get("arima", order=[1, 0, 0], seasonal_order=[1, 0, 0, 12]).fit(seasonal(60))
    assert ", period 12" in fixed.describe_fit()
    assert fixed.with_period(5).config.seasonal_order == (1, 0, 0, 12)


def test_auto_order_sees_only_the_training_part(monkeypatch, series):
    import pmdarima

    seen = []
    real = pmdarima.auto_arima

    def spy(y, **kwargs):
        seen.append(np.asarray(y).copy())
        return real(y, **kwargs)

    monkeypatch.setattr(pmdarima, "auto_arima", spy)
    y = series.to_numpy()
    model = models.get("arima", order="auto", max_p=2, max_q=2).fit(y[:100])
    model.predict_origins(y, range(100, 150), 1)
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], y[:100])
    assert model.describe_fit().startswith(f"ARIMA{model.order_}")


def test_auto_order_is_refitted_per_fold_on_train_only(monkeypatch):
    import pmdarima

    lengths = []
    real = pmdarima.auto_arima
    monkeypatch.setattr(pmdarima, "auto_arima",
                        lambda y, **kw: lengths.append(len(y)) or real(y, **kw))
    y = random_walk(160)
    folds = WalkForward(test_size=40, folds=4).split(len(y))
    run_walk_forward(y, folds, {"arima": models.get("arima", max_p=1, max_q=1)}, 1)
    assert lengths == [f.train_end for f in folds]


@pytest.mark.parametrize(
    ("params", "message"),
    [({"order": [1, 1]}, "order"), ({"order": [1, -1, 0]}, "order"), ({"trend": "x"}, "trend"),
     ({"seasonal_order": [1, 0, 0]}, "seasonal_order"), ({"maxiter": 0}, "maxiter"),
     ({"max_p": -1}, "max_p"), ({"ordr": [1, 1, 1]}, "ordr"),
     ({"seasonal_period": 0}, "seasonal_period"), ({"seasonal_period": 1.5}, "seasonal_period")],
)
def test_bad_parameters_raise_config_errors(params, message):
    with pytest.raises(models.ConfigError, match=message):
        models.get("arima", **params)


def test_too_short_training_part_is_a_model_error():
    with pytest.raises(models.ModelError, match="at least"):
        models.get("arima", order=[1, 1, 1]).fit(pd.Series(np.arange(5.0)))
