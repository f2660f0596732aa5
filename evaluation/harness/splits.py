"""Rolling-origin (walk-forward) splits, computed once per run and shared by every model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from forecast_bench.models.errors import ConfigError

PROTOCOLS = ("rolling", "fixed")
DATASET = "dataset"  # split.horizon: each series' own horizon, from the dataset


@dataclasses.dataclass(frozen=True)
class Fold:
    """Positions in the series: fit on [train_start, train_end), forecast from each origin.

    An origin `o` is the number of observations seen: a forecast from `o` may use y[:o] only
    and targets y[o], ..., y[o + horizon - 1], all inside the fold's test span
    [train_end, test_end).
    """

    index: int
    train_start: int
    train_end: int
    test_end: int
    origins: tuple[int, ...]

    @property
    def train_size(self) -> int:
        return self.train_end - self.train_start


@dataclasses.dataclass(frozen=True)
class WalkForward:
    """Split the last `test_size` observations into `folds` consecutive test spans.

    test_size: a count, or a fraction in (0, 1) of the series (0.2 = the tutorial's 80/20).
    folds: number of test spans (sizes differ by at most one, earlier ones larger).
    horizon: steps forecast from each origin, or "dataset": each series' own horizon (M3's).
    step: distance between origins.
    window: "expanding" (train from the start) or an int (sliding window of that length).
    protocol: "rolling" (the folds above) or "fixed": the M3/M4 competitions' fixed origin,
    train on all but the last `horizon` values and forecast them once (test_size, folds and
    step are then ignored).
    one_step: also forecast every test value of a fold one step ahead, from the actuals
    before it and with the fold's fitted model (Makridakis et al.'s one-step-ahead variant).
    The model is refitted at the start of every fold.
    """

    test_size: int | float = 252
    folds: int = 4
    horizon: int | str = 1
    step: int = 1
    window: int | str = "expanding"
    protocol: str = "rolling"
    one_step: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.one_step, bool):
            raise ConfigError(f"split.one_step must be true or false, got {self.one_step!r}")
        if self.protocol not in PROTOCOLS:
            raise ConfigError(f"split.protocol must be one of {', '.join(PROTOCOLS)}, "
                              f"got {self.protocol!r}")
        if self.horizon == DATASET:
            return self._check(("folds", "step"))
        self._check(("folds", "horizon", "step"))

    def _check(self, fields: tuple[str, ...]) -> None:
        for field in fields:
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                also = " or 'dataset'" if field == "horizon" else ""
                raise ConfigError(f"split.{field} must be an integer >= 1{also}, got {value!r}")
        size = self.test_size
        if isinstance(size, bool) or not isinstance(size, int | float) or not size > 0 or (
            isinstance(size, float) and not size < 1
        ):
            raise ConfigError(
                f"split.test_size must be a count >= 1 or a fraction in (0, 1), got {size!r}"
            )
        window = self.window
        if window != "expanding" and (
            isinstance(window, bool) or not isinstance(window, int) or window < 1
        ):
            raise ConfigError(
                f"split.window must be 'expanding' or a window length >= 1, got {window!r}"
            )

    def resolved(self, dataset_horizon: int | None) -> WalkForward:
        """The concrete split of one series: "dataset" replaced by its horizon, and the fixed
        protocol written as one fold with one origin (test_size = folds' span = horizon)."""
        horizon = self.horizon
        if isinstance(horizon, str):  # DATASET, the one string __post_init__ allows
            if dataset_horizon is None:
                raise ConfigError("split.horizon = 'dataset' needs a dataset that gives a "
                                  "horizon (M3 does); set split.horizon to a number")
            horizon = int(dataset_horizon)
        if self.protocol == "fixed":
            return dataclasses.replace(self, test_size=horizon, folds=1, horizon=horizon,
                                       step=horizon, protocol="rolling")
        return dataclasses.replace(self, horizon=horizon)

    def n_test(self, n: int) -> int:
        """Number of test observations for a series of length n."""
        size = self.test_size
        return round(n * size) if isinstance(size, float) else int(size)

    def split(self, n: int, min_train: int = 2) -> list[Fold]:
        """The folds for a series of `n` observations; ConfigError if it is too short."""
        horizon = self.horizon
        if isinstance(horizon, str) or self.protocol != "rolling":  # str: DATASET
            return self.resolved(None).split(n, min_train)
        n_test = self.n_test(n)
        first_train_end = n - n_test
        if isinstance(self.window, int) and self.window < min_train:
            raise ConfigError(f"split.window is {self.window} but the models need at least "
                              f"{min_train} training values; lengthen split.window")
        needed = (self.window if isinstance(self.window, int) else min_train) + n_test
        if first_train_end < min_train or n < needed:
            raise ConfigError(
                f"the series has {n} values but the split needs {needed} "
                f"({n_test} to test + {needed - n_test} to train); lower split.test_size, "
                f"shorten split.window, or load more data (data.last)"
            )
        if n_test < self.folds * horizon:
            raise ConfigError(
                f"split.test_size ({n_test}) is too small for {self.folds} folds with horizon "
                f"{self.horizon}; each fold needs at least {self.horizon} test values"
            )
        sizes = [len(part) for part in np.array_split(np.arange(n_test), self.folds)]
        folds, train_end = [], first_train_end
        for index, size in enumerate(sizes):
            test_end = train_end + size
            start = 0 if self.window == "expanding" else train_end - int(self.window)
            origins = tuple(range(train_end, test_end - horizon + 1, self.step))
            folds.append(Fold(index, start, train_end, test_end, origins))
            train_end = test_end
        return folds


def folds_frame(folds: list[Fold], series: pd.Series, period: int = 1) -> pd.DataFrame:
    """One row per fold with positions and dates, as written to folds.csv (see fold_rows)."""
    return pd.DataFrame(fold_rows(folds, series, period))


def fold_rows(folds: list[Fold], series: pd.Series, period: int = 1) -> list[dict[str, object]]:
    """One dict per fold: positions, dates, and naive_mae_train, MASE's scale: the in-sample
    seasonal naive MAE of the fold's training part, mean |y_t - y_{t-period}| (M4's
    definition; period 1: the one-step random walk's). NaN when the training part has no more
    than `period` values; 0 for a flat one.
    """
    dates, values = series.index, series.to_numpy(dtype=float)
    return [
        {
            "fold": f.index,
            "train_start": dates[f.train_start].date(),
            "train_end": dates[f.train_end - 1].date(),
            "test_start": dates[f.train_end].date(),
            "test_end": dates[f.test_end - 1].date(),
            "n_train": f.train_size,
            "n_test": f.test_end - f.train_end,
            "n_origins": len(f.origins),
            "first_origin": f.origins[0],
            "last_origin": f.origins[-1],
            "naive_mae_train": seasonal_naive_mae(values[f.train_start:f.train_end], period),
            "mase_period": period,
        }
        for f in folds
    ]


def seasonal_naive_mae(train: np.ndarray, period: int = 1) -> float:
    """mean |y_t - y_{t-period}| over the training values; NaN with too few values."""
    train = np.asarray(train, dtype=float)
    if len(train) <= period:
        return float("nan")
    return float(np.mean(np.abs(train[period:] - train[:-period])))
