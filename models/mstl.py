"""MSTL (Bandara, Hyndman & Bergmeir 2021): several seasonal components removed by statsmodels'
MSTL, the seasonally adjusted series forecast by the project's ETS or ARIMA, and the seasonal
components added back by repeating each one's last cycle (as statsforecast's MSTL does).

The decomposition is of the training part only. Past it, each component continues as its last
training cycle repeated, so the seasonal sum at every position is fixed once fitted and the
adjusted history before an origin o, y[:o] minus those components, uses y[:o] only. The trend
model is fitted on the adjusted training part and forecasts the adjusted history from each origin
with its fitted parameters (no refit). A component's forecast from origin o repeats its own
values over the cycle before o: past the training part that is its last training cycle; from an
origin inside it (the conformal intervals' calibration) it is the component's seasonal naive.

MSTL needs whole periods: a non-integer period (365.25, 52.18) is rounded; periods <= 1 are
ignored (none left: the trend model forecasts the series itself). Every period needs more than
two cycles of training data (statsmodels drops shorter ones; here the fit says how many values
it needs). Intervals are the trend model's analytic ones where it has them, the seasonal
components taken as known (as statsforecast does), else conformal. Positions count from the
first training value: the harness passes each fold's values from its training start.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from statsmodels.tsa.seasonal import MSTL

from forecast_bench.models import registry
from forecast_bench.models.base import Forecast, Forecaster, ModelConfig
from forecast_bench.models.errors import ModelError

TREND_MODELS = ("ets", "arima")


def check_periods(value: object) -> tuple[float, ...] | None:
    """None, or the periods as a tuple of numbers >= 1 (whole ones as int); else ValueError."""
    if value is None:
        return None
    items = tuple(value) if isinstance(value, list | tuple) else ()
    if not items or not all(isinstance(p, int | float) and not isinstance(p, bool) and p >= 1
                            for p in items):
        raise ValueError(f"periods must be a list of numbers >= 1 such as [24, 168] (or unset: "
                         f"the series' periods), got {value!r}")
    return tuple(int(p) if float(p).is_integer() else float(p) for p in items)


def needs_periods(name: str) -> ModelError:
    """The error for a model used alone without periods."""
    return ModelError(f"model '{name}' has no seasonal periods: set periods, e.g. "
                      "periods = [24, 168], or give the series' periods")


def whole_periods(periods: Sequence[float]) -> tuple[int, ...]:
    """MSTL's periods: rounded, > 1, without repeats, ascending."""
    return tuple(sorted({round(p) for p in periods if round(p) > 1}))


@dataclasses.dataclass(frozen=True)
class MstlConfig(ModelConfig):
    periods: tuple[float, ...] | None = None  # None: the series' periods (error when alone)
    windows: tuple[int, ...] | None = None  # STL windows by ascending period; None: 7 + 4 i
    iterate: int = 2  # MSTL's passes over the components
    trend_model: str = "ets"  # the model of the seasonally adjusted series: ets or arima
    trend_params: dict[str, Any] = dataclasses.field(default_factory=dict)  # the trend model's

    def validate(self) -> None:
        object.__setattr__(self, "periods", check_periods(self.periods))
        if self.windows is not None:
            items = tuple(self.windows) if isinstance(self.windows, list | tuple) else ()
            if not items or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 3
                                    and w % 2 for w in items):
                raise ValueError(f"windows must be a list of odd integers >= 3, one per period, "
                                 f"got {self.windows!r}")
            object.__setattr__(self, "windows", items)
        self.require_ints(iterate=1)
        self.require_choices(trend_model=TREND_MODELS)
        if not isinstance(self.trend_params, dict):
            raise ValueError("trend_params must be a table of parameters")
        self.make_trend_model()  # unknown parameters fail now, not mid-run

    def make_trend_model(self) -> Forecaster:
        return registry.get(self.trend_model, **self.trend_params)


@registry.register("mstl")
class Mstl(Forecaster):
    """MSTL: statsmodels' multiple seasonal decomposition, ETS or ARIMA on the adjusted series,
    each seasonal component's last cycle repeated (as statsforecast's MSTL).

    `periods` unset takes the series' periods; used alone without them, fitting is an error.
    """

    config_class = MstlConfig
    config: MstlConfig
    periods_param = "periods"

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"periods": (4, 12), "trend_params": {"components": "ANN"}},
                {"periods": (5, 12.5), "trend_model": "arima",
                 "trend_params": {"order": (1, 1, 0)}}]

    @property
    def _periods(self) -> tuple[int, ...]:
        return whole_periods(self.config.periods or ())

    @property
    def min_train_size(self) -> int:
        """The trend model's, and more than two cycles of the longest period."""
        longest = max(self._periods, default=0)
        return max(self.config.make_trend_model().min_train_size, 2 * longest + 1)

    @property
    def interval_method(self) -> str:
        """The trend model's once fitted ("analytic" for ARIMA and linear ETS); before fit
        "conformal"."""
        trend = getattr(self, "trend_", None)
        return trend.interval_method if trend is not None else "conformal"

    @property
    def batch_tolerance(self) -> float:
        return self.config.make_trend_model().batch_tolerance

    def _fit(self, y: np.ndarray) -> None:
        cfg = self.config
        if cfg.periods is None:
            raise needs_periods(self.name)
        periods = self._periods
        if cfg.windows is not None and len(cfg.windows) != len(periods):
            raise ModelError(f"model '{self.name}': windows {cfg.windows} must give one window "
                             f"per period {periods}")
        self.components_ = np.zeros((len(y), 0))
        if periods:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                seasonal = MSTL(y, periods=periods, windows=cfg.windows,
                                iterate=cfg.iterate).fit().seasonal
            self.components_ = np.asarray(seasonal, dtype=float).reshape(len(y), -1)
        self.periods_ = periods
        self.trend_ = cfg.make_trend_model().fit(y - self.components_.sum(axis=1))

    def describe_fit(self) -> str:
        trend = f"{self.config.trend_model}: {self.trend_.describe_fit()}"
        if not self.periods_:
            return f"no seasonal period > 1, {trend}"
        return f"MSTL periods {', '.join(map(str, self.periods_))}; adjusted series {trend}"

    def _components_at(self, positions: np.ndarray) -> np.ndarray:
        """Each component at `positions` (shape positions.shape + (components,)): MSTL's in the
        training part, its last training cycle repeated after it."""
        n = len(self.components_)
        out = np.empty((*positions.shape, len(self.periods_)))
        for i, period in enumerate(self.periods_):
            inside = np.where(positions < n, positions, n - period + (positions - n) % period)
            out[..., i] = self.components_[inside, i]
        return out

    def _adjusted(self, y: np.ndarray, end: int) -> np.ndarray:
        """y[:end] minus the seasonal components (fixed by the fit)."""
        return y[:end] - self._components_at(np.arange(end)).sum(axis=-1)

    def _seasonal_forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        """The components' sum at each target, each component repeating its cycle before the
        origin (origins x horizon)."""
        out = np.zeros((len(origins), horizon))
        ahead = np.arange(horizon)[None, :]
        for i, period in enumerate(self.periods_):
            back = origins[:, None] + ahead - period * (ahead // period + 1)
            out += self._components_at(back)[..., i]
        return out

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._predict_origins(history, np.array([len(history)]), horizon)[0]

    def _predict_origins(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        adjusted = self._adjusted(y, int(origins.max()))
        return (self.trend_.predict_origins(adjusted, origins, horizon)
                + self._seasonal_forecast(origins, horizon))

    def _forecast_and_sd(self, y: np.ndarray, origins: np.ndarray,
                         horizon: int) -> tuple[Forecast, np.ndarray]:
        """The trend model's forecasts and standard deviations of the adjusted series (one
        pass for ARIMA), the seasonal forecast added to the points."""
        adjusted = self._adjusted(y, int(origins.max()))
        trend, sd = self.trend_._forecast_and_sd(adjusted, origins, horizon)
        point = trend.point + self._seasonal_forecast(origins, horizon)
        return Forecast.single(point), sd

    def _forecast_sd(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast_and_sd(y, origins, horizon)[1]
