"""The M3/M4 competitions' statistical benchmarks, each on seasonally adjusted data:
Naive2, SES, Holt, damped trend, their combination (Comb S-H-D) and the classic Theta method.

As in the M4 benchmarks' code, a series with a seasonal period m > 1 is adjusted by classical
multiplicative decomposition when the 90% autocorrelation test at lag m says it is seasonal
(models/seasonality.py; additive when a training value is <= 0, as statsforecast's Theta); the
model forecasts the adjusted series and the forecasts are multiplied back by the seasonal
indices (the offsets added back). Everything is fitted on the training part; forecasts
from later origins run the fitted model over the later values without refitting.

SES, Holt and damped trend have analytic intervals: the ETS(A,N,N) / (A,A,N) / (A,Ad,N)
forecast variance of the adjusted series (models/smoothing.py; sigma^2 = SSE / n of the
adjusted training part's one-step errors), its standard deviation multiplied by the target's
seasonal index, as the M4 benchmarks did (unscaled with an additive decomposition): the bounds
are the adjusted bounds re-seasonalised.
Theta's are made the same way from the SES variance (see Theta). Comb and Naive2 keep conformal
intervals.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from forecast_bench.models.base import Forecaster, ModelConfig
from forecast_bench.models.registry import register
from forecast_bench.models.seasonality import DESEASONALIZE, Deseasonalizer
from forecast_bench.models.smoothing import Smoothing, fit_smoothing


@dataclasses.dataclass(frozen=True)
class AdjustedConfig(ModelConfig):
    period: int | None = None  # None: the series' period ([data] period, or from its dates)
    deseasonalize: str = "test"  # test (the competitions'), always, never

    def validate(self) -> None:
        self.require_optional_ints(period=1)
        self.require_choices(deseasonalize=DESEASONALIZE)


class SeasonallyAdjusted(Forecaster):
    """A model of the seasonally adjusted series; subclasses fit and forecast that series."""

    config_class = AdjustedConfig
    config: AdjustedConfig
    period_param = "period"

    def describe_fit(self) -> str:
        season = self.season_
        adjusted = f"seasonally adjusted ({season.describe()})" if season.seasonal else ""
        return ", ".join(part for part in (self._describe_adjusted(), adjusted) if part)

    def _fit(self, y: np.ndarray) -> None:
        self.season_ = Deseasonalizer.fit(y, self.config.period or 1, self.config.deseasonalize)
        self._fit_adjusted(self.season_.adjust(y))

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._predict_origins(history, np.array([len(history)]), horizon)[0]

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        adjusted = self.season_.adjust(y[: int(origins.max())])
        return self.season_.reseasonalize(self._forecast_adjusted(adjusted, origins, horizon),
                                          origins)

    def _fit_adjusted(self, x: np.ndarray) -> None:
        """Learn from the adjusted training values."""

    def _forecast_adjusted(self, x: np.ndarray, origins: np.ndarray,
                           horizon: int) -> np.ndarray:
        raise NotImplementedError

    def _describe_adjusted(self) -> str:
        return ""


@register("naive2")
class Naive2(SeasonallyAdjusted):
    """Naive2: the random walk on seasonally adjusted data, re-seasonalised (M3/M4)."""

    def _forecast_adjusted(self, x: np.ndarray, origins: np.ndarray,
                           horizon: int) -> np.ndarray:
        return np.repeat(x[origins - 1, None], horizon, axis=1)


class _Smoothed(SeasonallyAdjusted):
    """SES, Holt or damped trend (`kind`) on the adjusted data."""

    kind = "ses"
    min_history = 3
    interval_method = "analytic"

    def _fit_adjusted(self, x: np.ndarray) -> None:
        self.smoothing_ = fit_smoothing(x, self.kind)
        self.sigma2_ = self.smoothing_.sigma2(x)

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """The adjusted series' forecast sd, sqrt(var_h), times the seasonal index of each
        target (origin o's step k targets position o + k - 1; 1 when additive)."""
        adjusted = np.sqrt(self.sigma2_ * self.smoothing_.variance_factors(horizon))
        return adjusted * self.season_.sd_scales(origins[:, None] + np.arange(horizon))

    def _forecast_adjusted(self, x: np.ndarray, origins: np.ndarray,
                           horizon: int) -> np.ndarray:
        return self.smoothing_.forecast(x, origins, horizon)

    def _describe_adjusted(self) -> str:
        return describe_smoothing(self.smoothing_)


def describe_smoothing(fitted: Smoothing) -> str:
    text = f"alpha {fitted.alpha:.3g}"
    if fitted.has_trend:
        text += f", beta {fitted.beta:.3g}"
        if fitted.phi < 1:
            text += f", phi {fitted.phi:.3g}"
    return text


@register("ses")
class Ses(_Smoothed):
    """Simple exponential smoothing, ETS(A,N,N), on seasonally adjusted data (M3/M4)."""

    kind = "ses"


@register("holt")
class Holt(_Smoothed):
    """Holt's linear trend, ETS(A,A,N), on seasonally adjusted data (M3/M4)."""

    kind = "holt"
    min_history = 4


@register("damped")
class Damped(_Smoothed):
    """Damped trend (Gardner & McKenzie), ETS(A,Ad,N), on seasonally adjusted data (M3/M4)."""

    kind = "damped"
    min_history = 5


@register("comb")
class Comb(SeasonallyAdjusted):
    """Comb S-H-D: the mean of SES, Holt and damped trend forecasts (M3/M4 benchmark)."""

    min_history = Damped.min_history

    def _fit_adjusted(self, x: np.ndarray) -> None:
        self.members_ = tuple(fit_smoothing(x, kind) for kind in ("ses", "holt", "damped"))

    def _forecast_adjusted(self, x: np.ndarray, origins: np.ndarray,
                           horizon: int) -> np.ndarray:
        return np.mean([m.forecast(x, origins, horizon) for m in self.members_], axis=0)


@register("theta")
class Theta(SeasonallyAdjusted):
    """The classic Theta method (Assimakopoulos & Nikolopoulos 2000, M3's winner): the mean of
    the linear trend line (theta 0) and SES on the theta-2 line, on seasonally adjusted data.

    Analytic intervals from the SES variance, as R's forecast::thetaf: the method is SES with
    drift (Hyndman & Billah 2003), an ARIMA(0,1,1) with drift, so var_h = sigma^2 (1 + (h - 1)
    alpha^2) on the adjusted series with alpha the SES parameter, the line held fixed. sigma^2
    is SSE / n of Theta's one-step errors on the adjusted training part; each is half the SES
    error on the theta-2 line, so sigma^2 is a quarter of that SES's. The sd is multiplied by
    the target's seasonal index, as for SES (thetaf does not scale it). statsmodels'
    ThetaModel.prediction_intervals use sigma^2 (1 + (h - 1)(1 + (alpha - 1)^2)) instead: the
    variances of the h - 1 MA(1) increments summed as if independent; equal at h = 1, wider
    after.
    """

    min_history = 4
    interval_method = "analytic"

    def _fit_adjusted(self, x: np.ndarray) -> None:
        time = np.arange(1, len(x) + 1)
        self.slope_, self.intercept_ = np.polyfit(time, x, 1)
        theta2 = 2.0 * x - self._line(time)
        self.ses_ = fit_smoothing(theta2, "ses")
        self.sigma2_ = self.ses_.sigma2(theta2) / 4.0

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """sqrt(sigma^2 (1 + (h - 1) alpha^2)) on the adjusted scale times the seasonal index of
        each target (origin o's step k targets position o + k - 1; 1 when additive)."""
        adjusted = np.sqrt(self.sigma2_ * self.ses_.variance_factors(horizon))
        return adjusted * self.season_.sd_scales(origins[:, None] + np.arange(horizon))

    def _line(self, time: np.ndarray) -> np.ndarray:
        return self.intercept_ + self.slope_ * time

    def _forecast_adjusted(self, x: np.ndarray, origins: np.ndarray,
                           horizon: int) -> np.ndarray:
        theta2 = 2.0 * x - self._line(np.arange(1, len(x) + 1))
        smoothed = self.ses_.forecast(theta2, origins, horizon)
        targets = origins[:, None] + np.arange(1, horizon + 1)
        return 0.5 * self._line(targets) + 0.5 * smoothed

    def _describe_adjusted(self) -> str:
        return f"slope {self.slope_:.4g}, {describe_smoothing(self.ses_)}"
