"""`forecast-bench compare` on collection runs: the aggregates side by side, per-series
Wilcoxon tests checked against scipy on scores computed by hand, the window warning, and
a single-series run against a collection, compared as collections."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.cli import main
from forecast_bench.benchmarks.compare_collections import paired_scores, wilcoxon_p
from forecast_bench.benchmarks.run import runner
from forecast_bench.benchmarks.run_diff import change_percent
from forecast_bench.evaluation.run_folder.record import load_run
from tests.conftest import random_walk
from tests.test_collection_run import write_long


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    """Eight random walks on the same dates: every series has forecasts for the same
    (fold, origin, step), which the single-series comparison could not tell apart."""
    path = tmp_path_factory.mktemp("data") / "walks.csv"
    return f"long:{write_long(path, {f's{i}': random_walk(60, seed=i) for i in range(8)})}"


def collection_run(root: Path, source: str, smooth: str, test_size: int = 8) -> Path:
    cfg = config.from_dict({
        "name": "walks", "levels": [], "data": {"source": source},
        "split": {"test_size": test_size, "folds": 2, "horizon": 2},
        "models": {"naive": {}, "drift": {}, "smooth": {"model": smooth}}})
    return runner.run(cfg, root, use_cache=False).run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory, source) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runs")
    return collection_run(root / "a", source, "ses"), collection_run(root / "b", source, "holt")


def compare(capsys, first: Path, second: Path) -> tuple[int, str, str]:
    code = main(["compare", str(first), str(second)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def mase_by_hand(run: Path, model: str) -> pd.Series:
    """Each series' MASE from forecasts.csv and folds.csv with numpy: mean |error| / the fold's
    in-sample naive MAE."""
    forecasts = pd.read_csv(run / "forecasts.csv", dtype={"series": str})
    folds = pd.read_csv(run / "folds.csv", dtype={"series": str})
    rows = forecasts[forecasts.model == model].merge(folds[["series", "fold", "naive_mae_train"]])
    scaled = np.abs(rows.y_true - rows.y_pred) / rows.naive_mae_train
    return scaled.groupby(rows.series).mean()


def smape_by_hand(run: Path, model: str) -> pd.Series:
    forecasts = pd.read_csv(run / "forecasts.csv", dtype={"series": str})
    rows = forecasts[forecasts.model == model]
    terms = 200 * np.abs(rows.y_true - rows.y_pred) / (np.abs(rows.y_true) + np.abs(rows.y_pred))
    return terms.groupby(rows.series).mean()


def row(text: str, title: str, model: str) -> list[str]:
    """The cells of `model`'s row in the table under the line starting with `title`."""
    part = text[text.index(title):]
    line = next(line for line in part.splitlines() if line.startswith(f"| {model} "))
    return [cell.strip() for cell in line.split("|")[1:-1]]


def test_collections_compare_side_by_side_with_wilcoxon(capsys, runs):
    first, second = runs
    code, out, err = compare(capsys, first, second)
    assert code == 0, err
    assert "WARNING" not in out and "Aggregate scores" in out
    assert "models.smooth.model: 'ses' -> 'holt'" in out
    summary = {run: pd.read_csv(run / "summary.csv").set_index("model") for run in runs}
    cells = row(out, "Aggregate scores", "drift")
    assert float(cells[3]) == pytest.approx(summary[first].mase_mean["drift"], abs=5e-4)
    assert float(cells[4]) == pytest.approx(summary[second].mase_mean["drift"], abs=5e-4)
    for title, by_hand in (("Paired per-series MASE", mase_by_hand),
                           ("Paired per-series sMAPE", smape_by_hand)):
        a, b = by_hand(first, "smooth"), by_hand(second, "smooth")
        cells = row(out, title, "smooth")
        assert int(cells[1]) == 8
        assert float(cells[2]) == pytest.approx(a.mean(), abs=1e-4)
        assert float(cells[3]) == pytest.approx(b.mean(), abs=1e-4)
        assert float(cells[4]) == pytest.approx(100 * (b.mean() - a.mean()) / a.mean(), abs=1e-3)
        assert cells[5] == f"{int((b < a).sum())} of 8"
        expected = stats.wilcoxon(b.to_numpy() - a.to_numpy()).pvalue
        assert float(cells[6]) == pytest.approx(expected, abs=1e-4)
        assert row(out, title, "naive")[-1] == "1.0000"  # the same forecasts in both runs


def test_paired_scores_match_numpy_and_scipy(runs):
    first, second = runs
    records = [load_run(run) for run in runs]
    a, b = paired_scores(*records, "smooth", "mase")
    np.testing.assert_allclose(a, mase_by_hand(first, "smooth").to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(b, mase_by_hand(second, "smooth").to_numpy(), rtol=1e-9)
    assert wilcoxon_p(a, b) == pytest.approx(stats.wilcoxon(b, a).pvalue, rel=1e-12)


def test_change_percent_on_explicit_numbers():
    assert change_percent(10, 6) == pytest.approx(-40.0)
    assert change_percent(6, 9) == pytest.approx(50.0)
    assert np.isnan(change_percent(0, 1))
    assert wilcoxon_p(np.array([1.0]), np.array([2.0])) != wilcoxon_p(np.array([1.0]),
                                                                      np.array([2.0]))  # NaN


def test_other_windows_warn_and_show_no_change(capsys, runs, source, tmp_path):
    other = collection_run(tmp_path, source, "holt", test_size=6)
    code, out, _ = compare(capsys, runs[0], other)
    assert code == 0
    assert "WARNING: A and B were tested on different windows" in out
    assert "change %" not in out and "Wilcoxon p" in out


def test_a_single_series_run_compares_with_a_collection_as_collections(capsys, runs, tmp_path):
    """Any two run folders compare: a one-series run against a collection is compared as two
    collections, with the window warning (the series differ) and no paired series."""
    cfg = config.from_dict({"name": "one", "levels": [], "data": {"source": "msft", "last": 120},
                            "split": {"test_size": 10, "folds": 1, "horizon": 1},
                            "models": {"naive": {}}})
    single = runner.run(cfg, tmp_path, use_cache=False).run_dir
    for pair in ((single, runs[0]), (runs[0], single)):
        code, out, err = compare(capsys, *pair)
        assert code == 0 and err == ""
        assert "WARNING: A and B were tested on different windows (the series differ" in out
        assert "Aggregate scores" in out and "change %" not in out
        paired = [line for line in out.splitlines() if line.startswith("| naive ")]
        assert paired and all("0 of 0" in line for line in paired[1:])


def test_filled_last_targets_leave_the_horizon_as_configured(tmp_path, capsys):
    """A series whose last two targets were filled has no forecast rows for them; compare
    still reads its horizon from the folds ("dataset": M4's 14 for daily series), not from the
    steps it scored."""
    series = {f"s{i}": random_walk(40, seed=i) for i in range(3)}
    series["s0"].iloc[-2:] = np.nan
    source = f"long:{write_long(tmp_path / 'gaps.csv', series)}"
    runs = []
    for smooth in ("ses", "holt"):
        cfg = config.from_dict({
            "name": "gaps", "levels": [], "data": {"source": source},
            "split": {"protocol": "fixed", "horizon": "dataset"},
            "models": {"naive": {}, "smooth": {"model": smooth}}})
        runs.append(runner.run(cfg, tmp_path / smooth, use_cache=False).run_dir)
    steps = pd.read_csv(runs[0] / "forecasts.csv", dtype={"series": str}).groupby("series").step
    assert steps.max().to_dict() == {"s0": 12, "s1": 14, "s2": 14}  # s0's last two: no rows
    code, out, _ = compare(capsys, *runs)
    assert code == 0
    assert "horizon 14)" in out and "horizon 12" not in out and "differ" not in out


def test_report_writes_one_series_sections_of_a_collection_run(capsys, runs, tmp_path):
    """`report RUN --series ID` on a collection run: that series' single-series report (EDA,
    Diebold-Mariano tests, forecast plots) in RUN/series/ID/, from its own forecasts; the run's
    own report untouched; an unknown series is a one-line error."""
    run = tmp_path / "run"
    shutil.copytree(runs[0], run)
    before = (run / "report.html").read_bytes()
    assert main(["report", str(run), "--series", "s3"]) == 0
    folder = run / "series" / "s3"
    assert str(folder / "report.html") in capsys.readouterr().out
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Diebold-Mariano" in html and (folder / "plots" / "eda_price.png").is_file()
    summary = pd.read_csv(folder / "summary.csv").set_index("model")
    forecasts = pd.read_csv(run / "forecasts.csv", dtype={"series": str})
    mine = forecasts[(forecasts.series == "s3") & (forecasts.model == "drift")]
    by_hand = float(np.sqrt(np.mean((mine.y_true - mine.y_pred) ** 2)))
    assert summary.loc["drift", "rmse"] == pytest.approx(by_hand, rel=1e-9)
    assert (run / "report.html").read_bytes() == before
    assert main(["report", str(run), "--series", "nope"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "no evaluated series 'nope'" in error


def test_a_collection_run_writes_the_pairwise_wilcoxon_holm_table(capsys, runs):
    """wilcoxon_holm.csv: each pair of models, Wilcoxon on the per-series MASE of
    series_scores.csv (scipy by hand), Holm over the three pairs; `table --table wilcoxon`."""
    run = runs[0]
    table = pd.read_csv(run / "wilcoxon_holm.csv").set_index(["model_a", "model_b"])
    scores = pd.read_csv(run / "series_scores.csv", dtype={"series": str})
    wide = scores.pivot(index="series", columns="model", values="mase")
    assert len(table) == 3 and (table.series == len(wide)).all()
    for (a, b), row in table.iterrows():
        assert row.p == pytest.approx(stats.wilcoxon(wide[b], wide[a]).pvalue, rel=1e-9)
    assert (table.p_holm >= table.p).all() and (table.p_holm <= 1).all()
    assert main(["table", str(run), "--table", "wilcoxon"]) == 0
    assert "Holm p" in capsys.readouterr().out


def test_a_collection_run_writes_the_model_confidence_set_and_wilcoxon_diagram(capsys, runs):
    """mcs.csv: arch's MCS on series_scores.csv's MASE (iid draws of series, the run's seed
    0); the Wilcoxon-Holm diagram beside the CD diagram, both in the report; `table --table
    mcs`."""
    from arch.bootstrap import MCS

    run = runs[0]
    scores = pd.read_csv(run / "series_scores.csv", dtype={"series": str})
    wide = scores.pivot(index="series", columns="model", values="mase")
    direct = MCS(wide, size=0.1, reps=1000, block_size=1, method="R", seed=0)
    direct.compute()
    table = pd.read_csv(run / "mcs.csv").set_index("model")
    assert set(table.index) == {"naive", "drift", "smooth"} and (table.n == 8).all()
    np.testing.assert_allclose(table.loc[direct.pvalues.index, "mcs_p"],
                               direct.pvalues["Pvalue"], rtol=1e-9)
    np.testing.assert_allclose(table.loc[wide.columns, "loss_mean"], wide.mean(), rtol=1e-9)
    assert set(table.index[table.in_set]) == set(direct.included)
    for name in ("plots/wilcoxon_diagram.png", "plots/cd_diagram.png", "tables/mcs.md",
                 "tables/mcs.tex", "tables/mcs.html"):
        assert (run / name).is_file(), name
    report = (run / "report.html").read_text(encoding="utf-8")
    assert 'alt="Wilcoxon-Holm critical-difference diagram"' in report
    assert "Model confidence set (Hansen, Lunde &amp; Nason 2011)" in report
    assert main(["table", str(run), "--table", "mcs", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("model,in set,MCS p") and len(out.strip().splitlines()) == 4
