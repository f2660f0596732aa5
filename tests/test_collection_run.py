"""Runs over collections of series: a collection of one equals the single-series run, a series
in a panel gets the forecasts and scores it gets alone, no look-ahead within or across series,
bad series are recorded with their id, and the M3 protocol scored against hand computations."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from forecast_bench import models
from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.data import csv_input
from forecast_bench.benchmarks.data.collection import M3_FILE
from forecast_bench.benchmarks.run import runner
from forecast_bench.evaluation.harness.splits import WalkForward, fold_rows
from forecast_bench.evaluation.harness.walk_forward import SeriesPlan, run_plans
from forecast_bench.evaluation.run_folder.record import SKIPPED_COLUMNS, RunRecord
from forecast_bench.evaluation.scoring.collection_analysis import analyse_collection
from forecast_bench.models.base import Forecaster
from tests.conftest import random_walk
from tests.test_cli import cli, runs

M3_IDS = ["N1402", "N1403", "N1404", "N1405", "N1500", "N1600", "N1700", "N1800", "N2000",
          "N2200", "N2500", "N2800"]  # a dozen monthly series
SPLIT = {"test_size": 20, "folds": 2, "horizon": 2}
MODELS = {"naive": {}, "drift": {}, "arima": {"order": [1, 1, 0]},
          "seasonal_naive": {"period": 5}}


def write_long(path: Path, series: dict[str, pd.Series]) -> Path:
    """A long CSV (unique_id, ds, y), rows of the series interleaved by date."""
    frame = pd.concat([pd.DataFrame({"unique_id": sid, "ds": s.index.strftime("%Y-%m-%d"),
                                     "y": s.to_numpy()}) for sid, s in series.items()])
    frame.sort_values(["ds", "unique_id"], kind="stable").to_csv(path, index=False)
    return path


def run_config(source: str, **data: object) -> config.RunConfig:
    return config.from_dict({"name": "t", "data": {"source": source, **data}, "split": SPLIT,
                             "models": MODELS})


@pytest.fixture(scope="module")
def single_and_collection(tmp_path_factory):
    return single_and_collection_runs(tmp_path_factory.mktemp("panel"))


def single_and_collection_runs(root: Path) -> tuple[runner.RunOutcome, ...]:
    """The same series run alone (a built-in-like CSV), as a collection of one, and inside a
    long file of three."""
    alone = random_walk(90, seed=1).rename("A")
    alone.index.name = "date"
    alone.to_csv(root / "alone.csv")
    panel = {"A": alone, "B": random_walk(90, seed=2), "C": random_walk(70, seed=3)}
    long_path = write_long(root / "long.csv", panel)
    single = runner.run(run_config(f"csv:{root / 'alone.csv'}"), root / "single",
                        use_cache=False)
    one = runner.run(run_config(f"long:{write_long(root / 'one.csv', {'A': alone})}"),
                     root / "one", use_cache=False)
    many = runner.run(run_config(f"long:{long_path}"), root / "many", use_cache=False)
    return single, one, many


def test_a_collection_of_one_is_the_single_series_run(single_and_collection):
    single, one, _ = single_and_collection
    for name in ("forecasts.csv", "summary.csv", "metrics_by_fold.csv", "folds.csv"):
        timings = ["seconds"] if name == "summary.csv" else []  # wall-clock, never equal
        pd.testing.assert_frame_equal(pd.read_csv(single.run_dir / name).drop(columns=timings),
                                      pd.read_csv(one.run_dir / name).drop(columns=timings),
                                      check_exact=True)


def test_a_series_in_a_collection_gets_its_single_series_forecasts(single_and_collection):
    single, _, many = single_and_collection
    alone = pd.read_csv(single.run_dir / "forecasts.csv")
    panel = pd.read_csv(many.run_dir / "forecasts.csv")
    mine = panel[panel.series == "A"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.drop(columns="series"), mine.drop(columns="series"),
                                  check_exact=True)
    scores = pd.read_csv(many.run_dir / "series_scores.csv")
    summary = pd.read_csv(single.run_dir / "summary.csv").set_index("model")
    for row in scores[scores.series == "A"].itertuples():
        assert row.rmse == pytest.approx(summary.loc[row.model, "rmse"], rel=1e-9)
        assert row.mase == pytest.approx(summary.loc[row.model, "mase"], rel=1e-9)
        assert row.smape == pytest.approx(summary.loc[row.model, "smape"], rel=1e-9)


def test_a_collection_run_writes_long_tables_and_the_aggregate(single_and_collection):
    _, _, many = single_and_collection
    folder = many.run_dir
    forecasts = pd.read_csv(folder / "forecasts.csv")
    assert list(forecasts.columns[:2]) == ["series", "model"]
    assert set(forecasts.series) == {"A", "B", "C"}
    summary = pd.read_csv(folder / "summary.csv").set_index("model")
    assert summary.loc["naive", "owa"] == 1.0 and summary.n_series.eq(3).all()
    scores = pd.read_csv(folder / "series_scores.csv")
    naive = scores[scores.model == "naive"]
    assert summary.loc["naive", "smape_mean"] == pytest.approx(naive.smape.mean(), rel=1e-9)
    for name in ("report.html", "summary.md", "plots/cd_diagram.png", "plots/by_step.png",
                 "plots/examples.png", "tables/aggregate.md", "tables/aggregate.tex"):
        assert (folder / name).is_file(), name
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.index("Aggregate scores") < html.index("Example series") < html.index("Data")


def hand_m3(series_id: str) -> tuple[np.ndarray, int, int]:
    """A series' values, horizon and seasonal period, read from the vendored file with csv."""
    with gzip.open(M3_FILE, "rt", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["series"] == series_id]
    period = {"monthly": 12, "quarterly": 4}.get(rows[0]["frequency"], 1)
    return np.array([float(r["y"]) for r in rows]), int(rows[0]["horizon"]), period


@pytest.fixture(scope="module")
def m3_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("m3") / "results"
    done = cli("run", "--data", "m3:monthly", "--series", ",".join(M3_IDS), "--models",
               "naive,seasonal_naive,drift", "--out", str(out), "--quiet", cwd=Path.cwd())
    assert done.returncode == 0, done.stderr
    return runs(out)[0], out, done.stdout


def test_m3_defaults_to_the_competition_protocol_scored_by_hand(m3_run):
    folder, _, stdout = m3_run
    assert "sMAPE mean" in stdout and "Friedman" in stdout
    forecasts = pd.read_csv(folder / "forecasts.csv")
    scores = pd.read_csv(folder / "series_scores.csv").set_index(["series", "model"])
    for series_id in ("N1402", "N2800"):
        values, horizon, period = hand_m3(series_id)
        train, test = values[:-horizon], values[-horizon:]
        mine = forecasts[forecasts.series == series_id]
        assert set(mine.groupby("model").size()) == {horizon} and mine.origin.nunique() == 1
        hand = {"naive": np.full(horizon, train[-1]),
                "seasonal_naive": train[len(train) - period + np.arange(horizon) % period],
                "drift": train[-1] + (train[-1] - train[0]) / (len(train) - 1)
                * np.arange(1, horizon + 1)}
        scale = np.mean(np.abs(train[period:] - train[:-period]))
        for model, predicted in hand.items():
            got = mine[mine.model == model].sort_values("step").y_pred.to_numpy()
            np.testing.assert_allclose(got, predicted, rtol=1e-12)
            smape = np.mean(200 * np.abs(test - predicted) / (np.abs(test) + np.abs(predicted)))
            assert scores.loc[(series_id, model), "smape"] == pytest.approx(smape, rel=1e-9)
            mase = np.mean(np.abs(test - predicted)) / scale
            assert scores.loc[(series_id, model), "mase"] == pytest.approx(mase, rel=1e-9)
        # the competition config asks for 80% and 95% intervals: naive's are sigma sqrt(h)
        sigma = np.sqrt(np.mean(np.diff(train) ** 2))
        naive = mine[mine.model == "naive"].sort_values("step")
        half = norm.ppf(0.975) * sigma * np.sqrt(np.arange(1, horizon + 1))
        np.testing.assert_allclose(naive.upper_95 - naive.y_pred, half, rtol=1e-9)
        np.testing.assert_allclose(naive.y_pred - naive.lower_95, half, rtol=1e-9)
    intervals = pd.read_csv(folder / "intervals.csv")
    assert set(intervals.model) == {"naive", "seasonal_naive", "drift", "naive2"}
    assert intervals.msis.notna().all() and intervals.coverage.between(0, 1).all()
    assert {p.name for p in (folder / "plots").glob("fan_chart_*.png")} == {
        "fan_chart_1.png", "fan_chart_2.png", "fan_chart_3.png"}


def test_m3_rerun_is_all_cached_identical_and_report_rebuilds(m3_run):
    folder, out, _ = m3_run
    again = cli("run", "--data", "m3:monthly", "--series", ",".join(M3_IDS), "--models",
                "naive,seasonal_naive,drift", "--out", str(out), "--quiet", cwd=Path.cwd())
    assert again.returncode == 0, again.stderr
    second = next(p for p in runs(out) if p != folder)
    cache = json.loads((second / "manifest.json").read_text())["execution"]["cache"]
    # three models plus Naive2, the competition config's reference, which joins every run
    assert cache["misses"] == 0 and cache["hits"] == 4 * len(M3_IDS)
    pd.testing.assert_frame_equal(pd.read_csv(folder / "forecasts.csv"),
                                  pd.read_csv(second / "forecasts.csv"), check_exact=True)
    summary = (second / "summary.csv").read_bytes()
    (second / "report.html").unlink()
    rebuilt = cli("report", str(second), cwd=Path.cwd())
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (second / "report.html").is_file() and (second / "summary.csv").read_bytes() == summary
    table = cli("table", str(second), "--table", "categories", cwd=Path.cwd())
    assert table.returncode == 0, table.stderr
    categories = pd.read_csv(second / "by_category.csv")
    assert set(categories.category) <= {"MICRO", "INDUSTRY", "MACRO", "FINANCE", "DEMOGRAPHIC",
                                        "OTHER"}
    assert all(category in table.stdout for category in categories.category)


def test_a_collection_narrowed_to_one_series_runs_with_the_dataset_horizon(tmp_path):
    done = cli("run", "--data", "m3:monthly", "--series", "N1402", "--models", "naive",
               "--levels", "none", "--out", str(tmp_path), "--quiet", cwd=Path.cwd())
    assert done.returncode == 0, done.stderr
    (folder,) = runs(tmp_path)
    forecasts = pd.read_csv(folder / "forecasts.csv")
    assert forecasts.step.max() == 18  # M3 monthly's own horizon


def test_data_summarises_a_collection():
    done = cli("data", "m3:monthly", cwd=Path.cwd())
    assert done.returncode == 0, done.stderr
    assert "1428" in done.stdout and "monthly: 1428" in done.stdout


def test_bad_series_are_recorded_with_their_id_and_the_others_finish(tmp_path):
    months = pd.date_range("2015-01-01", periods=60, freq="MS")
    good = {f"g{i}": pd.Series(100 + np.cumsum(np.random.default_rng(i).normal(size=60)),
                               index=months) for i in range(3)}
    gap = good["g0"].copy() + 5
    gap.iloc[20:28] = np.nan  # 8 missing months: over data.max_gap (5)
    bad = {"short": good["g1"][:7], "flat": pd.Series(3.0, index=months),
           "gappy": gap.dropna()}  # the long file simply lacks those rows
    path = write_long(tmp_path / "mixed.csv", {**good, **bad})
    done = cli("run", "--data", f"long:{path}", "--protocol", "fixed", "--horizon", "6",
               "--models", "naive,drift", "--out", str(tmp_path / "r"), "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = runs(tmp_path / "r")[0]
    skipped = pd.read_csv(folder / "skipped.csv", keep_default_na=False).set_index("series")
    assert skipped.model.to_dict() == {"flat": "", "gappy": "", "short": ""}
    assert all(sid in reason for sid, reason in skipped.reason.items())
    # short: 1 value to train, no more than the period 12: MASE's scale is undefined there
    assert "MASE's scale" in skipped.reason["short"]
    forecasts = pd.read_csv(folder / "forecasts.csv")
    assert forecasts.groupby("series").model.agg(set).to_dict() == {
        f"g{i}": {"naive", "naive2", "drift"} for i in range(3)}


class AlwaysFails(Forecaster):
    """Fails on every series."""

    def _fit(self, y):
        raise ValueError("never converges")

    def _predict(self, history, horizon):
        return np.zeros(horizon)


class FailsOnB(Forecaster):
    """The random walk, except that it fails on series whose first value is above 1000."""

    def _fit(self, y):
        if y[0] > 1000:
            raise ValueError("did not converge")

    def _predict(self, history, horizon):
        return np.full(horizon, history[-1])


def collection_plans(data: dict[str, pd.Series], split: WalkForward,
                     prototypes: dict[str, Forecaster]) -> list[SeriesPlan]:
    return [SeriesPlan(sid, s, split.split(len(s)), split.horizon, prototypes)
            for sid, s in data.items()]


def test_a_model_failing_on_one_series_is_recorded_and_left_out_of_the_aggregate():
    data = {"A": random_walk(60, seed=4), "B": random_walk(60, seed=5, start=2000.0),
            "C": random_walk(60, seed=6)}
    split = WalkForward(test_size=10, folds=1, horizon=2)
    result = run_plans(collection_plans(data, split, {"naive": models.get("naive"),
                                                      "fails": FailsOnB(), "never": AlwaysFails()}))
    status = result.status.set_index(["series", "model"])
    assert status.loc[("B", "fails"), "status"] == "failed"
    assert (status.xs("never", level="model").status == "failed").all()
    assert (status.drop(("B", "fails")).drop("never", level="model").status == "ok").all()
    folds = pd.DataFrame([{"series": sid, **row} for sid, s in data.items()
                          for row in fold_rows(split.split(len(s)), s)])
    record = RunRecord("r", 'name = "r"\n',
                       pd.DataFrame(columns=["series", "date", "value"]),
                       pd.DataFrame({"id": list(data)}),
                       pd.DataFrame(columns=SKIPPED_COLUMNS),
                       folds, result.forecasts, result.status, result.members, {}, {})
    analysis = analyse_collection(record)
    assert analysis.common == ["A", "C"]
    assert analysis.summary.set_index("model").n_series.eq(2).all()
    assert set(analysis.summary.model) == {"naive", "fails"}
    assert any("fails on 2 of 3: 1 failed or unscored; left out: B" in n for n in analysis.notes)
    assert any(n.startswith("Left out of every table: never") for n in analysis.notes)


@pytest.mark.parametrize("name,params", [("naive", {}), ("drift", {}),
                                         ("arima", {"order": [1, 1, 0]}),
                                         ("mlp", {"lags": 3, "hidden": [3], "max_iter": 100})])
def test_no_look_ahead_within_or_across_series(name, params):
    """Changing a series' test values moves none of its forecasts; changing one series moves
    no other series' forecasts (per-series models)."""
    data = {sid: random_walk(80, seed=seed) for sid, seed in (("A", 7), ("B", 8), ("C", 9))}
    split = WalkForward(test_size=12, folds=2, horizon=3)  # the last origin is 77
    prototypes = {name: models.get(name, **params)}
    base = run_plans(collection_plans(data, split, prototypes)).forecasts.drop(columns="y_true")
    future = {**data, "B": data["B"].where(np.arange(80) < 77, data["B"] + 50.0)}
    moved = run_plans(collection_plans(future, split, prototypes)).forecasts.drop(columns="y_true")
    pd.testing.assert_frame_equal(base, moved)
    other = {**data, "B": data["B"] * 1.5}
    changed = run_plans(collection_plans(other, split, prototypes)).forecasts.drop(columns="y_true")
    assert not changed[changed.series == "B"].y_pred.equals(base[base.series == "B"].y_pred)
    pd.testing.assert_frame_equal(base[base.series != "B"], changed[changed.series != "B"])


@pytest.mark.parametrize("source", ["csv", "long"])
def test_a_single_series_run_reads_its_file_once(tmp_path, monkeypatch, source):
    series, path = random_walk(60, seed=4).rename("A"), tmp_path / "one.csv"
    series.index.name = "date"
    if source == "long":
        write_long(path, {"A": series})
    else:
        series.to_csv(path)
    reads, read_csv = [], csv_input.read_csv

    def counted(*args: object, **kwargs: object) -> pd.DataFrame:
        reads.append(args[0])
        return read_csv(*args, **kwargs)

    monkeypatch.setattr(csv_input, "read_csv", counted)
    cfg = config.from_dict({"name": "t", "data": {"source": f"{source}:{path}"},
                            "split": SPLIT, "models": {"naive": {}}})
    runner.run(cfg, tmp_path / "runs", use_cache=False)
    assert reads == [path]
