"""One contract for every registered model (scikit-learn's check_estimator, for forecasters).

The rules are shipped in forecast_bench.testing; here each rule runs on each registered model
with each of its test parameters (`test_params()`) as one test, as check_forecaster runs them,
so that a failure names the model, the parameter set and the rule. A case's rules share its
fits (a Case caches them).
"""

from __future__ import annotations

import numpy as np
import pytest

from forecast_bench import models
from forecast_bench.case import N_TRAIN
from forecast_bench.models.base import Forecast, Forecaster
from forecast_bench.testing import RULES, checks

COLLECTION = "no look-ahead on a collection"  # the one rule with fits of its own


def rule_checks(collection: bool) -> list:
    """The (case, rule) pairs of every registered model, the collection rule's or the others'."""
    return [pytest.param(case, rule, id=f"{name}-{case.index}-{rule.slug}")
            for name in models.available()
            for case, rule in checks(type(models.get(name)))
            if (rule.name == COLLECTION) == collection]


# `make test` (xdist --dist loadscope) runs each class on one worker: a case's rules together,
# sharing its fits, and the collection rule, about a third of the time, on either worker
class TestSharedFits:
    @pytest.mark.parametrize(("case", "rule"), rule_checks(collection=False))
    def test_rule(self, case, rule):
        rule.run(case)


class TestCollection:
    @pytest.mark.parametrize(("case", "rule"), rule_checks(collection=True))
    def test_rule(self, case, rule):
        rule.run(case)


def test_every_model_and_rule_is_covered():
    assert set(models.available()) >= {"naive", "drift", "seasonal_naive", "arima"}
    pairs = {(check.values[0].label, check.values[1].name)
             for check in rule_checks(collection=False) + rule_checks(collection=True)}
    assert pairs == {(name, rule.name) for name in models.available() for rule in RULES}
    assert COLLECTION in {rule.name for rule in RULES}


class _Members(Forecaster):
    """An ensemble of the naive and the naive + 1 forecasts, with `members` as given."""

    def __init__(self, members: np.ndarray | None = None) -> None:
        super().__init__()
        self.members = members

    def _fit(self, y):
        pass

    def _predict(self, history, horizon):
        return np.full(horizon, history[-1] + 0.5)

    def _forecast(self, y, origins, horizon):
        naive = np.repeat(y[origins - 1, None], horizon, axis=1)
        if self.members is None:
            return Forecast.from_members(np.stack([naive, naive + 1.0]))
        return Forecast(naive, self.members)


def test_an_ensemble_implements_forecast_only(series):
    y = series.to_numpy()
    model = _Members().fit(y[:N_TRAIN])
    forecast = model.forecast(y, [N_TRAIN, N_TRAIN + 4], 3)
    assert forecast.members.shape == (2, 2, 3)
    np.testing.assert_array_equal(forecast.point, forecast.members.mean(axis=0))
    np.testing.assert_array_equal(model.predict_origins(y, [N_TRAIN, N_TRAIN + 4], 3),
                                  forecast.point)
    one = Forecast.from_members(forecast.members[:1])
    assert one.members.shape == (0, 2, 3)
    np.testing.assert_array_equal(one.point, forecast.members[0])


@pytest.mark.parametrize("members", [np.zeros((1, 2, 3)), np.zeros((2, 2, 2)), np.zeros((2, 3))])
def test_members_of_the_wrong_shape_are_a_model_error(series, members):
    y = series.to_numpy()
    model = _Members(members).fit(y[:N_TRAIN])
    with pytest.raises(models.ModelError, match="members of shape"):
        model.forecast(y, [N_TRAIN, N_TRAIN + 4], 3)
