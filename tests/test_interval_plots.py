"""evaluation.reporting.interval_plots: what the fan chart and the coverage plot draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection

from forecast_bench import models
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import run_walk_forward
from forecast_bench.evaluation.reporting.interval_plots import coverage_figure, fan_chart_figure
from forecast_bench.evaluation.scoring.interval_metrics import levels_in
from tests.conftest import random_walk


def run(horizon: int, levels: tuple[float, ...] = (80.0, 95.0)) -> tuple[pd.Series, pd.DataFrame]:
    y = random_walk(160, seed=4)
    folds = WalkForward(test_size=30, folds=2, horizon=horizon).split(len(y))
    built = {"naive": models.get("naive"), "drift": models.get("drift"),
             "ses": models.get("ses")}
    return y, run_walk_forward(y, folds, built, horizon, levels=levels).forecasts


def test_fan_chart_draws_one_band_per_level_and_path_in_a_panel_per_model():
    y, forecasts = run(horizon=3)
    assert levels_in(forecasts) == [80.0, 95.0]
    fig = fan_chart_figure(y, forecasts, "t", {"naive": "analytic"})
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["naive (analytic)", "drift", "ses"]
    bands = [c for c in shown[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 * 3  # two levels x three origins of the last fold
    labels = shown[0].get_legend_handles_labels()[1]
    assert labels == ["actual", "95% interval", "80% interval", "forecast"]


def test_fan_chart_of_one_step_forecasts_is_one_band_per_level():
    y, forecasts = run(horizon=1)
    fig = fan_chart_figure(y, forecasts, "t")
    bands = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    assert fan_chart_figure(y, forecasts.drop(columns=[c for c in forecasts
                                                       if c.startswith(("lower", "upper"))]),
                            "t") is None


def test_coverage_figure_lines_per_step_or_dots_per_model():
    steps = pd.DataFrame({"model": ["a"] * 3 + ["b"] * 3, "step": [1, 2, 3] * 2,
                          "level": 80.0, "coverage": np.linspace(0.7, 0.9, 6), "n": 100})
    fig = coverage_figure(steps, "t")
    assert len(fig.axes[0].lines) == 3  # two models and the nominal line
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [70, 74, 78])
    one = steps[steps.step == 1]
    fig = coverage_figure(one, "t")
    dots = fig.axes[0].collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(dots)[:, 0], [70, 82])
    assert coverage_figure(steps.iloc[:0], "t") is None
