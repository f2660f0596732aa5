"""The summary table in four formats: Markdown, CSV, LaTeX (booktabs) and HTML, with the best
value of each lower-is-better column in bold in LaTeX and HTML."""

from __future__ import annotations

import html
import math

import pandas as pd

from evaluation.tables import SUMMARY_HEADERS, summary_shown, summary_table

FORMATS = ("md", "csv", "latex", "html")
LOWER_IS_BETTER = ("rmse", "mse", "mae", "rmse_fold_mean", "rmse_vs_naive", "rmse_seed_mean")
EXTENSIONS = {"md": "md", "csv": "csv", "latex": "tex", "html": "html"}


def render(summary: pd.DataFrame, fmt: str) -> str:
    """The summary (as metrics.summarize returns it, or read back from summary.csv) as `fmt`."""
    if fmt == "md":
        return summary_table(summary)
    shown = summary_shown(summary)
    if fmt == "csv":
        return shown.rename(columns=SUMMARY_HEADERS).to_csv(index=False, float_format="%.6g")
    cells = [[_cell(shown, row, column) for column in shown.columns] for row in shown.index]
    headers = [SUMMARY_HEADERS[column] for column in shown.columns]
    if fmt == "latex":
        return _latex(headers, cells)
    if fmt == "html":
        return _html(headers, cells)
    raise ValueError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")


def _cell(shown: pd.DataFrame, row: int, column: str) -> tuple[str, bool]:
    """(text, best) for one cell; best = lowest value of a lower-is-better column."""
    value = shown.at[row, column]
    if isinstance(value, float):
        if math.isnan(value):
            return "-", False
        best = column in LOWER_IS_BETTER and value == shown[column].min()
        return f"{value:.4f}", bool(best)
    return str(value), False


def _latex(headers: list[str], cells: list[list[tuple[str, bool]]]) -> str:
    def tex(text: str) -> str:  # labels are TOML bare keys plus " (leaky)": no backslashes
        for char in "&%$#_{}":
            text = text.replace(char, "\\" + char)
        return text

    def row(items: list[tuple[str, bool]]) -> str:
        return " & ".join(rf"\textbf{{{tex(t)}}}" if bold else tex(t) for t, bold in items)

    lines = [r"\begin{tabular}{l" + "r" * (len(headers) - 1) + "}", r"\toprule",
             row([(h, False) for h in headers]) + r" \\", r"\midrule",
             *(row(items) + r" \\" for items in cells), r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def _html(headers: list[str], cells: list[list[tuple[str, bool]]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td><b>{html.escape(t)}</b></td>" if bold
                         else f"<td>{html.escape(t)}</td>" for t, bold in items) + "</tr>\n"
        for items in cells)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"
