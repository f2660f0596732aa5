"""The summary table in Markdown, CSV, LaTeX and HTML: same numbers, best values in bold."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from evaluation import formats, tables


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame({
        "model": ["lstm_diff", "naive", "cheat"], "leaky": [False, False, True],
        "rmse": [0.5, 0.6, 0.4], "mae": [0.45, 0.4, 0.3],
        "rmse_vs_naive": [0.5 / 0.6, 1.0, 0.4 / 0.6],
        "dm_pvalue_vs_naive": [0.03, np.nan, 0.001], "n_forecasts": [10, 10, 10],
        "folds_ok": ["2/2", "2/2", "2/2"]})


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, bool]]] = []
        self.bold = False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        self.bold = self.bold or tag == "b"

    def handle_endtag(self, tag):
        if tag == "b":
            self.bold = False

    def handle_data(self, data):
        if data.strip() and self.rows:
            self.rows[-1].append((data, self.bold))


def test_markdown_is_the_terminal_table(summary):
    assert formats.render(summary, "md") == tables.summary_table(summary)


def test_csv_round_trips_the_numbers(summary):
    back = pd.read_csv(io.StringIO(formats.render(summary, "csv")))
    np.testing.assert_allclose(back["RMSE (pooled)"], summary.rmse, rtol=1e-6)
    assert back.model.tolist() == ["lstm_diff", "naive", "cheat (leaky)"]
    assert back["DM p vs naive"].isna().tolist() == [False, True, False]


def test_latex_is_booktabs_with_the_best_values_bold(summary):
    text = formats.render(summary, "latex")
    assert text.startswith(r"\begin{tabular}{lrrrrrr}") and r"\bottomrule" in text
    assert r"\toprule" in text and r"\midrule" in text
    assert r"lstm\_diff" in text  # escaped for LaTeX
    rows = {line.split(" & ")[0]: line for line in text.splitlines() if " & " in line}
    assert r"\textbf{0.4000}" in rows["cheat (leaky)"]  # lowest RMSE (and lowest MAE 0.3)
    assert r"\textbf{0.3000}" in rows["cheat (leaky)"]
    assert r"\textbf" not in rows[r"lstm\_diff"] and r"\textbf" not in rows["naive"]


def test_html_marks_exactly_the_column_minima(summary):
    parser = _Cells()
    parser.feed(formats.render(summary, "html"))
    header, *body = parser.rows
    assert [text for text, _ in header][:3] == ["model", "RMSE (pooled)", "MAE (pooled)"]
    bold = {(row[0][0], header[i][0]) for row in body for i, (_, b) in enumerate(row) if b}
    assert bold == {("cheat (leaky)", "RMSE (pooled)"), ("cheat (leaky)", "MAE (pooled)"),
                    ("cheat (leaky)", "RMSE / naive")}


def test_unknown_format(summary):
    with pytest.raises(ValueError, match=re.escape("md, csv, latex, html")):
        formats.render(summary, "xlsx")
