"""Exponential smoothing without seasonality: SES, Holt's linear trend and the damped trend
(Gardner & McKenzie), i.e. ETS(A,N,N), ETS(A,A,N) and ETS(A,Ad,N).

Parameters are estimated as R's `ets` does for these additive-error models: least squares of
the one-step errors on the training part (the Gaussian likelihood's optimum), smoothing
parameters and initial states together, within R's bounds (alpha, beta* in [1e-4, 0.9999],
phi in [0.8, 0.98]). The one-step predictions are linear in the initial states, so those are
solved for exactly for every candidate; the smoothing parameters are searched on a grid that
is refined around its best point, all candidates evaluated in one vectorised pass per round.
Notation follows statsmodels: `beta` is the trend smoothing of b_t = beta (l_t - l_{t-1}) +
(1 - beta) phi b_{t-1}.

Forecast variance (class 1, linear with additive errors: Hyndman, Koehler, Ord & Snyder 2008,
Table 6.1; FPP3 section 8.7): var_h = sigma^2 (1 + sum_{j=1}^{h-1} c_j^2) with, in this
parameterisation (b_t = phi b_{t-1} + alpha beta e_t), c_j = alpha + alpha beta (phi + ... +
phi^j): alpha for SES, alpha (1 + beta j) for Holt. sigma^2 is SSE / n of the one-step errors on
the training part, the Gaussian maximum likelihood estimate (statsmodels' ETSModel `mse`).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

KINDS = ("ses", "holt", "damped")
LOW, HIGH = 1e-4, 0.9999  # R's usual bounds for alpha and beta*
PHI_LOW, PHI_HIGH = 0.8, 0.98  # R's bounds for the damping parameter
# refinement around the best grid point: (rounds, points per axis); each round's points span
# +-1 spacing of the round before (the grid's first), so the spacing shrinks by (points-1)/2
REFINE = {"ses": (1, 81), "holt": (4, 7), "damped": (5, 5)}


@dataclasses.dataclass(frozen=True)
class Smoothing:
    """A fitted SES/Holt/damped model; forecasts from any origin of any series with it."""

    alpha: float
    beta: float = 0.0  # trend smoothing (0 for SES)
    phi: float = 1.0  # damping (1: undamped)
    level0: float = 0.0
    trend0: float = 0.0
    has_trend: bool = False

    def states(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Level and trend after each prefix: index o holds the state after x[:o]."""
        levels, trends = np.empty(len(x) + 1), np.empty(len(x) + 1)
        level, trend = self.level0, self.trend0 if self.has_trend else 0.0
        levels[0], trends[0] = level, trend
        alpha, beta_t, phi = self.alpha, self.alpha * self.beta, self.phi
        for t, value in enumerate(x, start=1):
            predicted = level + phi * trend
            error = value - predicted
            level = predicted + alpha * error
            trend = phi * trend + beta_t * error
            levels[t], trends[t] = level, trend
        return levels, trends

    def forecast(self, x: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """Forecasts (origins x horizon) from the state after x[:o] for each origin o."""
        levels, trends = self.states(np.asarray(x, dtype=float)[: int(np.max(origins))])
        damping = np.cumsum(self.phi ** np.arange(1, horizon + 1))
        return levels[origins, None] + trends[origins, None] * damping

    def fitted_errors(self, x: np.ndarray) -> np.ndarray:
        """One-step errors on x (x minus the forecast from each prefix)."""
        levels, trends = self.states(x)
        return x - (levels[:-1] + self.phi * trends[:-1])

    def sigma2(self, x: np.ndarray) -> float:
        """The one-step error variance estimated on x: SSE / n, the Gaussian maximum likelihood
        estimate (as statsmodels' ETSModel `mse`; no degrees-of-freedom correction)."""
        return float(np.mean(self.fitted_errors(np.asarray(x, dtype=float)) ** 2))

    def variance_factors(self, horizon: int) -> np.ndarray:
        """var_h / sigma^2 = 1 + sum_{j=1}^{h-1} c_j^2 for h = 1 .. horizon, with
        c_j = alpha + alpha beta (phi + ... + phi^j) (alpha alone without a trend)."""
        steps = np.arange(1, horizon)
        c = np.full(len(steps), self.alpha)
        if self.has_trend:
            c += self.alpha * self.beta * np.cumsum(self.phi**steps)
        return 1.0 + np.concatenate([[0.0], np.cumsum(c**2)])


def fit_smoothing(x: np.ndarray, kind: str) -> Smoothing:
    """Least-squares SES ("ses"), Holt ("holt") or damped trend ("damped") on x."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    x = np.asarray(x, dtype=float)
    centre, scale = float(np.mean(x)), float(np.std(x)) or 1.0
    z = (x - centre) / scale  # the fit is affine-equivariant; this keeps it well conditioned
    has_trend = kind != "ses"
    axes = _grid_axes(kind)
    candidates = np.array(list(itertools.product(*axes)))
    spans = np.array([np.diff(a[:2])[0] if len(a) > 1 else 0.0 for a in axes])
    best, states = _best(z, candidates, has_trend)
    rounds, points = REFINE[kind]
    for _ in range(rounds):
        offsets = itertools.product(*[np.linspace(-s, s, points) if s else (0.0,)
                                      for s in spans])
        candidates = _clip(best + np.array(list(offsets)), kind)
        best, states = _best(z, candidates, has_trend)
        spans *= 2.0 / (points - 1)
    alpha, beta, phi = best
    return Smoothing(float(alpha), float(beta), float(phi), centre + scale * states[0],
                     scale * states[1], has_trend)


def _grid_axes(kind: str) -> list[np.ndarray]:
    """Starting grids for (alpha, beta, phi)."""
    if kind == "ses":
        return [np.linspace(LOW, HIGH, 51), np.array([0.0]), np.array([1.0])]
    if kind == "holt":
        return [np.linspace(LOW, HIGH, 11), np.linspace(LOW, HIGH, 11), np.array([1.0])]
    return [np.linspace(LOW, HIGH, 11), np.linspace(LOW, HIGH, 6),
            np.linspace(PHI_LOW, PHI_HIGH, 5)]


def _clip(candidates: np.ndarray, kind: str) -> np.ndarray:
    out = candidates.copy()
    out[:, 0] = np.clip(out[:, 0], LOW, HIGH)
    if kind != "ses":
        out[:, 1] = np.clip(out[:, 1], LOW, HIGH)
    if kind == "damped":
        out[:, 2] = np.clip(out[:, 2], PHI_LOW, PHI_HIGH)
    return out


def _best(z: np.ndarray, candidates: np.ndarray,
          has_trend: bool) -> tuple[np.ndarray, np.ndarray]:
    """The candidate with the least profiled SSE, and its initial states."""
    sse, states = _profiled(z, candidates[:, 0], candidates[:, 1], candidates[:, 2], has_trend)
    i = int(np.argmin(sse))
    return candidates[i], states[i]


def _profiled(z: np.ndarray, alpha: np.ndarray, beta: np.ndarray, phi: np.ndarray,
              has_trend: bool) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate (K), the least SSE over the initial states and those states (K x 2).

    The state x_t = (l_t, b_t) follows x_t = D x_{t-1} + g z_t with D = T - g w', so the
    one-step prediction of z_t is w' D^t x_0 + sum_j w' D^j g z_{t-1-j}: the data's part is a
    convolution (by FFT), the initial states' part is linear in x_0 (solved exactly).
    """
    n, k = len(z), len(alpha)
    phi = phi if has_trend else np.zeros(k)
    g0, g1 = alpha, alpha * beta if has_trend else np.zeros(k)
    # D = [[1 - g0, phi - g0 phi], [-g1, phi - g1 phi]]
    d = (1.0 - g0, phi * (1.0 - g0), -g1, phi * (1.0 - g1))
    with np.errstate(all="ignore"):
        if has_trend:
            row0, row1 = _rows_times_powers(np.ones(k), phi, d, n)  # w' D^t, each K x n
            impulse = row0 * g0[:, None] + row1 * g1[:, None]
        else:  # D is the scalar 1 - alpha
            row0 = np.empty((k, n))
            row0[:, 0] = 1.0
            np.cumprod(np.broadcast_to(d[0][:, None], (k, n - 1)), axis=1, out=row0[:, 1:])
            impulse = row0 * g0[:, None]
        size = 1 << int(np.ceil(np.log2(2 * n)))
        conv = np.fft.irfft(np.fft.rfft(impulse, size) * np.fft.rfft(z, size), size)[:, : n - 1]
        residual = z - np.concatenate([np.zeros((k, 1)), conv], axis=1)  # K x n
        c0 = np.sum(row0 * residual, axis=1)
        g00 = np.sum(row0 * row0, axis=1) + 1e-12
        if has_trend:
            c1 = np.sum(row1 * residual, axis=1)
            g01, g11 = np.sum(row0 * row1, axis=1), np.sum(row1 * row1, axis=1) + 1e-12
            det = g00 * g11 - g01 * g01
            level0, trend0 = (g11 * c0 - g01 * c1) / det, (g00 * c1 - g01 * c0) / det
        else:
            c1, level0, trend0 = np.zeros(k), c0 / g00, np.zeros(k)
        sse = np.sum(residual**2, axis=1) - c0 * level0 - c1 * trend0
    sse[~np.isfinite(sse)] = np.inf
    return sse, np.stack([level0, trend0], axis=1)


def _rows_times_powers(w0: np.ndarray, w1: np.ndarray, d: tuple[np.ndarray, ...],
                       n: int) -> tuple[np.ndarray, np.ndarray]:
    """The row vectors w' D^t for t = 0 .. n-1 (two K x n arrays), by doubling: the rows for
    t in [m, 2m) are those for [0, m) times D^m."""
    row0, row1 = np.empty((len(w0), n)), np.empty((len(w0), n))
    row0[:, 0], row1[:, 0] = w0, w1
    a, b, c, e = (x[:, None] for x in d)
    filled = 1
    while filled < n:
        size = min(filled, n - filled)
        r0, r1 = row0[:, :size], row1[:, :size]
        row0[:, filled:filled + size] = r0 * a + r1 * c
        row1[:, filled:filled + size] = r0 * b + r1 * e
        a, b, c, e = a * a + b * c, a * b + b * e, c * a + e * c, c * b + e * e
        filled += size
    return row0, row1
