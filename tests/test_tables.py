"""Summary columns and headers, the compact subset, per-step and rank tables, notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_bench.evaluation.reporting import tables
from forecast_bench.evaluation.reporting.formats import render, render_frame
from forecast_bench.evaluation.scoring import metrics


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame({
        "model": ["m", "naive", "cheat"], "leaky": [False, False, True],
        "rmse": [0.5, 0.6, 0.4], "mse": [0.25, 0.36, 0.16], "mae": [0.45, 0.4, 0.3],
        "mape": [1.5, 2.0, 1.0], "smape": [1.4, 1.9, 1.1], "mase": [0.9, 1.1, 0.8],
        "directional_accuracy": [55.0, np.nan, 60.0],
        "rmse_fold_mean": [0.5, 0.6, 0.4], "rmse_fold_std": [0.1, 0.1, 0.1],
        "rmse_vs_naive": [0.5 / 0.6, 1.0, 0.4 / 0.6], "dm_pvalue_vs_naive": [0.03, np.nan, 0.2],
        "rmse_seed_mean": np.nan, "rmse_seed_std": np.nan, "n_forecasts": [10, 10, 10],
        "folds_ok": ["2/2", "2/2", "2/2"], "seconds": [1.0, 0.1, 2.0]})


def cells(text: str, line: int) -> list[str]:
    """The cells of one line of a github table (0: the header, 2: the first row)."""
    return [cell.strip() for cell in text.splitlines()[line].strip("|").split("|")]


def header(text: str) -> list[str]:
    return cells(text, 0)


def test_full_table_order_and_headers(summary):
    assert header(render(summary, "md")) == [
        "model", "RMSE (pooled)", "U2 = RMSE / naive", "DM p vs naive", "MAE (pooled)",
        "MSE (pooled)", "MASE (pooled)", "MAPE % (pooled)", "sMAPE % (pooled)",
        "direction % (pooled)", "RMSE fold mean", "RMSE fold std", "forecasts", "folds ok",
        "seconds"]  # no multi-seed model: the seed columns are left out


def test_compact_subset_keeps_its_order_and_marks_leaky(summary):
    shown = tables.summary_shown(summary, tables.COMPACT)
    assert list(shown.columns) == [
        "model", "rmse", "rmse_vs_naive", "dm_pvalue_vs_naive", "mae", "mase",
        "directional_accuracy", "rmse_fold_mean", "rmse_fold_std", "folds_ok", "seconds"]
    assert shown.model.tolist() == ["m", "naive", "cheat (leaky)"]
    text = render(summary, "md", columns=tables.COMPACT)
    assert "MASE (pooled)" in text and "MAPE" not in text and "forecasts" not in text
    naive = dict(zip(header(text), cells(text, 3), strict=True))
    assert naive["direction % (pooled)"] == "-" and naive["MASE (pooled)"] == "1.1000"
    with_seeds = summary.assign(rmse_seed_mean=[0.5, np.nan, np.nan],
                                rmse_seed_std=[0.02, np.nan, np.nan])
    assert "RMSE seed std" in render(with_seeds, "md", columns=tables.COMPACT)


def test_step_table_has_one_row_per_step_and_one_column_per_model():
    by_step = pd.DataFrame({"model": ["naive", "naive", "m", "m"], "step": [1, 2, 1, 2],
                            "rmse": [1.0, 1.5, 0.25, 0.75], "mase": [1.0, 2.0, 0.5, 1.5]})
    lines = render_frame(tables.wide_scores(by_step, "step", leaky=frozenset({"m"})),
                         "md").splitlines()
    assert header("\n".join(lines)) == ["step", "naive", "m (leaky)"]
    assert [line.split("|")[1].strip() for line in lines[2:]] == ["step 1", "step 2"]
    assert "0.2500" in lines[2] and "1.5000" in lines[3]
    assert tables.wide_scores(by_step, "step", metric="mase").m.tolist() == [0.5, 1.5]


def test_ranks_table_from_a_summary(summary):
    ranked = metrics.ranks(summary)
    assert ranked.model.tolist() == ["cheat", "m", "naive"]
    shown = ranked.assign(model=tables.marked(ranked.model, {"cheat"}))
    text = render_frame(shown, "md", headers=tables.RANK_HEADERS, floatfmt=".2f")
    assert header(text) == ["model", "RMSE rank", "MAE rank", "MAPE rank", "sMAPE rank",
                            "MASE rank", "direction rank", "mean rank"]
    assert cells(text, 2) == ["cheat (leaky)", *["1.00"] * 7]
    assert cells(text, 4)[-2:] == ["-", "2.80"]  # direction undefined; mean of 3, 2, 3, 3, 3


def test_notes_explain_each_metric_and_end_with_the_caveats(summary):
    caveats = ["MASE is undefined on fold 1: its training part is flat (naive MAE 0)"]
    notes = tables.summary_notes(summary, 2, caveats=caveats)
    text = " ".join(notes)
    assert "in-sample seasonal naive MAE" in text and "training part" in text
    assert "|error| / |actual|" in text and "200 |error|" in text
    assert "same sign" in text or "sign of the actual change" in text
    assert "Theil's U2" in text
    assert notes[-1] == caveats[0] + "."
    bare = summary[["model", "rmse", "folds_ok"]]
    assert not any(note.startswith("MASE") for note in tables.summary_notes(bare, 2))
