"""Shared fixtures: small synthetic price-like series (fast, no network)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest


def random_walk(n: int = 160, seed: int = 0, start: float = 100.0) -> pd.Series:
    """A random walk with a little drift on business days."""
    rng = np.random.default_rng(seed)
    values = start + np.cumsum(rng.normal(0.05, 1.0, n))
    return pd.Series(values, index=pd.bdate_range("2020-01-01", periods=n), name="Close")


@pytest.fixture
def series() -> pd.Series:
    return random_walk()


@pytest.fixture(autouse=True)
def _quiet_statsmodels():
    """statsmodels' convergence chatter is expected on tiny series; keep test output readable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
