"""The global LightGBM model (models/boosting.py): its features by hand, no look-ahead in its
training rows, the recursion by hand, determinism, and a panel where it beats the naive."""

from __future__ import annotations

import numpy as np
import pytest

from forecast_bench.models import get
from forecast_bench.models.boosting import LightGbm, design, training_origins
from forecast_bench.models.errors import ConfigError

WEEK = np.array([1.0, 1.2, 0.9, 1.1, 1.5, 2.0, 0.6])


def hand_row(z: np.ndarray, t: int, lags: int, windows: tuple[int, ...], period: int) -> list:
    """The features of target t, one loop at a time (NaN before the start)."""
    def at(k: int) -> float:
        return float(z[k]) if k >= 0 else np.nan

    row = [at(t - k) for k in range(1, lags + 1)] + [at(t - period), at(t - 2 * period)]
    for w in windows:
        window = [at(k) for k in range(t - w, t)]
        row += [np.mean(window), np.std(window)]
    return row


def training_rows(parts: list[np.ndarray], periods: list[int], lags: int,
                  windows: tuple[int, ...], width: int,
                  series_feature: bool) -> tuple[np.ndarray, np.ndarray]:
    """The one-step training rows the model's fit builds (no covariates), and their targets."""
    x, origins, owners = training_origins(parts, periods, lags, windows, width)
    targets = np.array([parts[i][o] for i, o in zip(owners, origins, strict=True)])
    return design(x, origins, owners, 1, ([], []), series_feature), targets


def panel(n_series: int = 20, length: int = 140, seed: int = 0) -> list[np.ndarray]:
    """Series of different levels sharing a weekly pattern, with 5% noise."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(5, 100) * (np.tile(WEEK, length // 7) + rng.normal(0, 0.05, length))
            for _ in range(n_series)]


def test_feature_rows_by_hand():
    z = np.arange(1.0, 13.0) ** 1.5  # 12 values; reach max(3, 2, 2 x 4) = 8
    short = np.array([3.0, 1.0, 4.0, 1.0, 5.0])  # shorter than its reach: targets from 1
    x, t = training_rows([z, short], [4, 4], lags=3, windows=(2,), width=8,
                         series_feature=True)
    expected = ([[*hand_row(z, k, 3, (2,), 4), 0] for k in range(8, 12)]
                + [[*hand_row(short, k, 3, (2,), 4), 1] for k in range(1, 5)])
    np.testing.assert_allclose(x, np.array(expected), rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(t, np.concatenate([z[8:], short[1:]]))


def test_no_row_reads_its_target_or_later():
    rng = np.random.default_rng(1)
    z = rng.normal(size=40)
    x, t = training_rows([z], [5], lags=6, windows=(3, 7), width=10, series_feature=False)
    first = len(z) - len(t)
    assert first == 10 and np.array_equal(t, z[first:])  # targets inside the training part
    for k in range(first, len(z)):
        changed = z.copy()
        changed[k:] = rng.normal(size=len(z) - k) * 100
        row = training_rows([changed], [5], 6, (3, 7), 10, False)[0][k - first]
        np.testing.assert_array_equal(row, x[k - first])


def test_recursion_by_hand_with_the_booster():
    series = panel(n_series=4, length=70)
    model = get("lightgbm", n_estimators=20, lags=8, windows=[3], min_data_in_leaf=5)
    assert isinstance(model, LightGbm)
    model.fit_collection([y[:49] for y in series], [7] * 4)
    origin, horizon = 56, 5
    forecast = model.forecast_collection(series, [np.array([origin])] * 4, horizon)
    for i, y in enumerate(series):
        scale = np.mean(np.abs(y[:49]))
        path = list(y[:origin] / scale)
        for _ in range(horizon):
            z = np.array(path)
            row = hand_row(z, len(z), 8, (3,), 7)
            path.append(float(model.booster_.predict(np.array([row]))[0]))
        np.testing.assert_allclose(forecast[i].point[0], np.array(path[origin:]) * scale,
                                   rtol=1e-10)


def test_beats_naive_on_a_shared_weekly_pattern():
    series = panel()
    train, origins, horizon = 112, np.arange(112, 134), 7
    model = get("lightgbm", n_estimators=100).fit_collection([y[:train] for y in series],
                                                             [7] * len(series))
    forecasts = model.forecast_collection(series, [origins] * len(series), horizon)
    targets = origins[:, None] + np.arange(horizon)
    errors = [np.abs(f.point - y[targets]).mean() for f, y in zip(forecasts, series, strict=True)]
    naive = [np.abs(y[origins - 1][:, None] - y[targets]).mean() for y in series]
    ratio = np.mean(errors) / np.mean(naive)
    assert ratio < 0.3, ratio  # about 0.1 here: a weekly swing of +-40% against 5% noise


def test_same_seed_same_forecasts_and_scale_equivariance():
    series = panel(n_series=6, length=84, seed=2)
    train = [y[:70] for y in series]
    origins = [np.array([70, 77])] * 6

    def run(parts: list[np.ndarray], values: list[np.ndarray]) -> np.ndarray:
        model = get("lightgbm", n_estimators=30, seed=3).fit_collection(parts, [7] * 6)
        return np.stack([f.point for f in model.forecast_collection(values, origins, 7)])

    first = run(train, series)
    np.testing.assert_array_equal(first, run(train, series))
    # each series scaled by its own mean absolute value: multiplying one by 10 scales its
    # forecasts by 10 and leaves the others' unchanged
    scaled = run([train[0] * 10, *train[1:]], [series[0] * 10, *series[1:]])
    np.testing.assert_allclose(scaled[0], first[0] * 10, rtol=1e-6)
    np.testing.assert_allclose(scaled[1:], first[1:], rtol=1e-6)


@pytest.mark.parametrize("params", [{"windows": [0]}, {"learning_rate": 0}, {"lags": 0},
                                    {"series_feature": "yes"}, {"num_leaves": 1}])
def test_bad_parameters_are_refused(params):
    with pytest.raises(ConfigError):
        get("lightgbm", **params)
