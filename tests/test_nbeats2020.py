"""The N-BEATS comparison tables on a tiny M3 monthly run: the I+G row is the median of both
kinds' members, the ensemble curve the median of the first k members, each checked against
numpy; the one-sided Wilcoxon against Theta against scipy; the CLI prints both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast_bench.benchmarks import config, nbeats2020
from forecast_bench.benchmarks.run import runner
from forecast_bench.evaluation.run_folder.record import load_run
from forecast_bench.evaluation.scoring.collection_analysis import analyse_collection

IDS = ["N1402", "N1403", "N1500", "N1600", "N1700", "N1800"]
TINY = {"steps": 5, "batch_size": 32, "lookbacks": [2], "losses": ["smape", "mase"]}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nbeats2020")
    cfg = config.from_dict({
        "name": "tiny_nbeats", "data": {"source": "m3:monthly", "series": IDS},
        "split": {"protocol": "fixed", "horizon": "dataset"},
        "models": {"theta": {}, "naive2": {},
                   "nbeats": {**TINY, "ensemble": 3, "stacks": 2, "layers": 1, "width": 8},
                   "nbeats_i": {**TINY, "ensemble": 2, "layers": 1, "trend_width": 8,
                                "seasonality_width": 8}}})
    runner.run(cfg, out, use_cache=False)
    return next(p for p in out.iterdir() if p.is_dir())


def smape(frame: pd.DataFrame, column: str = "y_pred") -> float:
    """M3's sMAPE by hand: each series' mean over its steps, then the mean over series."""
    y, f = frame["y_true"].to_numpy(), frame[column].to_numpy()
    per_row = 200 * np.abs(y - f) / (np.abs(y) + np.abs(f))
    return float(pd.Series(per_row).groupby(frame["series"].to_numpy()).mean().mean())


def test_paper_table_rows_against_numpy_and_scipy(run_dir: Path):
    record = load_run(run_dir)
    analysis = analyse_collection(record)
    table = nbeats2020.paper_table(record, analysis.series_scores, analysis.common)
    table = table.set_index("model")
    assert set(table.index) == {"theta", "naive", "naive2", "nbeats", "nbeats_i", "nbeats_ig"}
    assert table.loc["nbeats", "members"] == 3 and table.loc["nbeats_ig", "members"] == 5
    assert table.loc["nbeats", "steps"] == 5
    assert table.loc["nbeats", "paper (180)"] == 13.19
    assert table.loc["theta", "paper (180)"] == 13.85
    forecasts = record.forecasts
    for model in ("theta", "nbeats", "nbeats_i"):
        assert table.loc[model, "sMAPE"] == pytest.approx(
            smape(forecasts[forecasts.model == model]), rel=1e-9)
    members = record.members
    both = members[members.model.isin(["nbeats", "nbeats_i"])]
    wide = both.pivot_table(index=["series", "step"], columns=["model", "member"],
                            values="y_pred")
    truth = forecasts[forecasts.model == "nbeats"].set_index(["series", "step"]).y_true
    combined = pd.DataFrame({"series": wide.index.get_level_values(0),
                             "y_true": truth.loc[wide.index].to_numpy(),
                             "y_pred": np.median(wide.to_numpy(), axis=1)})
    assert table.loc["nbeats_ig", "sMAPE"] == pytest.approx(smape(combined), rel=1e-9)
    # one-sided Wilcoxon of the per-series sMAPE against Theta's, Holm-corrected over the rows
    per_series = {m: forecasts[forecasts.model == m].assign(
        e=lambda f: 200 * (f.y_true - f.y_pred).abs() / (f.y_true.abs() + f.y_pred.abs())
    ).groupby("series").e.mean() for m in ("nbeats", "theta")}
    raw = stats.wilcoxon(per_series["nbeats"] - per_series["theta"], alternative="less").pvalue
    assert table.loc["nbeats", "p below Theta"] >= raw - 1e-12
    assert np.isnan(table.loc["theta", "p below Theta"])


def test_ensemble_curve_is_the_median_of_the_first_members(run_dir: Path):
    record = load_run(run_dir)
    curve = nbeats2020.ensemble_curve(record, analyse_collection(record).common)
    mine = curve[curve.model == "nbeats"].set_index("members").sMAPE
    assert list(mine.index) == [1, 2, 3]
    members = record.members[record.members.model == "nbeats"]
    for k in (1, 2, 3):
        first = members[members.member < k]
        wide = first.pivot_table(index=["series", "step"], columns="member", values="y_pred")
        truth = first[first.member == 0].set_index(["series", "step"]).y_true.loc[wide.index]
        frame = pd.DataFrame({"series": wide.index.get_level_values(0),
                              "y_true": truth.to_numpy(),
                              "y_pred": np.median(wide.to_numpy(), axis=1)})
        assert mine[k] == pytest.approx(smape(frame), rel=1e-9)
    assert mine[3] == pytest.approx(smape(record.forecasts[record.forecasts.model == "nbeats"]),
                                    rel=1e-9)  # all members: the run's own forecast
    assert set(curve.model) == {"nbeats", "nbeats_i", "nbeats_ig"}


def test_the_cli_prints_both_tables(run_dir: Path):
    for table in ("nbeats2020", "ensemble"):
        done = subprocess.run([sys.executable, "-m", "forecast_bench.benchmarks", "table",
                               str(run_dir), "--table", table], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "nbeats_ig" in done.stdout


def test_a_run_of_every_m3_monthly_series_joins_makridakis2018_on_its_long_series(run_dir):
    from forecast_bench.benchmarks.makridakis2018 import PAPER_MIN_LENGTH, paper_series

    record = load_run(run_dir)
    analysis = analyse_collection(record)
    lengths = record.info.set_index("id").n
    chosen, ranks = paper_series(record, analysis.series_scores, analysis.common)
    assert chosen == [s for s in analysis.common if lengths[s] >= PAPER_MIN_LENGTH]
    assert 0 < len(chosen) < len(analysis.common)  # the sample has both kinds
    wide = analysis.series_scores.pivot(index="series", columns="model", values="mase")
    expected = wide.loc[chosen].rank(axis=1).mean()
    pd.testing.assert_series_equal(ranks.sort_index(), expected.sort_index(),
                                   check_names=False)


def test_the_shipped_config_runs_on_a_40_series_sample_with_30_steps_and_2_members(tmp_path):
    """benchmarks/configs/m3_nbeats.toml as shipped but for the sample, steps, members and the
    networks' widths (batches of 64): every model forecasts every series."""
    cfg = config.load_config(config.DEFAULT_CONFIG.with_name("m3_nbeats.toml"))
    cfg = config.with_model_params(cfg, steps=30, ensemble=2, batch_size=64, width=16,
                                   trend_width=16, seasonality_width=16)
    cfg = config.with_overrides(cfg, {"sample": 40}, {}, None, None)
    outcome = runner.run(cfg, tmp_path, use_cache=False)
    status = outcome.result.status
    assert (status.status == "ok").all(), status.reason.tolist()
    assert status.series.nunique() == 40
    assert set(status.model) == {"naive", "naive2", "theta", "comb", "ets", "nbeats",
                                 "nbeats_i", "nhits"}
    members = outcome.result.members
    assert members.groupby("model").member.nunique().to_dict() == {
        "nbeats": 2, "nbeats_i": 2, "nhits": 2}
