"""The exact Gaussian likelihood of a SARIMA model as statsmodels' SARIMAX computes it (its
diffuse start included), by banded Cholesky factorisation instead of the Kalman filter: the
objective of models/arima_search.py's candidate fits."""

from __future__ import annotations

import math

import numpy as np
from numpy.linalg import LinAlgError
from scipy.linalg.lapack import dgesv, dpbtrf, dpotrf, dpttrf, dpttrs, dtbtrs, dtrtrs
from scipy.signal import lfilter
from statsmodels.tsa.statespace.sarimax import SARIMAX

LOG_2PI = float(np.log(2 * np.pi))

Order = tuple[int, int, int]
SeasonalOrder = tuple[int, int, int, int]


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
    in the constant and in sigma2 cost no factorisation, and so are the AR and MA polynomials,
    one of which a step in the other leaves unchanged. Every shortcut here (scalar arithmetic,
    caches, index tables) does the same floating-point operations in the same order as the
    straightforward array code: the results are the same to the bit. LinAlgError: S not
    positive definite.
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
        self.system, self.identity = (k * lags + np.abs(k - i - 1), i + 1), np.eye(lags)
        ar_lags = {i + s * j for i in range(p + 1) for j in range(big_p + 1)} - {0}  # phi_k != 0
        self.psi_lags = [sorted((k for k in ar_lags if k <= h), reverse=True)
                         for h in range(self.q + 1)]  # the lags in psi_h, the longest first
        steps = sum(map(len, self.psi_lags))
        self.impulse = None if steps <= 30 else np.eye(1, self.q + 1)[0]  # None: scalar loop
        self.inside = np.arange(self.band + 1)[:, None] + np.arange(self.head) < m
        rows, cols = np.indices(self.inside.shape)  # reversed band storage: (h, n - 1 - h - s)
        cols = n - 1 - rows - cols
        # ab (n x band + 1, LAPACK's band storage transposed) is [ma, 0, band.ravel()][ab_from]:
        # ma in its first q + 1 columns, zeros after them, band's values where they belong
        ab_from = np.minimum(np.arange(self.band + 1), self.q + 1) + np.zeros((n, 1), dtype=int)
        ab_from.reshape(-1)[(cols * (self.band + 1) + rows)[cols >= 0]] = (
            self.q + 2 + np.flatnonzero(cols >= 0))
        self.ab_from = ab_from
        i, j = np.triu_indices(m)  # the first m x m block of U = J chol J: chol[j - i, n - 1 - j]
        self.corner_from, self.corner_to = (n - 1 - j) * (self.band + 1) + j - i, j * m + i
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
        self._polys: dict[tuple[float, bytes], np.ndarray] = {}

    def polynomials(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
        """The constant, the reduced AR and MA lag polynomials and sigma2 of SARIMAX's params."""
        p, q, big_p, _, _, at = self.orders
        i, j = at + p + q, at + p + q + big_p  # where the seasonal AR and MA blocks start
        phi = self._polynomial(params[at : at + p], params[i:j], -1.0)
        theta = self._polynomial(params[at + p : i], params[j:-1], 1.0)
        return (params[0] if at else 0.0), phi, theta, float(params[-1])

    def _polynomial(self, coefs: np.ndarray, seasonal: np.ndarray, sign: float) -> np.ndarray:
        """The lag polynomial of `coefs` times that of `seasonal` at lag s, kept for reuse: a
        finite-difference step changes the AR or the MA side, not both."""
        key = (sign, coefs.tobytes() + seasonal.tobytes())
        poly = self._polys.get(key)
        if poly is None:
            poly = _lag_poly(coefs, sign)
            if len(seasonal):
                poly = np.convolve(poly, _lag_poly(seasonal, sign, self.orders[4]))
            if len(self._polys) >= 64:
                self._polys.clear()
            self._polys[key] = poly
        return poly

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
        if len(self.v) == 1:  # the same arithmetic on scalars: faster than on 1 x 1 arrays
            kappa, hidden, rr = self.kappa_aa[0, 0], hidden[0, 0], rr[0, 0]
            base = self.v[0] - self.ones[0] * mean
            given = base - (ru[0, 0] - mean * ru[0, 1])
            return (value + _normal_logpdf(given, kappa + sigma2 * (hidden - rr))
                    - _normal_logpdf(base, kappa + sigma2 * hidden))
        base = self.v - self.ones * mean
        given = base - (ru[:, 0] - mean * ru[:, 1])
        return (value + _gaussian_logpdf(given, self.kappa_aa + sigma2 * (hidden - rr))
                - _gaussian_logpdf(base, self.kappa_aa + sigma2 * hidden))

    def _autocovariances(self, phi: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """gamma(0..lags-1) and cross(h) = cov(theta(B) e_t, x_(t-h)), over sigma2:
        gamma(k) + sum_i phi_i gamma(|k - i|) = cross(k) for every k >= 0, one linear system."""
        p, q, lags = self.p, self.q, self.lags
        if p and q > 4:  # MA(infinity) weights 0..q; lfilter's overhead pays for long filters
            psi = (_impulse_response(theta, phi, self.psi_lags) if self.impulse is None
                   else lfilter(theta, phi, self.impulse))
        else:
            psi = theta.copy()
            for k in range(1, q + 1 if p else 1):
                psi[k] -= phi[1 : min(k, p) + 1] @ psi[k - 1 :: -1][: min(k, p)]
        cross, system = np.zeros(lags), self.identity
        cross[: q + 1] = np.correlate(theta, psi, "full")[q:]
        if p:
            at, coef = self.system
            system = system + np.bincount(at, phi[coef], lags * lags).reshape(lags, lags)
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
        phi_sum = phi.sum()
        if k == 2:
            w[:, 1] = phi_sum
            w[:m, 1] = 1.0
        ma = np.correlate(theta, theta, "full")[self.q :]
        solve = self._reversed_cholesky if self.band > 1 else self._tridiagonal
        logdet, wsw, ru, rr = solve(ma, band, w, gamma[self.cross_lags])
        quad = (wsw[0, 0], wsw[0, 1], wsw[1, 1]) if k == 2 else (wsw[0, 0], 0.0, 0.0)
        padded = np.zeros((b, 2))
        padded[:, :k] = ru
        return phi_sum, logdet, quad, mix(padded, right=False), mix(rr), hidden

    def _mix(self, a: np.ndarray, right: bool = True) -> np.ndarray:
        """M a M' (M a: right=False); M is 1 when b = 1."""
        return a if len(self.v) <= 1 else self.integrate @ (a @ self.integrate.T if right else a)

    def _reversed_cholesky(self, ma: np.ndarray, band: np.ndarray, w: np.ndarray,
                           g: np.ndarray) -> tuple:
        """log det S, w'S^-1 w, G'S^-1 w and G'S^-1 G (G: the first m rows of cov(w, x_1..b))
        by LAPACK's banded Cholesky of J S J = L L' (J reverses the order): S = U U' with
        U = J L J upper triangular, so S^-1's first m x m block is that of U's."""
        n, m = len(w), self.m
        ab = np.concatenate((ma, [0.0], band.reshape(-1)))[self.ab_from]  # lower band of J S J
        chol, info = dpbtrf(ab.T, lower=1, overwrite_ab=1)
        if info == 0:
            z, info = dtbtrs(chol, w[::-1], uplo="L")
        if info != 0:
            raise LinAlgError("ARMA covariance is not positive definite")
        if not len(g.T):
            ru, rr = np.zeros((0, w.shape[1])), np.zeros((0, 0))
        else:
            corner = np.zeros(m * m)  # Fortran order, as LAPACK takes it
            corner[self.corner_to] = chol.T.reshape(-1)[self.corner_from]
            v = dtrtrs(corner.reshape(m, m).T, g, lower=0)[0]
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


def _normal_logpdf(x: float, variance: float) -> float:
    if not variance > 0:
        raise LinAlgError("variance is not positive")
    return -0.5 * (LOG_2PI + math.log(variance) + x * x / variance)


def _gaussian_logpdf(x: np.ndarray, cov: np.ndarray) -> float:
    chol, info = dpotrf(cov, lower=1)
    if info == 0:
        v, info = dtrtrs(chol, x, lower=1)
    if info != 0:
        raise LinAlgError("covariance is not positive definite")
    return -0.5 * (len(x) * LOG_2PI + 2.0 * float(np.log(np.diag(chol)).sum()) + float(v @ v))


def _impulse_response(theta: np.ndarray, phi: np.ndarray, lags: list[list[int]]) -> np.ndarray:
    """scipy's lfilter(theta, phi, [1, 0, ..., 0]) to len(theta) terms, each rounding as its
    transposed direct form II has it: psi_h = theta_h - phi_k psi_(h-k) - ..., the longest lag
    k first, k over lags[h]. Lags where phi is 0 are left out (x - 0 * y is x). Scalar floats
    beat lfilter's array checks for short filters."""
    th, ph = theta.tolist(), phi.tolist()
    psi = [th[0]]
    for h in range(1, len(th)):
        value = th[h]
        for k in lags[h]:
            value -= ph[k] * psi[h - k]
        psi.append(value)
    return np.array(psi)


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
