"""ETS point recursions with the parameters held fixed (Hyndman et al. 2008, Table 2.1).

The state updates follow statsmodels' ETSModel (component form with beta* = beta/alpha and
gamma* = gamma/(1 - alpha)); they are the same for additive and multiplicative errors, which
differ only in the likelihood. Multiplicative trends are not supported.

In error-correction form statsmodels' smoothing parameters are those of Hyndman et al. (2008):
l_t = l_{t-1} + phi b_{t-1} + alpha e_t, b_t = phi b_{t-1} + beta e_t, s_t = s_{t-m} + gamma e_t
(e_t the one-step error of an additive-error model). For the linear models with additive errors
(ETS(A,N,N), (A,A,N), (A,Ad,N), (A,N,A), (A,A,A), (A,Ad,A): "class 1", HKOS 2008 Table 6.1) the
h-step forecast variance is sigma^2 (1 + sum_{j=1}^{h-1} c_j^2) with c_j = alpha +
beta (phi + ... + phi^j) + gamma d_{j,m}, d_{j,m} = 1 when j is a multiple of m, else 0.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

States = tuple[np.ndarray, np.ndarray, np.ndarray]  # level, slope, seasonal (see run_states)


@dataclasses.dataclass(frozen=True)
class EtsFit:
    """A fitted ETS model: its components, smoothing parameters and initial states.

    `seasonal` holds the initial seasonal states s[-m], ..., s[-1] (oldest first); a model
    without season has period 1 and seasonal [0].
    """

    error: str  # "A" or "M"
    trend: str  # "N" or "A"
    damped: bool
    season: str  # "N", "A" or "M"
    period: int
    alpha: float
    beta: float  # 0 without trend
    gamma: float  # 0 without season
    phi: float  # 1 unless damped
    level: float  # l[-1]
    slope: float  # b[-1]; 0 without trend
    seasonal: np.ndarray

    @property
    def code(self) -> str:
        """Three letters as R's ets writes them, e.g. 'MAdM'."""
        return f"{self.error}{self.trend}{'d' if self.damped else ''}{self.season}"

    @property
    def linear(self) -> bool:
        """True for the class-1 models (additive error, no multiplicative season), whose
        forecast variance has the closed form of `variance_factors`."""
        return self.error == "A" and self.season in ("N", "A")

    @property
    def label(self) -> str:
        """E.g. 'ETS(M,Ad,M)'."""
        return f"ETS({self.error},{self.trend}{'d' if self.damped else ''},{self.season})"

    def rescaled(self, scale: float) -> EtsFit:
        """The same model for data multiplied by `scale` (level, slope and additive seasons)."""
        seasonal = self.seasonal if self.season == "M" else self.seasonal * scale
        return dataclasses.replace(self, level=self.level * scale, slope=self.slope * scale,
                                   seasonal=seasonal)


def statsmodels_spec(error: str, trend: str, damped: bool, season: str, period: int) -> dict:
    """Keyword arguments of ETSModel for the given components."""
    names = {"A": "add", "M": "mul", "N": None}
    return {"error": names[error], "trend": names[trend], "damped_trend": damped,
            "seasonal": names[season], "seasonal_periods": period if season != "N" else None}


def from_statsmodels(model: ETSModel, params: np.ndarray) -> EtsFit:
    """The EtsFit of an ETSModel at `params` (its parameter vector, as fit returns it)."""
    values = dict(zip(model.param_names, np.asarray(params, dtype=float), strict=True))
    m = model.seasonal_periods
    if model.initialization_method == "estimated":
        level = values["initial_level"]
        slope = values.get("initial_trend", 0.0)
        # initial_seasonal.0 is s[-1], the newest; reverse to oldest first
        seasonal = [values.get(f"initial_seasonal.{i}", 0.0) for i in range(m)][::-1]
    else:  # heuristic or known: the model holds the initial states, oldest season first
        level, slope = model.initial_level, model.initial_trend or 0.0
        seasonal = model.initial_seasonal if model.has_seasonal else [0.0]
    return EtsFit(
        error="M" if model.error == "mul" else "A",
        trend="A" if model.has_trend else "N",
        damped=bool(model.damped_trend),
        season={"add": "A", "mul": "M", None: "N"}[model.seasonal],
        period=m if model.has_seasonal else 1,
        alpha=values["smoothing_level"],
        beta=values.get("smoothing_trend", 0.0),
        gamma=values.get("smoothing_seasonal", 0.0),
        phi=values.get("damping_trend", 1.0),
        level=float(level), slope=float(slope),
        seasonal=np.asarray(seasonal, dtype=float).reshape(-1).copy(),
    )


def run_states(fit: EtsFit, y: np.ndarray) -> States:
    """The states after each prefix of `y`: level[o] and slope[o] after y[:o] (index 0: the
    initial states); seasonal[k + m] is s[k] (seasonal[:m] the initial ones).

    Causal: states up to o depend on y[:o] only. An update that is undefined keeps the
    one-step prediction of the states (as for a missing value): in a multiplicative-season
    model an observation <= 0, and in any model an update that is not finite.
    """
    n, m = len(y), fit.period
    level, slope = np.empty(n + 1), np.empty(n + 1)
    seasonal = np.empty(n + m)
    seasonal[:m] = fit.seasonal
    alpha, phi = fit.alpha, fit.phi
    beta_star = fit.beta / alpha if fit.trend == "A" else 0.0
    gamma_star = fit.gamma / (1.0 - alpha) if fit.season != "N" else 0.0
    l_prev, b_prev = fit.level, fit.slope
    level[0], slope[0] = l_prev, b_prev
    season_buffer = fit.seasonal.tolist()  # season_buffer[t] is s[t - m]
    for t, obs in enumerate(y.tolist()):
        s_old = season_buffer[t]
        b_damped = phi * b_prev
        l_pred = l_prev + b_damped
        l_new, s_new = l_pred, s_old
        if fit.season == "M":
            if obs > 0.0:
                try:
                    l_new = alpha * (obs / s_old) + (1.0 - alpha) * l_pred
                    s_new = gamma_star * obs / l_new + (1.0 - gamma_star) * s_old
                except ZeroDivisionError:
                    l_new, s_new = l_pred, s_old
        elif fit.season == "A":
            l_new = alpha * (obs - s_old) + (1.0 - alpha) * l_pred
            s_new = gamma_star * (obs - l_new) + (1.0 - gamma_star) * s_old
        else:
            l_new = alpha * obs + (1.0 - alpha) * l_pred
        b_new = beta_star * (l_new - l_prev) + (1.0 - beta_star) * b_damped
        if not (math.isfinite(l_new) and math.isfinite(b_new) and math.isfinite(s_new)):
            l_new, b_new, s_new = l_pred, b_damped, s_old
        level[t + 1], slope[t + 1] = l_new, b_new
        season_buffer.append(s_new)
        l_prev, b_prev = l_new, b_new
    seasonal[m:] = season_buffer[m:]
    return level, slope, seasonal


def forecast_from(fit: EtsFit, states: States, origins: np.ndarray, horizon: int) -> np.ndarray:
    """Point forecasts (len(origins) x horizon) from the states after y[:o] for each origin o:
    the zero-error recursion l + (phi + ... + phi^h) b, with the season of the target."""
    level, slope, seasonal = states
    steps = np.arange(1, horizon + 1)
    damping = np.cumsum(fit.phi ** steps) if fit.damped else steps.astype(float)
    point = level[origins, None] + slope[origins, None] * damping
    if fit.season == "N":
        return point
    season = seasonal[origins[:, None] + (steps - 1) % fit.period]
    return point * season if fit.season == "M" else point + season


def forecast(fit: EtsFit, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """Forecasts from each origin o, seeing y[:o] only (one pass up to the last origin)."""
    origins = np.asarray(origins, dtype=int)
    states = run_states(fit, y[: int(origins.max())])
    return forecast_from(fit, states, origins, horizon)


def one_step_errors(fit: EtsFit, y: np.ndarray) -> np.ndarray:
    """y minus the one-step forecast from each prefix of y (additive errors)."""
    origins = np.arange(len(y))
    return y - forecast_from(fit, run_states(fit, y), origins, 1)[:, 0]


def variance_factors(fit: EtsFit, horizon: int) -> np.ndarray:
    """var_h / sigma^2 = 1 + sum_{j=1}^{h-1} c_j^2 for h = 1 .. horizon (class-1 models only),
    c_j = alpha + beta (phi + ... + phi^j) + gamma [j a multiple of the period]."""
    if not fit.linear:
        raise ValueError(f"{fit.label} has no closed-form forecast variance")
    steps = np.arange(1, horizon)
    c = np.full(len(steps), fit.alpha)
    if fit.trend == "A":
        c += fit.beta * (np.cumsum(fit.phi**steps) if fit.damped else steps)
    if fit.season == "A":
        c += fit.gamma * (steps % fit.period == 0)
    return 1.0 + np.concatenate([[0.0], np.cumsum(c**2)])
