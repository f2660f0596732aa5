"""Failures during a run: a model that raises, returns NaN or inf, or diverges is recorded as
failed for that fold with its reason, shown in the tables and the report, left out of pooled
scores with a note, and every other model finishes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.run import runner
from forecast_bench.models import registry
from forecast_bench.models.naive import Naive


class Raises(Naive):
    """Fails on the second fold only (trains on 270 values; the first fold on 240)."""

    def _fit(self, y):
        if len(y) > 250:
            raise np.linalg.LinAlgError("Schur decomposition solver error")
        return super()._fit(y)


class ReturnsNan(Naive):
    """Forecasts NaN."""

    def _predict_origins(self, y, origins, horizon):
        return np.full((len(origins), horizon), np.nan)


class ReturnsInf(Naive):
    """Forecasts inf on one origin."""

    def _predict_origins(self, y, origins, horizon):
        out = super()._predict_origins(y, origins, horizon)
        out[3] = np.inf
        return out


BROKEN = {"raises": Raises, "returns_nan": ReturnsNan, "returns_inf": ReturnsInf}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for name, cls in BROKEN.items():
            patch.setitem(registry._REGISTRY, name, type(name, (cls,), {"name": name}))
        cfg = config.from_dict({
            "name": "broken", "data": {"source": "msft", "last": 300},
            "split": {"test_size": 60, "folds": 2},
            "models": {"naive": {}, "drift": {}, **{name: {} for name in BROKEN},
                       "diverges": {"model": "lstm", "look_back": 5, "units": [4], "dense": [],
                                    "epochs": 3, "learning_rate": 1e30}},
        })
        return runner.run(cfg, tmp_path_factory.mktemp("failures") / "results", use_cache=False)


REASONS = {
    ("raises", 1): "LinAlgError: Schur decomposition solver error",
    ("returns_nan", 0): "FloatingPointError: forecast contains NaN or inf",
    ("returns_nan", 1): "FloatingPointError: forecast contains NaN or inf",
    ("returns_inf", 0): "FloatingPointError: forecast contains NaN or inf",
    ("returns_inf", 1): "FloatingPointError: forecast contains NaN or inf",
    ("diverges", 0): "ModelError: training diverged: the loss became",
    ("diverges", 1): "ModelError: training diverged: the loss became",
}


def test_each_failure_is_recorded_with_its_reason(outcome):
    status = outcome.result.status.set_index(["model", "fold"])
    failed = status[status.status == "failed"]
    assert set(failed.index) == set(REASONS)
    for task, reason in REASONS.items():
        assert failed.loc[task, "reason"].startswith(reason), (task, failed.loc[task, "reason"])
    assert (status.loc[["naive", "drift"], "status"] == "ok").all()
    assert status.loc[("raises", 0), "status"] == "ok"


def test_failed_tasks_are_left_out_of_pooled_scores_with_a_note(outcome):
    summary = outcome.summary.set_index("model")
    assert summary.loc["raises", "folds_ok"] == "1/2"
    assert summary.loc["raises", "n_forecasts"] == 30  # fold 0 only
    fold0 = outcome.result.forecasts.query("model == 'naive' and fold == 0")
    expected = float(np.sqrt(np.mean((fold0.y_true - fold0.y_pred) ** 2)))
    assert summary.loc["raises", "rmse"] == pytest.approx(expected)  # Raises is naive on fold 0
    assert summary.loc["raises", "rmse_vs_naive"] == pytest.approx(1.0)  # on shared forecasts
    for model in ("returns_nan", "returns_inf", "diverges"):
        assert summary.loc[model, "folds_ok"] == "0/2" and np.isnan(summary.loc[model, "rmse"])
    assert set(summary.index[-3:]) == {"returns_nan", "returns_inf", "diverges"}  # sorted last
    assert "Failed on some folds" in outcome.text and "raises" in outcome.text


def test_failures_appear_in_summary_md_and_the_report(outcome):
    markdown = (outcome.run_dir / "summary.md").read_text()
    report = (outcome.run_dir / "report.html").read_text()
    for text in (markdown, report):
        assert "Schur decomposition solver error" in text and "training diverged" in text
    assert "left out of every score" in report
    saved = pd.read_csv(outcome.run_dir / "status.csv")
    assert (saved.status == "failed").sum() == len(REASONS)
