"""A global gradient-boosted tree model: ONE LightGBM booster trained on rows pooled from every
series of a panel, the approach of most top entries of the M5 competition (Makridakis,
Spiliotis & Assimakopoulos 2022, "M5 accuracy competition: results, findings, and conclusions",
International Journal of Forecasting).

Each series is divided by the mean absolute value of its own training part (fixed at fit, so
a forecast never reads a later value to scale), which puts series of any level on one scale.
The features for the target at position t all end at t-1: lags 1..L (L = `lags`, default
max(2 x the panel's largest period, 14)); the series' own seasonal lags (its period and twice
it, so series of different periods share one column meaning "a season ago"); the mean and
standard deviation of the last w values for each w in `windows`. A value before the series'
start is NaN, which LightGBM treats as missing. Training targets start where every feature is
complete (or at position 1 for a series shorter than that), within each series' training part.
The series index is not a feature unless `series_feature` is set: the model stays global.

Forecasts are recursive: the booster predicts one step, which is fed back as the newest value,
for `horizon` steps, with one predict per step for every origin of every series at once.
Deterministic under `seed`: one thread, LightGBM's `deterministic` mode.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from forecast_bench.models.base import Forecast, ModelConfig
from forecast_bench.models.collection import CollectionForecaster
from forecast_bench.models.lstm import _positive_ints
from forecast_bench.models.registry import register


@dataclasses.dataclass(frozen=True)
class LightGbmConfig(ModelConfig):
    n_estimators: int = 300  # boosting rounds
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 20
    lags: int | None = None  # lags 1..lags; None: max(2 x the largest period, 14)
    windows: tuple[int, ...] = (7, 28)  # rolling mean and sd over the last w values, each w
    series_feature: bool = False  # the series' index as a categorical feature (not global)
    period: int | None = None  # seasonal period; None: the series' own
    seed: int = 0

    def validate(self) -> None:
        object.__setattr__(self, "windows", _positive_ints(self.windows, "windows"))
        self.require_ints(n_estimators=1, num_leaves=2, min_data_in_leaf=1, seed=0)
        self.require_optional_ints(lags=1, period=1)
        rate = self.learning_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError(f"learning_rate must be a number > 0, got {rate!r}")
        if not isinstance(self.series_feature, bool):
            raise ValueError(f"series_feature must be true or false, got "
                             f"{self.series_feature!r}")

    def resolved_lags(self, periods: list[int]) -> int:
        """The number of lags: `lags`, or max(2 x the largest period, 14)."""
        return self.lags if self.lags is not None else max(2 * max(periods), 14)


def reach(lags: int, windows: tuple[int, ...], periods: list[int]) -> int:
    """How many values before a target its features read (the paths' width)."""
    return max(lags, *windows, 2 * max(periods))


def features(paths: np.ndarray, seasons: np.ndarray, lags: int,
             windows: tuple[int, ...]) -> np.ndarray:
    """Feature rows (rows x columns) for the value after each path (rows x width, the newest
    value last, NaN before a series' start), `seasons` the row's series' period: lags 1..lags,
    the values `season` and 2 x `season` back, then each window's mean and sd (NaN when the
    window reaches before the start)."""
    rows = np.arange(len(paths))
    width = paths.shape[1]
    columns = [paths[:, ::-1][:, :lags],
               paths[rows, width - seasons][:, None], paths[rows, width - 2 * seasons][:, None]]
    for w in windows:
        recent = paths[:, width - w:]
        columns += [recent.mean(axis=1)[:, None], recent.std(axis=1)[:, None]]
    return np.concatenate(columns, axis=1)


def padded(z: np.ndarray, width: int) -> np.ndarray:
    """z with `width` NaNs in front (values before the start are missing)."""
    return np.concatenate([np.full(width, np.nan), z])


@register("lightgbm")
class LightGbm(CollectionForecaster):
    """One LightGBM booster on lags and rolling statistics of every series (M5's winners)."""

    config_class = LightGbmConfig
    config: LightGbmConfig
    period_param = "period"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"n_estimators": 10},
                {"n_estimators": 10, "lags": 3, "windows": [2], "period": 4,
                 "series_feature": True, "min_data_in_leaf": 5}]

    @property
    def min_train_size(self) -> int:
        """One training target with one known lag."""
        return 2

    def _fit_collection(self, series: list[np.ndarray], periods: list[int]) -> None:
        cfg = self.config
        self.periods_ = list(periods)
        self.lags_ = cfg.resolved_lags(self.periods_)
        self.width_ = reach(self.lags_, cfg.windows, self.periods_)
        scales = np.array([np.mean(np.abs(y)) for y in series])
        self.scales_ = np.where(scales > 0, scales, 1.0)
        x, t = training_rows([y / s for y, s in zip(series, self.scales_, strict=True)],
                             self.periods_, self.lags_, cfg.windows, self.width_,
                             cfg.series_feature)
        self.n_rows_ = len(t)
        lightgbm = _lightgbm()
        data = lightgbm.Dataset(x, label=t, params=self._params(),
                                categorical_feature=[x.shape[1] - 1] if cfg.series_feature
                                else "auto")
        self.booster_ = lightgbm.train(self._params(), data, num_boost_round=cfg.n_estimators)

    def _params(self) -> dict[str, Any]:
        cfg = self.config
        return {"objective": "regression", "learning_rate": cfg.learning_rate,
                "num_leaves": cfg.num_leaves, "min_data_in_leaf": cfg.min_data_in_leaf,
                "seed": cfg.seed, "deterministic": True, "force_col_wise": True,
                "num_threads": 1, "verbosity": -1, "feature_pre_filter": False}

    def describe_fit(self) -> str:
        return (f"lightgbm, {self.booster_.num_trees()} trees, {self.lags_} lags, windows "
                f"{list(self.config.windows)}, {self.n_rows_} rows of {self.n_series_} series")

    def _forecast_collection(self, series: list[np.ndarray], origins: list[np.ndarray],
                             horizon: int) -> list[Forecast]:
        """Recursive forecasts for every origin of every series at once, scaled back."""
        paths, seasons, owners = [], [], []
        for i, (y, o) in enumerate(zip(series, origins, strict=True)):
            z = padded(y[:o.max()] / self.scales_[i], self.width_)
            paths.append(z[o[:, None] + np.arange(self.width_)])  # the width_ values before o
            seasons.append(np.full(len(o), self.periods_[i]))
            owners.append(np.full(len(o), i))
        z = self.recursive(np.concatenate(paths), np.concatenate(seasons),
                           np.concatenate(owners), horizon)
        bounds = np.cumsum([0] + [len(o) for o in origins])
        return [Forecast.single(z[a:b] * scale)
                for a, b, scale in zip(bounds[:-1], bounds[1:], self.scales_, strict=True)]

    def recursive(self, paths: np.ndarray, seasons: np.ndarray, owners: np.ndarray,
                  horizon: int) -> np.ndarray:
        """Scaled forecasts (rows x horizon) after each path, each step fed back as the
        newest value."""
        out = np.empty((len(paths), horizon))
        for step in range(horizon):
            x = features(paths, seasons, self.lags_, self.config.windows)
            if self.config.series_feature:
                x = np.column_stack([x, owners])
            out[:, step] = self.booster_.predict(x)
            paths = np.column_stack([paths[:, 1:], out[:, step]])
        return out


def training_rows(parts: list[np.ndarray], periods: list[int], lags: int,
                  windows: tuple[int, ...], width: int,
                  series_feature: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every series' feature rows and targets (see the module docstring for which targets),
    pooled; with `series_feature`, the series' index as the last column."""
    inputs, targets = [], []
    for i, (z, period) in enumerate(zip(parts, periods, strict=True)):
        first = reach(lags, windows, [period]) if len(z) > reach(lags, windows, [period]) else 1
        paths = sliding_window_view(padded(z, width), width)[first:len(z)]  # end before t
        x = features(paths, np.full(len(paths), period), lags, windows)
        if series_feature:
            x = np.column_stack([x, np.full(len(x), i)])
        inputs.append(x)
        targets.append(z[first:])
    return np.concatenate(inputs), np.concatenate(targets)


def _lightgbm() -> Any:
    """The lightgbm module, imported on first use (importing the models stays fast)."""
    import lightgbm

    return lightgbm
