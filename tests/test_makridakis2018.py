"""The Makridakis et al. (2018) reproduction: the one-step-ahead variant against hand
computations, and the shipped config run in miniature (a dozen series, 2 epochs) with its
side-by-side table checked against the run's own forecasts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon

from forecast_bench import models
from forecast_bench.benchmarks import config, makridakis2018
from forecast_bench.benchmarks.run import runner
from forecast_bench.benchmarks.run.collection_outputs import table_of_run
from forecast_bench.evaluation.run_folder import run_files
from forecast_bench.evaluation.run_folder.record import load_run

CONFIG = Path(__file__).parents[1] / "benchmarks" / "configs" / "m3_makridakis2018.toml"
SERIES = ["N1402", "N1403", "N1404"]


def test_one_step_variant_forecasts_each_test_value_from_the_actuals_before_it(tmp_path):
    cfg = config.from_dict({
        "name": "t", "data": {"source": "m3:monthly", "series": SERIES},
        "split": {"protocol": "fixed", "horizon": 6, "one_step": True},
        "models": {"naive": {}, "ses": {}, "global_ar": {"lags": 3}}})
    with_one_step = runner.run(cfg, tmp_path / "a", use_cache=False).run_dir
    plain_cfg = dataclasses.replace(cfg, split=dataclasses.replace(cfg.split, one_step=False))
    plain = runner.run(plain_cfg, tmp_path / "b", use_cache=False).run_dir
    assert not (plain / run_files.ONE_STEP).exists()
    read = lambda d, f: pd.read_csv(d / f, dtype={"series": str})  # noqa: E731
    pd.testing.assert_frame_equal(read(with_one_step, run_files.FORECASTS),
                                  read(plain, run_files.FORECASTS))
    one_step = read(with_one_step, run_files.ONE_STEP)
    assert one_step.groupby(["series", "model"]).size().eq(6).all()
    assert (one_step["step"] == 1).all()
    naive = one_step[one_step["model"] == "naive"]
    np.testing.assert_array_equal(naive["y_pred"], naive["y_origin"])  # y[t-1] for y[t]
    values = read(with_one_step, run_files.SERIES)
    for sid in SERIES:
        y = values.loc[values["series"] == sid, "value"].to_numpy()
        ses = models.get("ses", period=12).fit(y[:-6])
        expected = ses.forecast(y, np.arange(len(y) - 6, len(y)), 1).point[:, 0]
        rows = one_step[(one_step["model"] == "ses") & (one_step["series"] == sid)]
        np.testing.assert_allclose(rows["y_pred"], expected, rtol=1e-12)
        np.testing.assert_array_equal(rows["y_true"], y[-6:])


@pytest.fixture(scope="module")
def miniature(tmp_path_factory) -> Path:
    """The shipped config on 12 of its series, networks at 2 epochs and 2 seeds."""
    cfg = config.load_config(CONFIG)
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, sample=12))
    cfg = config.with_model_params(cfg, epochs=2, n_seeds=2, max_iter=50)
    return runner.run(cfg, tmp_path_factory.mktemp("m3"), use_cache=False).run_dir


def test_the_shipped_config_runs_in_miniature(miniature: Path) -> None:
    status = pd.read_csv(miniature / run_files.STATUS)
    assert status["series"].nunique() == 12
    assert set(status["model"]) == {entry.label for entry in
                                    config.load_config(CONFIG).models}
    assert (status["status"] == "ok").mean() > 0.95, status[status.status != "ok"].reason
    one_step = pd.read_csv(miniature / run_files.ONE_STEP)
    assert one_step.groupby(["series", "model"]).size().eq(18).all()


def test_paper_table_is_computed_from_the_run(miniature: Path) -> None:
    text = table_of_run(load_run(miniature), miniature, "makridakis2018", "csv")
    table = pd.read_csv(pd.io.common.StringIO(text)).set_index("model")
    forecasts = pd.read_csv(miniature / run_files.FORECASTS, dtype={"series": str})
    naive2 = forecasts[(forecasts["model"] == "naive2") & forecasts["step"].between(1, 6)]
    smape = 200 * (naive2.y_true - naive2.y_pred).abs() / (naive2.y_true.abs()
                                                           + naive2.y_pred.abs())
    by_hand = smape.groupby(naive2["series"]).mean().mean()
    assert table.loc["naive2", "sMAPE 1-6"] == pytest.approx(by_hand, abs=0.006)
    assert table.loc["naive2", "paper sMAPE 1-18"] == 12.77
    assert table.loc["naive", "CC"] == pytest.approx(1.0)
    assert table.loc["lstm_local", "seeds"] == 2
    assert table.loc["lstm_local", "paper name"] == "LSTM"
    assert table["one-step sMAPE"].notna().all()


def test_published_figures_cover_the_paper_names() -> None:
    names = set(makridakis2018.PAPER_NAMES.values())
    assert set(makridakis2018.PUBLISHED_18) <= names
    assert set(makridakis2018.PUBLISHED_ONE_STEP) <= names


def _members(errors: dict[tuple[str, int], np.ndarray]) -> pd.DataFrame:
    """members.csv rows of one step per series: model, seed -> absolute errors per series."""
    rows = [{"series": f"s{i}", "model": model, "fold": 0, "step": 1, "y_true": 10.0,
             "y_pred": 10.0 + e, "member": seed}
            for (model, seed), errs in errors.items() for i, e in enumerate(errs)]
    return pd.DataFrame(rows)


def test_paired_table_against_scipy_and_hand_computations() -> None:
    rng = np.random.default_rng(3)
    n = 40
    series = [f"s{i}" for i in range(n)]
    mase = {"g": rng.gamma(2, 0.5, n), "l": rng.gamma(2, 0.55, n), "t": rng.gamma(2, 0.6, n)}
    scores = pd.DataFrame([{"series": s, "model": m, "mase": v[i], "smape": 10 * v[i]}
                           for m, v in mase.items() for i, s in enumerate(series)])
    seeds = {("g", 0): rng.gamma(2, 0.5, n), ("g", 1): rng.gamma(2, 0.5, n),
             ("l", 0): rng.gamma(2, 0.5, n), ("l", 1): rng.gamma(2, 0.6, n)}
    scales = pd.DataFrame({"series": series, "fold": 0, "scale": 1.0})
    table = makridakis2018.paired_table(scores, _members(seeds), scales, series[:30],
                                        [("g", "l"), ("g", "t"), ("g", "absent")])
    assert table[["model", "against"]].values.tolist() == [["g", "l"], ["g", "t"]]
    d_gl, d_gt = (mase["g"] - mase["l"])[:30], (mase["g"] - mase["t"])[:30]
    row = table.iloc[0]
    assert row["series"] == 30
    assert row["MASE diff"] == pytest.approx(d_gl.mean())
    assert row["sMAPE diff"] == pytest.approx(10 * d_gl.mean())
    assert row["share better"] == pytest.approx((d_gl < 0).mean())
    p = sorted([wilcoxon(d_gl).pvalue, wilcoxon(d_gt).pvalue])
    holm = [min(1, 2 * p[0]), max(min(1, 2 * p[0]), min(1, p[1]))]
    assert sorted(table["p Holm"]) == pytest.approx(holm)
    by_seed = [seeds["g", k][:30].mean() - seeds["l", k][:30].mean() for k in (0, 1)]
    assert row["seed MASE diff min"] == pytest.approx(min(by_seed))
    assert row["seed MASE diff max"] == pytest.approx(max(by_seed))
    against_theta = [seeds["g", k][:30].mean() - mase["t"][:30].mean() for k in (0, 1)]
    assert table.iloc[1]["seed MASE diff min"] == pytest.approx(min(against_theta))


def test_paired_table_of_the_miniature_run(miniature: Path) -> None:
    text = table_of_run(load_run(miniature), miniature, "makridakis2018_pairs", "csv")
    table = pd.read_csv(pd.io.common.StringIO(text))
    assert {"lstm_global", "hybrid_global"} <= set(table["model"])
    assert (table["series"] == 12).all()
    assert table["p Holm"].between(0, 1).all()
