"""Coverage per model: a series too short for one model is left out for that model only, every
count agrees (data, manifest, notes, headline, summary.md), each model's own-set scores equal
a numpy recomputation, and auto-ARIMA's minimum history follows from its largest candidate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forecast_bench import models
from forecast_bench.benchmarks import config, terminal
from forecast_bench.benchmarks.data import DataSpec
from forecast_bench.benchmarks.data.collection import load_collection
from forecast_bench.benchmarks.run import runner
from forecast_bench.benchmarks.run.collection_outputs import collection_summary
from forecast_bench.evaluation.run_folder.record import load_run
from forecast_bench.evaluation.scoring.collection_analysis import analyse_collection
from forecast_bench.models.errors import ConfigError, DataError, ModelError
from tests.test_cli import cli, runs
from tests.test_collection_run import write_long

HORIZON = 6
ARIMA = {"order": [6, 1, 0]}  # needs max(10, 2*6 + 1 + 1) = 14 training values
LONG = [f"L{i}" for i in range(8)]
SHORT = [f"S{i}" for i in range(4)]  # 16 values: 10 to train, too few for arima only


def yearly(n: int, seed: int) -> pd.Series:
    dates = pd.date_range("1950-01-01", periods=n, freq="YS")
    steps = np.random.default_rng(seed).normal(1.0, 2.0, size=n)
    return pd.Series(100 + np.cumsum(steps), index=dates)


def collection_config(source: str, model_table: dict) -> config.RunConfig:
    return config.from_dict({"name": "cov", "reference": "naive", "data": {"source": source},
                             "split": {"protocol": "fixed", "horizon": HORIZON},
                             "models": model_table})


@pytest.fixture(scope="module")
def coverage_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("coverage")
    series = {sid: yearly(24 + 4 * i, i) for i, sid in enumerate(LONG)}
    series |= {sid: yearly(16, 20 + i) for i, sid in enumerate(SHORT)}
    series["tiny"] = yearly(HORIZON, 30)  # nothing left to train on: the split fails
    series["flat"] = pd.Series(5.0, index=yearly(20, 0).index)  # constant: cleaning drops it
    path = write_long(root / "mixed.csv", series)
    cfg = collection_config(f"long:{path}", {"naive": {}, "drift": {}, "arima": ARIMA})
    outcome = runner.run(cfg, root / "runs", use_cache=False)
    return outcome, series, path


def test_a_too_short_series_is_left_out_for_that_model_only(coverage_run):
    outcome, _, _ = coverage_run
    forecasts = pd.read_csv(outcome.run_dir / "forecasts.csv", dtype={"series": str})
    ran = forecasts.groupby("model").series.agg(set)
    assert ran["naive"] == ran["drift"] == set(LONG + SHORT)
    assert ran["arima"] == set(LONG)
    skipped = pd.read_csv(outcome.run_dir / "skipped.csv", dtype=str, keep_default_na=False)
    assert list(skipped.columns) == ["series", "model", "reason"]
    per_model = skipped[skipped.model != ""]
    assert set(per_model.series) == set(SHORT) and set(per_model.model) == {"arima"}
    assert all("needs at least 14 training values, the first training part has 10" in reason
               for reason in per_model.reason)
    assert set(skipped[skipped.model == ""].series) == {"tiny", "flat"}


def test_every_count_agrees(coverage_run):
    outcome, _, path = coverage_run
    collection = load_collection(DataSpec(source=f"long:{path}"))
    data_text = collection_summary(collection)  # what `forecast-bench data` prints
    counts = dict(line.split()[:2] for line in data_text.splitlines()[:3])
    assert (counts["n_series"], counts["n_skipped"]) == ("13", "1")
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    data = manifest["data"]
    assert (data["n_series"], data["n_skipped"]) == (13, 1)
    assert (data["n_evaluated"], data["n_not_evaluated"]) == (12, 1)
    assert manifest["models"] == {"naive": {"n_series": 12, "n_too_short": 0},
                                  "drift": {"n_series": 12, "n_too_short": 0},
                                  "arima": {"n_series": 8, "n_too_short": 4}}
    analysis = outcome.analysis
    assert analysis.notes[0].startswith("Scores over the 8 common series (every model has a"
                                        " score on them) of the 13 read")
    assert any(note.startswith("arima on 8 of 12: 4 too short;") for note in analysis.notes)
    assert any(note.startswith("2 series skipped before any model ran (1 by cleaning, 1 whose"
                               " split failed") for note in analysis.notes)
    report = (outcome.run_dir / "report.html").read_text()
    assert "3 models on the 8 common series (every model has a score on them) of the 13 read" \
        in report and "(arima on 8 of 12: 4 too short)" in report
    summary_md = (outcome.run_dir / "summary.md").read_text()
    assert "13 series read (1 more skipped by cleaning), 12 evaluated" in summary_md
    coverage = analysis.coverage.set_index("model")
    assert coverage.loc["arima", ["n_series", "n_common", "n_too_short"]].tolist() == [8, 8, 4]
    assert coverage.loc["naive", ["n_series", "n_too_short"]].tolist() == [12, 0]


def _by_hand(series: dict[str, pd.Series], forecasts: pd.DataFrame, model: str,
             ids: list[str]) -> tuple[float, float]:
    """Mean sMAPE and MASE over `ids`, from the data and forecasts.csv's predictions."""
    smapes, mases = [], []
    for sid in ids:
        values = series[sid].to_numpy()
        actual, train = values[-HORIZON:], values[:-HORIZON]
        rows = forecasts[(forecasts.series == sid) & (forecasts.model == model)]
        pred = rows.sort_values("step").y_pred.to_numpy()
        smapes.append(np.mean(200 * np.abs(actual - pred) / (np.abs(actual) + np.abs(pred))))
        mases.append(np.mean(np.abs(actual - pred)) / np.mean(np.abs(np.diff(train))))
    return float(np.mean(smapes)), float(np.mean(mases))


def test_each_model_is_scored_over_its_own_set_and_the_common_set(coverage_run):
    outcome, series, _ = coverage_run
    forecasts = pd.read_csv(outcome.run_dir / "forecasts.csv", dtype={"series": str})
    summary = outcome.analysis.summary.set_index("model")
    assert (summary.n_series == len(LONG)).all()
    for model, own in (("naive", LONG + SHORT), ("drift", LONG + SHORT), ("arima", LONG)):
        row = summary.loc[model]
        assert row.own_series == len(own)
        assert [row.own_smape_mean, row.own_mase_mean] == pytest.approx(
            _by_hand(series, forecasts, model, own), rel=1e-9)
        assert [row.smape_mean, row.mase_mean] == pytest.approx(
            _by_hand(series, forecasts, model, LONG), rel=1e-9)


def test_the_report_rebuilt_from_the_folder_reads_the_same_coverage(coverage_run):
    outcome, _, _ = coverage_run
    again = analyse_collection(load_run(outcome.run_dir))
    pd.testing.assert_frame_equal(again.summary.drop(columns="seconds"),
                                  outcome.analysis.summary.drop(columns="seconds"))
    assert again.notes == outcome.analysis.notes


def test_no_own_set_columns_when_every_model_covers_every_series(tmp_path):
    path = write_long(tmp_path / "long.csv", {sid: yearly(24, i) for i, sid in enumerate("AB")})
    outcome = runner.run(collection_config(f"long:{path}", {"naive": {}, "drift": {}}), tmp_path,
                         use_cache=False)
    assert "own_series" not in outcome.analysis.summary
    assert not (outcome.run_dir / "skipped.csv").read_text().strip().count("\n")


def test_one_series_leaves_a_too_short_model_out_and_says_why(tmp_path):
    (tmp_path / "one.csv").write_text(yearly(16, 1).rename("y").rename_axis("date").to_csv())
    cfg = collection_config(f"csv:{tmp_path / 'one.csv'}", {"naive": {}, "arima": ARIMA})
    outcome = runner.run(cfg, tmp_path / "runs", use_cache=False)
    assert outcome.left_out == ("model 'arima' needs at least 14 training values, the first"
                                " training part has 10",)
    assert set(pd.read_csv(outcome.run_dir / "forecasts.csv").model) == {"naive"}
    skipped = pd.read_csv(outcome.run_dir / "skipped.csv")
    assert skipped[["model"]].to_numpy().ravel().tolist() == ["arima"]
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["models"]["arima"] == {"n_series": 0, "n_too_short": 1}


def test_a_series_is_skipped_whole_only_when_its_split_fails(tmp_path):
    """naive (always in a run) needs one value: only a split leaving none to train fails."""
    (tmp_path / "one.csv").write_text(yearly(16, 1).rename("y").rename_axis("date").to_csv())
    cfg = config.from_dict({"name": "c", "data": {"source": f"csv:{tmp_path / 'one.csv'}"},
                            "split": {"test_size": 16, "folds": 1, "horizon": 1},
                            "models": {"arima": ARIMA}})
    with pytest.raises(ConfigError, match="the series has 16 values but the split needs 17"):
        runner.run(cfg, tmp_path / "runs", use_cache=False)
    path = write_long(tmp_path / "two.csv", {"A": yearly(HORIZON, 1), "B": yearly(HORIZON, 2)})
    with pytest.raises(DataError, match=r"no series of .* can be evaluated \(2 skipped\)"):
        runner.run(collection_config(f"long:{path}", {"arima": ARIMA}), tmp_path / "runs",
                   use_cache=False)


@pytest.mark.parametrize("period", [1, 4])
def test_auto_arima_minimum_follows_from_its_largest_candidate(period):
    limits = {"max_p": 1, "max_d": 1, "max_q": 1}
    model = models.get("arima", **limits, seasonal_period=period)
    seasonal = period > 1
    # p + q + P + Q (P, Q <= 2 when seasonal), a constant and sigma2; d + D*period lost to
    # differencing (D <= 1 when seasonal); 2 more for the largest candidate's AICc
    parameters = 1 + 1 + (4 if seasonal else 0) + 2
    lost = 1 + (period if seasonal else 0)
    assert model.min_train_size == parameters + lost + 2
    assert models.get("arima", max_p=5, max_d=2, max_q=5).min_train_size == 12 + 2 + 2
    y = yearly(model.min_train_size, period).to_numpy()
    fitted = model.fit(y)  # a series of exactly that length fits
    assert np.isfinite(fitted.predict(3)).all()
    with pytest.raises(ModelError, match="needs at least"):
        model.fit(y[1:])


def test_the_terminal_says_over_which_series_each_figure_is_taken(coverage_run):
    text = terminal.run_text(coverage_run[0].analysis)
    assert "own MASE" in text.splitlines()[0]
    assert "- arima on 8 of 12: 4 too short; left out: S0, S1, S2, S3." in text
    assert max(len(line) for line in text.splitlines()) <= terminal.WIDTH


def test_one_series_run_prints_compares_and_reports_a_left_out_model(tmp_path):
    (tmp_path / "y.csv").write_text(yearly(30, 1).rename("y").rename_axis("date").to_csv())
    (tmp_path / "c.toml").write_text(
        'name = "c"\n[data]\nsource = "csv:y.csv"\n'
        "[split]\ntest_size = 6\nfolds = 1\nhorizon = 1\n"
        "[models.naive]\n[models.arima]\norder = [6, 1, 0]\n")
    full = cli("run", "c.toml", "--out", "a", "--quiet", cwd=tmp_path)
    short = cli("run", "c.toml", "--last", "16", "--out", "b", "--quiet", cwd=tmp_path)
    assert full.returncode == short.returncode == 0, short.stderr
    assert "Left out" not in full.stdout
    assert ("Left out of this run: model 'arima' needs at least 14 training values, the first"
            " training part has 10") in " ".join(short.stdout.split())
    (run_a,), (run_b,) = runs(tmp_path / "a"), runs(tmp_path / "b")
    assert "Left out, the series too short for them (see skipped.csv): <strong>arima" in (
        run_b / "report.html").read_text()
    compared = cli("compare", str(run_a), str(run_b), cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "arima (too short in B)" in compared.stdout


def test_a_series_without_a_mase_scale_is_skipped_with_its_reason(tmp_path):
    """30 monthly values, horizon 18: the first fold trains on 12 values, no more than the
    period, so no model has a MASE there; that series is skipped with its reason (it used to
    end the run in an IndexError) and the others are scored."""
    dates = pd.date_range("2000-01-01", periods=60, freq="MS")
    rng = np.random.default_rng(3)
    series = {"long": pd.Series(100 + rng.normal(size=60).cumsum(), index=dates),
              "other": pd.Series(50 + rng.normal(size=60).cumsum(), index=dates),
              "short": pd.Series(100 + rng.normal(size=30).cumsum(), index=dates[:30])}
    path = write_long(tmp_path / "monthly.csv", series)
    cfg = config.from_dict({"name": "scale", "reference": "naive",
                            "data": {"source": f"long:{path}"},
                            "split": {"protocol": "fixed", "horizon": 18},
                            "models": {"naive": {}, "drift": {}}})
    outcome = runner.run(cfg, tmp_path / "runs", use_cache=False)
    skipped = pd.read_csv(outcome.run_dir / "skipped.csv", dtype=str, keep_default_na=False)
    assert skipped.series.tolist() == ["short"] and skipped.model.tolist() == [""]
    assert "trains on 12 values" in skipped.reason[0] and "lag 12" in skipped.reason[0]
    forecasts = pd.read_csv(outcome.run_dir / "forecasts.csv")
    assert set(forecasts.series) == {"long", "other"}
