"""A global gradient-boosted tree model: ONE LightGBM booster trained on rows pooled from every
series of a panel, the approach of most top entries of the M5 competition (Makridakis,
Spiliotis & Assimakopoulos 2022, "M5 accuracy competition: results, findings, and conclusions",
International Journal of Forecasting).

Each series is divided by the mean absolute value of its own training part (fixed at fit, so
a forecast never reads a later value to scale), which puts series of any level on one scale.
The features of a row end at its origin's last value: lags 1..L (L = `lags`, default
max(2 x the panel's largest period, 14)); the series' own seasonal lags (its period and twice
it, so series of different periods share one column meaning "a season ago"); the mean and
standard deviation of the last w values for each w in `windows`. A value before the series'
start is NaN, which LightGBM treats as missing. Training targets start where every feature is
complete (or at position 1 for a series shorter than that), within each series' training part.
The series index is not a feature unless `series_feature` is set: the model stays global.

Covariates (models.covariates): a known-ahead column is read at the target's row (the
promotion, price or holiday of the day forecast); an observed (past) column at the origin's
last row, the newest value a forecast may see. Covariates are not scaled (trees split on
values, so only their order within a column matters).

Strategies: "recursive" predicts one step and feeds it back as the newest value, `horizon`
times, with one predict per step for every origin of every series at once; it cannot read an
observed covariate beyond the origin, so it ignores past covariates (with a warning).
"direct" trains one booster per step h = 1..H (H = `horizon`, the run's by default), each on
targets h steps after its features' origin: the M5 entries' other approach, H times the
training. "auto" (the default) is direct when past covariates are given, recursive otherwise.
Deterministic under `seed`: one thread, LightGBM's `deterministic` mode.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from forecast_bench.models.base import Forecast, ModelConfig
from forecast_bench.models.collection import CollectionForecaster
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.errors import ModelError
from forecast_bench.models.lstm import _positive_ints
from forecast_bench.models.registry import register

DIRECT_HORIZON = 28  # direct boosters trained outside a run that sets the horizon (M5's)
STRATEGIES = ("auto", "recursive", "direct")


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
    strategy: str = "auto"  # recursive, direct, or auto: direct when past covariates are given
    horizon: int | None = None  # direct: steps; None: the run's (with_horizon), else 28
    seed: int = 0

    def validate(self) -> None:
        object.__setattr__(self, "windows", _positive_ints(self.windows, "windows"))
        self.require_ints(n_estimators=1, num_leaves=2, min_data_in_leaf=1, seed=0)
        self.require_optional_ints(lags=1, period=1, horizon=1)
        self.require_choices(strategy=STRATEGIES)
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


# per series: the known-ahead columns, and the past ones the fit reads (empty lists: none)
Tables = tuple[list[np.ndarray], list[np.ndarray]]


def design(x: np.ndarray, origins: np.ndarray, owners: np.ndarray, step: int, tables: Tables,
           series_feature: bool) -> np.ndarray:
    """The booster's input for the targets `step` (1-based) after each origin (its row of `x`,
    the features of the values before it; its position; its series): the base features, the
    known-ahead columns at the target's row, the observed ones at the origin's last row, then
    (with `series_feature`) the series index."""
    future, past = tables
    columns = [x, _rows(future, owners, origins + step - 1), _rows(past, owners, origins - 1)]
    if series_feature:
        columns.append(owners[:, None].astype(float))
    return np.concatenate(columns, axis=1)


def _rows(tables: list[np.ndarray], owners: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Row `rows[k]` of table `owners[k]` for each k (rows x the tables' columns; none when
    there are no tables)."""
    out = np.empty((len(rows), tables[0].shape[1] if tables else 0))
    if out.shape[1]:
        for i in np.unique(owners):
            mine = owners == i
            out[mine] = tables[i][rows[mine]]
    return out


@register("lightgbm")
class LightGbm(CollectionForecaster):
    """One LightGBM booster on lags, rolling statistics and covariates of every series (M5's
    winners), recursive or direct."""

    config_class = LightGbmConfig
    config: LightGbmConfig
    period_param = "period"
    horizon_param = "horizon"  # direct: one booster per step of the run's horizon
    takes_covariates = True  # known-ahead at the target's row; past ones at the origin's last
    calibration_holdout = 0.2  # its errors on its own training targets are far too small

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"n_estimators": 10},
                {"n_estimators": 10, "lags": 3, "windows": [2], "period": 4,
                 "series_feature": True, "min_data_in_leaf": 5},
                {"n_estimators": 5, "strategy": "direct", "horizon": 3, "lags": 4,
                 "windows": [3], "min_data_in_leaf": 5}]

    @property
    def min_train_size(self) -> int:
        """One training target with one known lag."""
        return 2

    def past_covariates_use(self) -> str:
        return ("ignored, recursive strategy" if self.config.strategy == "recursive"
                else "read at each origin's last row, direct strategy")

    def _fit_collection(self, series: list[np.ndarray], periods: list[int]) -> None:
        self._fit_collection_covariates(series, periods, None)

    def _fit_collection_covariates(self, series: list[np.ndarray], periods: list[int],
                                   covariates: list[Covariates] | None) -> None:
        cfg = self.config
        self.periods_ = list(periods)
        self.lags_ = cfg.resolved_lags(self.periods_)
        self.width_ = reach(self.lags_, cfg.windows, self.periods_)
        scales = np.array([np.mean(np.abs(y)) for y in series])
        self.scales_ = np.where(scales > 0, scales, 1.0)
        observed = covariates is not None and not all(covariates[0].known_ahead)
        self.direct_ = cfg.strategy == "direct" or (cfg.strategy == "auto" and observed)
        self.steps_ = (cfg.horizon or DIRECT_HORIZON) if self.direct_ else 1
        self.reads_past_ = self.direct_ and observed
        if observed and not self.direct_:
            warnings.warn("lightgbm (recursive) ignores the past covariates: their values "
                          "after the origin are unknown; use strategy = 'direct'", stacklevel=2)
        parts = [y / s for y, s in zip(series, self.scales_, strict=True)]
        x, starts, owners = training_origins(parts, self.periods_, self.lags_, cfg.windows,
                                             self.width_)
        tables = self._tables(covariates)
        self.covariate_columns_ = (tables[0][0].shape[1] if tables[0] else 0,
                                   tables[1][0].shape[1] if tables[1] else 0)
        lightgbm = _lightgbm()
        self.boosters_, self.n_rows_ = [], 0
        values, lengths = np.concatenate(parts), np.array([len(z) for z in parts])
        for step in range(1, self.steps_ + 1):
            keep = starts + step - 1 < lengths[owners]  # the target is in the training part
            if not keep.any():
                raise ModelError(f"model 'lightgbm' has no training target {step} steps "
                                 "after an origin; use longer series or a shorter horizon")
            inputs = design(x[keep], starts[keep], owners[keep], step, tables,
                            cfg.series_feature)
            t = values[_flat(parts, owners[keep], starts[keep] + step - 1)]
            data = lightgbm.Dataset(inputs, label=t, params=self._params(),
                                    categorical_feature=[inputs.shape[1] - 1]
                                    if cfg.series_feature
                                    else "auto")
            self.boosters_.append(lightgbm.train(self._params(), data,
                                                 num_boost_round=cfg.n_estimators))
            self.n_rows_ += len(t)
        self.booster_ = self.boosters_[0]

    def _tables(self, covariates: list[Covariates] | None) -> Tables:
        """Each series' known-ahead columns, and its past ones if this fit reads them."""
        if covariates is None:
            return [], []
        return ([c.values[:, list(c.known_ahead)] for c in covariates],
                [c.values[:, [not k for k in c.known_ahead]] for c in covariates]
                if self.reads_past_ else [])

    def _params(self) -> dict[str, Any]:
        cfg = self.config
        return {"objective": "regression", "learning_rate": cfg.learning_rate,
                "num_leaves": cfg.num_leaves, "min_data_in_leaf": cfg.min_data_in_leaf,
                "seed": cfg.seed, "deterministic": True, "force_col_wise": True,
                "num_threads": 1, "verbosity": -1, "feature_pre_filter": False}

    def describe_fit(self) -> str:
        future, past = self.covariate_columns_
        strategy = (f"direct, {len(self.boosters_)} boosters of" if self.direct_
                    else "recursive,")
        read = f", {future} known-ahead and {past} past covariates" if future or past else ""
        return (f"lightgbm {strategy} {self.booster_.num_trees()} trees, {self.lags_} lags, "
                f"windows {list(self.config.windows)}{read}, {self.n_rows_} rows of "
                f"{self.n_series_} series")

    def _forecast_collection(self, series: list[np.ndarray], origins: list[np.ndarray],
                             horizon: int) -> list[Forecast]:
        return self._forecast_collection_covariates(series, origins, horizon, None)

    def _forecast_collection_covariates(self, series: list[np.ndarray],
                                        origins: list[np.ndarray], horizon: int,
                                        covariates: list[Covariates] | None,
                                        ) -> list[Forecast]:
        """Forecasts for every origin of every series at once, scaled back."""
        if self.direct_ and horizon > self.steps_:
            raise ModelError(f"model 'lightgbm' (direct) was trained for {self.steps_} steps, "
                             f"not {horizon}; set horizon = {horizon}")
        paths, seasons = [], []
        for i, (y, o) in enumerate(zip(series, origins, strict=True)):
            z = padded(y[:o.max()] / self.scales_[i], self.width_)
            paths.append(z[o[:, None] + np.arange(self.width_)])  # the width_ values before o
            seasons.append(np.full(len(o), self.periods_[i]))
        owners = np.concatenate([np.full(len(o), i) for i, o in enumerate(origins)])
        at = np.concatenate(origins)
        path = np.concatenate(paths)
        season = np.concatenate(seasons)
        tables = self._tables(covariates)
        if self.direct_:
            x = features(path, season, self.lags_, self.config.windows)
            z = np.column_stack([self.boosters_[h].predict(
                design(x, at, owners, h + 1, tables, self.config.series_feature))
                for h in range(horizon)])
        else:
            z = self.recursive(path, season, owners, at, horizon, tables)
        bounds = np.cumsum([0] + [len(o) for o in origins])
        return [Forecast.single(z[a:b] * scale)
                for a, b, scale in zip(bounds[:-1], bounds[1:], self.scales_, strict=True)]

    def recursive(self, paths: np.ndarray, seasons: np.ndarray, owners: np.ndarray,
                  origins: np.ndarray, horizon: int, tables: Tables) -> np.ndarray:
        """Scaled forecasts (rows x horizon) after each path, each step fed back as the
        newest value."""
        out = np.empty((len(paths), horizon))
        for step in range(horizon):
            x = features(paths, seasons, self.lags_, self.config.windows)
            out[:, step] = self.booster_.predict(design(x, origins + step, owners, 1, tables,
                                                        self.config.series_feature))
            paths = np.column_stack([paths[:, 1:], out[:, step]])
        return out


def training_origins(parts: list[np.ndarray], periods: list[int], lags: int,
                     windows: tuple[int, ...], width: int,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every series' training origins (positions 1.. before the end of its training part;
    from the first whose features are complete, see the module docstring), pooled: their
    features (the values before each), positions and series."""
    inputs, origins, owners = [], [], []
    for i, (z, period) in enumerate(zip(parts, periods, strict=True)):
        first = reach(lags, windows, [period]) if len(z) > reach(lags, windows, [period]) else 1
        paths = sliding_window_view(padded(z, width), width)[first:len(z)]  # end before t
        inputs.append(features(paths, np.full(len(paths), period), lags, windows))
        origins.append(np.arange(first, len(z)))
        owners.append(np.full(len(z) - first, i))
    return np.concatenate(inputs), np.concatenate(origins), np.concatenate(owners)


def _flat(parts: list[np.ndarray], owners: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Indices into the concatenation of `parts` of position `positions[k]` of part
    `owners[k]`."""
    starts = np.cumsum([0] + [len(z) for z in parts])[:-1]
    return starts[owners] + positions


def _lightgbm() -> Any:
    """The lightgbm module, imported on first use (importing the models stays fast)."""
    import lightgbm

    return lightgbm
