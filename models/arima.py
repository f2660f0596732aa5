"""ARIMA/SARIMA through statsmodels' state-space SARIMAX; orders fixed or chosen by pmdarima's
stepwise search (models/arima_search.py runs its rules with faster candidate fits).

Fitted once per fold; forecasts from every origin of the fold come from one Kalman filter pass
over the fold's data with the fitted parameters held fixed (no refit per origin).

Given known-ahead covariates, it is a regression with ARIMA errors (SARIMAX's exog): auto
orders are searched on y less the regressors' least-squares effect, then the regression and
the ARIMA errors are estimated together. Past (not known-ahead) covariates are ignored: a
regressor must be known at every target.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from statsmodels.tsa.statespace.mlemodel import MLEResults
from statsmodels.tsa.statespace.representation import Representation
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast_bench.models import arima_search
from forecast_bench.models.base import Forecast, Forecaster, ModelConfig
from forecast_bench.models.covariates import Covariates
from forecast_bench.models.errors import ModelError
from forecast_bench.models.registry import register

TRENDS = ("n", "c", "t", "ct")
SEARCHES = ("fast", "pmdarima")
# values beyond the largest auto candidate's parameters and differencing: forecast::auto.arima
# and statsforecast score candidates by AICc, finite only when n - d - D*m > parameters + 1
AUTO_MARGIN = 2


def _int_tuple(value: object, size: int, field: str) -> tuple[int, ...]:
    items = tuple(value) if isinstance(value, list | tuple) else ()
    if len(items) != size or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                     for v in items):
        raise ValueError(f"{field} must be {size} non-negative integers, got {value!r}")
    return items


@dataclasses.dataclass(frozen=True)
class ArimaConfig(ModelConfig):
    order: tuple[int, int, int] | str = "auto"  # (p, d, q), or "auto" for pmdarima.auto_arima
    seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0)  # (P, D, Q, s); fixed orders only
    trend: str | None = None  # n/c/t/ct; None: c if d+D == 0 else n (auto: pmdarima's choice)
    seasonal_period: int | None = None  # auto only: m > 1 also searches seasonal orders;
    # None: the series' period ([data] period, or from its dates); 1: no seasonal orders
    max_p: int = 5  # auto only
    max_d: int = 2  # auto only
    max_q: int = 5  # auto only
    maxiter: int = 50  # optimiser iterations per fit
    # auto only: "fast" runs pmdarima's stepwise rules with a faster likelihood
    # (models/arima_search.py) and keeps the chosen candidate's fit; "pmdarima" calls
    # pmdarima.auto_arima, then SARIMAX.fit on the chosen orders (slower; the reference)
    search: str = "fast"

    def validate(self) -> None:
        if self.order != "auto":
            object.__setattr__(self, "order", _int_tuple(self.order, 3, "order"))
        object.__setattr__(
            self, "seasonal_order", _int_tuple(self.seasonal_order, 4, "seasonal_order")
        )
        if self.trend is not None and self.trend not in TRENDS:
            raise ValueError(f"trend must be one of {', '.join(TRENDS)}, got {self.trend!r}")
        self.require_choices(search=SEARCHES)
        self.require_ints(maxiter=1, max_p=0, max_d=0, max_q=0)
        self.require_optional_ints(seasonal_period=1)


@register("arima")
class Arima(Forecaster):
    """ARIMA (statsmodels SARIMAX), order fixed or auto-chosen by pmdarima on the training part."""

    config_class = ArimaConfig
    config: ArimaConfig
    period_param = "seasonal_period"
    interval_method = "analytic"  # the Kalman filter's forecast error variance (Gaussian)
    takes_covariates = True  # known-ahead ones, as regressors; past ones are ignored

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"order": [1, 1, 1]}, {"order": [2, 0, 0], "trend": "c"},
                {"order": "auto", "max_p": 2, "max_q": 2}]

    @property
    def min_train_size(self) -> int:
        cfg = self.config
        if isinstance(cfg.order, str):  # "auto", the one string validate() allows
            return auto_min_history(cfg.seasonal_period or 1, cfg.max_p, cfg.max_d, cfg.max_q)
        p, d, q = cfg.order
        big_p, big_d, big_q, s = cfg.seasonal_order
        return max(10, 2 * (p + q + (big_p + big_q) * s) + d + big_d * s + 1)

    @property
    def residual_start(self) -> int:
        """Auto-ARIMA's residual warm-up: about three periods, at least 20 values (the
        hybrids' residuals start there, as before the minimum history followed the candidates'
        needs); a fixed order's: its minimum history."""
        if self.config.order == "auto":
            return max(self.min_train_size, 20, 3 * (self.config.seasonal_period or 1))
        return self.min_train_size

    def _fit(self, y: np.ndarray) -> None:
        self.regressors_: tuple[str, ...] = ()
        self.order_, self.seasonal_order_, self.trend_, found = self._choose_order(y)
        model = SARIMAX(y, order=self.order_, seasonal_order=self.seasonal_order_,
                        trend=self.trend_)
        if found is None:
            self.result_ = model.fit(disp=False, maxiter=self.config.maxiter)
            self.converged_ = bool(self.result_.mle_retvals.get("converged", True))
        else:  # the search fitted this very model as model.fit would: keep its estimate
            self.result_ = model.filter(found.params, cov_type="none")
            self.converged_ = found.converged

    def past_covariates_use(self) -> str:
        return "ignored, the known-ahead ones are its regressors"

    def _fit_covariates(self, y: np.ndarray, covariates: Covariates) -> None:
        """Regression on the known-ahead columns with ARIMA errors (none: plain ARIMA)."""
        exog = covariates.future()
        if not exog.names:
            self._fit(y)
            return
        design = np.column_stack([np.ones(len(y)), exog.values])
        beta = np.linalg.lstsq(design, y, rcond=None)[0]
        # the orders of the errors: y less the regressors' effect (its level kept)
        self.order_, self.seasonal_order_, self.trend_, _ = self._choose_order(
            y - exog.values @ beta[1:])
        # a constant as the regression's intercept (the series' mean, as R's Arima with xreg),
        # not SARIMAX's trend "c" (the mean times the AR polynomial): started from least
        # squares, it converges where "c" beside dummies stalled (RMSE 17 instead of 1 on a
        # daily series with day-of-week dummies)
        self.regressors_ = exog.names
        model = SARIMAX(y, exog=self._design(exog.values), order=self.order_,
                        seasonal_order=self.seasonal_order_,
                        trend="n" if self.trend_ == "c" else self.trend_)
        self.result_ = model.fit(disp=False, maxiter=self.config.maxiter)
        self.converged_ = bool(self.result_.mle_retvals.get("converged", True))

    def _design(self, regressors: np.ndarray) -> np.ndarray:
        """The SARIMAX exog of the regressors: a constant first when the trend is "c"."""
        if self.trend_ != "c":
            return regressors
        return np.column_stack([np.ones(len(regressors)), regressors])

    def describe_fit(self) -> str:
        seasonal = f"{self.seasonal_order_}" if any(self.seasonal_order_) else ""
        period = self._period_used()
        return (f"ARIMA{self.order_}{seasonal} trend={self.trend_}"
                + (f", period {period}" if period > 1 else "")
                + (f", regressors {', '.join(self.regressors_)}" if self.regressors_ else "")
                + ("" if self.converged_ else " (optimiser did not converge)"))

    def _period_used(self) -> int:
        """The seasonal period of the fitted orders, or the one auto searched (1: none)."""
        searched = (self.config.seasonal_period or 1) if self.config.order == "auto" else 1
        return max(searched, self.seasonal_order_[3])

    def _choose_order(self, y: np.ndarray) -> tuple[tuple, tuple, str, arima_search.Fit | None]:
        """Orders and trend of the final model, and the search's fit of it when that is the
        fit model.fit would make (None: fit it)."""
        cfg = self.config
        if not isinstance(cfg.order, str):  # a fixed order, not "auto"
            integrated = cfg.order[1] + cfg.seasonal_order[1]
            default_trend = "c" if integrated == 0 else "n"
            return cfg.order, cfg.seasonal_order, cfg.trend or default_trend, None
        asked = (y, cfg.seasonal_period or 1, cfg.max_p, cfg.max_d, cfg.max_q,
                 min(2, cfg.max_p), min(2, cfg.max_q),  # start_p, start_q (pmdarima's: 2)
                 0 if cfg.max_d == 0 else None)  # d: pmdarima's unit-root tests reject max_d=0
        choice = arima_search.auto_order(*asked) if cfg.search == "fast" else None
        choice = choice or pmdarima_order(*asked)
        searched = "c" if choice.with_intercept else "n"
        trend = cfg.trend or searched
        same = trend == searched and cfg.maxiter == arima_search.SEARCH_MAXITER
        return choice.order, choice.seasonal_order, trend, choice.fit if same else None

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self.result_.apply(history).forecast(horizon)

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        filtered = self._filter_padded(y, origins, horizon)
        if _time_varying(filtered.model.ssm):  # loop over origins
            return super()._predict_origins(y, origins, horizon)
        return _points(filtered, origins, horizon)

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast_and_sd(y, origins, horizon)[1]

    def _forecast_and_sd(self, y: np.ndarray, origins: np.ndarray,
                         horizon: int) -> tuple[Forecast, np.ndarray]:
        """Points and their standard deviations from one filter pass."""
        filtered = self._filter_padded(y, origins, horizon)
        if _time_varying(filtered.model.ssm):  # loop over origins
            return (Forecast.single(super()._predict_origins(y, origins, horizon)),
                    np.vstack([self.result_.apply(y[:o]).get_forecast(horizon).se_mean
                               for o in origins]))
        return (Forecast.single(_points(filtered, origins, horizon)),
                _standard_deviations(filtered, origins, horizon))

    def _forecast_covariates(self, y: np.ndarray, origins: np.ndarray, horizon: int,
                             covariates: Covariates,
                             sd: bool) -> tuple[Forecast, np.ndarray | None]:
        """As _forecast_and_sd with the regressors: known-ahead rows up to the last target."""
        exog = covariates.future()
        if exog.names != self.regressors_:
            raise ModelError(f"model '{self.name}' was fitted with regressors "
                             f"{self.regressors_}; forecast was given {exog.names}")
        if not exog.names:
            return self._forecast_any(y, origins, horizon, None, sd)
        filtered = self._filter_padded(y, origins, horizon, self._design(exog.values))
        if _time_varying(filtered.model.ssm):  # not in SARIMAX; kept as a guard
            raise ModelError(f"model '{self.name}': time-varying system matrices with "
                             "regressors are not supported")
        points = Forecast.single(_points(filtered, origins, horizon))
        return points, _standard_deviations(filtered, origins, horizon) if sd else None

    def _filter_padded(self, y: np.ndarray, origins: np.ndarray, horizon: int,
                       exog: np.ndarray | None = None) -> MLEResults:
        """The Kalman filter with the fitted parameters over y[:last origin] and `horizon` NaN
        (with `exog`: the regressors' rows to the last target, none later).

        Its time t prediction uses y[:t] only. The NaN padding lets it run past the last origin
        so that time-varying intercepts (trends, regressors) exist for every target time.
        """
        last = int(origins.max())
        padded = np.concatenate([y[:last], np.full(horizon, np.nan)])
        if exog is None:
            return self.result_.apply(padded)
        return self.result_.apply(padded, exog=exog[:last + horizon])


def _points(filtered: MLEResults, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The state-space forecast recursion from each origin (origins x horizon).

    predicted_state[:, o] is the state at o given y[:o]; each later step applies
    a <- c_t + T a and reads y = d_t + Z a.
    """
    ssm = filtered.model.ssm
    design, transition = ssm["design"], ssm["transition"]
    obs_intercept, state_intercept = ssm["obs_intercept"], ssm["state_intercept"]
    state = filtered.filter_results.predicted_state[:, origins]
    out = np.empty((len(origins), horizon))
    for step in range(horizon):
        times = origins + step
        out[:, step] = (_at(obs_intercept, times) + design @ state)[0]
        state = _at(state_intercept, times) + transition @ state
    return out


def _standard_deviations(filtered: MLEResults, origins: np.ndarray,
                         horizon: int) -> np.ndarray:
    """Forecast error standard deviations (origins x horizon).

    predicted_state_cov[:, :, o] is the state's error covariance P at o given y[:o]; the
    recursion P <- T P T' + R Q R' gives, s steps later, T^s P T^s' plus the sum over j < s of
    T^j R Q R' T^j', and the error variance is Z P Z' + H, as statsmodels' get_forecast
    computes it. Only Z T^s is propagated (cheaper than P for every origin).
    """
    ssm = filtered.model.ssm
    selection, transition = ssm["selection"], ssm["transition"]
    noise = selection @ ssm["state_cov"] @ selection.T
    cov = filtered.filter_results.predicted_state_cov[:, :, origins]  # (k, k, origins)
    loading = ssm["design"][0]  # Z T^s
    added = ssm["obs_cov"][0, 0]  # H + sum over j < s of Z T^j R Q R' T^j' Z'
    var = np.empty((len(origins), horizon))
    for step in range(horizon):
        var[:, step] = np.einsum("i,ijn,j->n", loading, cov, loading) + added
        added += loading @ noise @ loading
        loading = loading @ transition
    return np.sqrt(var)


def _time_varying(ssm: Representation) -> bool:
    """Whether a system matrix of the forecast recursions changes over time (none does in
    SARIMAX; intercepts may)."""
    names = ("design", "transition", "selection", "state_cov", "obs_cov")
    return any(ssm[name].ndim != 2 for name in names)


def _at(vector: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Columns of a (possibly time-varying) intercept at `times`, shape (k, len(times))."""
    return vector[:, times] if vector.ndim == 2 else vector[:, None]


def auto_min_history(period: int, max_p: int, max_d: int, max_q: int) -> int:
    """Fewest training values auto-ARIMA's largest candidate needs: its parameters (p + q
    non-seasonal and P + Q seasonal AR/MA terms, a constant, the noise variance), plus the
    values its differencing takes (d + D*period), plus AUTO_MARGIN. As in pmdarima's search, a
    seasonal one (period > 1) caps p and q at period - 1 and searches P, Q <= 2 and D <= 1."""
    seasonal = period > 1
    if seasonal:
        max_p, max_q = min(max_p, period - 1), min(max_q, period - 1)
    big_pq = 2 * arima_search.SEASONAL_MAX if seasonal else 0
    big_d = arima_search.MAX_SEASONAL_D if seasonal else 0
    parameters = max_p + max_q + big_pq + 2
    return parameters + max_d + big_d * period + AUTO_MARGIN


def pmdarima_order(y: np.ndarray, period: int, max_p: int, max_d: int, max_q: int, start_p: int,
                   start_q: int, d: int | None) -> arima_search.Choice:
    """pmdarima.auto_arima's own choice (every candidate fitted by the Kalman filter)."""
    import pmdarima  # slow import, only needed for auto orders

    auto = pmdarima.auto_arima(
        y, seasonal=period > 1, m=period, max_p=max_p, max_d=max_d, max_q=max_q,
        start_p=start_p, start_q=start_q, d=d, stepwise=True, information_criterion="aic",
        suppress_warnings=True, error_action="ignore",
    )
    return arima_search.Choice(tuple(auto.order), tuple(auto.seasonal_order),
                               bool(auto.with_intercept), None)
