"""Automatic ETS (Hyndman et al. 2002, 2008): error, trend and season chosen by AICc.

Each admissible candidate is estimated by maximum likelihood with statsmodels' ETSModel on the
training part; the one with the lowest AICc is kept. Forecasts from every origin come from one
pass of the ETS state recursion (models.ets_recursion) with the fitted parameters and initial
states held fixed.

Candidates follow R's forecast::ets defaults: no multiplicative trend, no additive error with a
multiplicative season, multiplicative components only when every training value is > 0, damped
and undamped trends. With season "Z", seasonal models are tried when 1 < period <= 24 (R
ignores seasonality above 24) and n >= max(2 * period, 10 + 2 * (period // 2)) (statsmodels'
heuristic start needs that much). A candidate with k parameters (statsmodels' count: smoothing
parameters, initial states and the variance) is skipped when k + 1 >= n, where AICc is
undefined. With heuristic initial states the states still count in k, since they are computed
from the data (statsmodels' own aicc leaves them out, which favours seasonal models even on a
random walk). Constant training data gives ETS(A,N,N) with alpha 0.9999, as R does.

The fits run on the data divided by a power of two near its mean absolute value: the likelihood
and the estimates are equivariant to that scaling (so AICc is reported in the data's units),
and the optimiser, whose finite-difference steps are absolute, finds the optimum far more often.

Prediction intervals depend on the chosen model. A linear model with additive errors (ETS(A,N,N),
(A,A,N), (A,Ad,N), (A,N,A), (A,A,A), (A,Ad,A)) has analytic ones: var_h = sigma^2 (1 + sum_{j<h}
c_j^2) (HKOS 2008 Table 6.1, models.ets_recursion.variance_factors), the same from every origin,
with sigma^2 = SSE / n of the one-step errors on the training part at the fitted parameters and
initial states (the Gaussian maximum likelihood estimate, statsmodels' ETSModel `mse`); these
equal statsmodels' exact ones. Every other model (multiplicative error or season, for which
statsmodels simulates) keeps conformal intervals, so `interval_method` depends on the fit.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
from statsmodels.tools.eval_measures import aicc as aicc_of
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecast_bench.models.base import Forecaster, ModelConfig
from forecast_bench.models.errors import ModelError
from forecast_bench.models.ets_fit import fit_params
from forecast_bench.models.ets_recursion import (
    EtsFit,
    forecast,
    from_statsmodels,
    one_step_errors,
    statsmodels_spec,
    variance_factors,
)
from forecast_bench.models.registry import register

MAX_AUTO_PERIOD = 24  # season "Z": seasonal candidates only up to this period (as R's ets)
MAXITER = 1000  # L-BFGS iterations per candidate (statsmodels' default; lower caps change fits)
CONSTANT_ALPHA = 0.9999  # constant training data: ETS(A,N,N), nearly the naive forecast
Candidate = tuple[str, str, bool, str]  # error, trend, damped, season


def seasonal_min_size(period: int) -> int:
    """Fewest training values for a seasonal candidate (statsmodels' heuristic start)."""
    return max(2 * period, 10 + 2 * (period // 2))


@dataclasses.dataclass(frozen=True)
class EtsConfig(ModelConfig):
    period: int | None = None  # None: the series' period ([data] period, or from its dates)
    components: str = "ZZZ"  # error A/M/Z, trend N/A/Z, season N/A/M/Z; Z: chosen by AICc
    damped: bool | None = None  # None: damped and undamped trends are both tried
    initialization: str = "estimated"  # initial states estimated too, or statsmodels' heuristic

    def validate(self) -> None:
        self.require_optional_ints(period=1)
        code = self.components
        if not isinstance(code, str) or len(code) != 3:
            raise ValueError(f"components must be three letters (error, trend, season) such as "
                             f"'ZZZ' or 'MAM', got {code!r}")
        error, trend, season = tuple(code)
        if trend == "M":
            raise ValueError(f"components {code!r}: multiplicative trends are not supported; "
                             "use trend N, A or Z")
        for what, letter, allowed in (("error", error, "AMZ"), ("trend", trend, "NAZ"),
                                      ("season", season, "NAMZ")):
            if letter not in allowed:
                raise ValueError(f"components {code!r}: {what} must be one of "
                                 f"{', '.join(allowed)}, got {letter!r}")
        if error == "A" and season == "M":
            raise ValueError(f"components {code!r}: additive error with a multiplicative season "
                             "is excluded (numerically unstable, as in R's ets)")
        if self.damped is not None and not isinstance(self.damped, bool):
            raise ValueError(f"damped must be True, False or None, got {self.damped!r}")
        if self.damped and trend == "N":
            raise ValueError(f"damped=True needs a trend, but components {code!r} has trend N")
        if season in "AM" and self.period == 1:
            raise ValueError(f"components {code!r} has a season, which needs period > 1, got 1")
        self.require_choices(initialization=("estimated", "heuristic"))


def n_params(candidate: Candidate, period: int) -> int:
    """Smoothing parameters and initial states of a candidate, without the variance
    (statsmodels' k_params with estimated initial states: all `period` seasonal states)."""
    _, trend, damped, season = candidate
    has_trend, seasonal = trend != "N", season != "N"
    return 1 + has_trend + seasonal + damped + 1 + has_trend + seasonal * period


def candidates(config: EtsConfig, y: np.ndarray, period: int) -> list[Candidate]:
    """The admissible candidates for the training values `y`, in a fixed order."""
    error, trend, season = tuple(config.components)
    n, positive = len(y), bool(np.all(y > 0))
    if season == "Z":
        auto_seasonal = 1 < period <= MAX_AUTO_PERIOD and n >= seasonal_min_size(period)
        seasons = "NAM" if auto_seasonal else "N"
    else:
        seasons = season
    dampings = (False, True) if config.damped is None else (config.damped,)
    out = []
    for e in "AM" if error == "Z" else error:
        for t in "NA" if trend == "Z" else trend:
            for damped in dampings:
                for s in seasons:
                    cand = (e, t, damped, s)
                    if ((damped and t == "N") or (e == "A" and s == "M")
                            or (not positive and "M" in (e, s))
                            or n_params(cand, period) + 2 >= n):
                        continue
                    out.append(cand)
    return out


def fit_candidate(z: np.ndarray, cand: Candidate, period: int,
                  initialization: str) -> tuple[EtsFit, float] | None:
    """Maximum-likelihood fit of one candidate: its EtsFit and AICc; None if the fit fails."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            model = ETSModel(z, initialization_method=initialization,
                             **statsmodels_spec(*cand, period))
            params = fit_params(model, MAXITER)  # = model.fit(...), faster
            k = n_params(cand, period) + 1  # heuristic states count too: fitted to the data
            value = float(aicc_of(model.loglike(params), model.nobs, k))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            return None
    return from_statsmodels(model, params), value


def data_scale(y: np.ndarray) -> float:
    """A power of two near the mean absolute value (1 when that is 0)."""
    mean = float(np.mean(np.abs(y)))
    return 2.0 ** round(math.log2(mean)) if mean > 0 else 1.0


@register("ets")
class Ets(Forecaster):
    """Automatic ETS: the exponential smoothing state-space model whose error, trend and season
    (R's forecast::ets candidates) give the lowest AICc on the training part.

    Forecasts reuse the fitted parameters and initial states: the states at an origin come from
    running the recursion over the values before it. In a multiplicative-season model a later
    value <= 0 (or any update that is not finite) is skipped like a missing value: the states
    take their one-step prediction. Intervals are analytic for a linear additive-error choice,
    conformal otherwise (models/ets.py's docstring says when).
    """

    config_class = EtsConfig
    config: EtsConfig
    period_param = "period"
    min_history = 10  # statsmodels' heuristic start needs 10 values

    @property  # the method depends on the fitted model
    def interval_method(self) -> str:
        """"analytic" when the fitted model is linear with additive errors, else "conformal"
        (also before fit)."""
        fit = getattr(self, "fit_", None)
        return "analytic" if fit is not None and fit.linear else "conformal"

    @property
    def _period(self) -> int:
        """The period used: the config's, or 1 when it is None."""
        return self.config.period or 1

    @property
    def min_train_size(self) -> int:
        if self.config.components[2] in "AM":
            return max(self.min_history, seasonal_min_size(self._period))
        return self.min_history

    def _fit(self, y: np.ndarray) -> None:
        cfg, period = self.config, self._period
        if cfg.components[2] in "AM" and period < 2:
            raise ModelError(f"model '{self.name}': components {cfg.components!r} have a season, "
                             "which needs period > 1; set period")
        if np.ptp(y) == 0:
            self.fit_ = EtsFit("A", "N", False, "N", 1, CONSTANT_ALPHA, 0.0, 0.0, 1.0,
                               float(y[0]), 0.0, np.zeros(1))
            self.aicc_, self.candidates_, self.scale_ = math.nan, {}, 1.0
            self.sigma2_ = 0.0
            return
        scale = data_scale(y)
        z, shift = y / scale, 2 * len(y) * math.log(scale)  # AICc(y) = AICc(y / scale) + shift
        table: dict[str, float] = {}
        best: tuple[float, EtsFit] | None = None
        for cand in candidates(cfg, y, period):
            result = fit_candidate(z, cand, period, cfg.initialization)
            if result is None or math.isnan(result[1]) or result[1] == math.inf:
                continue
            fit, value = result
            table[fit.code] = value + shift
            if best is None or value < best[0]:
                best = (value, fit)
        if best is None:
            raise ModelError(self._why_no_candidate(y))
        self.fit_ = best[1].rescaled(scale)
        self.aicc_, self.candidates_, self.scale_ = best[0] + shift, table, scale
        # SSE / n of the training one-step errors (statsmodels' mse); only class-1 models use it
        self.sigma2_ = (float(np.mean(one_step_errors(self.fit_, y) ** 2)) if self.fit_.linear
                        else math.nan)

    def _why_no_candidate(self, y: np.ndarray) -> str:
        error, _, season = tuple(self.config.components)
        if "M" in (error, season) and not np.all(y > 0):
            reason = "multiplicative components need every training value > 0"
        elif not candidates(self.config, y, self._period):
            reason = f"{len(y)} training values are too few for its parameters"
        else:
            reason = "every candidate fit failed"
        code = self.config.components
        return f"model '{self.name}': no admissible ETS model {code!r}: {reason}"

    def describe_fit(self) -> str:
        fit = self.fit_
        if not self.candidates_:
            return f"{fit.label}, constant training data (alpha {CONSTANT_ALPHA})"
        period = f", period {fit.period}" if fit.season != "N" else ""
        init = ", heuristic init" if self.config.initialization == "heuristic" else ""
        return f"{fit.label}{period}, AICc {self.aicc_:.1f}{init}"

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """sqrt(sigma^2 (1 + sum_{j<h} c_j^2)) for h = 1 .. horizon, the same from every origin
        (the parameters are fixed at fit); class-1 models only."""
        if not self.fit_.linear:
            raise ModelError(f"model '{self.name}': {self.fit_.label} has no analytic intervals")
        sd = np.sqrt(self.sigma2_ * variance_factors(self.fit_, horizon))
        return np.tile(sd, (len(origins), 1))

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return forecast(self.fit_, history, np.array([len(history)]), horizon)[0]

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return forecast(self.fit_, y, origins, horizon)
