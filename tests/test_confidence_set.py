"""The model confidence set (evaluation.scoring.confidence_set) against arch's MCS called
directly, sanity cases (one clear winner, identical models), the per-origin losses of one
series by hand; the Wilcoxon-Holm cliques of a hand example and Holm over the DM pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch.bootstrap import MCS
from statsmodels.stats.multitest import multipletests

from forecast_bench.evaluation.scoring import confidence_set as cs
from forecast_bench.evaluation.scoring.pairwise import cliques
from forecast_bench.evaluation.scoring.significance import holm_matrix

REPS = 200


def losses(seed: int = 0, n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 0.5, size=n)
    return pd.DataFrame({"a": base, "b": base + rng.normal(0.05, 0.2, n),
                         "c": base * 1.1 + rng.normal(0, 0.3, n), "d": base * 1.6})


@pytest.mark.parametrize("block_size", [1, 3])
def test_p_values_and_set_as_arch_computes_them(block_size):
    frame = losses(1, n=30)
    result = cs.model_confidence_set(frame, block_size=block_size, reps=REPS, seed=5)
    direct = MCS(frame, size=0.1, reps=REPS, block_size=block_size, method="R",
                 bootstrap="stationary", seed=5)
    direct.compute()
    table = result.table.set_index("model")
    expected = direct.pvalues["Pvalue"]
    np.testing.assert_allclose(table.loc[expected.index, "mcs_p"], expected, rtol=1e-12)
    assert set(table.index[table.in_set]) == set(direct.included)  # no p exactly at 0.1 here
    # ranks follow arch's order of elimination: the first removed has rank k
    assert list(table.loc[expected.index, "mcs_rank"]) == [4, 3, 2, 1]
    np.testing.assert_allclose(table.loc[list(frame.columns), "loss_mean"], frame.mean())
    assert (table.n == 30).all() and list(result.table.columns) == cs.COLUMNS


def test_one_clearly_best_model_is_the_whole_set():
    rng = np.random.default_rng(2)
    best = rng.gamma(2.0, 0.5, size=12)
    frame = pd.DataFrame({"worse": best + 1.0 + rng.uniform(0, 0.2, 12), "best": best,
                          "worst": best * 2 + 2.0})
    result = cs.model_confidence_set(frame, reps=REPS, seed=0)
    assert result.table.model[result.table.in_set].tolist() == ["best"]
    assert result.table.model.iloc[0] == "best"  # rank 1 first
    assert result.table.set_index("model").loc["best", "mcs_p"] == 1.0


def test_identical_models_are_all_in_the_set_and_share_their_result():
    column = np.random.default_rng(3).gamma(2.0, 0.5, size=12)
    same = cs.model_confidence_set(pd.DataFrame({"a": column, "b": column, "c": column}),
                                   reps=REPS)
    assert same.table.in_set.all() and (same.table.mcs_p == 1.0).all()
    assert (same.table.mcs_rank == 1).all()
    # two identical models beside a clearly worse one: both kept, same p and rank
    mixed = cs.model_confidence_set(pd.DataFrame({"a": column, "b": column, "c": column + 3}),
                                    reps=REPS).table.set_index("model")
    assert mixed.loc["a"].equals(mixed.loc["b"]) and mixed.loc["a", "in_set"]
    assert not mixed.loc["c", "in_set"]


def test_too_few_rows_give_no_set_and_say_why():
    frame = losses(0, n=5)
    frame.iloc[2:, 0] = np.nan  # only 2 rows with every model's loss
    result = cs.model_confidence_set(frame, reps=REPS, rows="series")
    assert result.table.empty and "2 series" in result.why and result.note() == result.why
    assert cs.render(result, "md") is None


def forecasts_frame() -> pd.DataFrame:
    """Two models on one series: 2 folds x 10 origins x 2 steps; `bad` misses one target."""
    rng = np.random.default_rng(4)
    rows = [{"model": model, "fold": fold, "origin": origin, "step": step,
             "y_true": 10.0 + origin, "y_pred": 10.0 + origin + rng.normal(0, scale)}
            for model, scale in (("good", 0.5), ("bad", 2.0), ("mid", 1.0))
            for fold in (0, 1) for origin in range(10 * fold, 10 * fold + 10)
            for step in (1, 2)]
    frame = pd.DataFrame(rows)
    return frame.drop(frame[(frame.model == "bad") & (frame.origin == 3)
                            & (frame.step == 2)].index)


def test_one_series_losses_per_origin_by_hand_and_arch_with_blocks():
    forecasts = forecasts_frame()
    table = cs.origin_losses(forecasts)
    assert len(table) == 20 and list(table.columns) == ["good", "bad", "mid"]
    lone = forecasts[(forecasts.model == "good") & (forecasts.origin == 3)
                     & (forecasts.step == 1)]  # bad lacks step 2 there: step 1 alone counts
    assert table.loc[(0, 3), "good"] == pytest.approx(((lone.y_true - lone.y_pred) ** 2).item())
    mine = forecasts[(forecasts.model == "mid") & (forecasts.fold == 1) & (forecasts.origin == 12)]
    assert table.loc[(1, 12), "mid"] == pytest.approx(np.mean((mine.y_true - mine.y_pred) ** 2))
    assert cs.block_size_for(20, 2) == 3 and cs.block_size_for(19, 5) == 5
    assert cs.block_size_for(2, 5) == 2 and cs.block_size_for(1000, 1) == 10
    result = cs.series_mcs(forecasts, horizon=2, seed=9, reps=REPS)
    assert result.block_size == 3 and result.n == 20
    direct = MCS(table.reset_index(drop=True), size=0.1, reps=REPS, block_size=3, method="R",
                 seed=9)
    direct.compute()
    shown = result.table.set_index("model").loc[direct.pvalues.index, "mcs_p"]
    np.testing.assert_allclose(shown, direct.pvalues["Pvalue"], rtol=1e-12)
    assert "stationary block bootstrap, mean block 3" in result.note()


def test_collection_mcs_uses_the_series_given_with_single_draws():
    rng = np.random.default_rng(6)
    scores = pd.DataFrame([{"series": f"s{i}", "model": m, "mase": rng.gamma(2.0, 0.5) * w}
                           for i in range(12) for m, w in (("x", 1.0), ("y", 1.3))])
    common = [f"s{i}" for i in range(10)]
    result = cs.collection_mcs(scores, common, ["y", "x"], seed=3, reps=REPS)
    wide = scores.pivot(index="series", columns="model", values="mase").loc[common, ["y", "x"]]
    direct = MCS(wide, size=0.1, reps=REPS, block_size=1, method="R", seed=3)
    direct.compute()
    np.testing.assert_allclose(result.table.set_index("model").loc[["y", "x"], "loss_mean"],
                               wide.mean())
    shown = result.table.set_index("model").loc[direct.pvalues.index, "mcs_p"]
    np.testing.assert_allclose(shown, direct.pvalues["Pvalue"], rtol=1e-12)
    assert result.n == 10 and result.block_size == 1 and "MASE" in result.loss


def pair_table(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model_a", "model_b", "p_holm"])


def test_cliques_of_a_hand_example():
    ranks = pd.Series({"d": 3.7, "a": 1.5, "c": 2.8, "b": 2.0})
    # a-b, a-c, b-c not different; c-d not different; a-d and b-d different
    table = pair_table([("a", "b", 0.40), ("a", "c", 0.06), ("a", "d", 0.001),
                        ("b", "c", 0.30), ("b", "d", 0.01), ("c", "d", 0.20)])
    assert cliques(table, ranks) == [["a", "b", "c"], ["c", "d"]]
    assert cliques(table, ranks, alpha=0.1) == [["a", "b"], ["b", "c"], ["c", "d"]]
    # not an interval: a and c alike, b between them differs from a
    table = pair_table([("a", "b", 0.01), ("a", "c", 0.5), ("b", "c", 0.5),
                        ("a", "d", 0.01), ("b", "d", 0.01), ("c", "d", 0.01)])
    assert cliques(table, ranks) == [["a", "c"], ["b", "c"]]
    everything = pair_table([("a", "b", np.nan), ("a", "c", 1.0), ("b", "c", 1.0),
                             ("a", "d", 1.0), ("b", "d", 1.0), ("c", "d", 1.0)])
    assert cliques(everything, ranks) == [["a", "b", "c", "d"]]  # untested counts as alike
    assert cliques(pair_table([("a", "b", 0.0)]), ranks[["a", "b"]]) == []


def test_holm_over_the_dm_pairs_against_statsmodels():
    models = ["m1", "m2", "m3", "m4"]
    rng = np.random.default_rng(8)
    p = pd.DataFrame(np.nan, index=models, columns=models)
    for i in range(4):
        for j in range(i + 1, 4):
            p.iat[i, j] = p.iat[j, i] = rng.uniform(0, 0.1)
    adjusted = holm_matrix(p)
    upper = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    expected = multipletests([p.iat[i, j] for i, j in upper], method="holm")[1]
    np.testing.assert_allclose([adjusted.iat[i, j] for i, j in upper], expected, rtol=1e-12)
    np.testing.assert_allclose(adjusted.to_numpy(), adjusted.to_numpy().T)
    assert np.isnan(np.diag(adjusted.to_numpy())).all()
