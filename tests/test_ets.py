"""ETS: forecasts against statsmodels' ETSModel, automatic choice by AICc, no look-ahead."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecast_bench import models
from forecast_bench.models.errors import ConfigError, ModelError
from forecast_bench.models.ets import Ets, data_scale
from forecast_bench.models.ets_recursion import from_statsmodels, run_states, statsmodels_spec
from tests.conftest import random_walk

N_TRAIN = 84
PERIOD = 12


def seasonal_series(n: int = 108, period: int = PERIOD, growth: float = 0.004,
                    seed: int = 0) -> np.ndarray:
    """Positive, trending, multiplicative seasonal values around 1 (data_scale 1)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return ((1 + growth * t) * (1 + 0.3 * np.sin(2 * np.pi * t / period))
            * np.exp(rng.normal(0, 0.03, n)))


def parts(code: str) -> tuple[str, str, bool, str]:
    """'MAdM' -> ('M', 'A', True, 'M')."""
    return code[0], code[1], "d" in code, code[-1]


def ets(code: str, **params) -> Ets:
    error, trend, damped, season = parts(code)
    return models.get("ets", components=error + trend + season, damped=damped, period=PERIOD,
                      **params)


def direct(y: np.ndarray, code: str, initialization: str = "estimated", **kwargs) -> ETSModel:
    return ETSModel(y, initialization_method=initialization, **kwargs,
                    **statsmodels_spec(*parts(code), PERIOD))


CODES = ["ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA", "MNN", "MAdN", "MNM", "MAM", "MAdM"]


@pytest.mark.parametrize("initialization", ["estimated", "heuristic"])
@pytest.mark.parametrize("code", CODES)
def test_forecast_at_training_end_equals_statsmodels(code, initialization):
    y = seasonal_series()[:N_TRAIN]
    assert data_scale(y) == 1.0  # the model fits these very values
    model = ets(code, initialization=initialization).fit(y)
    assert model.fit_.code == code
    expected = direct(y, code, initialization).fit(disp=False).forecast(15)  # wraps a season
    np.testing.assert_allclose(model.predict(15), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("code", "initialization"),
                         [("AAdN", "estimated"), ("AAA", "estimated"), ("MAM", "estimated"),
                          ("MNM", "heuristic"), ("MAdM", "heuristic")])
def test_later_origins_equal_statsmodels_fixed_parameter_forecasts(code, initialization):
    y = seasonal_series()
    fitted = direct(y[:N_TRAIN], code, initialization).fit(disp=False)
    model = ets(code, initialization=initialization).fit(y[:N_TRAIN])
    origins = [N_TRAIN, N_TRAIN + 5, N_TRAIN + 17, len(y) - 3]
    got = model.predict_origins(y, origins, 3)
    for row, origin in enumerate(origins):
        if initialization == "heuristic":  # the training part's heuristic start, held fixed
            start = fitted.model
            later = direct(y[:origin], code, "known", initial_level=start.initial_level,
                           initial_trend=start.initial_trend,
                           initial_seasonal=start.initial_seasonal)
        else:
            later = direct(y[:origin], code)
        expected = later.smooth(fitted.params).forecast(3)
        np.testing.assert_allclose(got[row], expected, rtol=0, atol=1e-6)
        np.testing.assert_allclose(model.predict(3, history=y[:origin]), got[row],
                                   rtol=0, atol=1e-12)


def test_recursion_reproduces_statsmodels_states():
    y = seasonal_series()[:N_TRAIN]
    result = direct(y, "MAdM").fit(disp=False)
    fit = from_statsmodels(result.model, result.params)
    level, slope, seasonal = run_states(fit, y)
    np.testing.assert_allclose(level[1:], result.level, rtol=0, atol=1e-10)
    np.testing.assert_allclose(slope[1:], result.slope, rtol=0, atol=1e-10)
    np.testing.assert_allclose(seasonal[PERIOD:], result.season, rtol=0, atol=1e-10)
    np.testing.assert_allclose(seasonal[:PERIOD], result.initial_seasonal, rtol=0, atol=1e-12)


@pytest.mark.numerics
def test_choice_is_the_aicc_minimum_of_statsmodels_fits():
    period = 4
    y = seasonal_series(48, period=period, seed=5)
    assert data_scale(y) == 1.0
    model = models.get("ets", period=period).fit(y)
    expected = {"ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA",
                "MNN", "MAN", "MAdN", "MNA", "MAA", "MAdA", "MNM", "MAM", "MAdM"}
    assert set(model.candidates_) == expected
    direct_aicc = {}
    for code in expected:
        kwargs = statsmodels_spec(*parts(code), period)
        direct_aicc[code] = ETSModel(y, **kwargs).fit(disp=False).aicc
    for code, value in direct_aicc.items():
        assert model.candidates_[code] == pytest.approx(value, rel=1e-9, abs=1e-6)
    assert model.fit_.code == min(direct_aicc, key=direct_aicc.get)
    assert model.aicc_ == pytest.approx(min(direct_aicc.values()), abs=1e-6)


def test_multiplicative_seasonal_series_gets_a_multiplicative_season():
    y = seasonal_series(120, growth=0.02, seed=1)
    model = models.get("ets", period=PERIOD).fit(y)
    assert model.fit_.season == "M"
    assert re.fullmatch(r"ETS\(M,(N|A|Ad),M\), period 12, AICc -?\d+\.\d", model.describe_fit())


def test_random_walk_gets_a_non_seasonal_model():
    model = models.get("ets", period=PERIOD, initialization="heuristic")
    model.fit(random_walk(120).to_numpy())
    assert model.fit_.season == "N"
    assert len(model.candidates_) == 15
    assert re.fullmatch(r"ETS\([AM],(N|A|Ad),N\), AICc \d+\.\d, heuristic init",
                        model.describe_fit())


def test_candidate_set_follows_the_data():
    y = seasonal_series()
    shifted = models.get("ets", period=PERIOD, initialization="heuristic").fit(y - 1.5)
    assert set(shifted.candidates_) == {"ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA"}
    short = models.get("ets", period=PERIOD, initialization="heuristic").fit(y[:20])
    assert set(short.candidates_) == {"ANN", "AAN", "AAdN", "MNN", "MAN", "MAdN"}
    long_period = models.get("ets", period=30, initialization="heuristic").fit(y)
    assert all(code.endswith("N") for code in long_period.candidates_)
    damped = models.get("ets", components="MZN", damped=True).fit(y)
    assert set(damped.candidates_) == {"MAdN"}


@pytest.mark.numerics
def test_fit_is_equivariant_to_power_of_two_scaling():
    y = seasonal_series()[:N_TRAIN]
    small = models.get("ets", period=PERIOD, components="MZM").fit(y)
    large = models.get("ets", period=PERIOD, components="MZM").fit(1024.0 * y)
    assert large.fit_.code == small.fit_.code
    np.testing.assert_allclose(large.predict(6), 1024.0 * small.predict(6), rtol=1e-9)
    assert large.aicc_ - small.aicc_ == pytest.approx(2 * N_TRAIN * math.log(1024.0))


def test_no_lookahead_and_batched_equals_loop():
    y = seasonal_series()
    model = ets("MAdM").fit(y[:N_TRAIN])
    origins = list(range(N_TRAIN, len(y) - 4))
    base = model.predict_origins(y, origins, 4)
    for row, origin in enumerate(origins[::5]):
        changed = y.copy()
        changed[origin:] *= 3.0
        np.testing.assert_array_equal(model.predict_origins(changed, [origin], 4)[0],
                                      base[5 * row])
        np.testing.assert_array_equal(model.predict(4, history=y[:origin]), base[5 * row])


def test_non_positive_later_values_are_skipped_in_multiplicative_seasons():
    y = seasonal_series()
    model = ets("MAM").fit(y[:N_TRAIN])
    bad = N_TRAIN + 4
    changed = y.copy()
    changed[bad] = -2.0
    got = model.predict_origins(changed, [bad + 1, bad + 9], 5)
    assert np.isfinite(got).all()
    # skipping a value is replacing it by its one-step forecast
    replaced = y.copy()
    replaced[bad] = model.predict(1, history=y[:bad])[0]
    np.testing.assert_allclose(got, model.predict_origins(replaced, [bad + 1, bad + 9], 5),
                               rtol=1e-12)


def test_constant_training_data():
    model = models.get("ets").fit(np.full(30, 5.0))
    np.testing.assert_array_equal(model.predict(3), np.full(3, 5.0))
    assert "constant training data" in model.describe_fit()


@pytest.mark.parametrize(
    ("params", "message"),
    [({"components": "ZZ"}, "three letters"), ({"components": "XZZ"}, "error must be"),
     ({"components": "ZMZ"}, "multiplicative trends"), ({"components": "ZZQ"}, "season must be"),
     ({"components": "AZM"}, "additive error with a multiplicative season"),
     ({"components": "ZNZ", "damped": True}, "needs a trend"), ({"damped": "yes"}, "damped"),
     ({"initialization": "simple"}, "initialization"), ({"period": 0}, "period"),
     ({"components": "ZZA", "period": 1}, "needs period > 1"),
     ({"components": 3}, "three letters")],
)
def test_config_errors(params, message):
    with pytest.raises(ConfigError, match=message):
        models.get("ets", **params)


def test_fit_errors():
    y = seasonal_series()
    with pytest.raises(ModelError, match="every training value > 0"):
        models.get("ets", components="MNN").fit(y - 2.0)
    with pytest.raises(ModelError, match="needs period > 1"):
        models.get("ets", components="ZZM").fit(y)
    with pytest.raises(ModelError, match="at least 24 training values"):
        models.get("ets", components="ZZA", period=12).fit(y[:20])
