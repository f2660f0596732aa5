"""RMSE/MAE by hand; pooled vs fold-mean; ratios on shared forecasts; tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from forecast_bench.evaluation.reporting import tables
from forecast_bench.evaluation.reporting.formats import render
from forecast_bench.evaluation.scoring import metrics
from forecast_bench.models.errors import DataError


def frame(model, fold, y_true, y_pred):
    n = len(y_true)
    return pd.DataFrame({"model": model, "fold": fold, "origin": pd.bdate_range("2020", periods=n),
                         "step": 1, "y_true": y_true, "y_pred": y_pred})


def status(models, folds=2, failed=()):
    return pd.DataFrame([
        {"model": m, "fold": f, "status": "failed" if (m, f) in failed else "ok", "reason": "",
         "fitted": "", "fit_seconds": 0.1, "predict_seconds": 0.1}
        for m in models for f in range(folds)])


def test_rmse_and_mae_by_hand():
    assert metrics.rmse([1, 2, 3], [1, 2, 6]) == pytest.approx(np.sqrt(3))
    assert metrics.mae([1, 2, 3], [2, 0, 3]) == pytest.approx(1.0)
    assert np.isnan(metrics.rmse([], []))


def test_pooled_differs_from_fold_mean():
    forecasts = pd.concat([frame("a", 0, [0.0, 0.0], [1.0, 1.0]),
                           frame("a", 1, [0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0])])
    forecasts["origin"] = pd.bdate_range("2020", periods=6)
    summary = metrics.summarize(forecasts, status(["a"]), reference="a")
    row = summary.iloc[0]
    assert row.rmse == pytest.approx(np.sqrt((2 * 1 + 4 * 9) / 6))
    assert row.mse == pytest.approx((2 * 1 + 4 * 9) / 6)
    assert row.rmse_fold_mean == pytest.approx(2.0)
    assert row.rmse_fold_std == pytest.approx(np.std([1.0, 3.0], ddof=1))
    assert row.n_forecasts == 6 and row.folds_ok == "2/2"


def test_relative_rmse_uses_only_shared_forecasts():
    naive = frame("naive", 0, [0.0] * 4, [1.0, 1.0, 2.0, 2.0])
    model = frame("m", 0, [0.0] * 2, [1.0, 1.0])  # the model only forecast the first two
    forecasts = pd.concat([naive, model])
    assert metrics.relative_rmse(forecasts, "m", "naive") == pytest.approx(1.0)
    assert metrics.relative_rmse(forecasts, "missing", "naive") != metrics.relative_rmse(
        forecasts, "m", "naive")


def test_failed_models_sort_last_and_are_noted():
    forecasts = pd.concat([frame("naive", 0, [0.0, 0.0], [1.0, 1.0]),
                           frame("naive", 1, [0.0, 0.0], [1.0, 1.0]),
                           frame("half", 0, [0.0, 0.0], [0.5, 0.5])])
    st = status(["naive", "half", "broken"], failed={("half", 1), ("broken", 0), ("broken", 1)})
    summary = metrics.summarize(forecasts, st)
    assert summary.model.tolist() == ["half", "naive", "broken"]
    assert summary.set_index("model").folds_ok.to_dict() == {
        "half": "1/2", "naive": "2/2", "broken": "0/2"}
    assert np.isnan(summary.rmse.iloc[-1])
    notes = " ".join(tables.summary_notes(summary, 2))
    assert "half, broken" in notes
    table = render(summary, "md")
    assert "RMSE (pooled)" in table and "| broken" in table


def test_fold_table_has_one_row_per_fold():
    by_fold = pd.DataFrame({"model": ["a", "a"], "fold": [0, 1], "n": [1, 1],
                            "rmse": [0.5, 0.25], "mae": [0.5, 0.25]})
    wide = tables.wide_scores(by_fold, "fold")
    assert wide.fold.tolist() == ["fold 0", "fold 1"] and wide.a.tolist() == [0.5, 0.25]


def test_seed_spread_is_the_std_of_member_rmses():
    members = pd.concat([frame("m", 0, [0.0, 0.0], [1.0, 1.0]).assign(member=0),
                         frame("m", 0, [0.0, 0.0], [3.0, 3.0]).assign(member=1),
                         frame("m", 0, [0.0, 0.0], [2.0, 2.0]).assign(member=2)])
    assert metrics.seed_spread(members, "m") == pytest.approx((2.0, np.std([1, 3, 2], ddof=1)))
    assert np.isnan(metrics.seed_spread(members[members.member == 0], "m")).all()
    mean_forecast = frame("m", 0, [0.0, 0.0], [2.0, 2.0])
    summary = metrics.summarize(mean_forecast, status(["m"], folds=1), reference="m",
                                members=members)
    assert summary.rmse_seed_std.iloc[0] == pytest.approx(1.0)
    assert "RMSE seed std" in render(summary, "md")


def test_leaky_models_are_marked_in_tables():
    st = status(["naive", "cheat"], folds=1).assign(leaky=[False, True])
    forecasts = pd.concat([frame("naive", 0, [0.0], [1.0]), frame("cheat", 0, [0.0], [0.5])])
    summary = metrics.summarize(forecasts, st)
    table = render(summary, "md")
    assert "cheat (leaky)" in table and "naive (leaky)" not in table
    assert any("(leaky)" in note for note in tables.summary_notes(summary, 1))


def test_fold_table_marks_leaky_models():
    by_fold = pd.DataFrame({"model": ["a", "b"], "fold": [0, 0], "n": [1, 1],
                            "rmse": [0.5, 0.25], "mae": [0.5, 0.25]})
    wide = tables.wide_scores(by_fold, "fold", leaky=frozenset({"b"}))
    assert list(wide.columns) == ["fold", "a", "b (leaky)"]


def rows(model, fold, y_origin, y_true, y_pred, start="2020-01-01"):
    """One-step forecasts with the last value seen (y_origin), one business day apart."""
    n = len(y_true)
    origin = pd.bdate_range(start, periods=n)
    return pd.DataFrame({"model": model, "fold": fold, "origin": origin,
                         "target": origin + pd.offsets.BDay(1), "step": 1, "y_origin": y_origin,
                         "y_true": y_true, "y_pred": y_pred})


@pytest.fixture
def strict_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (divide by zero) fails the test
        yield


def test_mape_by_hand(strict_warnings):
    # |e / y| = 1/2, 1/4, 0 -> mean 0.25 -> 25 %
    assert metrics.mape([2.0, 4.0, 5.0], [1.0, 5.0, 5.0]) == pytest.approx(25.0)
    assert metrics.mape([-2.0], [-1.0]) == pytest.approx(50.0)  # |actual| in the denominator


def test_mape_zero_actual_is_nan_not_inf(strict_warnings):
    value = metrics.mape([0.0, 1.0], [1.0, 1.0])
    assert np.isnan(value) and not np.isinf(value)
    assert np.isnan(metrics.mape([], []))


def test_smape_by_hand_and_both_zero(strict_warnings):
    # 200*2/(1+3) = 100; 0 vs 0 counts 0; 2 vs 2 is 0 -> mean 100/3
    assert metrics.smape([1.0, 0.0, 2.0], [3.0, 0.0, 2.0]) == pytest.approx(100 / 3)
    assert metrics.smape([0.0], [5.0]) == pytest.approx(200.0)  # the upper bound
    assert metrics.smape([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert np.isnan(metrics.smape([], []))


def test_mase_scalar_and_per_row_scales(strict_warnings):
    # |e| = 1, 0, 2
    assert metrics.mase([1.0, 2.0, 3.0], [2.0, 2.0, 5.0], 2.0) == pytest.approx(0.5)
    assert metrics.mase([1.0, 2.0, 3.0], [2.0, 2.0, 5.0], [0.5, 1.0, 1.0]) == pytest.approx(
        (2 + 0 + 2) / 3)


@pytest.mark.parametrize("scale", [0.0, -1.0, np.inf, np.nan, [1.0, 0.0], [1.0, np.nan]])
def test_mase_without_a_valid_scale_is_nan(strict_warnings, scale):
    assert np.isnan(metrics.mase([1.0, 2.0], [2.0, 2.0], scale))


def test_theil_u2_by_hand_and_perfect_reference(strict_warnings):
    assert metrics.theil_u2([0.0, 0.0], [1.0, 1.0], [2.0, -2.0]) == pytest.approx(0.5)
    assert np.isnan(metrics.theil_u2([1.0, 2.0], [1.0, 1.0], [1.0, 2.0]))  # ref RMSE 0
    perfect = pd.concat([frame("naive", 0, [1.0, 2.0], [1.0, 2.0]),
                         frame("m", 0, [1.0, 2.0], [2.0, 2.0])])
    assert np.isnan(metrics.relative_rmse(perfect, "m", "naive"))  # was a ZeroDivisionError


def test_directional_accuracy_mixes_up_down_and_flat_moves(strict_warnings):
    origin = [10.0] * 6
    actual = [11.0, 9.0, 12.0, 10.0, 8.0, 11.0]  # up, down, up, flat, down, up
    predicted = [12.0, 8.0, 9.0, 11.0, 10.0, 10.0]  # up, down, down, up, flat, flat
    # counted: rows 0-2 (both moves non-zero): hit, hit, miss -> 2 of 3
    assert metrics.directional_accuracy(origin, actual, predicted) == pytest.approx(200 / 3)
    assert metrics.directional_accuracy([1.0], [2.0], [0.5]) == 0.0  # a real 0, not NaN


def test_directional_accuracy_of_the_random_walk_is_nan(strict_warnings):
    origin = np.array([10.0, 11.0, 9.0])
    assert np.isnan(metrics.directional_accuracy(origin, [11.0, 9.0, 9.5], origin))
    assert np.isnan(metrics.directional_accuracy([], [], []))


def test_scales_come_from_the_folds_frame():
    from forecast_bench.evaluation.harness.splits import Fold, folds_frame

    series = pd.Series([1.0, 3.0, 2.0, 5.0, 5.0, 6.0, 7.0],
                       index=pd.bdate_range("2020", periods=7))
    # fold 0 trains on 1, 3, 2 (|diffs| 2, 1); fold 1 slides to 5, 5: flat
    folds = [Fold(0, 0, 3, 5, (3, 4)), Fold(1, 3, 5, 7, (5, 6))]
    assert metrics.scales_from_folds(folds_frame(folds, series)) == {0: 1.5, 1: 0.0}
    with pytest.raises(DataError, match="naive_mae_train"):  # exit 2, not a traceback
        metrics.scales_from_folds(pd.DataFrame({"fold": [0]}))


def test_pooled_mase_divides_each_forecast_by_its_own_folds_scale():
    forecasts = pd.concat([rows("m", 0, [0.0, 0.0], [1.0, 3.0], [0.0, 0.0]),
                           rows("m", 1, [0.0], [1.0], [0.0], start="2020-02-03")])
    scales = {0: 2.0, 1: 0.25}
    summary = metrics.summarize(forecasts, status(["m"]), reference="m", scales=scales)
    # |e|/scale: 1/2, 3/2 (fold 0), 1/0.25 (fold 1) -> pooled (0.5 + 1.5 + 4) / 3
    assert summary.mase.iloc[0] == pytest.approx(2.0)
    assert summary.mase_fold_mean.iloc[0] == pytest.approx((1.0 + 4.0) / 2)
    by_fold = metrics.scores_by_fold(forecasts, scales)
    assert by_fold.mase.tolist() == pytest.approx([1.0, 4.0])
    assert metrics.scores_by_fold(forecasts).mase.isna().all()  # no scales: NaN
    assert metrics.scores_by_fold(forecasts, {0: 2.0}).mase.isna().tolist() == [False, True]


def test_scores_by_fold_has_every_metric():
    forecasts = rows("m", 0, [10.0, 10.0], [11.0, 8.0], [12.0, 9.0])
    row = metrics.scores_by_fold(forecasts, {0: 2.0}).iloc[0]
    # errors -1, -1; predicted/actual moves +2/+1 (hit), -1/-2 (hit)
    assert list(row.index) == ["model", "fold", "n", "rmse", "mae", "mape", "smape", "mase",
                               "directional_accuracy"]
    assert row.n == 2 and row.rmse == pytest.approx(1.0) and row.mae == pytest.approx(1.0)
    assert row.mape == pytest.approx((1 / 11 + 1 / 8) / 2 * 100)
    assert row.smape == pytest.approx((200 / 23 + 200 / 17) / 2)
    assert row.mase == pytest.approx(0.5) and row.directional_accuracy == pytest.approx(100.0)
    assert np.isnan(metrics.scores_by_fold(forecasts.drop(columns="y_origin"))
                    .directional_accuracy.iloc[0])


def test_flat_training_part_gives_nan_mase_and_a_caveat(strict_warnings):
    forecasts = pd.concat([rows("m", 0, [1.0, 2.0], [2.0, 3.0], [3.0, 4.0]),
                           rows("m", 1, [3.0], [2.0], [2.5], start="2020-02-03")])
    scales = {0: 1.0, 1: 0.0}
    summary = metrics.summarize(forecasts, status(["m"]), reference="m", scales=scales)
    assert np.isnan(summary.mase.iloc[0]) and np.isnan(summary.mase_fold_mean.iloc[0])
    assert metrics.scores_by_fold(forecasts, scales).mase.isna().tolist() == [False, True]
    caveats = metrics.metric_caveats(forecasts, scales)
    assert len(caveats) == 1
    assert caveats[0].startswith(
        "MASE is undefined on fold 1: its training part is flat (naive MAE 0)")
    assert any("fold 1" in c for c in metrics.metric_caveats(forecasts, {0: 1.0}))  # missing
    assert "no fold scales" in metrics.metric_caveats(forecasts, None)[0]


def test_zero_actual_gives_a_mape_caveat_naming_models_and_a_date():
    forecasts = pd.concat([rows("a", 0, [1.0, 1.0], [0.0, 2.0], [0.5, 1.5]),
                           rows("b", 0, [1.0, 1.0], [0.0, 2.0], [0.8, 1.2]),
                           rows("c", 1, [1.0], [3.0], [2.0], start="2020-02-03")])
    caveats = metrics.metric_caveats(forecasts, {0: 1.0, 1: 1.0})
    assert caveats == ["MAPE is undefined (shown as -) for models a, b: the actual value is 0"
                       " on 1 forecast(s), e.g. 2020-01-02"]  # the target after 2020-01-01
    summary = metrics.summarize(forecasts, status(["a", "b", "c"]))
    assert summary.set_index("model").mape.isna().to_dict() == {"a": True, "b": True,
                                                                "c": False}


def test_naive_direction_is_nan_with_a_caveat():
    origin = [10.0, 11.0, 12.0]
    forecasts = pd.concat([rows("naive", 0, origin, [11.0, 12.0, 11.0], origin),
                           rows("m", 0, origin, [11.0, 12.0, 11.0], [11.0, 10.0, 11.0])])
    summary = metrics.summarize(forecasts, status(["naive", "m"], folds=1), scales={0: 1.0})
    by_model = summary.set_index("model").directional_accuracy
    assert np.isnan(by_model["naive"])
    assert by_model["m"] == pytest.approx(200 / 3)  # up/up hit, down/up miss, down/down hit
    assert metrics.metric_caveats(forecasts, {0: 1.0}) == [
        "Direction % is undefined for naive: it never predicts a change"]


def test_no_caveats_when_every_metric_is_defined():
    forecasts = rows("m", 0, [1.0, 2.0], [2.0, 1.0], [1.5, 1.5])
    assert metrics.metric_caveats(forecasts, {0: 1.0}) == []
    assert metrics.metric_caveats(forecasts.iloc[:0], None) == []


def test_scores_by_step_by_hand():
    def two_step(model, y_pred):
        # origins saw 10 and 11; targets: 11, 12 from the first, 12, 10 from the second
        return pd.DataFrame({
            "model": model, "fold": 0, "origin": np.repeat(pd.bdate_range("2020", periods=2), 2),
            "target": pd.bdate_range("2020-01-02", periods=4), "step": [1, 2, 1, 2],
            "y_origin": [10.0, 10.0, 11.0, 11.0], "y_true": [11.0, 12.0, 12.0, 10.0],
            "y_pred": y_pred})

    forecasts = pd.concat([two_step("naive", [10.0, 10.0, 11.0, 11.0]),
                           two_step("m", [11.0, 13.0, 11.0, 11.5])])
    table = metrics.scores_by_step(forecasts, {0: 0.5})
    assert table[["model", "step", "n"]].values.tolist() == [
        ["naive", 1, 2], ["naive", 2, 2], ["m", 1, 2], ["m", 2, 2]]
    assert list(table.columns)[-1] == "rmse_vs_naive"
    m1, m2 = table.iloc[2], table.iloc[3]
    # naive errors: step 1: 1, 1; step 2: 2, -1.  m errors: step 1: 0, 1; step 2: -1, -1.5
    assert table.rmse.iloc[:2].tolist() == pytest.approx([1.0, np.sqrt(2.5)])
    assert m1.rmse == pytest.approx(np.sqrt(0.5)) and m2.rmse == pytest.approx(np.sqrt(1.625))
    assert m1.mae == pytest.approx(0.5) and m2.mae == pytest.approx(1.25)
    assert m1.mase == pytest.approx(1.0) and m2.mase == pytest.approx(2.5)
    assert m1.mape == pytest.approx((0 + 1 / 12) / 2 * 100)
    assert m1.smape == pytest.approx((0 + 200 / 23) / 2)
    assert m1.rmse_vs_naive == pytest.approx(np.sqrt(0.5) / 1.0)
    assert m2.rmse_vs_naive == pytest.approx(np.sqrt(1.625 / 2.5))
    # step 1: +1/+1 hit, 0 predicted move left out; step 2: +3/+2 hit, +0.5/-1 miss
    assert m1.directional_accuracy == pytest.approx(100.0)
    assert m2.directional_accuracy == pytest.approx(50.0)
    assert table.directional_accuracy.iloc[:2].isna().all()  # the random walk


def test_ranks_average_ties_and_respect_higher_is_better():
    summary = pd.DataFrame({
        "model": ["a", "b", "c", "e", "d"],
        "rmse": [1.0, 2.0, 2.0, 3.0, np.nan],
        "directional_accuracy": [40.0, 60.0, 50.0, np.nan, np.nan],
        "mase": np.nan,  # undefined everywhere: not ranked
        "seconds": [5.0, 1.0, 2.0, 3.0, 4.0],  # not a ranked metric
    })
    table = metrics.ranks(summary)
    assert list(table.columns) == ["model", "rmse", "directional_accuracy", "mean_rank"]
    assert table.model.tolist() == ["b", "a", "c", "e", "d"]
    by_model = table.set_index("model")
    assert by_model.rmse.to_dict() == pytest.approx(
        {"a": 1.0, "b": 2.5, "c": 2.5, "e": 4.0, "d": np.nan}, nan_ok=True)
    assert by_model.directional_accuracy.loc[["b", "c", "a"]].tolist() == [1.0, 2.0, 3.0]
    assert by_model.mean_rank.loc[["b", "a", "c", "e"]].tolist() == pytest.approx(
        [(2.5 + 1) / 2, (1 + 3) / 2, (2.5 + 2) / 2, 4.0])
    assert np.isnan(by_model.mean_rank["d"])


def test_summarize_sorts_by_rmse_and_keeps_failed_models_last_with_new_metrics():
    forecasts = pd.concat([rows("naive", 0, [1.0, 2.0], [2.0, 3.0], [1.0, 2.0]),
                           rows("good", 0, [1.0, 2.0], [2.0, 3.0], [1.5, 3.5]),
                           rows("bad", 0, [1.0, 2.0], [2.0, 3.0], [4.0, 0.0])])
    st = status(["broken", "naive", "bad", "good"], folds=1, failed={("broken", 0)})
    summary = metrics.summarize(forecasts, st, scales={0: 1.0})
    assert summary.model.tolist() == ["good", "naive", "bad", "broken"]
    broken = summary.iloc[-1]
    assert np.isnan([broken.rmse, broken.mape, broken.smape, broken.mase,
                     broken.directional_accuracy]).all()
    good = summary.iloc[0]  # errors 0.5, -0.5; moves +0.5/+1 and +1.5/+1: both hits
    assert good.mase == pytest.approx(0.5) and good.directional_accuracy == 100.0
    assert good.rmse_vs_naive == pytest.approx(0.5 / 1.0)
    assert metrics.ranks(summary).model.iloc[-1] == "broken"
