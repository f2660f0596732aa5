"""Auto-ARIMA order search: pmdarima's stepwise Hyndman-Khandakar rules, fits made faster.

`auto_order` takes pmdarima.auto_arima's steps (stepwise, AIC, its tests for d and D, start
orders, moves, constant toggling, root check, limits) and fits each candidate as SARIMAX.fit
does (start values, parameter transforms, L-BFGS-B with forward differences, 50 iterations), but
with `SarimaxLikelihood`: the Kalman filter's value up to rounding, at a tenth of its cost. A fit
that stops at the iteration limit on a flat ridge (near-cancelling AR and MA roots) ends where
rounding takes it, and may change the choice, as a 1e-10 relative change in the data does for
pmdarima itself; elsewhere the fits and choices are pmdarima's."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
from numpy.linalg import LinAlgError
from scipy.optimize import fmin_l_bfgs_b
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast_bench.models.arima_likelihood import SarimaxLikelihood, difference

SEARCH_MAXITER = 50  # pmdarima's maxiter for every candidate fit
FD_STEP = 1e-5  # statsmodels' finite-difference step for L-BFGS's gradient
MAX_FITS = 100  # pmdarima's cap on the number of candidate fits
ROOT_LIMIT = 1 - 1e-2  # an inverse root beyond this makes a candidate's AIC infinite
SEASONAL_START, SEASONAL_MAX, MAX_SEASONAL_D = 1, 2, 1  # pmdarima's start_P/Q, max_P/Q, max_D
LOG_2PI = float(np.log(2 * np.pi))

Order = tuple[int, int, int]
SeasonalOrder = tuple[int, int, int, int]
Key = tuple[Order, SeasonalOrder, bool]
MOVES = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


@dataclasses.dataclass(frozen=True)
class Fit:
    """A candidate fitted as SARIMAX.fit would: its parameters, pmdarima's criterion (AIC,
    infinite after a failed root check) and whether L-BFGS converged."""

    params: np.ndarray | None
    aic: float
    converged: bool = False


@dataclasses.dataclass(frozen=True)
class Choice:
    """The chosen orders, whether the model has a constant, and the search's fit of that model
    (None when pmdarima made the choice)."""

    order: Order
    seasonal_order: SeasonalOrder
    with_intercept: bool
    fit: Fit | None


def largest_inverse_root(poly: np.ndarray) -> float:
    """The largest modulus of the inverse roots of a lag polynomial [1, c_1, ...] (0: none)."""
    return float(np.abs(np.roots(poly)).max(initial=0.0)) if len(poly) > 1 else 0.0


def constrain_stationary(unconstrained: np.ndarray) -> np.ndarray:
    """statsmodels' constrain_stationary_univariate (Monahan's recursion), the same operations
    in the same order on Python floats instead of numpy scalars: the same bits, faster."""
    r = [u / math.sqrt(1 + u * u) for u in unconstrained.tolist()]  # numpy's ** 0.5 is sqrt
    y: list[float] = []
    for k, r_k in enumerate(r):
        y = [y[i] + r_k * y[k - i - 1] for i in range(k)] + [r_k]
    return -np.array(y)


def fit_candidate(y: np.ndarray, order: Order, seasonal: SeasonalOrder, constant: bool) -> Fit:
    """Fit one candidate as SARIMAX.fit would, each evaluation by SarimaxLikelihood (the
    Kalman filter where that fails). Its AIC is infinite, as in pmdarima, when an inverse root
    (MA if there are MA terms, else AR) lies beyond ROOT_LIMIT."""
    model = SARIMAX(y, order=order, seasonal_order=seasonal, trend="c" if constant else None)
    likelihood = SarimaxLikelihood(model)
    edges = np.cumsum([int(constant), order[0], order[2], seasonal[0], seasonal[2]])
    blocks = [(sign, start, end) for sign, start, end  # AR, MA, seasonal AR, seasonal MA
              in zip((1, -1, 1, -1), edges[:-1], edges[1:], strict=True) if end > start]
    owner = {i: block for block in blocks for i in range(block[1], block[2])}

    def loglike(params: np.ndarray) -> float:
        try:
            value = likelihood(params)
        except (LinAlgError, ValueError, FloatingPointError):
            value = np.nan
        return value if math.isfinite(value) else float(model.loglike(params))

    def transform(u: np.ndarray, base: np.ndarray | None = None, i: int = 0) -> np.ndarray:
        """model.transform_params(u), block by block with statsmodels' transform; given
        `base`, the transform of a point differing from u only in u[i], just u[i]'s block."""
        params = u.copy() if base is None else base.copy()
        for sign, start, end in blocks if base is None else [owner[i]] if i in owner else []:
            params[start:end] = sign * constrain_stationary(u[start:end])
        if base is not None and i not in owner:  # the constant, or sigma2
            params[i] = u[i]
        params[-1] = u[-1] ** 2
        return params

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        """-loglike/nobs and its forward differences: the numbers L-BFGS-B computes with
        approx_grad=True and epsilon=FD_STEP, as SARIMAX.fit asks, without scipy's wrappers."""
        base = transform(u)
        f0, grad = -loglike(base) / len(y), np.empty(len(u))
        for i in range(len(u)):
            step = u.copy()
            step[i] = u[i] + FD_STEP
            grad[i] = (-loglike(transform(step, base, i)) / len(y) - f0) / (step[i] - u[i])
        return f0, grad

    start = model.untransform_params(model.start_params)
    found, _, info = fmin_l_bfgs_b(objective, start, maxiter=SEARCH_MAXITER,
                                   bounds=[(None, None)] * len(start))
    params = transform(found)
    aic = -2.0 * loglike(params) + 2.0 * len(params)
    _, phi, theta, _ = likelihood.polynomials(params)
    largest = largest_inverse_root(phi) if order[0] + seasonal[0] > 0 else 0.0
    if order[2] + seasonal[2] > 0 and np.isfinite(aic):  # pmdarima: replaces the AR check
        largest = largest_inverse_root(theta)
    return Fit(params, np.inf if largest > ROOT_LIMIT else aic, info["warnflag"] == 0)


class _Stepwise:
    """pmdarima's _StepwiseFitWrapper.solve, move for move, over fit_candidate."""

    def __init__(self, y: np.ndarray, d: int, big_d: int, period: int, seasonal: bool,
                 with_intercept: bool, max_p: int, max_q: int, max_big: int):
        self.y, self.d, self.big_d, self.period, self.seasonal = y, d, big_d, period, seasonal
        self.with_intercept, self.max_p, self.max_q, self.max_big = (with_intercept, max_p,
                                                                     max_q, max_big)
        self.fits: dict[Key, Fit] = {}
        self.best: Key | None = None

    def try_fit(self, p: int, q: int, big_p: int, big_q: int, constant: bool | None = None) -> bool:
        """Fit (p, d, q)(P, D, Q) unless already fitted; True when it is the best so far."""
        seasonal = (big_p, self.big_d, big_q, self.period) if self.seasonal else (0, 0, 0, 0)
        key = ((p, self.d, q), seasonal, self.with_intercept if constant is None else constant)
        if key in self.fits or len(self.fits) >= MAX_FITS:
            return False
        try:
            self.fits[key] = fit_candidate(self.y, *key)
        except (LinAlgError, ValueError):
            self.fits[key] = Fit(None, np.inf)
        ic = self.fits[key].aic
        if np.isinf(ic) or (self.best is not None and not ic < self.fits[self.best].aic):
            return False
        self.best = key
        return True

    def solve(self, p: int, q: int, big_p: int, big_q: int) -> Key | None:
        """The key of the fit with the smallest finite AIC (None: no viable fit)."""
        seasonal = int(self.seasonal and self.max_big > 0)
        self.try_fit(p, q, big_p, big_q)
        if self.try_fit(0, 0, 0, 0):
            p = q = big_p = big_q = 0
        if (self.max_p > 0 or self.max_big > 0) and self.try_fit(int(self.max_p > 0), 0,
                                                                 seasonal, 0):
            p, big_p, q, big_q = int(self.max_p > 0), seasonal, 0, 0
        if (self.max_q > 0 or self.max_big > 0) and self.try_fit(0, int(self.max_q > 0), 0,
                                                                 seasonal):
            p, big_p, q, big_q = 0, 0, int(self.max_q > 0), seasonal
        if self.with_intercept and self.try_fit(0, 0, 0, 0, constant=False):
            p = q = big_p = big_q = 0
        done = 0
        while done < len(self.fits) < MAX_FITS:
            done = len(self.fits)
            moved = self._move(p, q, big_p, big_q)
            if moved is not None:
                p, q, big_p, big_q = moved
            elif self.try_fit(p, q, big_p, big_q, constant=not self.with_intercept):
                self.with_intercept = not self.with_intercept
        finite = [key for key, fit in self.fits.items() if np.isfinite(fit.aic)]
        return min(finite, key=lambda key: self.fits[key].aic) if finite else None

    def _move(self, p: int, q: int, big_p: int, big_q: int) -> tuple[int, int, int, int] | None:
        """The first seasonal, then non-seasonal, neighbour that improves (pmdarima's order)."""
        for dp, dq in MOVES:
            if (0 <= big_p + dp <= self.max_big and 0 <= big_q + dq <= self.max_big
                    and self.try_fit(p, q, big_p + dp, big_q + dq)):
                return p, q, big_p + dp, big_q + dq
        for dp, dq in MOVES:
            if (0 <= p + dp <= self.max_p and 0 <= q + dq <= self.max_q
                    and self.try_fit(p + dp, q + dq, big_p, big_q)):
                return p + dp, q + dq, big_p, big_q
        return None


def auto_order(y: np.ndarray, period: int, max_p: int, max_d: int, max_q: int, start_p: int,
               start_q: int, d: int | None = None) -> Choice | None:
    """What pmdarima.auto_arima(y, seasonal=period > 1, m=period, max_p=max_p, max_d=max_d,
    max_q=max_q, start_p=start_p, start_q=start_q, d=d, stepwise=True,
    information_criterion="aic") chooses, with faster candidate fits. None where pmdarima
    takes another path (a constant series, or after differencing) or finds no viable model:
    the caller asks pmdarima itself."""
    from pmdarima.arima import ndiffs, nsdiffs  # slow import, only needed for auto orders
    from pmdarima.arima.utils import is_constant

    y = np.asarray(y, dtype=float)
    n, seasonal = len(y), period > 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if is_constant(y):
            return None
        max_p, max_q = min(max_p, n // 3), min(max_q, n // 3)
        start_p, start_q = min(start_p, max_p), min(start_q, max_q)
        big_d = nsdiffs(y, m=period, test="ocsb", max_D=MAX_SEASONAL_D) if seasonal else 0
        dx = difference(y, 0, big_d, period)
        if not len(dx):
            return None
        if d is None:
            d = ndiffs(dx, test="kpss", alpha=0.05, max_d=max_d)
        if is_constant(difference(dx, d, 0, period)):
            return None
        max_big = SEASONAL_MAX if seasonal else 0
        if seasonal:
            max_p, max_q = min(max_p, period - 1), min(max_q, period - 1)
        start_big = min(0 if n < 10 else SEASONAL_START, max_big)
        if n < 10:
            start_p, start_q = min(start_p, 1), min(start_q, 1)
        # pmdarima sets D = -1 for a non-seasonal search before this test
        with_intercept = d + (big_d if seasonal else -1) in (0, 1)
        search = _Stepwise(y, d, big_d, period, seasonal, with_intercept, max_p, max_q, max_big)
        best = search.solve(min(start_p, max_p), min(start_q, max_q), start_big, start_big)
    return None if best is None else Choice(*best, search.fits[best])
