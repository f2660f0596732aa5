"""ARIMA walk-forward forecasts against statsmodels called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast_bench import models
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import run_walk_forward
from forecast_bench.models import arima_search
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


def spy_on_search(monkeypatch) -> list[tuple[np.ndarray, int]]:
    """Record (training values, period) of every auto-order search."""
    calls, real = [], arima_search.auto_order

    def spy(y, period, *args, **kwargs):
        calls.append((np.asarray(y).copy(), period))
        return real(y, period, *args, **kwargs)

    monkeypatch.setattr(arima_search, "auto_order", spy)
    return calls


def test_auto_with_a_seasonal_period_chooses_a_seasonal_order(monkeypatch):
    calls = spy_on_search(monkeypatch)
    y = seasonal(60)
    small = {"order": "auto", "max_p": 0, "max_d": 0, "max_q": 0}
    plain = models.get("arima", **small).fit(y[:48])
    assert plain.config.seasonal_period is None and plain.seasonal_order_ == (0, 0, 0, 0)
    assert "period" not in plain.describe_fit()
    model = models.get("arima", **small, seasonal_period=12).fit(y[:48])
    assert [period for _, period in calls] == [1, 12]
    assert model.seasonal_order_[3] == 12 and any(model.seasonal_order_[:3])
    assert model.describe_fit().endswith("period 12")
    # P, Q <= 2, a constant, sigma2; D = 1 seasonal difference of 12; the AICc's 2
    assert model.min_train_size == 4 + 2 + 12 + 2
    errors = {m: np.abs(m.predict_origins(y, [48, 50], 10) - [y[48:58], y[50:60]]).mean()
              for m in (plain, model)}
    assert errors[model] < errors[plain] / 2


def test_with_period_sets_an_unset_seasonal_period_only():
    auto = models.get("arima", max_p=1)
    assert auto.min_train_size == (1 + 5 + 2) + 2 + 2  # p, q, constant, sigma2; d; margin
    assert auto.with_period(12).config.seasonal_period == 12
    assert auto.with_period(12).params() == {**auto.params(), "seasonal_period": 12}
    explicit = models.get("arima", seasonal_period=4)
    assert explicit.with_period(12).config.seasonal_period == 4
    fixed = models.get("arima", order=[1, 0, 0], seasonal_order=[1, 0, 0, 12]).fit(seasonal(60))
    assert ", period 12" in fixed.describe_fit()
    assert fixed.with_period(5).config.seasonal_order == (1, 0, 0, 12)


def test_auto_order_sees_only_the_training_part(monkeypatch, series):
    calls = spy_on_search(monkeypatch)
    y = series.to_numpy()
    model = models.get("arima", order="auto", max_p=2, max_q=2).fit(y[:100])
    model.predict_origins(y, range(100, 150), 1)
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0][0], y[:100])
    assert model.describe_fit().startswith(f"ARIMA{model.order_}")


def test_auto_order_is_refitted_per_fold_on_train_only(monkeypatch):
    calls = spy_on_search(monkeypatch)
    y = random_walk(160)
    folds = WalkForward(test_size=40, folds=4).split(len(y))
    run_walk_forward(y, folds, {"arima": models.get("arima", max_p=1, max_q=1)}, 1)
    assert [len(values) for values, _ in calls] == [f.train_end for f in folds]


@pytest.mark.parametrize(
    ("params", "message"),
    [({"order": [1, 1]}, "order"), ({"order": [1, -1, 0]}, "order"), ({"trend": "x"}, "trend"),
     ({"seasonal_order": [1, 0, 0]}, "seasonal_order"), ({"maxiter": 0}, "maxiter"),
     ({"max_p": -1}, "max_p"), ({"ordr": [1, 1, 1]}, "ordr"),
     ({"seasonal_period": 0}, "seasonal_period"), ({"seasonal_period": 1.5}, "seasonal_period"),
     ({"search": "slow"}, "search")],
)
def test_bad_parameters_raise_config_errors(params, message):
    with pytest.raises(models.ConfigError, match=message):
        models.get("arima", **params)


def test_too_short_training_part_is_a_model_error():
    with pytest.raises(models.ModelError, match="at least"):
        models.get("arima", order=[1, 1, 1]).fit(pd.Series(np.arange(5.0)))


LIKELIHOOD_CASES = [  # (order, seasonal order, trend): d and D 0-2, AR or MA only, white noise
    ((0, 1, 0), (0, 0, 0, 0), "c"), ((1, 1, 1), (0, 0, 0, 0), "c"), ((2, 1, 2), (0, 0, 0, 0), None),
    ((2, 0, 0), (0, 0, 0, 0), "c"), ((0, 2, 3), (0, 0, 0, 0), None), ((3, 0, 1), (0, 0, 0, 0), "c"),
    ((1, 0, 1), (1, 0, 1, 12), "c"), ((0, 1, 1), (0, 1, 1, 12), None),
    ((2, 1, 0), (2, 1, 0, 12), "c"), ((0, 0, 0), (0, 1, 2, 12), None),
]


@pytest.mark.numerics
@pytest.mark.parametrize(("order", "seasonal_order", "trend"), LIKELIHOOD_CASES)
def test_sarimax_likelihood_equals_the_kalman_filter(order, seasonal_order, trend):
    # a scale where SARIMAX's approximate diffuse start (variance 1e6) is far from diffuse
    y = 2000 + 300 * seasonal(96) + np.cumsum(np.random.default_rng(1).normal(0, 40, 96))
    model = SARIMAX(y, order=order, seasonal_order=seasonal_order, trend=trend)
    likelihood = arima_search.SarimaxLikelihood(model)
    start = model.untransform_params(model.start_params)
    shifts = np.random.default_rng(2).normal(0, 0.3, (4, len(start)))
    for shift in [0 * shifts[0], *shifts[1:]]:
        params = model.transform_params(start + shift)
        np.testing.assert_allclose(likelihood(params), model.loglike(params), rtol=1e-8)


@pytest.mark.numerics
def test_candidate_fit_is_statsmodels_fit():
    """The same optimum, not the same last digits: both optimisers stop where the likelihood is
    flat, where the BLAS kernels move their end points. Measured apart: 6e-6 standard errors
    with Haswell kernels, 7e-5 with SkylakeX or Nehalem's (ARIMA(1,1,1)'s constant: a relative
    3e-4); AICs 5e-8. Required: 1e-3 standard errors and an AIC within 1e-6."""
    y = random_walk(300, seed=5).to_numpy()
    for order, constant in [((1, 1, 0), True), ((0, 1, 1), False), ((1, 1, 1), True)]:
        fit = arima_search.fit_candidate(y, order, (0, 0, 0, 0), constant)
        direct = SARIMAX(y, order=order, trend="c" if constant else None).fit(disp=False)
        assert fit.converged and direct.mle_retvals["converged"]
        assert np.all(np.abs(fit.params - direct.params) <= 1e-3 * direct.bse), order
        np.testing.assert_allclose(fit.aic, direct.aic, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("values", "period", "most"), [
    (random_walk(150, seed=7).to_numpy(), 1, 2),  # d = 1: pmdarima starts with a constant
    (10 + np.random.default_rng(3).normal(0, 1, 120), 1, 2),  # d = 0: it starts without
    (seasonal(48), 12, 1),
])
def test_auto_order_chooses_what_pmdarima_chooses(values, period, most):
    import pmdarima

    kwargs = {"max_p": most, "max_d": 2, "max_q": most, "start_p": most, "start_q": most}
    choice = arima_search.auto_order(values, period, **kwargs)
    auto = pmdarima.auto_arima(values, seasonal=period > 1, m=period, stepwise=True,
                               suppress_warnings=True, error_action="ignore", **kwargs)
    assert (choice.order, choice.seasonal_order[:3], choice.with_intercept) == (
        auto.order, auto.seasonal_order[:3], auto.with_intercept)
    np.testing.assert_allclose(choice.fit.aic, auto.aic(), rtol=0, atol=1e-4)


@pytest.mark.numerics
def test_search_pmdarima_is_the_reference_path():
    y = random_walk(120, seed=4).to_numpy()
    fast = models.get("arima", max_p=1, max_q=1).fit(y)
    reference = models.get("arima", max_p=1, max_q=1, search="pmdarima").fit(y)
    assert (fast.order_, fast.trend_) == (reference.order_, reference.trend_)
    cold = SARIMAX(y, order=reference.order_, trend=reference.trend_).fit(disp=False)
    np.testing.assert_allclose(reference.result_.params, cold.params, atol=1e-12)
    np.testing.assert_allclose(fast.result_.params, cold.params, rtol=1e-4, atol=1e-6)


def test_a_constant_series_goes_to_pmdarima():
    assert arima_search.auto_order(np.full(40, 3.0), 1, 2, 2, 2, 2, 2) is None
    model = models.get("arima", max_p=2, max_q=2).fit(np.full(40, 3.0))
    assert model.order_ == (0, 0, 0) and model.describe_fit().startswith("ARIMA(0, 0, 0)")
