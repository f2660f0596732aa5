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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs the suite on 2 workers (pytest-xdist, --dist loadgroup). Each module
    stays on one worker, so its module-scoped fixtures are built once; the conformance suite
    is split by model, so its network fits spread over both workers and each model's cached
    fit is still made once."""
    for item in items:
        group = item.module.__name__
        params = getattr(item, "callspec", None)
        if group.endswith("test_conformance") and params and "name" in params.params:
            group += "-" + params.params["name"]
        item.add_marker(pytest.mark.xdist_group(group))
