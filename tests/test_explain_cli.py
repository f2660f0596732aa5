"""`forecast-bench explain`: from a run folder or a config, the run's own network, linked from
the report; clear errors when there is no recurrent model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.cli import main
from forecast_bench.benchmarks.run import runner
from forecast_bench.evaluation.run_folder.record import load_run

TINY = {"look_back": 8, "units": [4, 3], "dense": [], "epochs": 2, "batch_size": 16}


def tiny_config(path: Path) -> dict:
    return {"name": "tiny", "data": {"source": "msft", "last": 260},
            "split": {"test_size": 40, "folds": 2},
            "models": {"naive": {}, "net": {"model": "lstm", **TINY}}}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("explain")
    return runner.run(config.from_dict(tiny_config(root)), root / "results").run_dir


def test_explain_a_run_writes_its_files_and_the_report_links_them(run_dir, capsys):
    assert main(["explain", str(run_dir)]) == 0
    assert "net:" in capsys.readouterr().out
    folder = run_dir / "explain"
    names = {p.name for p in folder.iterdir()}
    assert {"explain.md", "gates.csv", "parameters.csv"} <= names
    assert any(name.startswith("gates_") and name.endswith(".png") for name in names)
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert '<section id="explain">' in report and 'href="explain/explain.md"' in report
    parameters = pd.read_csv(folder / "parameters.csv")
    units = TINY["units"]
    lstm = 4 * (units[0] * (units[0] + 1) + units[0]) + 4 * (units[1] * sum(units) + units[1])
    assert parameters["count"].sum() == lstm + units[1] + 1  # + Dense(1)


def test_the_explained_network_is_the_one_the_run_trained(run_dir):
    """Refitting with the run's seed on the last fold's training part gives the run's own
    forecasts for that fold, so explain shows the network the run used."""
    record = load_run(run_dir).one()
    model = config.build_models(config.from_dict(record.config))["net"]
    last = record.folds.iloc[-1]
    end = int(last.first_origin)
    values = record.series.to_numpy(dtype=float)
    model.fit(values[end - int(last.n_train):end])
    origins = np.arange(end, end + int(last.n_test))
    mine = model.predict_origins(values[: end + int(last.n_test)], origins, 1)[:, 0]
    saved = record.forecasts.query("model == 'net' and fold == @last.fold").y_pred.to_numpy()
    np.testing.assert_allclose(mine, saved, atol=1e-5)


def test_explain_from_a_config_makes_a_new_folder(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text('name = "tiny"\n[data]\nsource = "msft"\nlast = 260\n[split]\n'
                    'test_size = 40\nfolds = 2\n[models.net]\nmodel = "gru"\nlook_back = 8\n'
                    'units = [4]\ndense = []\nepochs = 2\n')
    assert main(["explain", "--config", str(path), "--out", str(tmp_path / "r")]) == 0
    (folder,) = (tmp_path / "r").glob("*-tiny-explain-*")
    assert (folder / "explain" / "explain.md").is_file()


def test_explain_without_a_recurrent_model_is_a_one_line_error(tmp_path, capsys):
    run = runner.run(config.from_dict({"name": "plain", "data": {"source": "msft", "last": 200},
                                       "split": {"test_size": 20, "folds": 1},
                                       "models": {"drift": {}}}), tmp_path / "r").run_dir
    assert main(["explain", str(run)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "no LSTM or GRU model" in error
    assert main(["explain", str(run), "--model", "drift"]) == 2
    assert "'drift' is not an LSTM or GRU" in capsys.readouterr().err


def test_explain_works_on_a_collection_run_for_the_series_named(tmp_path, capsys):
    """A collection run: without --series a one-line error naming the choice; with it, the
    series' own explanation under explain/<series>/."""
    csv = tmp_path / "two.csv"
    dates = pd.date_range("2020-01-01", periods=80, freq="D")
    rng = np.random.default_rng(0)
    pd.DataFrame({"date": dates, "a": 100 + rng.normal(size=80).cumsum(),
                  "b": 50 + rng.normal(size=80).cumsum()}).to_csv(csv, index=False)
    cfg = {"name": "two", "levels": [], "data": {"source": f"wide:{csv}"},
           "split": {"test_size": 10, "folds": 1, "horizon": 1},
           "models": {"net": {"model": "lstm", **TINY}}}
    run = runner.run(config.from_dict(cfg), tmp_path / "r", use_cache=False).run_dir
    assert main(["explain", str(run)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "--series" in error
    assert main(["explain", str(run), "--series", "b"]) == 0
    assert (run / "explain" / "b" / "explain.md").is_file()
    assert main(["explain", str(run), "--series", "zz"]) == 2
    assert "no evaluated series 'zz'" in capsys.readouterr().err
