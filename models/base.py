"""The forecaster interface every model implements (after scikit-learn and statsforecast).

A model is fitted once on a training history, then forecasts `horizon` steps after the end of
any history, reusing the fitted parameters. Subclasses implement `_fit` and `_predict`, and may
override `_predict_origins` to forecast from many origins in one batched call; a model that
averages several seeds overrides `_forecast` instead, to return each member's forecasts too.
Predicting never writes to the model: forecasts are returned as values.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from forecast_bench.models.covariates import Covariates, check_covariates
from forecast_bench.models.errors import ConfigError, ModelError, NotFittedError
from forecast_bench.models.intervals import (
    CALIBRATION_WINDOW,
    check_levels,
    conformal_bounds,
    gaussian_bounds,
)
from forecast_bench.models.model_config import ModelConfig


@dataclasses.dataclass(frozen=True)
class Forecast:
    """Point forecasts from many origins (origins x horizon) and, for a model averaging several
    seeds, each member's forecasts (members x origins x horizon; empty when there is one).
    With interval levels asked for, `lower` and `upper` hold the bounds (levels x origins x
    horizon; NaN where a conformal bound has too few errors) and `interval_method` says how
    they were made ("analytic" or "conformal")."""

    point: np.ndarray
    members: np.ndarray  # shape (0, n_origins, horizon) when the model has no members
    levels: tuple[float, ...] = ()
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    interval_method: str = ""

    @classmethod
    def single(cls, point: np.ndarray) -> Forecast:
        """A forecast without members."""
        point = np.asarray(point, dtype=float)
        return cls(point, np.empty((0, *point.shape)))

    @classmethod
    def from_members(cls, members: np.ndarray) -> Forecast:
        """The members' mean as the point forecast; one member gives a forecast without members."""
        members = np.asarray(members, dtype=float)
        point = members.mean(axis=0)
        return cls(point, members) if len(members) > 1 else cls.single(point)


class Forecaster(ABC):
    """Fit on a history, then forecast from the end of any later history with fixed parameters.

    `fit` writes `y_train_` (and model-specific attributes ending in `_`) and returns self;
    it never changes `config`. Predicting writes nothing: a fitted model is read-only.
    """

    name: ClassVar[str] = ""
    config_class: ClassVar[type[ModelConfig]] = ModelConfig
    min_history: ClassVar[int] = 1  # fewest observations fit() and each forecast origin need
    # the config field taking a seasonal period (None there: the series' period, see with_period)
    period_param: ClassVar[str | None] = None
    # the config field taking every seasonal period of the series (MSTL, harmonic regression;
    # None there: the series' periods, see with_periods)
    periods_param: ClassVar[str | None] = None
    # the config field taking the run's horizon (None there: set by with_horizon)
    horizon_param: ClassVar[str | None] = None
    # True: _fit_covariates and _forecast_covariates read covariates; False: never given any
    takes_covariates: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = {f.name for f in dataclasses.fields(cls.config_class)}
        if "model" in fields:  # a run config's [models.LABEL] table uses `model` for the name
            raise TypeError(f"{cls.__name__}: a parameter may not be called 'model'; "
                            "a run config uses that key for the registered model's name")
        for param in ("period_param", "periods_param", "horizon_param"):
            field = getattr(cls, param)
            if field is not None and field not in fields:
                raise TypeError(f"{cls.__name__}.{param} {field!r} is not a field of "
                                f"{cls.config_class.__name__}")

    def __init__(self, **params: Any) -> None:
        fields = {f.name for f in dataclasses.fields(self.config_class)}
        unknown = sorted(set(params) - fields)
        if unknown:
            allowed = ", ".join(sorted(fields)) or "none"
            raise ConfigError(
                f"model '{self.name}' has no parameter {unknown[0]!r}; allowed: {allowed}"
            )
        try:
            self.config = self.config_class(**params)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"model '{self.name}': {exc}") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config})"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        """The parameter dicts the model contract (forecast_bench.testing) checks this model
        with: small and fast, a fit on 120 values in about a second. Default: the defaults."""
        return [{}]

    def params(self) -> dict[str, Any]:
        """The resolved hyper-parameters, as stored in the run's config.toml."""
        return dataclasses.asdict(self.config)

    def combine(self, members: np.ndarray) -> np.ndarray:
        """The point forecast from its members' (members first): their mean, unless the model
        says otherwise (N-BEATS: the median)."""
        return np.asarray(members, dtype=float).mean(axis=0)

    def clone(self) -> Self:
        """An unfitted copy with the same hyper-parameters."""
        return type(self)(**self.params())

    def with_period(self, period: int) -> Self:
        """An unfitted copy whose seasonal period (`period_param`) is `period` if the config
        leaves it None; otherwise, or for a model without one, a plain clone."""
        if isinstance(period, bool) or not isinstance(period, int | np.integer) or period < 1:
            raise ConfigError(f"model '{self.name}': period must be an integer >= 1, "
                              f"got {period!r}")
        params = self.params()
        if self.period_param is not None and params[self.period_param] is None:
            params[self.period_param] = int(period)
        return type(self)(**params)

    def with_periods(self, periods: Sequence[float]) -> Self:
        """`with_period` of the primary period (the first whole one, else 1), and for a model
        taking several (`periods_param`: Fourier terms may use 365.25 or 52.18) that field set
        to all of them where the config leaves it None."""
        whole = [int(p) for p in periods if float(p).is_integer()]
        model = self.with_period(whole[0] if whole else 1)
        if self.periods_param is None:
            return model
        params = model.params()
        if params[self.periods_param] is None:
            params[self.periods_param] = tuple(int(p) if float(p).is_integer() else float(p)
                                               for p in periods)
        return type(self)(**params)

    def with_horizon(self, horizon: int) -> Self:
        """The model for runs forecasting `horizon` steps: for a model trained for a fixed
        horizon (`horizon_param`: N-BEATS, direct LightGBM) an unfitted copy taking it where
        the config leaves it None; otherwise the model itself."""
        if self.horizon_param is None or getattr(self.config, self.horizon_param) is not None:
            return self
        return type(self)(**{**self.params(), self.horizon_param: int(horizon)})

    @property
    def batch_tolerance(self) -> float:
        """Batched vs per-origin forecasts, absolute. A class attribute in most models; the
        hybrids' depends on their parts."""
        return 1e-8

    @property
    def interval_method(self) -> str:
        """"analytic": Gaussian intervals from the model's own _forecast_sd; "conformal": from
        the model's errors on earlier origins (models.intervals), for any model. Most models
        set it as a class attribute; ETS's depends on its fit."""
        return "conformal"

    @property
    def leaky(self) -> bool:
        """True when an option deliberately lets fit() see the fold's test part (a known leak)."""
        return False

    @property
    def min_train_size(self) -> int:
        """Fewest training observations `fit` accepts (may depend on the config)."""
        return self.min_history

    @property
    def residual_start(self) -> int:
        """The first position whose in-sample residual a residual model (the hybrids) learns
        from: the early residuals of a fit are its warm-up. By default the minimum history."""
        return self.min_train_size

    # -- public template methods: checks live here, models implement the underscored ones --

    def fit(self, y: pd.Series | np.ndarray, leak: pd.Series | np.ndarray | None = None,
            covariates: Covariates | None = None) -> Self:
        """Learn the parameters from `y`; writes `y_train_`.

        `leak` (the whole fold, test part included) is passed only to models whose `leaky` is
        True, to reproduce a known mistake such as scaling with the whole series' min and max.
        `covariates` (rows beside y's) reach only a model whose `takes_covariates` is True.
        """
        values = as_values(y, "y")
        if len(values) < self.min_train_size:
            raise ModelError(
                f"model '{self.name}' needs at least {self.min_train_size} training values, "
                f"got {len(values)}; use a longer training window"
            )
        used = covariates if self.takes_covariates else None
        check_covariates(used, len(values), "fit")
        if used is not None:  # a leaky model takes no covariates
            self._fit_covariates(values, used.rows(0, len(values)))
        elif leak is None:
            self._fit(values)
        elif self.leaky:
            # a leaky model's _fit takes the keyword (models/lstm.py); the base declares none
            self._fit(values, leak=as_values(leak, "leak"))  # type: ignore[call-arg]
        else:
            raise ModelError(f"model '{self.name}' is not leaky; it must not be given test data")
        self.covariate_names_ = None if used is None else used.names
        self.y_train_ = values
        return self

    def predict(self, horizon: int, history: pd.Series | np.ndarray | None = None) -> np.ndarray:
        """Forecast `horizon` steps after the end of `history` (default: the training data)."""
        self._check_fitted()
        horizon = check_horizon(horizon)
        values = self.y_train_ if history is None else as_values(history, "history")
        check_origins([len(values)], len(values), self.min_train_size)
        return self._checked(self._predict(values, horizon), (horizon,))

    def forecast(
        self, y: pd.Series | np.ndarray, origins: Sequence[int] | np.ndarray, horizon: int,
        levels: Sequence[float] = (), covariates: Covariates | None = None,
    ) -> Forecast:
        """Forecasts from many origins (point: len(origins) x horizon), each seeing only
        y[:origin], with the members' forecasts of a model averaging several seeds, and
        prediction intervals at each of `levels` (percent, e.g. [80, 95]). `covariates` (rows
        aligned with y's to every target; the fit's columns) reach a model taking them."""
        self._check_fitted()
        horizon = check_horizon(horizon)
        levels = check_levels(levels)
        values = as_values(y, "y")
        idx = check_origins(origins, len(values), self.min_train_size)
        used = covariates if self.takes_covariates else None
        check_covariates(used, int(idx.max()) + horizon, "forecasting",
                         (self.name, getattr(self, "covariate_names_", None)))
        analytic = bool(levels) and self.interval_method == "analytic"
        result, sd = self._forecast_any(values, idx, horizon, used, analytic)
        if not isinstance(result, Forecast):
            raise ModelError(f"model '{self.name}' returned {type(result).__name__}, "
                             "expected a Forecast")
        shape = (len(idx), horizon)
        point = self._checked(result.point, shape)
        members = np.asarray(result.members, dtype=float)
        if members.ndim != 3 or members.shape[1:] != shape or len(members) == 1:
            raise ModelError(f"model '{self.name}' returned members of shape {members.shape}, "
                             f"expected (n, {shape[0]}, {shape[1]}) with n = 0 or n >= 2")
        if not levels:
            return Forecast(point, members)
        if analytic:
            sd = self._checked(np.asarray(sd, dtype=float), shape)  # None: shape ()
            lower, upper = gaussian_bounds(point, sd, levels)
        else:
            lower, upper = self._conformal_bounds(values, idx, horizon, point, levels, used)
        return Forecast(point, members, levels, lower, upper, self.interval_method)

    def predict_origins(
        self, y: pd.Series | np.ndarray, origins: Sequence[int] | np.ndarray, horizon: int
    ) -> np.ndarray:
        """Point forecasts from many origins (len(origins) x horizon), seeing only y[:origin]."""
        return self.forecast(y, origins, horizon).point

    def describe_fit(self) -> str:
        """One line on what fit() learned, e.g. the chosen ARIMA order; '' when nothing to say."""
        return ""

    def past_covariates_use(self) -> str:
        """How a model taking covariates treats past (observed) ones, for the run's note."""
        return "read before each origin"

    # -- to implement --

    @abstractmethod
    def _fit(self, y: np.ndarray) -> None:
        """Learn parameters from the training values `y` and store them in `attr_` fields."""

    @abstractmethod
    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        """Forecast `horizon` values after the end of `history` with the fitted parameters."""

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """Default: one `_predict` per origin. Override to batch."""
        return np.vstack([self._predict(y[:o], horizon) for o in origins])

    def _forecast(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> Forecast:
        """Default: `_predict_origins`, no members. Ensembles override this to add theirs."""
        return Forecast.single(self._predict_origins(y, origins, horizon))

    def _fit_covariates(self, y: np.ndarray, covariates: Covariates) -> None:
        """`_fit` with covariates (rows beside y's); for models that take them."""
        raise NotImplementedError(f"model '{self.name}' takes no covariates")

    def _forecast_covariates(self, y: np.ndarray, origins: np.ndarray, horizon: int,
                             covariates: Covariates, sd: bool) -> tuple[Forecast, Any]:
        """`_forecast` (with the standard deviations when `sd`) reading covariates, whose
        rows reach every target. From origin o it may read a known-ahead column up to
        o + horizon - 1 and any other column before o only (forecast_bench.rules checks it)."""
        raise NotImplementedError(f"model '{self.name}' takes no covariates")

    def _forecast_any(self, y: np.ndarray, origins: np.ndarray, horizon: int,
                      covariates: Covariates | None, sd: bool) -> tuple[Forecast, Any]:
        """The forecast hook for the call: with covariates, with sd (else None), or plain."""
        if covariates is not None:
            return self._forecast_covariates(y, origins, horizon, covariates, sd)
        if sd:
            return self._forecast_and_sd(y, origins, horizon)
        return self._forecast(y, origins, horizon), None

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """Standard deviation of each forecast (origins x horizon) under the model's own
        assumptions; implemented by models whose interval_method is "analytic"."""
        raise NotImplementedError(f"model '{self.name}' has no analytic intervals")

    def _forecast_and_sd(self, y: np.ndarray, origins: np.ndarray,
                         horizon: int) -> tuple[Forecast, np.ndarray]:
        """The forecasts and their standard deviations (analytic models); override to share
        the work of both (ARIMA filters once)."""
        return self._forecast(y, origins, horizon), self._forecast_sd(y, origins, horizon)

    def _conformal_bounds(self, y: np.ndarray, origins: np.ndarray, horizon: int,
                          point: np.ndarray, levels: tuple[float, ...],
                          covariates: Covariates | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Conformal bounds (levels x origins x horizon) from the model's own errors on the
        origins before each one (models.intervals)."""
        first = max(self.min_train_size, int(origins.min()) - horizon - CALIBRATION_WINDOW + 1)
        calibration = np.arange(first, int(origins.max()))
        errors = np.full((len(calibration), horizon), np.nan)
        if len(calibration):
            found = self._forecast_any(y, calibration, horizon, covariates, False)[0]
            fitted = self._checked(found.point, errors.shape)
            targets = calibration[:, None] + np.arange(horizon)
            known = targets < len(y)
            errors[known] = y[targets[known]] - fitted[known]
        return conformal_bounds(point, origins, calibration, errors, levels)

    # -- helpers --

    def _check_fitted(self) -> None:
        if not hasattr(self, "y_train_"):
            raise NotFittedError(f"model '{self.name}' is not fitted; call fit(y) first")

    def _checked(self, forecast: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        out = np.asarray(forecast, dtype=float)
        if out.shape != shape:
            raise ModelError(f"model '{self.name}' returned shape {out.shape}, expected {shape}")
        return out


def as_values(y: pd.Series | np.ndarray | Sequence[float], what: str) -> np.ndarray:
    """A 1-D float64 copy of `y`; raises ModelError on NaN or inf."""
    values = np.array(y, dtype=float).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ModelError(f"{what} has a non-finite value at position {bad[0]}; clean the data")
    return values


def check_horizon(horizon: int) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ModelError(f"horizon must be an integer >= 1, got {horizon!r}")
    return int(horizon)


def check_origins(origins: Sequence[int] | np.ndarray, n: int, min_history: int) -> np.ndarray:
    """Origins as an int array; each must leave at least `min_history` values before it."""
    idx = np.asarray(origins, dtype=int).reshape(-1)
    if idx.size == 0:
        raise ModelError("no forecast origins given")
    if idx.min() < min_history or idx.max() > n:
        raise ModelError(
            f"forecast origins must lie in [{min_history}, {n}] for a series of {n} values; "
            f"got {idx.min()}..{idx.max()}"
        )
    return idx
