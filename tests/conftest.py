"""Shared fixtures: small synthetic price-like series (fast, no network)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from forecast_bench.testing import random_walk

# the example plugin's own test (tests/test_entry_points.py runs it with the plugin installed)
collect_ignore = ["plugin_example"]


@pytest.fixture
def series() -> pd.Series:
    return random_walk()


@pytest.fixture(autouse=True)
def _quiet_statsmodels():
    """statsmodels' convergence chatter is expected on tiny series; keep test output readable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
