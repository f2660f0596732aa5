"""A global linear autoregression: one AR(lags) fitted on the windows of every series at once,
the baseline of Montero-Manso & Hyndman (2021), "Principles and algorithms for forecasting
groups of time series: locality and globality" (International Journal of Forecasting).

Each series is first mapped into a common space by its own `models.preprocess.Pipeline`,
fitted on its own training part. The defaults: deseasonalised when the M3 seasonality test says
so (as Makridakis et al. 2018 prepare series for learning models), no Box-Cox, no detrending,
and standardised (mean 0, sd 1), so series of any level and spread share one set of
coefficients and an affine change of one series changes nothing. Training windows are the
`lags + 1` consecutive values of one series' training part: they never cross series. The
coefficients are a ridge regression (intercept unpenalised) in closed form; forecasts are
iterated one step at a time and mapped back by each series' pipeline.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from forecast_bench.models.base import Forecast, ModelConfig
from forecast_bench.models.collection import CollectionForecaster
from forecast_bench.models.preprocess import HasSteps, Pipeline
from forecast_bench.models.registry import register
from forecast_bench.models.windows import lag_pairs


@dataclasses.dataclass(frozen=True)
class GlobalArConfig(HasSteps, ModelConfig):
    lags: int = 12  # inputs: the last `lags` values (a year of a monthly series)
    alpha: float = 1e-3  # ridge penalty on the lag coefficients (0: least squares)
    period: int | None = None  # seasonal period; None: the series' own
    deseasonalize: str = "test"  # the preprocessing steps (models.preprocess.Steps)
    boxcox: bool = False
    detrend: str = "none"
    scale: str = "standard"

    def validate(self) -> None:
        self.require_ints(lags=1)
        self.require_optional_ints(period=1)
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int | float) or not (
                math.isfinite(self.alpha) and self.alpha >= 0):
            raise ValueError(f"alpha must be a number >= 0, got {self.alpha!r}")
        self.steps()  # validates the preprocessing fields


def ridge(inputs: np.ndarray, targets: np.ndarray, alpha: float) -> np.ndarray:
    """[intercept, coefficients] of targets on inputs, the coefficients penalised by alpha:
    least squares on the design stacked over sqrt(alpha) * I (stable even for alpha 0)."""
    n, k = inputs.shape
    design = np.vstack([np.column_stack([np.ones(n), inputs]),
                        np.sqrt(alpha) * np.eye(k + 1)[1:]])
    return np.linalg.lstsq(design, np.concatenate([targets, np.zeros(k)]), rcond=None)[0]


@register("global_ar")
class GlobalAr(CollectionForecaster):
    """Global linear AR on the last `lags` values of every series (Montero-Manso & Hyndman)."""

    config_class = GlobalArConfig
    config: GlobalArConfig
    period_param = "period"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{}, {"lags": 4, "alpha": 0, "period": 5, "deseasonalize": "always",
                     "boxcox": True, "detrend": "diff", "scale": "minmax"}]

    @property
    def min_train_size(self) -> int:
        """One training window, after the first difference when detrending may difference."""
        return self.config.lags + 1 + int(self.config.steps().differencing_possible)

    def _fit_collection(self, series: list[np.ndarray], periods: list[int]) -> None:
        steps = self.config.steps()
        self.pipelines_ = [Pipeline.fit(y, period, steps)
                           for y, period in zip(series, periods, strict=True)]
        inputs, targets = zip(*(
            lag_pairs(pipeline.transform(y)[pipeline.first_valid:], self.config.lags)
            for y, pipeline in zip(series, self.pipelines_, strict=True)), strict=True)
        # intercept, then one coefficient per lag, the oldest first
        self.coef_ = ridge(np.vstack(inputs), np.concatenate(targets), self.config.alpha)
        self.n_windows_ = sum(map(len, targets))

    def describe_fit(self) -> str:
        adjusted = sum(pipeline.season.seasonal for pipeline in self.pipelines_)
        return (f"global AR({self.config.lags}) on {len(self.pipelines_)} series, "
                f"{self.n_windows_} windows, {adjusted} deseasonalised")

    def _forecast_collection(self, series: list[np.ndarray], origins: list[np.ndarray],
                             horizon: int) -> list[Forecast]:
        lags = np.arange(-self.config.lags, 0)
        out = []
        for y, idx, pipeline in zip(series, origins, self.pipelines_, strict=True):
            window = pipeline.transform(y)[idx[:, None] + lags]  # values before each origin
            out.append(Forecast.single(pipeline.inverse(self._iterate(window, horizon), idx, y)))
        return out

    def _iterate(self, window: np.ndarray, horizon: int) -> np.ndarray:
        """Forecasts in the model's space (windows x horizon), each step fed back as a lag."""
        intercept, weights = self.coef_[0], self.coef_[1:]
        out = np.empty((len(window), horizon))
        for step in range(horizon):
            out[:, step] = intercept + window @ weights
            window = np.column_stack([window[:, 1:], out[:, step]])
        return out
