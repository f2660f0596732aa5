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
from scipy.linalg.lapack import dgesv, dpbtrf, dpotrf, dpttrf, dpttrs, dtbtrs, dtrtrs
from scipy.optimize import fmin_l_bfgs_b
from scipy.signal import lfilter
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.statespace.tools import constrain_stationary_univariate

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


class SarimaxLikelihood:
    """statsmodels SARIMAX's log-likelihood of `model` without the Kalman filter (trend "c" or
    none, no exog, SARIMAX's other defaults: stationary and invertible parameters).

    SARIMAX starts its b = d + sD differencing states approximately diffuse (mean 0, variance
    kappa = initial_variance, 1e6 by default) and burns the first b observations: its value is
    log p(x_obs) + log p(y_1..b | x_obs) - log p(y_1..b), x_obs the differenced series and
    y_1..b = A a0 + M x_1..b (a0 ~ N(0, kappa I), A read from SARIMAX's transition matrix, M the
    integration filter, x_1..b the ARMA values before x_obs). log p(x_obs) is exact by Ansley's
    (1979) transformation w_t = x_t (t < m = max(p, q)), w_t = phi(B) x_t (t >= m): unit
    Jacobian, banded covariance S (bandwidth max(m - 1, q)) factorised by LAPACK; the same factor
    gives x_1..b given x_obs (only the first m rows of cov(w, x_1..b) are non-zero). What depends
    on the AR and MA parameters alone is kept for the last few, so that finite-difference steps
    in the constant and in sigma2 cost no factorisation. LinAlgError: S not positive definite.
    """

    def __init__(self, model: SARIMAX) -> None:
        (p, d, q), (big_p, big_d, big_q, s) = model.order, model.seasonal_order
        self.orders = (p, q, big_p, big_q, s, int(model.k_trend > 0))
        self.p, self.q = p + big_p * s, q + big_q * s  # orders of the reduced polynomials
        y, b = np.asarray(model.endog, dtype=float).reshape(-1), d + big_d * s
        self.x, self.v = difference(y, d, big_d, s), y[:b]
        m, n = max(self.p, self.q), len(self.x)
        self.m, self.band, self.head = m, max(m - 1, self.q), min(m, n)
        self.lags = lags = max(m + 1, b + m)
        k, i = np.divmod(np.arange(lags * self.p), max(self.p, 1))  # phi_(i+1) at (k, |k-i-1|)
        self.system = (k * lags + np.abs(k - i - 1), i + 1)
        self.inside = np.arange(self.band + 1)[:, None] + np.arange(self.head) < m
        rows, cols = np.indices(self.inside.shape)  # reversed band storage: (h, n - 1 - h - s)
        cols = n - 1 - rows - cols
        self.reversed_at, self.reversed_ok = (rows[cols >= 0], cols[cols >= 0]), cols >= 0
        i, j = np.triu_indices(m)  # the first m x m block of U = J chol J: chol[j - i, n - 1 - j]
        self.corner, self.corner_at = (i, j), (j - i, n - 1 - j)
        self.cross_lags = b + np.subtract.outer(np.arange(self.head), np.arange(b))
        lags_b = np.subtract.outer(np.arange(b), np.arange(b))
        self.hidden_lags, state, rows = np.abs(lags_b), np.eye(b), []
        for _ in range(b):  # y_t = Z T^(t-1) a0, t = 1..b, when the ARMA part is zero
            rows.append(np.asarray(model.ssm["design"])[0, :b] @ state)
            state = np.asarray(model.ssm["transition"])[:b, :b] @ state
        a = np.array(rows).reshape(b, b)
        self.kappa_aa = model.ssm.initial_variance * a @ a.T
        poly = np.array([1.0])  # (1 - B)^d (1 - B^s)^D
        for lag in [1] * d + [s] * big_d:
            poly = np.convolve(poly, _lag_poly(np.ones(1), -1.0, lag))
        response = lfilter([1.0], poly, np.eye(1, b)[0]) if b else np.zeros(0)
        self.integrate = np.where(lags_b >= 0, response[lags_b.clip(0)], 0.0)
        self.ones = self.integrate.sum(axis=1)  # M 1
        self._terms: dict[bytes, tuple] = {}

    def polynomials(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
        """The constant, the reduced AR and MA lag polynomials and sigma2 of SARIMAX's params."""
        p, q, big_p, big_q, s, at = self.orders
        phi, theta = _lag_poly(params[at : at + p], -1.0), _lag_poly(params[at + p : at + p + q])
        if big_p:
            phi = np.convolve(phi, _lag_poly(params[at + p + q : at + p + q + big_p], -1.0, s))
        if big_q:
            theta = np.convolve(theta, _lag_poly(params[at + p + q + big_p : -1], 1.0, s))
        return (params[0] if at else 0.0), phi, theta, float(params[-1])

    def __call__(self, params: np.ndarray) -> float:
        """The log-likelihood at SARIMAX's (transformed) parameters."""
        at, key = self.orders[-1], params[self.orders[-1] : -1].tobytes()
        terms = self._terms.pop(key, None)
        if terms is None:
            terms = self._arma_terms(*self.polynomials(params)[1:3])
            if len(self._terms) >= 12:
                self._terms.pop(next(iter(self._terms)))
        self._terms[key] = terms
        phi_sum, logdet, quad, ru, rr, hidden = terms
        mean, sigma2 = (params[0] / phi_sum if at else 0.0), float(params[-1])
        quad = quad[0] - 2.0 * mean * quad[1] + mean * mean * quad[2]
        value = -0.5 * (len(self.x) * (LOG_2PI + math.log(sigma2)) + logdet + quad / sigma2)
        if not len(self.v):
            return value
        base = self.v - self.ones * mean
        given = base - (ru[:, 0] - mean * ru[:, 1])
        return (value + _gaussian_logpdf(given, self.kappa_aa + sigma2 * (hidden - rr))
                - _gaussian_logpdf(base, self.kappa_aa + sigma2 * hidden))

    def _autocovariances(self, phi: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """gamma(0..lags-1) and cross(h) = cov(theta(B) e_t, x_(t-h)), over sigma2:
        gamma(k) + sum_i phi_i gamma(|k - i|) = cross(k) for every k >= 0, one linear system."""
        p, q, lags = self.p, self.q, self.lags
        if p and q > 4:
            psi = lfilter(theta, phi, np.eye(1, q + 1)[0])  # MA(infinity) weights 0..q
        else:
            psi = theta.copy()
            for k in range(1, q + 1 if p else 1):
                psi[k] -= phi[1 : min(k, p) + 1] @ psi[k - 1 :: -1][: min(k, p)]
        cross, system = np.zeros(lags), np.eye(lags)
        cross[: q + 1] = np.correlate(theta, psi, "full")[q:]
        if p:
            system.flat += np.bincount(self.system[0], phi[self.system[1]], lags * lags)
        _, _, gamma, info = dgesv(system, cross)
        if info != 0:
            raise LinAlgError("non-stationary AR polynomial")
        band = np.where(self.inside, gamma[: self.band + 1, None], cross[: self.band + 1, None])
        return gamma, band  # band: S at its first m columns, gamma(h) while s + h < m

    def _arma_terms(self, phi: np.ndarray, theta: np.ndarray) -> tuple:
        """phi(1), log det S, the quadratic form's coefficients in the mean (w = w0 - mean w1:
        w0'S^-1 w0, w0'S^-1 w1, w1'S^-1 w1), M G'S^-1 [w0, w1] and M G'S^-1 G M'
        (G = cov(w, x_1..b) / sigma2), and M cov(x_1..b) M' / sigma2."""
        b, m, n, k = len(self.v), self.m, len(self.x), 1 + self.orders[-1]
        gamma, band = self._autocovariances(phi, theta)
        mix = self._mix
        hidden = mix(gamma[self.hidden_lags])
        if m == 0:
            quad = (self.x @ self.x, self.x.sum(), float(n))
            return phi.sum(), 0.0, quad, np.zeros((b, 2)), np.zeros((b, b)), hidden
        w = np.zeros((n, k), order="F")  # w0, and w1 with a constant only
        w[:, 0] = np.convolve(self.x, phi)[:n]
        w[:m, 0] = self.x[:m]
        if k == 2:
            w[:, 1] = phi.sum()
            w[:m, 1] = 1.0
        ma = np.correlate(theta, theta, "full")[self.q :]
        solve = self._reversed_cholesky if self.band > 1 else self._tridiagonal
        logdet, wsw, ru, rr = solve(ma, band, w, gamma[self.cross_lags])
        quad, padded = np.zeros(3), np.zeros((b, 2))
        quad[0], padded[:, :k] = wsw[0, 0], ru
        if k == 2:
            quad[1:] = wsw[0, 1], wsw[1, 1]
        return phi.sum(), logdet, quad, mix(padded, right=False), mix(rr), hidden

    def _mix(self, a: np.ndarray, right: bool = True) -> np.ndarray:
        """M a M' (M a: right=False); M is 1 when b = 1."""
        return a if len(self.v) <= 1 else self.integrate @ (a @ self.integrate.T if right else a)

    def _reversed_cholesky(self, ma: np.ndarray, band: np.ndarray, w: np.ndarray,
                           g: np.ndarray) -> tuple:
        """log det S, w'S^-1 w, G'S^-1 w and G'S^-1 G (G: the first m rows of cov(w, x_1..b))
        by LAPACK's banded Cholesky of J S J = L L' (J reverses the order): S = U U' with
        U = J L J upper triangular, so S^-1's first m x m block is that of U's."""
        n, m = len(w), self.m
        ab = np.zeros((self.band + 1, n), order="F")  # lower band of J S J
        ab[: self.q + 1] = ma[:, None]
        ab[self.reversed_at] = band[self.reversed_ok]
        chol, info = dpbtrf(ab, lower=1)
        if info == 0:
            z, info = dtbtrs(chol, w[::-1], uplo="L")
        if info != 0:
            raise LinAlgError("ARMA covariance is not positive definite")
        ru, rr = np.zeros((0, w.shape[1])), np.zeros((0, 0))
        if len(g.T):
            corner = np.zeros((m, m))
            corner[self.corner] = chol[self.corner_at]
            v = dtrtrs(corner, g, lower=0)[0]
            ru, rr = v.T @ z[n - m :][::-1], v.T @ v
        return 2.0 * float(np.log(chol[0]).sum()), z.T @ z, ru, rr

    def _tridiagonal(self, ma: np.ndarray, band: np.ndarray, w: np.ndarray,
                     g: np.ndarray) -> tuple:
        """The same for bandwidth 0 or 1, by LAPACK's tridiagonal LDL' solver."""
        n, k, head = len(w), w.shape[1], self.head
        diag, sub = np.full(n, ma[0]), np.full(n - 1, ma[1] if self.q else 0.0)
        diag[:head] = band[0]
        if self.band:
            sub[:head] = band[1][: n - 1]
        rhs = np.zeros((n, k + len(g.T)), order="F")
        rhs[:, :k], rhs[:head, k:] = w, g
        diag, sub, info = dpttrf(diag, sub)
        if info == 0:
            solved, info = dpttrs(diag, sub, rhs)
        if info != 0:
            raise LinAlgError("ARMA covariance is not positive definite")
        sw = solved[:, :k]
        return float(np.log(diag).sum()), w.T @ sw, g.T @ sw[:head], g.T @ solved[:head, k:]


def _gaussian_logpdf(x: np.ndarray, cov: np.ndarray) -> float:
    if len(x) == 1:
        if not cov[0, 0] > 0:
            raise LinAlgError("variance is not positive")
        return -0.5 * (LOG_2PI + math.log(cov[0, 0]) + x[0] * x[0] / cov[0, 0])
    chol, info = dpotrf(cov, lower=1)
    if info == 0:
        v, info = dtrtrs(chol, x, lower=1)
    if info != 0:
        raise LinAlgError("covariance is not positive definite")
    return -0.5 * (len(x) * LOG_2PI + 2.0 * float(np.log(np.diag(chol)).sum()) + float(v @ v))


def _lag_poly(coefs: np.ndarray, sign: float = 1.0, lag: int = 1) -> np.ndarray:
    """1 + sign * (c_1 B^lag + c_2 B^(2 lag) + ...), coefficients in increasing powers."""
    poly = np.zeros(len(coefs) * lag + 1)
    poly[0] = 1.0
    if len(coefs):
        poly[lag::lag] = sign * coefs
    return poly


def difference(y: np.ndarray, d: int, big_d: int, period: int) -> np.ndarray:
    """(1 - B)^d (1 - B^period)^D y."""
    x = np.diff(y, d) if d else np.asarray(y, dtype=float)
    for _ in range(big_d):
        x = x[period:] - x[:-period]
    return x


def largest_inverse_root(poly: np.ndarray) -> float:
    """The largest modulus of the inverse roots of a lag polynomial [1, c_1, ...] (0: none)."""
    return float(np.abs(np.roots(poly)).max(initial=0.0)) if len(poly) > 1 else 0.0


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
        return value if np.isfinite(value) else float(model.loglike(params))

    def transform(u: np.ndarray, base: np.ndarray | None = None, i: int = 0) -> np.ndarray:
        """model.transform_params(u), block by block with statsmodels' own function; given
        `base`, the transform of a point differing from u only in u[i], just u[i]'s block."""
        params = u.copy() if base is None else base.copy()
        for sign, start, end in blocks if base is None else [owner[i]] if i in owner else []:
            params[start:end] = sign * constrain_stationary_univariate(u[start:end])
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
        if d is None and len(dx):
            d = ndiffs(dx, test="kpss", alpha=0.05, max_d=max_d)
        if not len(dx) or is_constant(difference(dx, d or 0, 0, period)):
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
