"""The shipped model contract (forecast_bench.testing) fails models that break a rule, and says
which rule; tests/test_conformance.py shows it passes every registered model."""

from __future__ import annotations

import numpy as np
import pytest

from forecast_bench.models.base import Forecaster
from forecast_bench.models.naive import Naive
from forecast_bench.testing import RULES, Case, check_forecaster, checks


class _Naive(Forecaster):
    """The last value, from any origin."""

    def _fit(self, y):
        pass

    def _predict(self, history, horizon):
        return np.full(horizon, history[-1])


class _WritesWhilePredicting(_Naive):
    """Keeps the last history it saw: predicting writes an attribute."""

    def _predict(self, history, horizon):
        self.last_history_ = history
        return super()._predict(history, horizon)


class _Peeking(_Naive):
    """A cheating model: its batched forecast from an origin reads the value at the origin."""

    def _predict_origins(self, y, origins, horizon):
        ahead = np.minimum(origins, len(y) - 1)
        return np.repeat(y[ahead, None], horizon, axis=1)


class _Unseeded(_Naive):
    """Adds noise drawn at fit time from an unseeded generator."""

    def _fit(self, y):
        self.shift_ = np.random.default_rng().normal()

    def _predict(self, history, horizon):
        return super()._predict(history, horizon) + self.shift_


class _BadIntervals(_Naive):
    """Analytic intervals with a negative standard deviation: the bounds cross."""

    interval_method = "analytic"

    def _forecast_sd(self, y, origins, horizon):
        return -np.ones((len(origins), horizon))


@pytest.mark.parametrize(("model", "rule", "detail"), [
    (_WritesWhilePredicting, "predicting writes no attribute", "wrote last_history_"),
    (_Peeking, "no look-ahead", "saw later values"),
    (_Unseeded, "determinism under a seed", "two fits, different forecasts"),
    (_BadIntervals, "intervals well formed", "bounds must nest"),
])
def test_a_broken_model_fails_its_rule(model, rule, detail):
    with pytest.raises(AssertionError, match=f"^{rule}: {model.__name__}") as failure:
        check_forecaster(model)
    assert detail in str(failure.value)


def test_a_model_keeping_the_contract_passes():
    check_forecaster(_Naive)
    check_forecaster(Naive, [{}, {}])


def test_an_error_in_a_rule_names_the_rule():
    with pytest.raises(AssertionError, match=r"^interface: .*ConfigError: .*no parameter 'lags'"):
        check_forecaster(Naive, {"lags": 3})


def test_no_parameter_dicts_is_an_error():
    with pytest.raises(ValueError, match="no parameter dicts"):
        check_forecaster(Naive, [])


def test_each_rule_runs_on_every_parameter_set_but_the_slow_ones_on_the_first():
    ran = [(case.index, case.params, rule.name) for case, rule in checks(Naive, [{}, {}])]
    first = [rule.name for rule in RULES]
    slow = {"no look-ahead on a collection", "no look-ahead in covariates"}
    assert {rule.name for rule in RULES if rule.first_params_only} == slow
    assert ran == ([(0, {}, name) for name in first]
                   + [(1, {}, name) for name in first if name not in slow])
    assert [case.params for case, _ in checks(Naive)] == [{}] * len(RULES)


def test_the_rules_share_two_fits_of_a_case():
    fits = []

    class Counted(_Naive):
        def _fit(self, y):
            fits.append(len(y))

    case = Case(Counted, {})
    for rule in RULES:
        if rule.name in ("interface", "batched = per-origin", "predicting writes no attribute"):
            rule.run(case)
    assert fits == [120, 120]
