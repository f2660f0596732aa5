"""report.html reads well: the headline (computed from the run's own tables) comes first, the
page fits a phone (viewport, tables in scroll boxes, numbers right-aligned), multi-step runs
show forecast paths and say why DM cells are empty, and the plots keep every model readable."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.run import runner
from forecast_bench.evaluation.reporting import comparison_plots as cp
from forecast_bench.evaluation.reporting import path_plots
from forecast_bench.evaluation.scoring.significance import dm_shortfall
from tests.conftest import random_walk
from tests.test_collection_run import write_long

MODELS = {"naive": {}, "ses": {}, "arima": {"order": [1, 1, 0]}}
VOID = {"meta", "img", "br", "hr", "input", "link", "col", "source", "wbr"}


class Layout(HTMLParser):
    """Where things are: section ids in order, the viewport, tables outside scroll boxes, the
    winner of the headline, and the classes of the summary table's cells."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: list[str] = []
        self.viewport: str | None = None
        self.tables = self.unscrolled = 0
        self.winner: str | None = None
        self.cells: list[tuple[str, str]] = []  # (class, text) of the first table's cells
        self._divs: list[bool] = []  # open <div>s: is it a scroll box
        self._cell: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs["id"])
        elif tag == "meta" and attrs.get("name") == "viewport":
            self.viewport = attrs.get("content")
        elif tag == "div":
            self._divs.append("scroll" in (attrs.get("class") or "").split())
        elif tag == "table":
            self.tables += 1
            self.unscrolled += not any(self._divs)
        elif tag == "li" and "winner" in (attrs.get("class") or ""):
            self.winner = attrs.get("data-model")
        elif tag == "td" and self.tables == 1:
            self._cell = attrs.get("class") or ""

    def handle_endtag(self, tag):
        if tag == "div":
            self._divs.pop()
        elif tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self.cells.append((self._cell, data))


def make_run(root: Path, horizon: int = 1, **split: object) -> Path:
    cfg = config.from_dict({
        "name": "layout", "levels": [],
        "data": {"source": "msft", "last": 200},
        "split": {"test_size": 30, "folds": 2, "horizon": horizon, **split},
        "models": MODELS,
    })
    return runner.run(cfg, root, use_cache=False).run_dir


@pytest.fixture(scope="module")
def one_step(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("one"))


@pytest.fixture(scope="module")
def few_paths(tmp_path_factory) -> Path:
    """4 steps, origins 4 apart: 2 per fold, 4 step-4 forecasts, fewer than the DM needs (5)."""
    return make_run(tmp_path_factory.mktemp("few"), horizon=4, step=4, test_size=16)


def read(run: Path) -> tuple[str, Layout]:
    text = (run / "report.html").read_text(encoding="utf-8")
    return text, Layout(text)


def test_headline_comes_first_and_names_the_summary_winner(one_step):
    text, page = read(one_step)
    assert page.sections[0] == "headline" and page.sections[1] == "summary"
    assert page.sections[-1] == "manifest"
    assert page.sections.index("forecasts") < page.sections.index("data")  # plots before EDA
    headline = text.index('<section id="headline"')
    assert headline < text.index("<table") and headline < text.index('<section id="data"')
    assert headline < text.index('alt="eda price"')
    assert text.index("<nav>") < headline  # the table of contents on top
    summary = pd.read_csv(one_step / "summary.csv")
    assert page.winner == summary.model.iloc[0]
    section = text[headline:text.index('<section id="summary"')]
    assert f"RMSE {summary.rmse.iloc[0]:.4f}" in section
    assert "Diebold-Mariano" in section and "naive" in section


def test_page_fits_a_phone(one_step):
    text, page = read(one_step)
    assert page.viewport == "width=device-width, initial-scale=1"
    assert page.tables > 5 and page.unscrolled == 0
    assert re.search(r"img \{[^}]*max-width: 100%;[^}]*height: auto", text)
    assert re.search(r"\.scroll \{[^}]*overflow-x: auto", text)
    assert re.search(r"th, td \{[^}]*text-align: left", text)
    assert re.search(r"td\.num \{[^}]*text-align: right", text)
    first_row = page.cells[:2]  # the summary's best model: its name, then its RMSE
    assert [c for c, _ in first_row] == ["", "num"], first_row


def test_multi_step_run_shows_paths_and_says_why_dm_is_empty(few_paths):
    text = (few_paths / "report.html").read_text(encoding="utf-8")
    plots = {p.stem for p in (few_paths / "plots").iterdir()}
    assert "forecast_paths" in plots and "actual_vs_predicted" not in plots
    assert 'alt="forecast paths from a few origins"' in text
    pvalues = pd.read_csv(few_paths / "dm_pvalues.csv", index_col=0)
    assert pvalues.isna().all().all()
    why = re.search(r"<p class='dm-why[^']*'>([^<]+)</p>", text)
    assert why and "4-step-ahead forecasts only" in why.group(1) and "at least 5" in why.group(1)
    assert "4 each" in why.group(1)
    assert "could not be run" in text[:text.index('<section id="summary"')]


def test_multi_step_paths_titles_show_the_table_rmse(few_paths):
    forecasts = pd.read_csv(few_paths / "forecasts.csv")
    summary = pd.read_csv(few_paths / "summary.csv").set_index("model")
    fig = path_plots._forecast_paths_figure(forecasts, "x", n_paths=3)
    try:
        top, *panels = fig.axes
        titles = [ax.get_title() for ax in panels]
        paths = [line for line in top.get_lines() if line.get_label() == "naive"]
    finally:
        plt.close(fig)
    for title in titles:
        model, shown = re.match(r"(\w+): RMSE ([0-9.]+)", title).groups()
        assert float(shown) == pytest.approx(summary.loc[model, "rmse"], abs=5e-5)
        assert "steps 1-4" in title
    assert len(paths) == 1  # one legend entry; the other paths are unlabelled
    origins = path_plots.path_origins(forecasts, 3)
    assert len(origins) == 3 and origins[0] == pd.Timestamp(forecasts.origin.min())


def test_dm_shortfall_only_when_too_few_forecasts(few_paths, one_step):
    assert dm_shortfall(pd.read_csv(one_step / "forecasts.csv"), 1) == ""
    assert "at least 5" in dm_shortfall(pd.read_csv(few_paths / "forecasts.csv"), 4)


def test_dm_colours_tell_better_from_worse_and_significant_from_not():
    better, worse = cp.dm_cell_color(-2.5, 0.02), cp.dm_cell_color(2.5, 0.02)
    faint_better, faint_worse = cp.dm_cell_color(-0.5, 0.4), cp.dm_cell_color(0.5, 0.4)
    assert len({better, worse, faint_better, faint_worse}) == 4
    assert cp.dm_cell_color(np.nan, np.nan) == cp.dm_cell_color(0.0, 1.0) == cp.DM_NONE
    assert cp.dm_cell_color(-3.0, 0.001) != better  # darker still below 0.01
    assert cp.DM_LEGEND[better].startswith("row better") and "0.05" in cp.DM_LEGEND[better]
    assert cp.DM_LEGEND[faint_worse] == "row worse, not significant"


def test_a_far_off_model_leaves_the_scale_of_the_others():
    by_fold = pd.DataFrame({"model": ["a"] * 3 + ["b"] * 3 + ["bad"] * 3,
                            "fold": [0, 1, 2] * 3,
                            "rmse": [1.0, 1.2, 1.1, 0.9, 1.3, 1.0, 40.0, 55.0, 60.0]})
    fig = cp._error_by_fold_figure(by_fold)
    try:
        ax = fig.axes[0]
        low, high = ax.get_ylim()
        labels = [line.get_label() for line in ax.get_lines()]
        title = ax.get_title()
    finally:
        plt.close(fig)
    assert high < 2 and low > 0.5
    assert "off scale: bad" in title and any(lab.startswith("bad (off scale") for lab in labels)
    assert cp.off_scale({"a": 1.0, "b": 1.3}) == set()
    assert cp.off_scale({"a": 1.0, "b": 1.3, "bad": 60.0}) == {"bad"}


def test_cumulative_plot_clips_a_far_off_model(one_step):
    forecasts = pd.read_csv(one_step / "forecasts.csv")
    bad = forecasts[forecasts.model == "ses"].assign(model="bad", y_pred=lambda t: t.y_pred + 50)
    fig = cp._cumulative_loss_difference_figure(pd.concat([forecasts, bad]))
    try:
        top = fig.axes[0]
        title, (low, high) = top.get_title(), top.get_ylim()
    finally:
        plt.close(fig)
    assert "off scale" in title and "bad" in title
    assert low > -100 and high < 100  # the bad model falls by about 2500 per forecast


@pytest.fixture(scope="module")
def collection(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("collection")
    series = {name: random_walk(80, seed=seed) for seed, name in enumerate("ABC")}
    source = f"long:{write_long(root / 'l.csv', series)}"
    cfg = config.from_dict({
        "name": "many", "levels": [], "data": {"source": source},
        "split": {"test_size": 10, "folds": 2, "horizon": 2},
        "models": {"naive": {}, "drift": {}, "ses": {}}})
    return runner.run(cfg, root / "runs", use_cache=False).run_dir


def test_collection_report_leads_with_its_headline(collection):
    text, page = read(collection)
    assert page.sections[:2] == ["headline", "summary"] and page.sections[-1] == "manifest"
    assert page.viewport and page.unscrolled == 0
    summary = pd.read_csv(collection / "summary.csv")
    assert page.winner == summary.model.iloc[0]
    section = text[text.index('<section id="headline"'):text.index('<section id="summary"')]
    assert "Friedman" in section and "critical difference" in section
    period = int(pd.read_csv(collection / "series_info.csv").period.iloc[0])
    said = (f"seasonal period {period} on every series" if period > 1  # random walks: none
            else "no seasonal period (1) on any series")
    assert said in section and said in (collection / "summary.md").read_text(encoding="utf-8")
