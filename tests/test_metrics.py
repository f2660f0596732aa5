"""RMSE/MAE by hand; pooled vs fold-mean; ratios on shared forecasts; tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation import metrics, tables


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
    table = tables.summary_table(summary)
    assert "RMSE (pooled)" in table and "| broken" in table


def test_fold_table_keeps_integer_folds():
    by_fold = pd.DataFrame({"model": ["a", "a"], "fold": [0, 1], "n": [1, 1],
                            "rmse": [0.5, 0.25], "mae": [0.5, 0.25]})
    text = tables.fold_table(by_fold)
    assert "|      0 |" in text and "0.2500" in text


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
    assert "RMSE seed std" in tables.summary_table(summary)


def test_leaky_models_are_marked_in_tables():
    st = status(["naive", "cheat"], folds=1).assign(leaky=[False, True])
    forecasts = pd.concat([frame("naive", 0, [0.0], [1.0]), frame("cheat", 0, [0.0], [0.5])])
    summary = metrics.summarize(forecasts, st)
    table = tables.summary_table(summary)
    assert "cheat (leaky)" in table and "naive (leaky)" not in table
    assert any("(leaky)" in note for note in tables.summary_notes(summary, 1))


def test_fold_table_marks_leaky_models():
    by_fold = pd.DataFrame({"model": ["a", "b"], "fold": [0, 0], "n": [1, 1],
                            "rmse": [0.5, 0.25], "mae": [0.5, 0.25]})
    text = tables.fold_table(by_fold, leaky=frozenset({"b"}))
    assert "b (leaky)" in text and "a (leaky)" not in text
