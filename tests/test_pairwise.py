"""Pairwise Wilcoxon signed-rank tests across series with Holm's correction
(evaluation.scoring.pairwise), against scipy and statsmodels called directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from forecast_bench.evaluation.scoring.pairwise import holm, wilcoxon_holm


def test_holm_by_hand_and_against_statsmodels():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> 0.06 (monotone)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    p = np.random.default_rng(3).uniform(0, 0.2, size=15)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12)
    assert holm([0.6, 0.7])[1] == 1.0  # capped
    adjusted = holm([0.01, np.nan, 0.02])  # an untested pair neither counts nor gets a p
    assert np.isnan(adjusted[1]) and np.allclose(adjusted[[0, 2]], [0.02, 0.02])


def scores_frame(values: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame([{"series": f"s{i}", "model": model, "mase": float(column[i])}
                         for model, column in values.items() for i in range(n)])


def test_every_pair_against_scipy_on_the_series_both_scored():
    rng = np.random.default_rng(0)
    base = rng.gamma(2.0, 0.5, size=30)
    values = {"a": base, "b": base * 1.2 + rng.normal(0, 0.01, 30),  # worse on every series
              "c": base + rng.normal(0, 0.3, 30), "d": base.copy()}
    values["c"][4] = np.nan  # c has no score on s4: its pairs use 29 series
    series = [f"s{i}" for i in range(30)]
    table = wilcoxon_holm(scores_frame(values), series, ["a", "b", "c", "d"]).set_index(
        ["model_a", "model_b"])
    assert list(table.index) == [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"),
                                 ("c", "d")]
    raw = []
    for (a, b), row in table.iterrows():
        keep = np.isfinite(values[a]) & np.isfinite(values[b])
        first, second = values[a][keep], values[b][keep]
        assert row.series == keep.sum()
        assert (row.a_lower, row.b_lower) == ((first < second).sum(), (second < first).sum())
        assert row.median_diff == pytest.approx(np.median(first - second))
        expected = 1.0 if np.array_equal(first, second) else stats.wilcoxon(second, first).pvalue
        assert row.p == pytest.approx(expected, rel=1e-12)
        raw.append(expected)
    np.testing.assert_allclose(table.p_holm, multipletests(raw, method="holm")[1], rtol=1e-12)
    assert table.loc[("a", "b"), "differs"] and table.loc[("a", "b"), "a_lower"] == 30
    assert table.loc[("a", "d"), "p"] == 1.0 and not table.loc[("a", "d"), "differs"]


def test_only_the_series_given_count():
    values = {"a": np.arange(1.0, 9.0), "b": np.arange(1.0, 9.0) + 1.0}
    table = wilcoxon_holm(scores_frame(values), ["s0"], ["a", "b"])
    assert table.series.iloc[0] == 1 and np.isnan(table.p.iloc[0])  # one series: no test
