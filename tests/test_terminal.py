"""What a new user sees in a terminal: `run`'s summary fits 100 columns, `compare` is readable
and honest about windows, `models NAME` explains a model's parameters; and the report's split
sentence and fan chart say and draw what the harness does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks import cli
from tests.conftest import random_walk

WIDTH = 100
SINGLE_MODELS = """
[models.naive]
[models.drift]
[models.ses]
[models.theta]
[models.seasonal_naive]
[models.arima_110_fixed]
model = "arima"
order = [1, 1, 0]
"""


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_fits(text: str) -> None:
    wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not wide, f"{len(wide)} line(s) over {WIDTH} columns, e.g. {wide[0]!r}"


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> tuple[Path, str]:
    """A single-series run of six models (labels up to 15 characters), as the CLI prints it."""
    folder = tmp_path_factory.mktemp("single")
    y = random_walk(200, seed=5)
    pd.DataFrame({"Date": y.index.strftime("%Y-%m-%d"), "Close": y.values}).to_csv(
        folder / "prices.csv", index=False)
    (folder / "run.toml").write_text(
        f'name = "term"\nlevels = [80, 95]\n[data]\nsource = "csv:{folder / "prices.csv"}"\n'
        f'[split]\ntest_size = 40\nfolds = 2\n{SINGLE_MODELS}')
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        out = _capture(lambda: cli.main(["run", "run.toml", "--out", "results", "--quiet"]))
    return folder, out


def _capture(call) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert call() == 0
    return buffer.getvalue()


def test_run_summary_fits_100_columns_and_notes_only_what_it_shows(single_run):
    _, out = single_run
    assert_fits(out)
    assert "| arima_110_fixed" in out and "| seasonal_naive" in out
    header = next(line for line in out.splitlines() if line.startswith("| model"))
    for column in ("RMSE", "RMSE/naive", "DM p", "MASE", "mean rank"):
        assert column in header
    for hidden in ("fold std", "direction %", "MAE (pooled)", "seconds", "folds ok"):
        assert hidden not in out  # neither a column nor a note about one
    notes = [line for line in out.splitlines() if line.startswith("- ")]
    assert len(notes) <= 8
    assert "summary.md" in out and out.strip().splitlines()[-1].startswith("results: results/")
    assert "80% coverage" in out  # the intervals, one row per model


def joined_run(folder: Path, models: dict, horizon: int) -> tuple[str, Path]:
    """`run` on a 200-value csv with 8 test values in 2 folds, as printed, wrapped lines joined."""
    y = random_walk(200, seed=5)
    pd.DataFrame({"Date": y.index.strftime("%Y-%m-%d"), "Close": y.values}).to_csv(
        folder / "prices.csv", index=False)
    entries = "".join(f"[models.{name}]\n" for name in models)
    (folder / "run.toml").write_text(
        f'name = "dm"\nlevels = []\n[data]\nsource = "csv:{folder / "prices.csv"}"\n'
        f"[split]\ntest_size = 8\nfolds = 2\nhorizon = {horizon}\n{entries}")
    out = _capture(lambda: cli.main(["run", str(folder / "run.toml"), "--out",
                                     str(folder / "results"), "--quiet", "--no-cache"]))
    assert_fits(out.split("results: ")[0])  # the run folder's path is as long as tmp_path
    return out.replace("\n  ", " "), next((folder / "results").iterdir())


def test_run_summary_says_why_the_dm_column_is_missing(tmp_path):
    from forecast_bench.evaluation.scoring.significance import dm_shortfall

    out, run = joined_run(tmp_path, {"naive": {}, "ses": {}}, horizon=4)
    header = next(line for line in out.splitlines() if line.startswith("| model"))
    assert "DM p" not in header
    forecasts = pd.read_csv(run / "forecasts.csv", parse_dates=["origin", "target"])
    reason = dm_shortfall(forecasts, 4)
    assert "needs at least 5" in reason and "have 2 each" in reason  # 1 step-4 forecast a fold
    assert f"- DM p not shown. {reason}" in out


def test_collection_run_summary_fits_100_columns(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    dates = pd.date_range("2010-01-01", periods=60, freq="MS")
    rows = [pd.DataFrame({"unique_id": name, "ds": dates,
                          "y": 100 + np.cumsum(rng.normal(0.5, 2, len(dates)))})
            for name in ("a", "b", "c")]
    pd.concat(rows).to_csv(tmp_path / "long.csv", index=False)
    monkeypatch.chdir(tmp_path)
    out = _capture(lambda: cli.main(["run", "--data", "long:long.csv", "--models",
                                     "naive,drift,ses,theta,seasonal_naive", "--out",
                                     "results", "--quiet"]))
    assert_fits(out)
    assert "sMAPE mean" in out and "OWA" in out and "Friedman" in out
    assert "sMAPE median" not in out and "failed tasks" not in out


def small_run(folder: Path, models: dict, test_size: int = 40, folds: int = 2,
              protocol: str = "rolling") -> Path:
    from forecast_bench.benchmarks import config
    from forecast_bench.benchmarks.run import runner

    y = random_walk(200, seed=5)
    path = folder / "prices.csv"
    if not path.exists():
        pd.DataFrame({"Date": y.index.strftime("%Y-%m-%d"), "Close": y.values}).to_csv(
            path, index=False)
    cfg = config.from_dict({"name": "cmp", "levels": [], "data": {"source": f"csv:{path}"},
                            "split": {"test_size": test_size, "folds": folds,
                                      "protocol": protocol, "horizon": 1},
                            "models": models})
    return runner.run(cfg, folder / "results").run_dir


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> dict[str, str]:
    from forecast_bench.benchmarks.compare import compare_runs
    from forecast_bench.evaluation.run_folder.record import load_run

    folder = tmp_path_factory.mktemp("compare")
    a = small_run(folder, {"naive": {}, "ses": {}})
    b = small_run(folder, {"naive": {}, "ses": {}, "drift": {},
                           "seasonal_naive": {"period": 5}})
    c = small_run(folder, {"naive": {}, "ses": {}}, test_size=30)
    return {"same": compare_runs(load_run(a).one(), load_run(b).one()),
            "other": compare_runs(load_run(a).one(), load_run(c).one())}


def test_compare_shows_dashes_and_only_the_parameters_set_for_an_added_model(compared):
    text = compared["same"]
    assert "nan" not in text.lower()
    table = {line.split("|")[1].strip(): line for line in text.splitlines()
             if line.startswith("| ")}
    assert table["model"].count("change %") == 1 and "WARNING" not in text
    cells = [cell.strip() for cell in table["drift (new in B)"].split("|")[1:-1]]
    assert cells[1] == cells[3] == cells[4] == "-"  # RMSE A, change %, U2 A
    assert "models.drift: added (drift; default parameters)" in text
    assert "models.seasonal_naive: added (seasonal_naive; period = 5)" in text
    assert "models.seasonal_naive.period" not in text and "(added) ->" not in text


def test_compare_warns_when_the_test_windows_differ_and_shows_no_change(compared):
    text = compared["other"]
    assert text.splitlines()[3].startswith("WARNING: A and B were tested on different windows")
    assert "not comparable" in text and "change %" not in text
    assert "nan" not in text.lower()
    assert_fits("\n".join(line for line in text.splitlines() if not line.startswith("|")))


def test_models_name_lists_parameters_defaults_and_meanings(capsys):
    code, out, _ = run_cli(capsys, "models", "arima")
    assert code == 0 and out.startswith("arima: ")
    rows = {line.split()[0]: line for line in out.splitlines()[3:] if line[:1].strip()}
    assert '"auto"' in rows["order"] and "pmdarima.auto_arima" in rows["order"]
    assert rows["max_p"].split()[1:] == ["5", "auto", "only"]  # not the comment above search
    assert '"fast"' in rows["search"] and "auto only" in rows["search"]  # the lines above it
    assert "None: the series'" in out  # seasonal_period's comment continues on the next line
    assert_fits(out)
    code, out, _ = run_cli(capsys, "models")
    assert code == 0 and "seasonal_naive" in out and "parameter" not in out


def test_every_models_parameters_are_listed_within_100_columns():
    from forecast_bench.benchmarks.model_help import describe, parameter_rows
    from forecast_bench.models import available, get

    for name in available():
        text = describe(name)
        assert_fits(text)
        for field, _, _ in parameter_rows(get(name).config_class):
            assert f"\n{field} " in text, (name, field)
    meanings = {row[0]: row[2] for row in parameter_rows(get("gru").config_class)}
    assert meanings["cell"] == "lstm or gru"  # redeclared without a comment: the parent's
    mlp = {row[0]: row[2] for row in parameter_rows(get("mlp").config_class)}
    assert mlp["deseasonalize"].startswith("test")  # inherited from WindowConfig's comment
    assert mlp["max_iter"] == ""  # no comment anywhere: an empty meaning


def test_a_config_without_source_has_empty_meanings():
    import dataclasses

    from forecast_bench.benchmarks.model_help import parameter_rows

    made = dataclasses.make_dataclass("Made", [("lags", int, dataclasses.field(default=3))])
    assert parameter_rows(made) == [("lags", "3", "")]


def test_unknown_model_is_one_line_with_the_closest_name(capsys):
    code, out, err = run_cli(capsys, "models", "arma")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "did you mean 'arima'?" in err


@pytest.mark.parametrize(("folds", "protocol", "says"), [
    (2, "rolling", "each model refitted at the start of each of the 2 folds, then forecast"),
    (1, "rolling", "each model fitted once, on the training part, then forecast from every"
                   " origin with those parameters (no refit)"),
    (1, "fixed", "each model fitted once, on the training part, and forecast from one origin"),
])
def test_summary_says_when_the_models_are_fitted(tmp_path, folds, protocol, says):
    run = small_run(tmp_path, {"naive": {}}, folds=folds, protocol=protocol)
    text = (run / "summary.md").read_text(encoding="utf-8")
    assert says in text and "refitted at each fold start" not in text
    assert ("refitted" in text) == (folds > 1)


def test_fan_chart_draws_the_actual_thin_and_dark_beneath_the_models():
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_rgb

    from forecast_bench import models
    from forecast_bench.evaluation.harness.splits import WalkForward
    from forecast_bench.evaluation.harness.walk_forward import run_walk_forward
    from forecast_bench.evaluation.reporting.interval_plots import fan_chart_figure

    y = random_walk(120, seed=4)
    folds = WalkForward(test_size=20, folds=1).split(len(y))
    forecasts = run_walk_forward(y, folds, {"naive": models.get("naive")}, 1,
                                 levels=(80.0, 95.0)).forecasts
    ax = fan_chart_figure(y, forecasts, "t").axes[0]
    actual, forecast = ax.lines
    assert actual.get_label() == "actual" and forecast.get_label() == "forecast"
    assert actual.get_linewidth() < 1 < forecast.get_linewidth()
    assert max(to_rgb(actual.get_color())) < 0.3  # dark
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert all(actual.get_zorder() <= band.get_zorder() for band in bands)
    assert actual.get_zorder() < forecast.get_zorder()
