"""The preprocessing of Makridakis, Spiliotis & Assimakopoulos (2018) for learning models, as
switchable steps fitted on a training part only.

In order: deseasonalisation after the seasonality test (models.seasonality; additive when a
value is <= 0), Box-Cox with Guerrero's lambda, detrending (a linear trend, first differences,
or the Cox-Stuart test choosing between the two, as the paper's section 3.4 says), then scaling.
`Pipeline.transform` maps a whole series into the model's space with the training part's
parameters; every value's transform depends on that value alone (and on the one before it
when differencing), so values after a forecast origin never reach a forecast from it.
`Pipeline.inverse` maps forecasts from origins back, reading only the history before each.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats

from forecast_bench.models.seasonality import DESEASONALIZE, BoxCox, Deseasonalizer

DETRENDS = ("none", "linear", "diff", "cox_stuart")
SCALES = ("none", "minmax", "standard")
COX_STUART_ALPHA = 0.05
BOXCOX_CAP = 10.0  # Box-Cox forecasts stay below this multiple of the largest training value


@dataclasses.dataclass(frozen=True)
class Steps:
    """The switches. deseasonalize: test, always or never; boxcox: Guerrero's lambda on;
    detrend: none, linear, diff or cox_stuart (linear when the test finds a trend, else
    first differences); scale: none, minmax (to [0, 1]) or standard (mean 0, sd 1)."""

    deseasonalize: str = "never"
    boxcox: bool = False
    detrend: str = "none"
    scale: str = "none"

    def __post_init__(self) -> None:
        for field, allowed in (("deseasonalize", DESEASONALIZE), ("detrend", DETRENDS),
                               ("scale", SCALES)):
            if getattr(self, field) not in allowed:
                raise ValueError(f"{field} must be one of {', '.join(allowed)}, "
                                 f"got {getattr(self, field)!r}")
        if not isinstance(self.boxcox, bool):
            raise ValueError(f"boxcox must be true or false, got {self.boxcox!r}")

    @property
    def differencing_possible(self) -> bool:
        return self.detrend in ("diff", "cox_stuart")


class HasSteps:
    """For a model config with the fields deseasonalize, boxcox, detrend and scale."""

    deseasonalize: str
    boxcox: bool
    detrend: str
    scale: str

    def steps(self) -> Steps:
        """The preprocessing switches (ValueError naming a bad one)."""
        return Steps(self.deseasonalize, self.boxcox, self.detrend, self.scale)


def cox_stuart(y: np.ndarray, alpha: float = COX_STUART_ALPHA) -> bool:
    """The Cox-Stuart sign test for a monotone trend: pairs each value of the first half with
    the value half a series later (the middle one dropped for odd n); trend when the two-sided
    binomial p-value of the positive differences is below `alpha`."""
    y = np.asarray(y, dtype=float)
    half = len(y) // 2
    differences = y[len(y) - half:] - y[:half]
    differences = differences[differences != 0]
    if len(differences) == 0:
        return False
    positive = int(np.sum(differences > 0))
    return bool(stats.binomtest(positive, len(differences), 0.5).pvalue < alpha)


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """The fitted steps of one series (see `fit`); `describe()` says what was chosen."""

    season: Deseasonalizer
    boxcox: BoxCox | None
    detrend: str  # none, linear or diff (cox_stuart resolved)
    trend: tuple[float, float]  # intercept, slope over positions 0 .. n-1 (linear)
    shift: float  # scaling: z = (d - shift) / scale
    scale: float
    level_range: tuple[float, float] = (-np.inf, np.inf)  # Box-Cox: where forecasts may go

    @classmethod
    def fit(cls, y: np.ndarray, period: int, steps: Steps) -> Pipeline:
        """Each step's parameters from the training values `y` (positions 0 .. len(y)-1)."""
        y = np.asarray(y, dtype=float)
        season = Deseasonalizer.fit(y, period, steps.deseasonalize)
        adjusted = season.adjust(y)
        boxcox = None
        if steps.boxcox and np.min(adjusted) > 0:
            boxcox = BoxCox.fit(adjusted, period)
        level = boxcox.transform(adjusted) if boxcox else adjusted
        detrend = steps.detrend
        if detrend == "cox_stuart":
            detrend = "linear" if cox_stuart(level) else "diff"
        trend = (0.0, 0.0)
        if detrend == "linear":
            slope, intercept = np.polyfit(np.arange(len(level)), level, 1)
            trend = (float(intercept), float(slope))
        level_range = (-np.inf, np.inf)
        if boxcox:  # see `inverse`
            low, high = float(np.min(level)), float(np.max(level))
            cap = float(boxcox.transform(np.array([BOXCOX_CAP * adjusted.max()]))[0])
            level_range = (2 * low - high, min(2 * high - low, cap))
        fitted = cls(season, boxcox, detrend, trend, 0.0, 1.0, level_range)
        d = fitted._detrended(level, np.arange(len(level)))
        d = d[np.isfinite(d)]
        shift, scale = 0.0, 1.0
        if steps.scale == "minmax" and len(d):
            shift, scale = float(d.min()), float(d.max() - d.min())
        elif steps.scale == "standard" and len(d):
            shift, scale = float(d.mean()), float(d.std())
        if not scale > 1e-12 * max(1.0, abs(shift)):
            scale = 1.0  # a constant series
        return dataclasses.replace(fitted, shift=shift, scale=scale)

    @property
    def first_valid(self) -> int:
        """Positions before this have no transformed value (1 when differencing)."""
        return 1 if self.detrend == "diff" else 0

    def describe(self) -> str:
        parts = [f"deseasonalised ({self.season.describe()})" if self.season.seasonal else "",
                 f"Box-Cox lambda {self.boxcox.lam:.2f}" if self.boxcox else "",
                 {"linear": "linear trend removed", "diff": "differenced"}.get(self.detrend, ""),
                 "scaled" if (self.shift, self.scale) != (0.0, 1.0) else ""]
        return ", ".join(p for p in parts if p) or "no preprocessing"

    def level(self, y: np.ndarray) -> np.ndarray:
        """Deseasonalised and Box-Cox transformed values (positions 0 .. len(y)-1)."""
        adjusted = self.season.adjust(y)
        return self.boxcox.transform(adjusted) if self.boxcox else adjusted

    def transform(self, y: np.ndarray) -> np.ndarray:
        """The whole series in the model's space; NaN at position 0 when differencing."""
        level = self.level(np.asarray(y, dtype=float))
        return (self._detrended(level, np.arange(len(level))) - self.shift) / self.scale

    def inverse(self, z: np.ndarray, origins: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Forecasts in the model's space (origins x horizon; origin o's step k targets position
        o + k - 1) back to the series' scale; differencing restarts from y[o - 1].

        With Box-Cox, forecasts are kept within the training levels' range widened by that
        range on each side, and below ten times the largest training value: past -1/lambda
        (lambda < 0) the inverse is infinite, and a network's recursive forecasts can get
        there (on 5 of the 1045 M3 series they did)."""
        z = np.asarray(z, dtype=float)
        origins = np.asarray(origins, dtype=int)
        positions = origins[:, None] + np.arange(z.shape[1])
        d = z * self.scale + self.shift
        if self.detrend == "linear":
            level = d + self.trend[0] + self.trend[1] * positions
        elif self.detrend == "diff":
            last = self.level(np.asarray(y, dtype=float)[: origins.max()])[origins - 1]
            level = last[:, None] + np.cumsum(d, axis=1)
        else:
            level = d
        if self.boxcox:
            level = np.clip(level, *self.level_range)
        adjusted = self.boxcox.inverse(level) if self.boxcox else level
        return self.season.restore(adjusted, positions)

    def _detrended(self, level: np.ndarray, positions: np.ndarray) -> np.ndarray:
        if self.detrend == "linear":
            return level - (self.trend[0] + self.trend[1] * positions)
        if self.detrend == "diff":
            return np.concatenate([[math.nan], np.diff(level)])
        return level
