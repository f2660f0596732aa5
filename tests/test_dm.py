"""Diebold-Mariano with the HLN correction: by hand, constructed cases, the matrix, the errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast_bench.evaluation.scoring.significance import (
    DmResult,
    dm_matrix,
    dm_test,
    dm_vs_reference,
)


def by_hand(e1, e2, h, loss):
    """DM* and its p-value with plain loops: an independent reference."""
    n = len(e1)
    if loss == "squared":
        d = [float(a) * float(a) - float(b) * float(b) for a, b in zip(e1, e2, strict=True)]
    else:
        d = [abs(float(a)) - abs(float(b)) for a, b in zip(e1, e2, strict=True)]
    mean = math.fsum(d) / n
    gammas = []
    for k in range(h):
        total = 0.0
        for t in range(k, n):
            total += (d[t] - mean) * (d[t - k] - mean)
        gammas.append(total / n)
    variance = gammas[0] + 2 * sum(gammas[1:])
    assert variance > 0, "pick another seed: this reference covers V > 0 only"
    dm = mean / math.sqrt(variance / n)
    factor = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    statistic = dm * factor
    return statistic, 2 * stats.t.sf(abs(statistic), n - 1), mean


def moving_average_errors(rng, n, h, scale):
    """Errors of an h-step forecast: MA(h - 1), as overlapping forecasts produce."""
    shocks = rng.normal(0.0, scale, n + h - 1)
    return np.convolve(shocks, np.ones(h) / np.sqrt(h), mode="valid")


@pytest.mark.parametrize("loss", ["squared", "absolute"])
@pytest.mark.parametrize("h", [1, 2, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_by_hand(seed, h, loss):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 120))
    e1 = moving_average_errors(rng, n, h, 1.0)
    e2 = moving_average_errors(rng, n, h, 1.2)
    statistic, pvalue, mean = by_hand(e1, e2, h, loss)
    result = dm_test(e1, e2, horizon=h, loss=loss)
    assert result.statistic == pytest.approx(statistic, rel=1e-12, abs=1e-12)
    assert result.pvalue == pytest.approx(pvalue, rel=1e-12, abs=1e-12)
    assert result.mean_loss_diff == pytest.approx(mean, rel=1e-12, abs=1e-12)
    assert (result.n, result.horizon, result.loss) == (n, h, loss)
    assert result.variance_fallback is False


def test_h1_is_a_t_statistic_times_the_hln_factor():
    rng = np.random.default_rng(7)
    n = 50
    e1, e2 = rng.normal(0, 1, n), rng.normal(0, 1.1, n)
    d = e1**2 - e2**2
    uncorrected = d.mean() / (np.std(d, ddof=0) / np.sqrt(n))  # population std
    result = dm_test(e1, e2, horizon=1)
    assert result.statistic == pytest.approx(uncorrected * np.sqrt((n - 1) / n), rel=1e-12)
    assert result.statistic != pytest.approx(uncorrected, rel=1e-6)  # the factor is applied
    # with h = 1, DM* is the ordinary one-sample t-test of d (sample std, n - 1 df)
    t_test = stats.ttest_1samp(d, 0.0)
    assert result.statistic == pytest.approx(t_test.statistic, rel=1e-12)
    assert result.pvalue == pytest.approx(t_test.pvalue, rel=1e-12)


@pytest.mark.parametrize("loss", ["squared", "absolute"])
def test_identical_forecasts_give_zero_and_one_without_warnings(loss):
    e = np.random.default_rng(3).normal(0, 1, 30)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        result = dm_test(e, e.copy(), horizon=2, loss=loss)
    assert result.statistic == 0.0 and result.pvalue == 1.0
    assert result.mean_loss_diff == 0.0 and not result.variance_fallback


def test_constant_nonzero_differential_is_certain():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        result = dm_test(np.full(10, 2.0), np.ones(10))  # d = 3 every time
    assert result.statistic == np.inf and result.pvalue == 0.0


@pytest.mark.parametrize("loss", ["squared", "absolute"])
def test_clearly_better_model_and_swapping(loss):
    rng = np.random.default_rng(42)
    e1, e2 = rng.normal(0, 1, 300), rng.normal(0, 3, 300)
    result = dm_test(e1, e2, loss=loss)
    assert result.statistic < 0 and result.pvalue < 1e-6
    swapped = dm_test(e2, e1, loss=loss)
    assert swapped.statistic == -result.statistic
    assert swapped.pvalue == result.pvalue


def test_negative_variance_falls_back_to_gamma0():
    n = 20
    e1 = np.tile([2.0, 0.0], n // 2)  # d = 3, -1, 3, -1, ...: gamma_1 < 0, V < 0 for h = 2
    e2 = np.ones(n)
    d = e1**2 - e2**2
    gamma0 = np.mean((d - d.mean()) ** 2)
    gamma1 = np.sum((d[1:] - d.mean()) * (d[:-1] - d.mean())) / n
    assert gamma0 + 2 * gamma1 < 0
    result = dm_test(e1, e2, horizon=2)
    assert result.variance_fallback is True
    factor = np.sqrt((n + 1 - 4 + 2 / n) / n)
    expected = d.mean() / np.sqrt(gamma0 / n) * factor
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.pvalue == pytest.approx(2 * stats.t.sf(abs(expected), n - 1), rel=1e-12)
    assert dm_test(e1, e2, horizon=1).variance_fallback is False


def long_table(missing=None):
    """3 models (not in alphabetical order), 2 folds x 4 origins, steps 1 and 2, rows of each
    model in reverse time order; `missing` = (model, fold, origin index, step) left out."""
    rng = np.random.default_rng(11)
    rows = []
    for model, scale in [("zeta", 1.0), ("alpha", 1.5), ("mid", 0.7)]:
        for fold in (1, 0):
            for i in (3, 2, 1, 0):
                origin = pd.Timestamp("2021-01-04") + pd.offsets.BDay(4 * fold + i)
                for step in (2, 1):
                    if (model, fold, i, step) == missing:
                        continue
                    y_true = 100.0 + fold + i + step
                    rows.append({"model": model, "fold": fold, "origin": origin,
                                 "target": origin + pd.offsets.BDay(step), "step": step,
                                 "y_true": y_true, "y_pred": y_true - rng.normal(0, scale)})
    return pd.DataFrame(rows)


def errors(table, model, step, drop=None):
    """One model's errors at one step in time order, optionally without one (fold, origin)."""
    part = table[(table.model == model) & (table.step == step)].sort_values(["fold", "origin"])
    if drop is not None:
        part = part[[(f, o) != drop for f, o in zip(part.fold, part.origin, strict=True)]]
    return (part.y_true - part.y_pred).to_numpy()


def test_matrix_uses_shared_rows_and_is_antisymmetric():
    table = long_table(missing=("mid", 1, 2, 1))
    dropped = (1, pd.Timestamp("2021-01-04") + pd.offsets.BDay(6))
    statistic, pvalue = dm_matrix(table)
    assert list(statistic.index) == list(statistic.columns) == ["zeta", "alpha", "mid"]
    assert list(pvalue.index) == ["zeta", "alpha", "mid"]
    assert np.isnan(np.diag(statistic)).all() and np.isnan(np.diag(pvalue)).all()
    off = ~np.eye(3, dtype=bool)
    assert np.isfinite(statistic.to_numpy()[off]).all()
    assert np.array_equal(statistic.to_numpy()[off], -statistic.T.to_numpy()[off])
    assert np.array_equal(pvalue.to_numpy()[off], pvalue.T.to_numpy()[off])
    expected = dm_test(errors(table, "zeta", 1, dropped), errors(table, "mid", 1))
    assert expected.n == 7
    assert statistic.loc["zeta", "mid"] == expected.statistic
    assert pvalue.loc["zeta", "mid"] == expected.pvalue
    assert statistic.loc["zeta", "alpha"] == dm_test(
        errors(table, "zeta", 1), errors(table, "alpha", 1)).statistic
    versus = dm_vs_reference(table, reference="zeta").set_index("model")
    assert list(versus.columns) == ["statistic", "pvalue", "n"]
    assert versus.n.to_dict() == {"alpha": 8, "mid": 7}
    assert versus.loc["mid", "statistic"] == statistic.loc["mid", "zeta"]


def test_matrix_horizon_uses_that_step_in_time_order():
    table = long_table()
    statistic, _ = dm_matrix(table, horizon=2, loss="absolute")
    expected = dm_test(errors(table, "alpha", 2), errors(table, "mid", 2), 2, "absolute")
    assert statistic.loc["alpha", "mid"] == expected.statistic
    assert statistic.loc["alpha", "mid"] != dm_matrix(table, horizon=1, loss="absolute")[0].loc[
        "alpha", "mid"]


def test_matrix_pairs_with_too_few_shared_rows_are_nan():
    table = long_table()
    few = table[(table.model == "zeta") & (table.step == 1)].head(2).assign(model="few")
    statistic, pvalue = dm_matrix(pd.concat([table, few]))
    assert statistic.loc["few"].isna().all() and pvalue.loc[:, "few"].isna().all()
    assert np.isfinite(statistic.loc["zeta", "alpha"])
    versus = dm_vs_reference(pd.concat([table, few]), reference="few").set_index("model")
    assert versus.n.to_dict() == {"zeta": 2, "alpha": 2, "mid": 2}
    assert versus.statistic.isna().all()


@pytest.mark.parametrize(
    ("e1", "e2", "kwargs", "message"),
    [
        ([1.0, np.nan, 2.0, 0.5], [1.0, 2.0, 3.0, 0.1], {}, "e1 contains 1 NaN"),
        ([1.0, 0.2, 2.0, 0.5], [1.0, 2.0, np.inf, 0.1], {}, "e2 contains 1 NaN or inf"),
        ([1.0, 0.2, 2.0, 0.5], [1.0, 2.0, 3.0], {}, "differ in length"),
        ([1.0, 0.2], [1.0, 2.0], {}, "too few pairs: 2"),
        ([1.0, 0.2, 2.0], [1.0, 2.0, 0.3], {"horizon": 3}, "more than the horizon"),
        ([1.0, 0.2, 2.0], [1.0, 2.0, 0.3], {"horizon": 0}, "horizon must be"),
        ([1.0, 0.2, 2.0], [1.0, 2.0, 0.3], {"loss": "huber"}, "unknown loss 'huber'"),
    ],
)
def test_bad_input_raises(e1, e2, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dm_test(np.array(e1), np.array(e2), **kwargs)


def test_matrix_rejects_bad_loss_and_duplicates():
    table = long_table()
    with pytest.raises(ValueError, match="unknown loss"):
        dm_matrix(table, loss="huber")
    with pytest.raises(ValueError, match="several forecasts"):
        dm_matrix(pd.concat([table, table[table.step == 1].head(1)]))


def test_result_is_frozen():
    result = dm_test([1.0, 2.0, 0.5, 0.1], [0.5, 0.3, 2.0, 1.0])
    assert isinstance(result, DmResult)
    with pytest.raises(AttributeError):
        result.statistic = 0.0  # type: ignore[misc]
