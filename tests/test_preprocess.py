"""The learning models' preprocessing (models.preprocess): each step inverts exactly, against a
hand computation, and sees only the training part."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from forecast_bench.benchmarks.data import DataSpec
from forecast_bench.benchmarks.data.collection import load_collection
from forecast_bench.models.preprocess import Pipeline, Steps, cox_stuart
from forecast_bench.models.seasonality import BoxCox, Deseasonalizer

N_TRAIN, PERIOD = 96, 12
ALL_STEPS = [Steps(d, b, t, s) for d, b, t, s in itertools.product(
    ("test", "never"), (True, False), ("none", "linear", "diff", "cox_stuart"),
    ("none", "minmax", "standard"))]


def seasonal_series(n: int = 120, slope: float = 0.8, seed: int = 0) -> np.ndarray:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return (200 + slope * t) * (1 + 0.2 * np.sin(2 * np.pi * t / PERIOD)) + rng.normal(0, 2, n)


@pytest.mark.parametrize("steps", ALL_STEPS, ids=str)
def test_inverse_of_transform_returns_the_series(steps: Steps) -> None:
    y = seasonal_series()
    pipe = Pipeline.fit(y[:N_TRAIN], PERIOD, steps)
    z = pipe.transform(y)
    origins = np.array([N_TRAIN, N_TRAIN + 5, N_TRAIN + 6])
    back = pipe.inverse(z[None, N_TRAIN:N_TRAIN + 18], origins[:1], y)
    np.testing.assert_allclose(back, y[None, N_TRAIN:N_TRAIN + 18], rtol=1e-12)
    paths = np.stack([z[o:o + 10] for o in origins])
    np.testing.assert_allclose(pipe.inverse(paths, origins, y),
                               np.stack([y[o:o + 10] for o in origins]), rtol=1e-12)


def test_transform_equals_the_hand_computation() -> None:
    y = seasonal_series()
    train = y[:N_TRAIN]
    pipe = Pipeline.fit(train, PERIOD, Steps("test", True, "linear", "minmax"))
    season = Deseasonalizer.fit(train, PERIOD, "test")
    assert season.seasonal
    lam = BoxCox.fit(season.adjust(train), PERIOD).lam
    level = (season.adjust(y) ** lam - 1) / lam
    slope, intercept = np.polyfit(np.arange(N_TRAIN), level[:N_TRAIN], 1)
    d = level - intercept - slope * np.arange(len(y))
    lo, hi = d[:N_TRAIN].min(), d[:N_TRAIN].max()
    np.testing.assert_allclose(pipe.transform(y), (d - lo) / (hi - lo), rtol=1e-10, atol=1e-12)
    assert pipe.describe() == (f"deseasonalised (period 12), Box-Cox lambda {lam:.2f}, "
                               "linear trend removed, scaled")


def test_differencing_restarts_each_forecast_from_the_value_before_its_origin() -> None:
    y = seasonal_series()
    pipe = Pipeline.fit(y[:N_TRAIN], PERIOD, Steps(detrend="diff", scale="standard"))
    z = pipe.transform(y)
    assert math.isnan(z[0]) and pipe.first_valid == 1
    zero_change = (0 - pipe.shift) / pipe.scale  # a forecast of "no change" in model space
    back = pipe.inverse(np.full((2, 3), zero_change), np.array([100, 110]), y)
    np.testing.assert_allclose(back, [[y[99]] * 3, [y[109]] * 3], rtol=1e-12)


@pytest.mark.parametrize("steps", [s for s in ALL_STEPS if s.boxcox], ids=str)
def test_only_the_training_part_is_seen(steps: Steps) -> None:
    y = seasonal_series()
    changed = y.copy()
    changed[N_TRAIN:] *= 3.0
    a = Pipeline.fit(y[:N_TRAIN], PERIOD, steps)
    b = Pipeline.fit(changed[:N_TRAIN], PERIOD, steps)
    assert a.describe() == b.describe() and a.trend == b.trend and a.scale == b.scale
    np.testing.assert_array_equal(a.transform(y)[:N_TRAIN], a.transform(changed)[:N_TRAIN])
    z = np.ones((1, 5))
    origin = np.array([N_TRAIN])
    np.testing.assert_array_equal(a.inverse(z, origin, y), a.inverse(z, origin, changed))


def test_cox_stuart_matches_the_binomial_tail_by_hand() -> None:
    rng = np.random.default_rng(3)
    for trend in (0.0, 0.02, 0.05, 0.5):
        y = trend * np.arange(41) + rng.normal(0, 1, 41)
        half = 20
        signs = np.sign(y[41 - half:] - y[:half])
        pos, n = int(np.sum(signs > 0)), int(np.sum(signs != 0))
        tail = sum(math.comb(n, k) for k in range(min(pos, n - pos) + 1)) / 2**n
        assert cox_stuart(y) == (min(1.0, 2 * tail) < 0.05)
    assert cox_stuart(np.arange(30.0)) and not cox_stuart(np.ones(30))


def test_cox_stuart_mode_chooses_a_linear_trend_or_differences() -> None:
    rising = seasonal_series(slope=2.0)
    flat = 100 + np.random.default_rng(1).normal(0, 1, 120)
    steps = Steps(detrend="cox_stuart")
    assert Pipeline.fit(rising[:N_TRAIN], PERIOD, steps).detrend == "linear"
    assert Pipeline.fit(flat[:N_TRAIN], PERIOD, steps).detrend == "diff"


def test_box_cox_is_skipped_for_values_that_are_not_positive() -> None:
    """The season is still removed, additively (models.seasonality), and put back exactly."""
    y = seasonal_series() - 300
    pipe = Pipeline.fit(y[:N_TRAIN], PERIOD, Steps("test", True, "diff", "minmax"))
    assert pipe.boxcox is None and pipe.season.seasonal and pipe.season.additive
    assert pipe.describe() == "deseasonalised (additive, period 12), differenced, scaled"
    z = pipe.transform(y)
    np.testing.assert_allclose(pipe.inverse(z[None, N_TRAIN:], np.array([N_TRAIN]), y),
                               y[None, N_TRAIN:], rtol=1e-12)


@pytest.mark.parametrize(("field", "value"), [("deseasonalize", "yes"), ("detrend", "cubic"),
                                              ("scale", "robust"), ("boxcox", "true")])
def test_bad_switches_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        Steps(**{field: value})


@pytest.mark.parametrize("detrend", ["none", "diff"])
def test_box_cox_forecasts_stay_finite_and_near_the_training_range(detrend: str) -> None:
    """A forecast far outside the training levels is clipped to their range widened by that
    range on each side (past -1/lambda a negative lambda's inverse would be infinite)."""
    y = seasonal_series()
    pipe = Pipeline.fit(y[:N_TRAIN], PERIOD, Steps("test", True, detrend, "minmax"))
    back = pipe.inverse(np.array([[1e9, -1e9]]), np.array([N_TRAIN]), y)
    assert np.isfinite(back).all()
    assert back.min() >= 0 and back.max() < 10 * y.max()


def test_box_cox_with_a_negative_lambda_stays_below_ten_times_the_training_maximum() -> None:
    """M3 N2735: lambda -0.96 puts -1/lambda inside the widened training range; forecasts past
    it were 8.7e307 and failed three models' tasks."""
    (item,) = load_collection(DataSpec(source="m3:monthly", series=("N2735",))).items
    y = item.series.to_numpy(dtype=float)
    pipe = Pipeline.fit(y[:-18], PERIOD, Steps("test", True, "cox_stuart", "minmax"))
    assert pipe.boxcox is not None and pipe.boxcox.lam < -0.9 and not pipe.season.seasonal
    back = pipe.inverse(np.full((1, 4), 1e9), np.array([len(y) - 18]), y)
    np.testing.assert_allclose(back, 10 * y[:-18].max(), rtol=1e-9)
