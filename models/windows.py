"""Features and look-back windows for the neural models, vectorised over forecast origins.

Every feature at time t uses values up to and including t only (trailing windows), so a
window ending at t-1 never sees the target at t.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# feature name -> how many earlier values it needs (its warm-up)
FEATURES: dict[str, int] = {"close": 0, "ma7": 6, "ma50": 49, "returns": 1}


def warmup(features: tuple[str, ...]) -> int:
    """Earlier values needed before the first complete feature row."""
    return max(FEATURES[name] for name in features)


def feature_matrix(x: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """Features along the last axis of `x` (shape (..., T)) -> (..., T, len(features)).

    Rows before a feature's warm-up are NaN.
    """
    x = np.asarray(x, dtype=float)
    columns = []
    for name in features:
        if name == "close":
            columns.append(x)
        elif name == "returns":
            previous = np.concatenate([np.full((*x.shape[:-1], 1), np.nan), x[..., :-1]], -1)
            columns.append(x / previous - 1.0)
        else:
            columns.append(trailing_mean(x, int(name[2:])))
    return np.stack(columns, axis=-1)


def trailing_mean(x: np.ndarray, k: int) -> np.ndarray:
    """Mean of x[t-k+1 .. t] along the last axis; NaN for t < k-1."""
    out = np.full(x.shape, np.nan)
    if x.shape[-1] < k:
        return out
    cumulative = np.cumsum(x, axis=-1)
    out[..., k - 1] = cumulative[..., k - 1] / k
    out[..., k:] = (cumulative[..., k:] - cumulative[..., :-k]) / k
    return out


def training_windows(rows: np.ndarray, targets: np.ndarray,
                     look_back: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of `look_back` consecutive feature rows and the target right after each.

    rows: (T, F) complete feature rows; targets: (T,) aligned with rows. Returns
    X (T - look_back, look_back, F) as a strided view and y (T - look_back,).
    """
    windows = sliding_window_view(rows, look_back, axis=0)  # (T - L + 1, F, L)
    return np.swapaxes(windows[:-1], 1, 2), targets[look_back:]


def lag_pairs(z: np.ndarray, lags: int, first: int = 1,
              last: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Windows z[i:i+lags] and their targets, the values `first`..`last` steps after each
    window (a vector when first == last), for every window whose targets all lie in z."""
    if len(z) < lags + last:
        return np.empty((0, lags)), np.empty((0,) if first == last else (0, last - first + 1))
    inputs = sliding_window_view(z, lags)[: len(z) - lags - last + 1]
    targets = sliding_window_view(z[lags + first - 1:], last - first + 1)[: len(inputs)]
    return inputs, targets[:, 0] if first == last else targets


def origin_paths(y: np.ndarray, origins: np.ndarray, length: int) -> np.ndarray:
    """The last `length` values before each origin: shape (len(origins), length)."""
    return y[origins[:, None] - length + np.arange(length)]
