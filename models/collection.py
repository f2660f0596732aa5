"""Models fitted on many series at once: a global network trained on windows from every series,
or many per-series networks trained as one batched computation.

A `CollectionForecaster` is also a plain `Forecaster` (a panel of one series), so the conformance
suite holds it to the same contract. The harness (evaluation.harness.walk_forward) gives it all the
series of a run that use it in one call: `fit_collection` on every series' training part, then
`forecast_collection` from every series' origins.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np

from forecast_bench.models.base import Forecast, Forecaster, as_values, check_horizon, check_origins
from forecast_bench.models.covariates import Covariates, check_covariates
from forecast_bench.models.errors import ModelError
from forecast_bench.models.intervals import CALIBRATION_WINDOW, check_levels, conformal_bounds


class CollectionForecaster(Forecaster):
    """Fit once on the training parts of many series; forecast each from its own history.

    Subclasses implement `_fit_collection` and `_forecast_collection`; the config should have a
    `period` field (None: the series' seasonal period) named by `period_param`.
    """

    # The share of each series' training part held out to calibrate conformal bounds (split
    # conformal: a copy fitted before it forecasts the origins in it), for a model whose errors
    # on its own training targets understate its errors (boosted trees fit them closely);
    # None: the fitted model's own errors at the earlier origins.
    calibration_holdout: ClassVar[float | None] = None

    def period_of(self) -> int:
        """This model's seasonal period (1 when it has none or leaves it unset)."""
        value = getattr(self.config, self.period_param, None) if self.period_param else None
        return int(value or 1)

    def fit_collection(self, series: Sequence[np.ndarray], periods: Sequence[int],
                       covariates: Sequence[Covariates | None] | None = None) -> Self:
        """Learn the parameters from every series' training values (each with its seasonal
        period and, for a model taking them, its covariates: rows beside its values); writes
        `n_series_` and, for a panel of one, `y_train_`."""
        values = [as_values(y, f"series {i}") for i, y in enumerate(series)]
        if not values or len(values) != len(periods):
            raise ModelError(f"model '{self.name}' needs one period per series, got "
                             f"{len(values)} series and {len(periods)} periods")
        short = [i for i, y in enumerate(values) if len(y) < self.min_train_size]
        if short:
            raise ModelError(f"model '{self.name}' needs at least {self.min_train_size} training "
                             f"values, series {short[0]} has {len(values[short[0]])}; use a "
                             "longer training window")
        used = self._used_covariates(covariates, [len(y) for y in values], "fit", None)
        periods = [max(int(p), 1) for p in periods]
        if used is None:
            self._fit_collection(values, periods)
        else:
            self._fit_collection_covariates(values, periods, [c.rows(0, len(y)) for c, y in
                                                              zip(used, values, strict=True)])
        self.covariate_names_ = None if used is None else used[0].names
        self.fit_lengths_, self.fit_periods_ = [len(y) for y in values], periods
        self.n_series_ = len(values)
        self.y_train_ = values[0]
        return self

    def _used_covariates(self, covariates: Sequence[Covariates | None] | None,
                         rows: Sequence[int], what: str,
                         fitted: tuple[str, tuple[str, ...] | None] | None,
                         ) -> list[Covariates] | None:
        """The series' covariates when this model takes them (every series' or none, the same
        columns, at least `rows` rows each); None when it does not or none are given."""
        if not self.takes_covariates or covariates is None or all(
                c is None for c in covariates):
            if fitted is not None and fitted[1] is not None:
                raise ModelError(f"model '{fitted[0]}' was fitted with covariates {fitted[1]}; "
                                 f"{what} was given none")
            return None
        if len(covariates) != len(rows) or any(c is None for c in covariates):
            raise ModelError(f"model '{self.name}' needs covariates for every series or none; "
                             f"{what} was given them for "
                             f"{sum(c is not None for c in covariates)} of {len(rows)}")
        used = [c for c in covariates if c is not None]
        for i, (c, n) in enumerate(zip(used, rows, strict=True)):
            check_covariates(c, n, f"{what} (series {i})",
                             fitted or (self.name, used[0].names))
        return used

    def forecast_collection(self, series: Sequence[np.ndarray],
                            origins: Sequence[Sequence[int] | np.ndarray], horizon: int,
                            levels: Sequence[float] = (),
                            covariates: Sequence[Covariates | None] | None = None,
                            ) -> list[Forecast]:
        """Forecasts of series i (its values up to its fold's end) from its origins, for the
        series the model was fitted on, in the same order; conformal intervals at `levels`.
        A model fitted with covariates needs each series' rows to its last target."""
        self._check_fitted()
        horizon = check_horizon(horizon)
        levels = check_levels(levels)
        values = [as_values(y, f"series {i}") for i, y in enumerate(series)]
        if len(values) != self.n_series_ or len(origins) != len(values):
            raise ModelError(f"model '{self.name}' was fitted on {self.n_series_} series; got "
                             f"{len(values)} series and {len(origins)} origin lists")
        idx = [check_origins(o, len(y), self.min_train_size) for o, y in zip(origins, values,
                                                                             strict=True)]
        used = self._used_covariates(covariates, [int(o.max()) + horizon for o in idx],
                                     "forecasting", (self.name, self.covariate_names_))
        results = self._checked_collection(values, idx, horizon, used)
        return self._conformal(results, values, idx, horizon, levels, used) if levels else results

    def _conformal(self, results: list[Forecast], values: list[np.ndarray],
                   idx: list[np.ndarray], horizon: int, levels: tuple[float, ...],
                   used: list[Covariates] | None) -> list[Forecast]:
        """`results` with conformal bounds from the errors at each series' calibration origins:
        the fitted model's own, or (`calibration_holdout`) those of a copy fitted on each
        series' training part less its held-out end, from the origins in that end on."""
        calibration = [calibration_origins(o, horizon, self.min_train_size) for o in idx]
        model = self
        if self.calibration_holdout is not None:
            cuts = [max(self.min_train_size, n - max(horizon, round(self.calibration_holdout * n)))
                    for n in self.fit_lengths_]
            calibration = [c[c >= cut] for c, cut in zip(calibration, cuts, strict=True)]
            model = self.clone().fit_collection([y[:cut] for y, cut in zip(values, cuts,
                                                                          strict=True)],
                                                self.fit_periods_, used)
        # one panel call for every series' calibration origins (a series with none forecasts
        # from its own origins there, and its result is not used)
        fitted = model._checked_collection(
            values, [c if len(c) else o for c, o in zip(calibration, idx, strict=True)], horizon,
            used)
        return [conformal_forecast(result.point, result.members, y, o, c, past.point, levels)
                for result, y, o, c, past in zip(results, values, idx, calibration, fitted,
                                                 strict=True)]

    # -- ensembles whose members the harness trains as separate, cached tasks --

    def ensemble_size(self) -> int:
        """How many independently trained members this model combines (1: the harness runs
        it as one unit of work)."""
        return 1

    def member(self, index: int) -> CollectionForecaster:
        """An unfitted model that trains member `index` alone, exactly as the whole ensemble
        trains it (ensemble_size() > 1 only); `combine` makes the ensemble's point."""
        raise NotImplementedError(f"model '{self.name}' has no separable members")

    def _checked_collection(self, values: list[np.ndarray], idx: list[np.ndarray],
                            horizon: int, covariates: list[Covariates] | None = None,
                            ) -> list[Forecast]:
        results = (self._forecast_collection(values, idx, horizon) if covariates is None else
                   self._forecast_collection_covariates(values, idx, horizon, covariates))
        if len(results) != len(values):
            raise ModelError(f"model '{self.name}' returned {len(results)} forecasts for "
                             f"{len(values)} series")
        return [Forecast(self._checked(r.point, (len(o), horizon)), np.asarray(r.members))
                for r, o in zip(results, idx, strict=True)]

    # -- a panel of one: the plain Forecaster interface --

    def fit(self, y: np.ndarray, leak: np.ndarray | None = None,
            covariates: Covariates | None = None) -> Self:
        """fit_collection on [y] (with its covariates, for a model taking them)."""
        if leak is not None:
            raise ModelError(f"model '{self.name}' is not leaky; it must not be given test data")
        return self.fit_collection([y], [self.period_of()], [covariates])

    def _fit(self, y: np.ndarray) -> None:
        self._fit_collection([y], [self.period_of()])

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast(history, np.array([len(history)]), horizon).point[0]

    def _forecast(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> Forecast:
        if getattr(self, "n_series_", 1) != 1:
            raise ModelError(f"model '{self.name}' was fitted on {self.n_series_} series; "
                             "use forecast_collection")
        return self._forecast_collection([y], [origins], horizon)[0]

    def _conformal_bounds(self, y: np.ndarray, origins: np.ndarray, horizon: int,
                          point: np.ndarray, levels: tuple[float, ...],
                          covariates: Covariates | None = None) -> tuple[np.ndarray, np.ndarray]:
        (bounded,) = self._conformal([Forecast.single(point)], [y], [origins], horizon, levels,
                                     None if covariates is None else [covariates])
        if bounded.lower is None or bounded.upper is None:
            raise ModelError(f"model '{self.name}' made no conformal bounds")
        return bounded.lower, bounded.upper

    def _forecast_covariates(self, y: np.ndarray, origins: np.ndarray, horizon: int,
                             covariates: Covariates, sd: bool) -> tuple[Forecast, Any]:
        return self._forecast_collection_covariates([y], [origins], horizon, [covariates])[0], None

    def _fit_collection_covariates(self, series: list[np.ndarray], periods: list[int],
                                   covariates: list[Covariates]) -> None:
        """`_fit_collection` with each series' covariates (rows beside its training values);
        for models whose `takes_covariates` is True."""
        raise NotImplementedError(f"model '{self.name}' takes no covariates")

    def _forecast_collection_covariates(self, series: list[np.ndarray],
                                        origins: list[np.ndarray], horizon: int,
                                        covariates: list[Covariates]) -> list[Forecast]:
        """`_forecast_collection` reading each series' covariates (rows to its last target):
        from origin o, a known-ahead column up to o + horizon - 1, any other before o only."""
        raise NotImplementedError(f"model '{self.name}' takes no covariates")

    # -- to implement --

    @abstractmethod
    def _fit_collection(self, series: list[np.ndarray], periods: list[int]) -> None:
        """Learn from the training values of every series (float arrays, any lengths)."""

    @abstractmethod
    def _forecast_collection(self, series: list[np.ndarray], origins: list[np.ndarray],
                             horizon: int) -> list[Forecast]:
        """One Forecast (origins x horizon) per series, series i seeing only
        series[i][:origin] for each of its origins."""


def calibration_origins(origins: np.ndarray, horizon: int, min_train_size: int) -> np.ndarray:
    """The earlier origins whose errors calibrate conformal bounds at `origins` (possibly none)."""
    return np.arange(max(min_train_size, int(origins.min()) - horizon - CALIBRATION_WINDOW + 1),
                     int(origins.max()))


def conformal_forecast(point: np.ndarray, members: np.ndarray, y: np.ndarray,
                       origins: np.ndarray, calibration: np.ndarray, past: np.ndarray,
                       levels: tuple[float, ...]) -> Forecast:
    """`point` with conformal bounds at `levels` from the errors of `past`, the same model's
    forecasts from the `calibration` origins of series `y` (ignored when there are none)."""
    horizon = point.shape[1]
    errors = np.full((len(calibration), horizon), np.nan)
    if len(calibration):
        targets = calibration[:, None] + np.arange(horizon)
        known = targets < len(y)
        errors[known] = y[targets[known]] - past[known]
    lower, upper = conformal_bounds(point, origins, calibration, errors, levels)
    return Forecast(point, members, levels, lower, upper, "conformal")
