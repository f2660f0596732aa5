"""models/windows.py against plain Python loops and pandas (pure NumPy, no Keras)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_bench.models import windows

ALL_FEATURES = ("close", "ma7", "ma50", "returns")


def prices(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 + np.cumsum(rng.normal(0.05, 1.0, n))


def loop_feature(x: np.ndarray, name: str) -> np.ndarray:
    """One feature column of a 1-D series, the slow obvious way."""
    out = np.full(len(x), np.nan)
    for t in range(len(x)):
        if name == "close":
            out[t] = x[t]
        elif name == "returns":
            if t >= 1:
                out[t] = x[t] / x[t - 1] - 1.0
        else:
            k = int(name[2:])
            if t >= k - 1:
                out[t] = sum(x[t - k + 1 : t + 1]) / k
    return out


def pandas_feature(x: np.ndarray, name: str) -> np.ndarray:
    s = pd.Series(x)
    if name == "close":
        return s.to_numpy()
    if name == "returns":
        return s.pct_change().to_numpy()
    return s.rolling(int(name[2:])).mean().to_numpy()


# -- warmup ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (("close",), 0),
        (("returns",), 1),
        (("ma7",), 6),
        (("ma50",), 49),
        (("close", "ma7"), 6),
        (("close", "returns"), 1),
        (("returns", "ma50", "close"), 49),
        (ALL_FEATURES, 49),
    ],
)
def test_warmup(features, expected):
    assert windows.warmup(features) == expected


# -- feature_matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FEATURES)
def test_feature_matrix_1d_matches_loop_and_pandas(name):
    x = prices()
    got = windows.feature_matrix(x, (name,))
    assert got.shape == (len(x), 1)
    np.testing.assert_allclose(got[:, 0], loop_feature(x, name), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[:, 0], pandas_feature(x, name), rtol=1e-12, atol=1e-12)


def test_feature_matrix_columns_follow_feature_order():
    x = prices()
    features = ("returns", "ma50", "close", "ma7")
    got = windows.feature_matrix(x, features)
    assert got.shape == (len(x), len(features))
    for j, name in enumerate(features):
        np.testing.assert_allclose(got[:, j], loop_feature(x, name), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ALL_FEATURES)
def test_feature_matrix_nan_exactly_in_warmup_rows(name):
    x = prices()
    got = windows.feature_matrix(x, (name,))[:, 0]
    expected_nan = np.arange(len(x)) < windows.FEATURES[name]
    np.testing.assert_array_equal(np.isnan(got), expected_nan)


def test_feature_matrix_2d_is_row_by_row_1d():
    batch = np.stack([prices(80, seed) for seed in range(4)])  # (batch, time)
    got = windows.feature_matrix(batch, ALL_FEATURES)
    assert got.shape == (4, 80, len(ALL_FEATURES))
    for b in range(4):
        np.testing.assert_array_equal(got[b], windows.feature_matrix(batch[b], ALL_FEATURES))
        for j, name in enumerate(ALL_FEATURES):
            np.testing.assert_allclose(
                got[b, :, j], loop_feature(batch[b], name), rtol=1e-12, atol=1e-12
            )


def test_feature_matrix_accepts_lists_and_ints():
    got = windows.feature_matrix([1, 2, 4], ("close", "returns"))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [[1.0, np.nan], [2.0, 1.0], [4.0, 1.0]])


def test_trailing_mean_exact_small_case():
    got = windows.trailing_mean(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 3)
    np.testing.assert_allclose(got, [np.nan, np.nan, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("name", ALL_FEATURES)
def test_features_are_trailing(name):
    """Changing x[t+1:] never changes a feature row <= t."""
    rng = np.random.default_rng(7)
    x = prices(100)
    base = windows.feature_matrix(x, (name,))
    for t in rng.integers(0, len(x) - 1, size=25):
        changed = x.copy()
        changed[t + 1 :] += rng.normal(0, 30, len(x) - t - 1) + 50
        again = windows.feature_matrix(changed, (name,))
        np.testing.assert_array_equal(again[: t + 1], base[: t + 1], err_msg=f"t={t}")
        if t + 1 >= windows.FEATURES[name]:  # the perturbation does reach row t+1
            assert again[t + 1, 0] != base[t + 1, 0]


def test_features_are_trailing_in_batch():
    rng = np.random.default_rng(8)
    batch = np.stack([prices(70, seed) for seed in range(3)])
    base = windows.feature_matrix(batch, ALL_FEATURES)
    t = 55
    changed = batch.copy()
    changed[:, t + 1 :] *= rng.uniform(0.5, 2.0, (3, 70 - t - 1))
    again = windows.feature_matrix(changed, ALL_FEATURES)
    np.testing.assert_array_equal(again[:, : t + 1], base[:, : t + 1])


def test_feature_matrix_shorter_than_warmup_is_all_nan():
    got = windows.feature_matrix(np.arange(1.0, 11.0), ("ma50",))
    assert got.shape == (10, 1)
    assert np.isnan(got).all()


# -- training_windows -----------------------------------------------------------------------


@pytest.mark.parametrize(("n_rows", "n_features", "look_back"), [(30, 1, 5), (40, 3, 7), (6, 2, 5)])
def test_training_windows_match_loop(n_rows, n_features, look_back):
    rng = np.random.default_rng(n_rows)
    rows = rng.normal(size=(n_rows, n_features))
    targets = rng.normal(size=n_rows)
    x, y = windows.training_windows(rows, targets, look_back)
    n = n_rows - look_back
    assert x.shape == (n, look_back, n_features)
    assert y.shape == (n,)
    loop_x = np.array([rows[i : i + look_back] for i in range(n)]).reshape(x.shape)
    loop_y = np.array([targets[i + look_back] for i in range(n)])
    np.testing.assert_array_equal(x, loop_x)
    np.testing.assert_array_equal(y, loop_y)


def test_training_windows_target_comes_right_after_the_window():
    rows = np.arange(10.0)[:, None]  # row i holds i
    x, y = windows.training_windows(rows, np.arange(10.0), 4)
    np.testing.assert_array_equal(x[:, -1, 0] + 1, y)
    np.testing.assert_array_equal(x[0, :, 0], [0, 1, 2, 3])


def test_training_windows_is_a_view_of_rows():
    rows = np.random.default_rng(0).normal(size=(50, 2))
    x, _ = windows.training_windows(rows, np.zeros(50), 6)
    assert np.shares_memory(x, rows)
    assert x.base is not None


def test_training_windows_with_no_room_for_a_target_is_empty():
    x, y = windows.training_windows(np.zeros((5, 2)), np.zeros(5), 5)
    assert x.shape == (0, 5, 2)
    assert y.shape == (0,)


# -- origin_paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 5, 11])
def test_origin_paths_match_slices(length):
    y = prices(60)
    origins = np.array([length, length + 1, 20, 37, 59, 60])
    got = windows.origin_paths(y, origins, length)
    assert got.shape == (len(origins), length)
    np.testing.assert_array_equal(got, np.array([y[o - length : o] for o in origins]))


def test_origin_paths_is_a_copy():
    y = prices(30)
    got = windows.origin_paths(y, np.array([10, 20]), 5)
    got[:] = 0.0
    assert (y != 0.0).all()


@pytest.mark.parametrize(("first", "last"), [(1, 1), (3, 3), (1, 4)])
def test_lag_pairs_are_every_window_with_its_later_values(first, last):
    z, lags = np.arange(20.0) ** 1.5, 5
    inputs, targets = windows.lag_pairs(z, lags, first, last)
    expected = [(z[i:i + lags], z[i + lags + first - 1:i + lags + last])
                for i in range(len(z) - lags - last + 1)]
    assert len(inputs) == len(expected)
    for row, target, (want_row, want_target) in zip(inputs, targets, expected, strict=True):
        np.testing.assert_array_equal(row, want_row)
        np.testing.assert_array_equal(np.atleast_1d(target), want_target)
    short_inputs, short_targets = windows.lag_pairs(z[:lags + last - 1], lags, first, last)
    assert short_inputs.shape == (0, lags) and len(short_targets) == 0
