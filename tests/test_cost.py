"""Accuracy against cost: the Pareto front against hand-made examples, CPU seconds in the
status of a run, the cost table of a single-series and of a collection run checked against
their status.csv by hand, and a run folder made before CPU seconds were recorded."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench import models
from forecast_bench.benchmarks import cli
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import SeriesPlan, run_plans
from forecast_bench.evaluation.scoring.cost import cost_table, pareto_front
from forecast_bench.models.base import Forecaster
from tests.conftest import random_walk
from tests.test_collection_run import single_and_collection_runs
from tests.test_report import Page

EXAMPLE = Path(__file__).resolve().parents[1] / "results" / "example"
TIMINGS = ["fit_seconds", "predict_seconds", "fit_cpu_seconds", "predict_cpu_seconds"]


def test_pareto_front_by_hand():
    #            a    b    c    d    e    f    g       h
    cost = [1.0, 2.0, 2.0, 3.0, 0.5, 4.0, 4.0, np.nan]
    error = [5.0, 3.0, 4.0, 3.0, 9.0, 1.0, 1.0, 0.1]
    # b beats c (same cost, lower error) and d (same error, lower cost); f and g tie on both:
    # neither dominates the other, both stay; h has no cost: never on it, pushes none off
    front = pareto_front(np.array(cost), np.array(error))
    assert front.tolist() == [True, True, False, False, True, True, True, False]


def test_pareto_front_of_identical_points_keeps_them_all_and_nan_error_is_off():
    assert pareto_front(np.ones(3), np.ones(3)).tolist() == [True] * 3
    assert pareto_front(np.array([1.0, 2.0]), np.array([np.nan, 5.0])).tolist() == [False, True]


def status_rows(rows: list[tuple[str, float, float, float | None]]) -> pd.DataFrame:
    """model, wall, cpu per task (fit only; predict 0), cpu None: not recorded."""
    return pd.DataFrame([{"model": m, "fit_seconds": w, "predict_seconds": 0.0,
                          "fit_cpu_seconds": np.nan if c is None else c,
                          "predict_cpu_seconds": np.nan if c is None else 0.0}
                         for m, w, c in rows])


def test_cost_table_divides_by_series_and_by_the_reference():
    status = status_rows([("naive", 1.0, 0.5), ("naive", 1.0, 0.5), ("slow", 8.0, 16.0),
                          ("slow", 4.0, 8.0)])
    accuracy = pd.DataFrame({"model": ["slow", "naive"], "owa": [0.8, 1.0]})
    table = cost_table(status, accuracy, "owa", "OWA", "naive", {"slow": 3, "naive": 2})
    frame = table.frame.set_index("model")
    assert frame.loc["slow", "wall_per_series"] == pytest.approx(12.0 / 3)
    assert frame.loc["slow", "cpu_per_series"] == pytest.approx(24.0 / 3)
    assert frame.loc["naive", "cpu_per_series"] == pytest.approx(1.0 / 2)
    assert frame.loc["slow", "cpu_vs_ref"] == pytest.approx(8.0 / 0.5)
    assert frame.loc["slow", "wall_vs_ref"] == pytest.approx(4.0 / 1.0)
    assert frame.pareto.tolist() == ["yes", "yes"] and table.basis == "CPU"
    assert list(table.frame.model) == ["slow", "naive"]  # the order of the accuracy table


def test_cost_table_without_cpu_seconds_says_not_measured_and_uses_wall():
    status = status_rows([("a", 1.0, None), ("b", 2.0, None), ("c", 3.0, None)])
    accuracy = pd.DataFrame({"model": ["a", "b", "c"], "rmse": [2.0, 1.0, 1.5]})
    table = cost_table(status, accuracy, "rmse", "RMSE", "missing-reference")
    assert table.basis == "wall" and table.reference == "a"  # no such model: the first
    assert table.frame.pareto.tolist() == ["yes", "yes", "no"]
    markdown = table.render("md")
    assert "Pareto front (wall)" in markdown and "| n/a" in markdown
    assert ",," in table.render("csv")  # empty, not "n/a", in CSV
    assert any("not recorded" in note for note in table.notes())


# long enough that CPU spent meanwhile by other threads of the process (an earlier test's
# pools) stays well under half of it: with 0.05 s the check failed once in a 2-worker run
SLEEP = 0.3


class Sleeps(Forecaster):
    """Fits by sleeping: wall-clock seconds, next to no CPU."""

    def _fit(self, y):
        time.sleep(SLEEP)

    def _predict(self, history, horizon):
        return np.full(horizon, history[-1])


class Spins(Forecaster):
    """Fits by spinning until the process has spent 0.05 s of CPU."""

    def _fit(self, y):
        start = time.process_time()
        while time.process_time() - start < 0.05:
            pass

    def _predict(self, history, horizon):
        return np.full(horizon, history[-1])


def test_status_records_cpu_seconds_apart_from_wall_seconds():
    series = random_walk(40, seed=3)
    split = WalkForward(test_size=4, folds=1, horizon=2)
    plan = SeriesPlan("s", series, split.split(len(series)), split.horizon,
                      {"naive": models.get("naive"), "sleeps": Sleeps(), "spins": Spins()})
    status = run_plans([plan]).status.set_index("model")
    assert (status[TIMINGS] >= 0).all().all()
    assert status.loc["sleeps", "fit_seconds"] >= SLEEP
    assert status.loc["sleeps", "fit_cpu_seconds"] < 0.5 * status.loc["sleeps", "fit_seconds"]
    assert status.loc["spins", "fit_cpu_seconds"] >= 0.05


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """A tiny single-series run and a tiny collection run (3 series)."""
    single, _, many = single_and_collection_runs(tmp_path_factory.mktemp("cost"))
    return single.run_dir, many.run_dir


def by_hand(run_dir: Path) -> pd.DataFrame:
    """Per model: wall and CPU seconds of fit and predict summed over every task, from
    status.csv, divided by the series the model ran on."""
    status = pd.read_csv(run_dir / "status.csv")
    assert (status[TIMINGS] >= 0).all().all()
    sums = status.groupby("model")[TIMINGS].sum()
    n = status.groupby("model")["series"].nunique()
    return pd.DataFrame({"wall": (sums.fit_seconds + sums.predict_seconds) / n,
                         "cpu": (sums.fit_cpu_seconds + sums.predict_cpu_seconds) / n})


@pytest.mark.parametrize("which, metric", [(0, "RMSE (pooled)"), (1, "OWA")])
def test_every_run_writes_the_cost_table_plot_and_report_section(tiny_runs, capsys, which,
                                                                 metric):
    run_dir = tiny_runs[which]
    saved = pd.read_csv(run_dir / "cost.csv").set_index("model")
    expected = by_hand(run_dir)
    for model, row in saved.iterrows():
        assert row.wall_per_series == pytest.approx(expected.loc[model, "wall"], rel=1e-5)
        assert row.cpu_per_series == pytest.approx(expected.loc[model, "cpu"], rel=1e-5)
        assert row.cpu_vs_ref == pytest.approx(row.cpu_per_series
                                               / saved.loc["naive", "cpu_per_series"], rel=1e-5)
    summary = pd.read_csv(run_dir / "summary.csv").set_index("model")
    column = "rmse" if which == 0 else "owa"
    assert list(saved.index) == list(summary.index)  # the main table's order and accuracy
    np.testing.assert_allclose(saved[column], summary[column], rtol=1e-5)
    front = pareto_front(saved.cpu_per_series.to_numpy(), saved[column].to_numpy())
    assert (saved.pareto == np.where(front, "yes", "no")).all() and front.any()
    for ext in ("md", "tex", "html"):
        assert (run_dir / "tables" / f"cost.{ext}").is_file()
    page = Page((run_dir / "report.html").read_text(encoding="utf-8"))
    assert "cost" in page.sections and "accuracy against cost" in page.images
    assert cli.main(["table", str(run_dir), "--table", "cost", "--format", "csv"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert printed.columns[1] == metric and "Pareto front (CPU)" in printed.columns
    assert list(printed.model) == list(saved.index)


def test_a_run_made_before_cpu_seconds_gives_its_table_with_n_a(capsys):
    """results/example's status.csv has no CPU columns: wall seconds only, CPU n/a."""
    assert "fit_cpu_seconds" not in pd.read_csv(EXAMPLE / "status.csv", nrows=1).columns
    assert cli.main(["table", str(EXAMPLE), "--table", "cost"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("| naive ")]
    assert lines and "n/a" in lines[0] and "Pareto front (wall)" in out
