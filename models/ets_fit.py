"""statsmodels' ETSModel.fit, the same numbers in a third of the time.

ETSModel.fit maximises the likelihood with L-BFGS-B and finite-difference gradients that scipy
computes one parameter at a time, each through statsmodels' Python log-likelihood (about 30 us
of overhead around an 8 us smoothing pass). `fit_params` takes the same optimiser run: the same
start, bounds, objective (-loglike / nobs), forward-difference steps (scipy's 1e-8, flipped or
shortened at a bound exactly as scipy's `approx_derivative`) and evaluation budget, but runs the
p + 1 smoothing passes of a gradient back to back and their likelihoods as one NumPy reduction.
Every evaluation is bit-identical to statsmodels', so the optimiser takes the same path and
returns the same parameters (tests/test_ets.py compares them exactly).

It reads ETSModel's internals (statsmodels 0.14-0.15); the test fails if they change.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

FD_STEP = 1e-8  # scipy's default absolute step for L-BFGS-B's approximate gradient
RELATIVE_STEP = np.finfo(float).eps ** 0.5  # scipy's fallback when x + 1e-8 == x
MAXFUN = 15000  # fmin_l_bfgs_b's default budget, counted in evaluations of the objective


def forward_steps(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """scipy's forward-difference steps at x: +1e-8 (relative where x is too large for it),
    flipped where that leaves the bounds, or the distance to the farther bound where neither
    direction fits."""
    ahead = x + FD_STEP
    if (ahead <= upper).all() and (ahead != x).all():  # the usual case, nothing to adjust
        return np.full(x.size, FD_STEP)
    sign = np.where(x >= 0, 1.0, -1.0)
    step = np.where(ahead == x, RELATIVE_STEP * sign * np.maximum(1.0, np.abs(x)), FD_STEP)
    below, above = x - lower, upper - x
    fits = np.abs(step) <= np.maximum(below, above)
    step[((x + step < lower) | (x + step > upper)) & fits] *= -1
    forward, backward = (above >= below) & ~fits, (above < below) & ~fits
    step[forward], step[backward] = above[forward], -below[backward]
    return step


class _Objective:
    """-loglike / nobs of an ETSModel at internal parameters (free ones only), for one point
    or for a point and its p forward-difference neighbours at once."""

    def __init__(self, model: ETSModel, is_fixed: np.ndarray, fixed_values: np.ndarray,
                 beta_star: bool, gamma_star: bool, n_free: int) -> None:
        self.smooth, self.data = model._smoothing_func, np.asarray(model.endog, dtype=float)
        self.args = (is_fixed, fixed_values, beta_star, gamma_star)
        self.nobs = self.data.shape[0]
        self.yhat = np.zeros((n_free + 1, self.nobs))
        self.work = np.empty_like(self.yhat)
        self.xhat = np.zeros((self.nobs, model._k_states_internal))
        self.multiplicative = model.error == "mul"

    def values(self, points: np.ndarray) -> np.ndarray:
        """The objective at each row of `points` (the formula of ETSModel._loglike_internal,
        operation for operation, so the values are bit-identical)."""
        rows = len(points)
        yhat, data, work = self.yhat[:rows], self.data, self.work[:rows]
        for row, point in zip(yhat, points, strict=True):
            self.smooth(point, data, row, self.xhat, *self.args)  # reads point only
        np.subtract(data, yhat, out=work)
        if self.multiplicative:
            np.divide(work, yhat, out=work)
        np.square(work, out=work)
        mean_square = np.add.reduce(work, axis=1) / self.nobs
        loglike = -self.nobs / 2 * (np.log(2 * np.pi * mean_square) + 1)
        if self.multiplicative:
            if not yhat.all():
                yhat[yhat == 0] = 1e-32
            np.log(np.abs(yhat, out=work), out=work)
            loglike -= np.add.reduce(work, axis=1)
        return -loglike / self.nobs


def fit_params(model: ETSModel, maxiter: int) -> np.ndarray:
    """The parameters `model.fit(disp=False, return_params=True, maxiter=maxiter)` returns."""
    start = model._convert_and_bound_start_params(model.start_params)
    bounds = model._setup_bounds()
    beta_star = "smoothing_trend" not in model.bounds
    gamma_star = "smoothing_seasonal" not in model.bounds
    if beta_star:
        start[1] /= start[0]
    if gamma_star:
        start[2] /= 1 - start[0]
    is_fixed = np.array([lo == hi for lo, hi in bounds], dtype=np.int64)
    fixed_values = np.where(is_fixed, [lo for lo, _ in bounds], np.nan)
    free = ~is_fixed.astype(bool)
    free_bounds = [bound for bound, keep in zip(bounds, free, strict=True) if keep]
    lower = np.array([lo for lo, _ in free_bounds], dtype=float)
    upper = np.array([hi for _, hi in free_bounds], dtype=float)
    n_free = int(free.sum())
    objective = _Objective(model, is_fixed, fixed_values, beta_star, gamma_star, n_free)
    points = np.empty((n_free + 1, n_free))  # x, then x plus a step in each coordinate
    diagonal = points[1:].reshape(-1)[:: n_free + 1]  # view: the stepped coordinates

    def value_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        points[:] = x
        diagonal[:] += forward_steps(x, lower, upper)
        values = objective.values(points)
        moved = diagonal - x  # the step actually taken, which scipy divides by
        return float(values[0]), (values[1:] - values[0]) / moved

    # scipy counts p + 1 evaluations per approximate gradient; here each call counts once
    budget = MAXFUN // (n_free + 1)
    optimum, _, _ = optimize.fmin_l_bfgs_b(value_and_gradient, start[free], maxiter=maxiter,
                                           maxfun=budget, bounds=free_bounds)
    fitted = np.where(free, 0.0, fixed_values)
    fitted[free] = optimum
    if beta_star:
        fitted[1] *= fitted[0]
    if gamma_star:
        fitted[2] *= 1 - fitted[0]
    return model._model_params(fitted)

