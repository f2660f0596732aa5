"""report.html: every section and image present and self-contained; rebuilt from saved files;
`compare` between two runs."""

from __future__ import annotations

import base64
import dataclasses
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.compare import compare_runs
from forecast_bench.benchmarks.run import runner
from forecast_bench.benchmarks.run.outputs import write_outputs
from forecast_bench.evaluation.reporting.report import render_report
from forecast_bench.evaluation.run_folder.record import load_run
from forecast_bench.models.errors import DataError

SECTIONS = {"headline", "data", "folds", "summary", "ranks", "per-fold", "intervals", "dm",
            "forecasts", "training", "fitted", "failures", "manifest", "cost", "mcs"}
IMAGES = {"eda price", "eda moving averages", "eda returns", "eda boxplots",
          "train and test spans", "RMSE per fold", "DM p-value heatmap", "actual vs predicted",
          "cumulative squared-error difference against naive", "coverage by horizon step",
          "forecasts with interval bands", "accuracy against cost"}
PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Section ids, images (alt -> decoded bytes), links and every tag's external references."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: list[str] = []
        self.images: dict[str, bytes] = {}
        self.external: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs["id"])
        if tag == "img":
            header, _, data = attrs["src"].partition(",")
            assert header == "data:image/png;base64"
            self.images[attrs["alt"]] = base64.b64decode(data)
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)


def make_run(tmp_path: Path, horizon: int = 1, models: dict | None = None) -> Path:
    cfg = config.from_dict({
        "name": "tiny",
        "levels": [80, 95],
        "data": {"source": "msft", "last": 320},
        "split": {"test_size": 60, "folds": 2, "horizon": horizon},
        "models": models or {"naive": {}, "drift": {}, "arima": {"order": [1, 1, 0]}},
    })
    return runner.run(cfg, tmp_path / "results").run_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("report"))


def test_report_has_every_section_and_embedded_image(run_dir):
    page = Page((run_dir / "report.html").read_text(encoding="utf-8"))
    assert set(page.sections) == SECTIONS and "per-step" not in page.sections
    assert set(page.images) == IMAGES
    assert all(image.startswith(PNG) and len(image) > 5000 for image in page.images.values())
    assert page.external == []  # readable offline: no file or URL outside the page
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    summary = pd.read_csv(run_dir / "summary.csv")
    for value in summary.rmse:  # the table shows the saved figures
        assert f"{value:.4f}" in text
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["data"]["sha256"] in text and manifest["packages"]["numpy"] in text
    assert "None: every model ran on every fold." in text


def test_run_writes_tables_in_four_formats_and_plots(run_dir):
    for name in ("summary", "folds", "ranks", "dm", "intervals", "cost"):
        for ext in ("md", "tex", "html"):
            assert (run_dir / "tables" / f"{name}.{ext}").stat().st_size > 50
    plots = {p.stem for p in (run_dir / "plots").iterdir()}
    assert plots == {"eda_price", "eda_moving_averages", "eda_returns", "eda_boxplots",
                     "folds_timeline", "actual_vs_predicted", "error_by_fold",
                     "cumulative_loss_vs_naive", "dm_pvalues", "fan_chart", "coverage_by_step",
                     "cost"}
    stationarity = pd.read_csv(run_dir / "stationarity.csv")
    assert set(stationarity.test) == {"ADF", "KPSS"}


def test_the_model_confidence_set_and_holm_over_the_dm_pairs(run_dir, capsys):
    """mcs.csv: arch's MCS on the squared errors per origin computed here with numpy (block
    max(h, n^(1/3)), the run's seed); dm_holm.csv: Holm over the three DM pairs;
    `table --table mcs` and `--table dm_holm` print them."""
    from arch.bootstrap import MCS
    from statsmodels.stats.multitest import multipletests

    from forecast_bench.benchmarks.cli import main

    forecasts = pd.read_csv(run_dir / "forecasts.csv")
    errors = forecasts.assign(se=(forecasts.y_true - forecasts.y_pred) ** 2)
    wide = errors.pivot_table(index=["fold", "origin"], columns="model", values="se")
    wide = wide[["naive", "drift", "arima"]]
    table = pd.read_csv(run_dir / "mcs.csv").set_index("model")
    assert (table.n == len(wide)).all() and len(wide) == 60  # one origin per test value
    np.testing.assert_allclose(table.loc[wide.columns, "loss_mean"], wide.mean(), rtol=1e-9)
    direct = MCS(wide.reset_index(drop=True), size=0.1, reps=1000, block_size=4, method="R",
                 seed=0)  # horizon 1, 60 origins: ceil(60^(1/3)) = 4
    direct.compute()
    np.testing.assert_allclose(table.loc[direct.pvalues.index, "mcs_p"],
                               direct.pvalues["Pvalue"], rtol=1e-9)
    assert set(table.index[table.in_set]) == set(direct.included)
    raw = pd.read_csv(run_dir / "dm_pvalues.csv", index_col=0)
    holm = pd.read_csv(run_dir / "dm_holm.csv", index_col=0)
    pairs = [("naive", "drift"), ("naive", "arima"), ("drift", "arima")]
    expected = multipletests([raw.loc[a, b] for a, b in pairs], method="holm")[1]
    np.testing.assert_allclose([holm.loc[a, b] for a, b in pairs], expected, rtol=1e-5)
    for name, header in (("mcs", "MCS p"), ("dm_holm", "naive")):
        assert main(["table", str(run_dir), "--table", name]) == 0
        assert header in capsys.readouterr().out
    assert "Model confidence set" in (run_dir / "summary.md").read_text()


def test_report_rebuilds_the_same_figures_from_saved_files(run_dir, tmp_path):
    saved = {name: (run_dir / name).read_text() for name in
             ("summary.csv", "metrics_by_fold.csv", "ranks.csv", "dm_pvalues.csv", "summary.md")}
    copy = tmp_path / run_dir.name
    copy.mkdir()
    for name in ("config.toml", "series.csv", "folds.csv", "forecasts.csv", "status.csv",
                 "histories.json", "manifest.json"):
        (copy / name).write_bytes((run_dir / name).read_bytes())
    write_outputs(load_run(copy), copy)
    for name, text in saved.items():
        assert (copy / name).read_text() == text, name
    assert set(Page((copy / "report.html").read_text()).sections) == SECTIONS


def test_failures_and_incomplete_runs_are_shown(run_dir):
    record = load_run(run_dir).one()
    status = record.status.copy()
    status.loc[status.model == "arima", ["status", "reason"]] = ["failed", "LinAlgError: boom"]
    broken = dataclasses.replace(record, status=status, manifest={})
    tables = dict.fromkeys(("summary", "ranks", "folds", "dm"), "<table></table>")
    text = render_report(broken, _analysis(broken), {}, tables)
    assert "LinAlgError: boom" in text and "left out of every score" in text
    assert "This run did not finish" in text


def test_multi_step_run_has_a_per_step_table(tmp_path):
    run = make_run(tmp_path, horizon=3, models={"naive": {}, "drift": {}})
    page = Page((run / "report.html").read_text(encoding="utf-8"))
    assert "per-step" in page.sections
    steps = pd.read_csv(run / "metrics_by_step.csv")
    assert sorted(steps.step.unique()) == [1, 2, 3]


def test_load_run_names_what_is_missing(tmp_path):
    with pytest.raises(DataError, match=r"lacks config\.toml"):
        load_run(tmp_path)
    with pytest.raises(DataError, match="is not a folder"):
        load_run(tmp_path / "nope")


def test_compare_reports_changes_and_tests_them(run_dir, tmp_path):
    other = make_run(tmp_path, models={"naive": {}, "arima": {"order": [2, 1, 0]},
                                       "seasonal_naive": {"period": 5}})
    text = compare_runs(load_run(run_dir).one(), load_run(other).one())
    assert "data: same" in text and "folds: same" in text
    assert "models.arima.order: [1, 1, 0] -> [2, 1, 0]" in text
    assert "seasonal_naive (new in B)" in text and "drift (only in A)" in text
    table = {line.split("|")[1].strip(): line for line in text.splitlines()
             if line.startswith("| ")}
    assert table["naive"].rstrip(" |").endswith("1.0000")  # same forecasts: DM p = 1
    arima = [cell.strip() for cell in table["arima"].split("|")[1:-1]]
    assert 0 <= float(arima[-1]) <= 1
    rmse = []
    for run in (run_dir, other):  # the change in % from the forecasts, by hand
        f = pd.read_csv(run / "forecasts.csv").query("model == 'arima'")
        rmse.append(float(np.sqrt(np.mean((f.y_true - f.y_pred) ** 2))))
    assert float(arima[3]) == pytest.approx(100 * (rmse[1] - rmse[0]) / rmse[0], abs=1e-4)
    assert "change %: (B - A) / A x 100" in text


def _analysis(record):
    from forecast_bench.evaluation.scoring.analysis import analyse

    return analyse(record)


EXAMPLE = Path(__file__).resolve().parents[1] / "results" / "example"


def test_committed_example_reloads_to_its_own_summary():
    """results/example (make example) is complete, small, and current with this code."""
    size = sum(p.stat().st_size for p in EXAMPLE.rglob("*") if p.is_file())
    assert size < 5 * 2**20  # 13 models since the statistical rows (3.5 MiB), was 6 (2 MiB)
    record = load_run(EXAMPLE).one()
    assert record.manifest["status"] == "complete"
    summary = _analysis(record).summary
    saved = pd.read_csv(EXAMPLE / "summary.csv")
    assert list(summary.model) == list(saved.model)
    numeric = saved.select_dtypes("number").columns
    pd.testing.assert_frame_equal(summary[numeric].astype(float), saved[numeric].astype(float),
                                  rtol=1e-8)
    assert set(Page((EXAMPLE / "report.html").read_text(encoding="utf-8")).sections) == SECTIONS
