"""The summary table in Markdown, CSV, LaTeX and HTML: same numbers, best values in bold."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from forecast_bench.evaluation.reporting import formats, tables


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

    @classmethod
    def of(cls, text: str) -> list[list[tuple[str, bool]]]:
        """Every row (the header first) of an HTML table as (text, bold) cells."""
        parser = cls()
        parser.feed(text)
        return parser.rows


def test_markdown_is_the_terminal_table(summary):
    assert formats.render(summary, "md").startswith("| model")


def test_csv_round_trips_the_numbers(summary):
    back = pd.read_csv(io.StringIO(formats.render(summary, "csv")))
    headers = tables.SUMMARY_HEADERS
    np.testing.assert_allclose(back[headers["rmse"]], summary.rmse, rtol=1e-6)
    assert back.model.tolist() == ["lstm_diff", "naive", "cheat (leaky)"]
    assert back[headers["dm_pvalue_vs_naive"]].isna().tolist() == [False, True, False]


def test_latex_is_booktabs_with_the_best_values_bold(summary):
    text = formats.render(summary, "latex")
    shown = [c for c in tables.SUMMARY_HEADERS if c in summary.columns]
    assert text.startswith(r"\begin{tabular}{l" + "r" * (len(shown) - 1) + "}")
    assert r"\bottomrule" in text
    assert r"\toprule" in text and r"\midrule" in text
    assert r"lstm\_diff" in text  # escaped for LaTeX
    rows = {line.split(" & ")[0]: line for line in text.splitlines() if " & " in line}
    assert r"\textbf{0.4000}" in rows["cheat (leaky)"]  # lowest RMSE (and lowest MAE 0.3)
    assert r"\textbf{0.3000}" in rows["cheat (leaky)"]
    assert r"\textbf" not in rows[r"lstm\_diff"] and r"\textbf" not in rows["naive"]


def test_html_marks_exactly_the_column_minima(summary):
    header, *body = _Cells.of(formats.render(summary, "html"))
    shown = [c for c in tables.SUMMARY_HEADERS if c in summary.columns]  # order of tables.py
    assert [text for text, _ in header] == [tables.SUMMARY_HEADERS[c] for c in shown]
    bold = {(row[0][0], header[i][0]) for row in body for i, (_, b) in enumerate(row) if b}
    assert bold == {("cheat (leaky)", tables.SUMMARY_HEADERS[c])
                    for c in ("rmse", "mae", "rmse_vs_naive")}


def test_summary_bolds_the_new_metrics_by_direction(summary):
    new = {"mase": [0.9, 1.0, 1.1], "directional_accuracy": [0.55, 0.5, 0.6]}
    present = [c for c in new if c in tables.SUMMARY_HEADERS]  # columns tables.py shows
    summary = summary.assign(**{c: new[c] for c in present})
    header, *body = _Cells.of(formats.render(summary, "html"))
    bold = {(row[0][0], header[i][0]) for row in body for i, (_, b) in enumerate(row) if b}
    expected = {"mase": "lstm_diff", "directional_accuracy": "cheat (leaky)"}
    for column in present:
        assert (expected[column], tables.SUMMARY_HEADERS[column]) in bold
    assert "mase" in formats.LOWER_IS_BETTER and "smape" in formats.LOWER_IS_BETTER
    assert formats.HIGHER_IS_BETTER == ("directional_accuracy",)


def test_unknown_format(summary):
    with pytest.raises(ValueError, match=re.escape("md, csv, latex, html")):
        formats.render(summary, "xlsx")


def _latex_cells(text: str) -> list[list[tuple[str, bool]]]:
    """The body rows of a booktabs tabular as (text, bold) cells."""
    body = text.split("\\midrule\n")[1].split("\\bottomrule")[0]
    rows = [line.removesuffix(r" \\").split(" & ") for line in body.splitlines()]
    return [[(c.removeprefix(r"\textbf{").removesuffix("}") if c.startswith(r"\textbf{") else c,
              c.startswith(r"\textbf{")) for c in row] for row in rows]


def _html_cells(text: str) -> list[list[tuple[str, bool]]]:
    return _Cells.of(text)[1:]


def _bold(cells: list[list[tuple[str, bool]]]) -> set[tuple[int, int]]:
    return {(i, j) for i, row in enumerate(cells) for j, (_, b) in enumerate(row) if b}


@pytest.fixture
def by_fold() -> pd.DataFrame:
    """Per-fold RMSE, rows = folds, columns = models; fold 0 would be every row's minimum."""
    return pd.DataFrame({"fold": [0, 1, 2], "arima": [0.5, 0.2, np.nan],
                         "lstm": [0.3, 0.4, 0.9], "naive": [0.6, 0.2, 0.8]})


@pytest.mark.parametrize("fmt, cells", [("latex", _latex_cells), ("html", _html_cells)])
def test_best_row_bolds_each_rows_minimum(by_fold, fmt, cells):
    shown = cells(formats.render_frame(by_fold, fmt, best="row"))
    assert [[t for t, _ in row] for row in shown] == [
        ["0", "0.5000", "0.3000", "0.6000"], ["1", "0.2000", "0.4000", "0.2000"],
        ["2", "-", "0.9000", "0.8000"]]
    assert _bold(shown) == {(0, 2), (1, 1), (1, 3), (2, 3)}  # ties both bold; label never


@pytest.mark.parametrize("fmt, cells", [("latex", _latex_cells), ("html", _html_cells)])
def test_bold_below_marks_exactly_the_small_pvalues(fmt, cells):
    pvalues = pd.DataFrame([[np.nan, 0.01, 0.05], [0.01, np.nan, 0.0499], [0.05, 0.0499, np.nan]],
                           index=["arima", "lstm", "naive"], columns=["arima", "lstm", "naive"])
    shown = cells(formats.render_frame(pvalues.reset_index(names="model"), fmt, bold_below=0.05))
    assert [row[0][0] for row in shown] == ["arima", "lstm", "naive"]
    assert [shown[i][i + 1] for i in range(3)] == [("-", False)] * 3  # NaN diagonal
    assert _bold(shown) == {(0, 2), (1, 1), (1, 3), (2, 2)}  # < 0.05; 0.05 itself is not


def test_higher_is_better_bolds_the_maximum():
    frame = pd.DataFrame({"model": ["a", "b", "c"], "directional_accuracy": [0.6, 0.7, 0.5],
                          "rmse": [0.3, 0.2, 0.1]})
    shown = _html_cells(formats.render_frame(
        frame, "html", best="column", lower_is_better=formats.LOWER_IS_BETTER,
        higher_is_better=formats.HIGHER_IS_BETTER))
    assert _bold(shown) == {(1, 1), (2, 2)}  # highest accuracy, lowest RMSE


def test_latex_escapes_special_characters():
    frame = pd.DataFrame({"model": ["a_b & c%", "~^\\"], "x_1": [1.0, 2.0]})
    text = formats.render_frame(frame, "latex")
    assert r"model & x\_1 \\" in text
    assert [row[0][0] for row in _latex_cells(text)] == [
        r"a\_b \& c\%", r"\textasciitilde{}\textasciicircum{}\textbackslash{}"]


def test_html_escapes_text():
    frame = pd.DataFrame({"<x>": ["<x>", "a&b"], "y": [1.0, 2.0]})
    text = formats.render_frame(frame, "html")
    assert "<x>" not in text and "<th>&lt;x&gt;</th>" in text
    assert [row[0][0] for row in _html_cells(text)] == ["<x>", "a&b"]


def test_csv_has_no_bold_and_round_trips_the_numbers():
    frame = pd.DataFrame({"model": ["a", "b", "c"], "rmse": [np.pi, 1.23456789e-7, 123456.789],
                          "p": [0.01, np.nan, 0.5], "n": [10, 2000000, 3]})
    text = formats.render_frame(frame, "csv", headers={"rmse": "RMSE"}, best="column",
                                lower_is_better=["rmse"], bold_below=0.05)
    assert not any(mark in text for mark in ("textbf", "<b>", "**"))
    back = pd.read_csv(io.StringIO(text))
    assert back.columns.tolist() == ["model", "RMSE", "p", "n"]
    np.testing.assert_allclose(back.RMSE, frame.rmse, rtol=5e-6)  # %.6g: 6 significant digits
    np.testing.assert_allclose(back.p, frame.p, rtol=5e-6)  # NaN written empty, read back NaN
    assert back.n.tolist() == [10, 2000000, 3]


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_integers_have_no_decimals(fmt):
    frame = pd.DataFrame({"model": ["a", "b"], "n": [10, 2000], "x": [10.0, 2.5]})
    text = formats.render_frame(frame, fmt)
    assert "10.0" not in text.replace("10.0000", "") and "2000.0" not in text
    if fmt != "csv":
        assert "10.0000" in text and "2.5000" in text  # floats keep floatfmt


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_all_nan_column_does_not_crash(fmt):
    frame = pd.DataFrame({"model": ["a", "b"], "rmse": [np.nan, np.nan], "mae": [0.2, 0.1]})
    for kwargs in ({"best": "column", "lower_is_better": ["rmse", "mae"]}, {"best": "row"},
                   {"bold_below": 0.5}):
        text = formats.render_frame(frame, fmt, **kwargs)
        assert "0.1" in text
    if fmt == "html":
        shown = _html_cells(formats.render_frame(frame, fmt, best="column",
                                                 lower_is_better=["rmse", "mae"]))
        assert shown[0][1] == shown[1][1] == ("-", False) and _bold(shown) == {(1, 2)}


def test_render_frame_rejects_unknown_format_and_best():
    frame = pd.DataFrame({"model": ["a"], "x": [1.0]})
    with pytest.raises(ValueError, match=re.escape("md, csv, latex, html")):
        formats.render_frame(frame, "xlsx")
    with pytest.raises(ValueError, match="best"):
        formats.render_frame(frame, "html", best="max")


def test_tiny_pvalues_show_as_below_the_floor_not_as_zero():
    frame = pd.DataFrame({"model": ["a", "b", "c"], "p": [1e-6, 0.03, float("nan")]})
    for fmt in ("md", "latex", "html"):
        text = formats.render_frame(frame, fmt, bold_below=0.05, pvalues=["p"])
        assert "0.0000" not in text and "0.0300" in text, fmt
        shown = {"md": "<0.0001", "latex": r"\textless{}0.0001", "html": "&lt;0.0001"}[fmt]
        assert shown in text, fmt
    html_text = formats.render_frame(frame, "html", bold_below=0.05, pvalues=["p"])
    assert "<b>&lt;0.0001</b>" in html_text and "<b>0.0300</b>" in html_text
    csv = pd.read_csv(io.StringIO(formats.render_frame(frame, "csv", pvalues=["p"])))
    assert csv.p.iloc[0] == pytest.approx(1e-6)
