"""Dynamic harmonic regression (Hyndman & Athanasopoulos, FPP3 section 12.1): Fourier terms
for each seasonal period as regressors, with ARIMA errors (statsmodels SARIMAX with exog).

Period p gets K pairs cos(2 pi k t / p), sin(2 pi k t / p), k = 1 .. K (`harmonics`; default
min(floor(p / 2), 10)); p need not be whole (365.25, 52.18). A term at frequency k / p = 1/2
has no sine (it is zero), and a frequency that an earlier period already has (period 168's
k = 7 is period 24's k = 1) is left out, so the regressors are never collinear. t counts from
the first training value (the harness passes each fold's values from its training start), so
the terms continue deterministically past any origin.

The errors' order is fixed (`order`), or "auto": the project's auto-ARIMA (models/arima.py,
no seasonal orders) on the residuals of the least-squares fit of the training part on the
terms and a constant chooses it once; with d = 0 the regression has a constant. SARIMAX then
estimates the coefficients and the ARIMA parameters together by maximum likelihood on the
training part. Forecasts from every origin come from one Kalman filter pass over the data with
those parameters held fixed, as in models/arima.py; intervals are the filter's (analytic).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from statsmodels.tsa.statespace.mlemodel import MLEResults
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast_bench.models import registry
from forecast_bench.models.arima import Arima, _int_tuple, _points, _standard_deviations
from forecast_bench.models.base import Forecast, Forecaster, ModelConfig
from forecast_bench.models.errors import ModelError
from forecast_bench.models.mstl import check_periods, needs_periods

MAX_HARMONICS = 10  # default K per period: min(floor(p / 2), MAX_HARMONICS)


def harmonic_frequencies(periods: Sequence[float],
                         harmonics: Sequence[int] | None = None) -> list[float]:
    """The frequencies k / p (cycles per step) of the Fourier terms, each once, in order:
    period by period, k = 1 .. K with k / p <= 1/2 (K: harmonics[i], default
    min(floor(p / 2), MAX_HARMONICS)); periods <= 2 give none below 1/2 but p = 2 itself."""
    out: list[float] = []
    for i, period in enumerate(periods):
        count = min(math.floor(period / 2), MAX_HARMONICS) if harmonics is None else harmonics[i]
        for k in range(1, count + 1):
            frequency = k / period
            if frequency <= 0.5 + 1e-12 and not any(abs(frequency - f) < 1e-9 for f in out):
                out.append(frequency)
    return out


def fourier_terms(positions: np.ndarray, frequencies: Sequence[float]) -> np.ndarray:
    """Columns cos(2 pi f t), sin(2 pi f t) for each frequency f (no sine at f = 1/2, where it
    is zero), at the positions t: shape (len(positions), terms)."""
    columns = []
    for frequency in frequencies:
        angle = 2 * np.pi * frequency * np.asarray(positions, dtype=float)
        columns.append(np.cos(angle))
        if abs(frequency - 0.5) > 1e-9:
            columns.append(np.sin(angle))
    return np.column_stack(columns) if columns else np.empty((len(positions), 0))


@dataclasses.dataclass(frozen=True)
class DhrConfig(ModelConfig):
    periods: tuple[float, ...] | None = None  # None: the series' periods (error when alone)
    harmonics: int | tuple[int, ...] | None = None  # K per period (one number: for every
    # period); None: min(floor(p / 2), 10)
    order: tuple[int, int, int] | str = "auto"  # the errors' (p, d, q), or "auto"
    max_p: int = 3  # auto only
    max_q: int = 3  # auto only
    maxiter: int = 200  # L-BFGS iterations of the SARIMAX fit (50, arima's, often stops short)

    def validate(self) -> None:
        object.__setattr__(self, "periods", check_periods(self.periods))
        harmonics = self.harmonics
        if harmonics is not None:
            items = tuple(harmonics) if isinstance(harmonics, list | tuple) else (harmonics,)
            if not all(isinstance(k, int) and not isinstance(k, bool) and k >= 0 for k in items):
                raise ValueError(f"harmonics must be an integer >= 0 or a list of them, one per "
                                 f"period, got {harmonics!r}")
            object.__setattr__(self, "harmonics",
                               items if isinstance(harmonics, list | tuple) else harmonics)
        if self.order != "auto":
            object.__setattr__(self, "order", _int_tuple(self.order, 3, "order"))
        self.require_ints(max_p=0, max_q=0, maxiter=1)

    def frequencies(self) -> list[float]:
        """The Fourier terms' frequencies (periods <= 1 give none)."""
        periods = [p for p in self.periods or () if p > 1]
        harmonics = self.harmonics
        if isinstance(harmonics, tuple):
            if len(harmonics) != len(self.periods or ()):
                raise ValueError(f"harmonics {list(harmonics)} must give one number per period "
                                 f"{list(self.periods or ())}")
            harmonics = tuple(k for k, p in zip(harmonics, self.periods or (), strict=True)
                              if p > 1)
        elif isinstance(harmonics, int):
            harmonics = (harmonics,) * len(periods)
        return harmonic_frequencies(periods, harmonics)


@registry.register("dhr")
class Dhr(Forecaster):
    """Dynamic harmonic regression: Fourier terms for each seasonal period with ARIMA errors
    (statsmodels SARIMAX); non-integer periods allowed.

    `periods` unset takes the series' periods; used alone without them, fitting is an error.
    """

    config_class = DhrConfig
    config: DhrConfig
    periods_param = "periods"
    interval_method = "analytic"  # the Kalman filter's forecast error variance (Gaussian)
    batch_tolerance = 1e-7  # the filter's recursions vs statsmodels' forecast per origin

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"periods": (4, 12), "harmonics": 2, "order": (1, 1, 0)},
                {"periods": (4, 12.5), "max_p": 1, "max_q": 1}]

    @property
    def min_train_size(self) -> int:
        """Two values per parameter (terms, ARIMA, constant), at least 10, plus differencing."""
        try:
            terms = 2 * len(self.config.frequencies())
        except ValueError:
            terms = 0
        order = self.config.order
        p, d, q = (self.config.max_p, 1, self.config.max_q) if isinstance(order, str) else order
        return max(10, 2 * (terms + p + q + 1) + d + 1)

    def _fit(self, y: np.ndarray) -> None:
        cfg = self.config
        if cfg.periods is None:
            raise needs_periods(self.name)
        try:
            self.frequencies_ = cfg.frequencies()
        except ValueError as exc:
            raise ModelError(f"model '{self.name}': {exc}") from None
        exog = self._terms(np.arange(len(y)))
        self.order_ = self._choose_order(y, exog)
        self.trend_ = "c" if self.order_[1] == 0 else "n"
        model = SARIMAX(y, exog=exog if exog.shape[1] else None, order=self.order_,
                        trend=self.trend_)
        self.result_ = model.fit(disp=False, maxiter=cfg.maxiter, cov_type="none")
        self.converged_ = bool(self.result_.mle_retvals.get("converged", True))

    def _choose_order(self, y: np.ndarray, exog: np.ndarray) -> tuple[int, int, int]:
        """The fixed order, or auto-ARIMA's on the least-squares residuals."""
        cfg = self.config
        if not isinstance(cfg.order, str):
            return cfg.order
        design = np.column_stack([np.ones(len(y)), exog])
        residuals = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        arima = Arima(order="auto", seasonal_period=1, max_p=cfg.max_p, max_q=cfg.max_q,
                      max_d=1).fit(residuals)
        return arima.order_

    def _terms(self, positions: np.ndarray) -> np.ndarray:
        return fourier_terms(positions, self.frequencies_)

    def describe_fit(self) -> str:
        periods = ", ".join(map(str, self.config.periods or ()))
        return (f"{self._terms(np.arange(1)).shape[1]} Fourier terms (periods {periods}), "
                f"ARIMA{self.order_} errors, trend={self.trend_}"
                + ("" if self.converged_ else " (optimiser did not converge)"))

    def _filter_padded(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> MLEResults:
        """The Kalman filter with the fitted parameters over y[:last origin] and `horizon` NaN,
        the Fourier terms running on: its time t prediction uses y[:t] only."""
        end = int(origins.max()) + horizon
        exog = self._terms(np.arange(end))
        endog = np.concatenate([y[:end - horizon], np.full(horizon, np.nan)])
        return self.result_.apply(endog, exog=exog if exog.shape[1] else None)

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        n = len(history)
        exog = self._terms(np.arange(n + horizon))
        if not exog.shape[1]:
            return self.result_.apply(history).forecast(horizon)
        return self.result_.apply(history, exog=exog[:n]).forecast(horizon, exog=exog[n:])

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return _points(self._filter_padded(y, origins, horizon), origins, horizon)

    def _forecast_and_sd(self, y: np.ndarray, origins: np.ndarray,
                         horizon: int) -> tuple[Forecast, np.ndarray]:
        filtered = self._filter_padded(y, origins, horizon)
        return (Forecast.single(_points(filtered, origins, horizon)),
                _standard_deviations(filtered, origins, horizon))

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast_and_sd(y, origins, horizon)[1]
