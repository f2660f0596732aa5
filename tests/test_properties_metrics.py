"""Property tests (hypothesis) of the metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from forecast_bench.evaluation.scoring import metrics
from tests.properties_common import FAST

# --- metrics -----------------------------------------------------------------------------------

VALUE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
SCALE = st.floats(1e-3, 1e3).flatmap(lambda c: st.sampled_from([c, -c]))
POSITIVE = st.floats(1e-3, 1e6)


# no tiny (subnormal-range) values: scaling those by c loses their few significant bits
NORMAL_VALUE = VALUE.filter(lambda v: v == 0 or abs(v) >= 1e-100)


def pairs(min_size: int = 1, max_size: int = 40, values=VALUE):
    """(y_true, y_pred) float arrays of one random length."""
    return st.integers(min_size, max_size).flatmap(lambda n: st.tuples(
        st.lists(values, min_size=n, max_size=n).map(np.array),
        st.lists(values, min_size=n, max_size=n).map(np.array)))


def rounding(*arrays: np.ndarray, factor: float = 1.0) -> float:
    """An absolute tolerance for float rounding at the magnitude of the inputs."""
    return 1e-9 * abs(factor) * max(1.0, *(float(np.max(np.abs(a))) for a in arrays))


@FAST
@given(pairs())
def test_rmse_is_at_least_mae_and_both_non_negative(pair):
    y, p = pair
    r, m = metrics.rmse(y, p), metrics.mae(y, p)
    assert m >= 0 and r >= 0
    # equality when every |error| is the same: allow rounding, and float underflow: rmse squares
    # the errors, so |errors| below ~1e-162 square to 0 (minimal case: y=[0.0],
    # p=[1.09e-210] gives rmse 0.0 < mae 1.09e-210: a float limit, not a bug worth a fix)
    assert r >= m * (1 - 1e-12) - 1e-150
    assert r <= m * math.sqrt(len(y)) * (1 + 1e-12)  # and the other side of the norm bound


@FAST
@given(pairs(), SCALE)
def test_rmse_and_mae_scale_with_the_data(pair, c):
    y, p = pair
    tol = rounding(y, p, factor=c)
    assert metrics.rmse(c * y, c * p) == pytest.approx(abs(c) * metrics.rmse(y, p), rel=1e-9,
                                                       abs=tol)
    assert metrics.mae(c * y, c * p) == pytest.approx(abs(c) * metrics.mae(y, p), rel=1e-9,
                                                      abs=tol)


@FAST
@given(pairs(), SCALE, POSITIVE)
def test_mase_is_scale_free_and_inverse_in_its_scale(pair, c, scale):
    y, p = pair
    base = metrics.mase(y, p, scale)
    assert base >= 0
    assert metrics.mase(c * y, c * p, abs(c) * scale) == pytest.approx(
        base, rel=1e-9, abs=rounding(y, p) / scale)
    assert metrics.mase(y, p, 2 * scale) == pytest.approx(base / 2, rel=1e-12)
    assert metrics.mase(y, p, scale) == pytest.approx(metrics.mae(y, p) / scale, rel=1e-9)


@FAST
@given(pairs(), st.floats(-1e3, 0))
def test_mase_is_nan_for_a_non_positive_scale(pair, scale):
    y, p = pair
    assert math.isnan(metrics.mase(y, p, scale))


@FAST
@given(pairs(), POSITIVE)
def test_perfect_forecasts_score_zero(pair, scale):
    y, _ = pair
    assert metrics.rmse(y, y) == 0.0
    assert metrics.mae(y, y) == 0.0
    assert metrics.smape(y, y) == 0.0
    assert metrics.mase(y, y, scale) == 0.0
    if np.all(y != 0):
        assert metrics.mape(y, y) == 0.0
    else:
        assert math.isnan(metrics.mape(y, y))


@FAST
@given(pairs())
def test_rmse_mae_and_smape_are_symmetric(pair):
    y, p = pair
    assert metrics.rmse(y, p) == metrics.rmse(p, y)
    assert metrics.mae(y, p) == metrics.mae(p, y)
    assert metrics.smape(y, p) == metrics.smape(p, y)
    assert 0 <= metrics.smape(y, p) <= 200 * (1 + 1e-12)


@FAST
@given(pairs(values=NORMAL_VALUE), SCALE)
def test_percentage_errors_do_not_depend_on_the_unit(pair, c):
    y, p = pair
    assert metrics.smape(c * y, c * p) == pytest.approx(metrics.smape(y, p), rel=1e-9, abs=1e-7)
    if np.all(y != 0):
        assert metrics.mape(c * y, c * p) == pytest.approx(metrics.mape(y, p), rel=1e-9,
                                                           abs=1e-7)


# REGRESSION (a real bug in evaluation/scoring/metrics.py, fixed 2026-11-24): the module
# promises "NaN, never inf", but mape divided by the actual value, so a tiny non-zero actual
# gave inf: mape([5e-324], [1.0]) == inf. Now NaN.
@example(pair=(np.array([5e-324]), np.array([1.0])), scale=1.0)
@FAST
@given(pairs(), POSITIVE)
def test_metrics_are_finite_or_nan(pair, scale):
    """Finite inputs never give an infinite score (the module docstring: NaN, never inf)."""
    y, p = pair
    scores = {"rmse": metrics.rmse(y, p), "mae": metrics.mae(y, p), "mape": metrics.mape(y, p),
              "smape": metrics.smape(y, p), "mase": metrics.mase(y, p, scale),
              "theil_u2": metrics.theil_u2(y, p, y[::-1]),
              "directional_accuracy": metrics.directional_accuracy(y[::-1], y, p)}
    assert not any(math.isinf(value) for value in scores.values()), scores


@FAST
@given(pairs())
def test_theil_u2_of_the_reference_itself_is_one(pair):
    y, ref = pair
    u2 = metrics.theil_u2(y, ref, ref)
    if metrics.rmse(y, ref) > 0:
        assert u2 == pytest.approx(1.0)
    else:
        assert math.isnan(u2)


@FAST
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    *(st.lists(st.one_of(VALUE, st.sampled_from([0.0, 1.0, -1.0])), min_size=n, max_size=n)
      for _ in range(3)))))
def test_directional_accuracy_is_a_percentage_or_nan(triple):
    origin, y, p = (np.array(values) for values in triple)
    score = metrics.directional_accuracy(origin, y, p)
    assert math.isnan(score) or 0 <= score <= 100
    perfect = metrics.directional_accuracy(origin, y, y)  # the truth itself: always right
    assert math.isnan(perfect) or perfect == 100.0
