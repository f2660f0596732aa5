"""Property tests (hypothesis) of the walk-forward splits, and the same folds for every model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from forecast_bench import models
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import run_walk_forward
from forecast_bench.models.errors import ConfigError
from tests.conftest import random_walk
from tests.properties_common import FAST, one_line

# --- splits ------------------------------------------------------------------------------------


@st.composite
def valid_splits(draw):
    """(n, min_train, WalkForward) that the code must accept, with every kind of parameter."""
    folds = draw(st.integers(1, 6))
    horizon = draw(st.integers(1, 5))
    step = draw(st.integers(1, 6))
    min_train = draw(st.integers(1, 10))
    window = draw(st.one_of(st.just("expanding"), st.integers(min_train, 60)))
    n_test = draw(st.integers(folds * horizon, 150))
    train = window if isinstance(window, int) else min_train
    n = n_test + train + draw(st.integers(0, 100))
    if draw(st.booleans()):
        test_size = n_test
    else:  # a fraction whose rounding (round(n * f), as WalkForward.n_test) is a valid count
        test_size = draw(st.floats(0.001, 0.999))
        n_test = round(n * test_size)
        assume(folds * horizon <= n_test <= n - train)
    split = WalkForward(test_size=test_size, folds=folds, horizon=horizon, step=step,
                        window=window)
    return n, min_train, split


def check_folds(split: WalkForward, n: int, min_train: int) -> None:
    """Every invariant of a successful split."""
    folds = split.split(n, min_train=min_train)
    n_test = split.n_test(n)
    if isinstance(split.test_size, float):
        assert n_test == round(n * split.test_size) and abs(n_test - n * split.test_size) <= 0.5
    else:
        assert n_test == split.test_size
    assert len(folds) == split.folds
    assert [f.index for f in folds] == list(range(split.folds))
    # every test position in exactly one fold; the test span is the last n_test values
    covered = np.concatenate([np.arange(f.train_end, f.test_end) for f in folds])
    np.testing.assert_array_equal(covered, np.arange(n - n_test, n))
    sizes = [f.test_end - f.train_end for f in folds]
    assert sum(sizes) == n_test and max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)  # earlier folds larger, as documented
    for fold in folds:
        assert 0 <= fold.train_start < fold.train_end < fold.test_end <= n
        assert fold.train_size >= min_train
        if split.window == "expanding":
            assert fold.train_start == 0
        else:
            assert fold.train_size == split.window
        assert fold.origins, "a fold without origins"
        assert list(fold.origins) == list(range(fold.origins[0], fold.origins[-1] + 1,
                                                split.step))
        for origin in fold.origins:
            assert fold.train_end <= origin  # never forecast from inside the training part
            targets = range(origin, origin + split.horizon)
            assert fold.train_end <= min(targets) and max(targets) < fold.test_end


@FAST
@given(valid_splits())
def test_valid_splits_tile_the_test_span(case):
    n, min_train, split = case
    check_folds(split, n, min_train)


@FAST
@given(valid_splits())
def test_split_depends_only_on_its_parameters(case):
    """Identical folds every time (the runner computes them once and shares them)."""
    n, min_train, split = case
    assert split.split(n, min_train=min_train) == split.split(n, min_train=min_train)


ANY_VALUE = st.one_of(
    st.integers(-5, 400), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.none(), st.sampled_from(["expanding", "rolling", "", "4"]),
)


# REGRESSION EXAMPLES: real bugs hypothesis found in evaluation/harness/splits.py, fixed 2026-11-24;
# the minimal inputs stay pinned so they are checked on every run:
#   - a sliding window shorter than min_train is accepted (train_size 1 < min_train 2);
#   - test_size=nan passes validation, then split() raises ValueError instead of ConfigError.
@example(kwargs={"folds": 1, "window": 1}, n=254, min_train=2)
@example(kwargs={"test_size": float("nan")}, n=100, min_train=2)
@settings(FAST, max_examples=300)
@given(
    kwargs=st.fixed_dictionaries({}, optional={
        "test_size": st.one_of(ANY_VALUE, st.floats(0, 1)),
        "folds": st.one_of(ANY_VALUE, st.integers(1, 8)),
        "horizon": st.one_of(ANY_VALUE, st.integers(1, 6)),
        "step": st.one_of(ANY_VALUE, st.integers(1, 6)),
        "window": st.one_of(ANY_VALUE, st.integers(1, 100)),
    }),
    n=st.integers(0, 400),
    min_train=st.integers(1, 20),
)
def test_any_parameters_split_or_raise_config_error(kwargs, n, min_train):
    """Arbitrary parameters: a split with every invariant, or a one-line ConfigError."""
    try:
        split = WalkForward(**kwargs)
        split.split(n, min_train=min_train)
    except ConfigError as exc:
        one_line(exc)
        return
    check_folds(split, n, min_train)


@pytest.mark.parametrize(
    ("n", "kwargs", "min_train"),
    [(100, {"folds": 30, "test_size": 20}, 2),  # more folds than test values
     (100, {"test_size": 10, "folds": 4, "horizon": 3}, 2),  # folds * horizon > test size
     (100, {"horizon": 0}, 2), (100, {"step": -1}, 2), (100, {"step": 0}, 2),
     (100, {"folds": -2}, 2), (100, {"test_size": -3}, 2), (100, {"test_size": 1.0}, 2),
     (100, {"test_size": 100}, 2), (100, {"test_size": 150}, 2),  # test_size >= n
     (100, {"test_size": 0.999}, 2),  # rounds to all 100 values
     (100, {"test_size": 0.001, "folds": 1}, 2),  # rounds to 0 test values
     (100, {"test_size": 20, "folds": 2, "window": 90}, 2),  # window + test > n
     (100, {"test_size": 96, "folds": 2}, 5),  # 4 training values < min_train
     (100, {"test_size": float("inf")}, 2), (100, {"window": -1}, 2),
     (100, {"window": True}, 2), (100, {"horizon": 1.5}, 2)],
)
def test_invalid_parameters_raise_one_line_config_error(n, kwargs, min_train):
    with pytest.raises(ConfigError) as info:
        WalkForward(**kwargs).split(n, min_train=min_train)
    one_line(info.value)


# REGRESSION (fixed 2026-11-24): a sliding window shorter than min_train
# is accepted, so every fold trains on fewer values than the models need and each model fails
# later, fold by fold, with a ModelError instead of one ConfigError up front.
# Minimal example: WalkForward(test_size=1, folds=1, window=1).split(3, min_train=2)
# -> [Fold(index=0, train_start=1, train_end=2, test_end=3, origins=(2,))].
@settings(FAST, max_examples=100)
@given(min_train=st.integers(2, 20), data=st.data())
def test_window_shorter_than_min_train_is_a_config_error(min_train, data):
    window = data.draw(st.integers(1, min_train - 1))
    n_test = data.draw(st.integers(1, 50))
    n = data.draw(st.integers(n_test + min_train, 300))
    with pytest.raises(ConfigError) as info:
        WalkForward(test_size=n_test, folds=1, window=window).split(n, min_train=min_train)
    one_line(info.value)


# REGRESSION (fixed 2026-11-24): test_size = nan (TOML allows `nan`) passed
# WalkForward's validation (nan <= 0 and nan >= 1 are both False), and split() then raises
# "ValueError: cannot convert float NaN to integer" from n_test's round(n * nan).
def test_nan_test_size_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        WalkForward(test_size=float("nan")).split(1260)
    one_line(info.value)


# --- identical folds for every model -----------------------------------------------------------


@settings(FAST, max_examples=50)
@given(
    n=st.integers(30, 90), seed=st.integers(0, 2**16), n_test=st.integers(4, 24),
    folds=st.integers(1, 4), horizon=st.integers(1, 3), step=st.integers(1, 3),
    window=st.one_of(st.just("expanding"), st.integers(5, 20)), period=st.integers(1, 5),
)
def test_every_model_forecasts_the_same_points(n, seed, n_test, folds, horizon, step, window,
                                               period):
    assume(folds * horizon <= n_test)
    y = random_walk(n, seed=seed)
    runs = {"naive": models.get("naive"), "drift": models.get("drift"),
            "seasonal_naive": models.get("seasonal_naive", period=period)}
    min_train = max(model.min_train_size for model in runs.values())
    split = WalkForward(test_size=n_test, folds=folds, horizon=horizon, step=step, window=window)
    try:
        fold_list = split.split(n, min_train=min_train)
    except ConfigError:
        assume(False)
    result = run_walk_forward(y, fold_list, runs, horizon)
    assert (result.status.status == "ok").all(), result.status.reason.tolist()
    dates = y.index
    expected = {(f.index, dates[o - 1], dates[o + s - 1], s)
                for f in fold_list for o in f.origins for s in range(1, horizon + 1)}
    f = result.forecasts
    keys = {model: set(zip(part.fold, part.origin, part.target, part.step, strict=True))
            for model, part in f.groupby("model")}
    assert set(keys) == set(runs)
    for model, got in keys.items():
        assert got == expected, model
        assert len(f[f.model == model]) == len(expected)  # no duplicated forecast
    # and every model saw the same actuals
    truth = f.pivot_table(index=["fold", "origin", "step"], columns="model", values="y_true")
    assert truth.notna().all().all()
    assert (truth.nunique(axis=1) == 1).all()
