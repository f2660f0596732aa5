"""Tables in four formats: Markdown (GitHub), CSV, LaTeX (booktabs) and HTML, with the best
values in bold in LaTeX and HTML."""

from __future__ import annotations

import html
import numbers
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
from tabulate import tabulate

from forecast_bench.evaluation.reporting.tables import SUMMARY_HEADERS, summary_shown

FORMATS = ("md", "csv", "latex", "html")
EXTENSIONS = {"md": "md", "csv": "csv", "latex": "tex", "html": "html"}
LOWER_IS_BETTER = ("rmse", "mse", "mae", "mape", "smape", "mase", "rmse_fold_mean",
                   "rmse_vs_naive", "rmse_seed_mean")
HIGHER_IS_BETTER = ("directional_accuracy",)
# One pass, so the braces that \textbackslash{} brings are not escaped again.
_TEX = str.maketrans({**{char: "\\" + char for char in "&%$#_{}"}, "\\": r"\textbackslash{}",
                      "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                      "<": r"\textless{}", ">": r"\textgreater{}"})

Cell = tuple[str, bool]  # (text, bold)


PVALUE_FLOOR = 1e-4  # smaller p-values show as "<0.0001", not as a misleading 0.0000


def render(summary: pd.DataFrame, fmt: str, columns: Sequence[str] | None = None) -> str:
    """The summary (as metrics.summarize returns it, or read back from summary.csv) as `fmt`;
    columns: a subset such as tables.COMPACT (default: every column)."""
    return render_frame(summary_shown(summary, columns), fmt, headers=SUMMARY_HEADERS,
                        best="column", lower_is_better=LOWER_IS_BETTER,
                        higher_is_better=HIGHER_IS_BETTER, pvalues=("dm_pvalue_vs_naive",))


def render_frame(frame: pd.DataFrame, fmt: str, *, headers: Mapping[str, str] | None = None,
                 best: str | None = None, lower_is_better: Iterable[str] = (),
                 higher_is_better: Iterable[str] = (), bold_below: float | None = None,
                 floatfmt: str = ".4f", pvalues: Iterable[str] = ()) -> str:
    """`frame`'s columns, in order, as `fmt` (one of FORMATS); the index is not shown.

    The first column is the row label (model, fold, step): left-aligned, never bold. Bold (LaTeX
    and HTML only): best="column" marks the lowest (highest) value of each column named in
    lower_is_better (higher_is_better); best="row" the lowest numeric value of each row;
    bold_below every numeric value below it. Missing values show as "-" (empty in CSV), integers
    without decimals, floats with `floatfmt` (CSV: "%.6g"), and values of the `pvalues` columns
    below PVALUE_FLOOR as "<0.0001". benchmarks/outputs.render_table renders the per-fold and
    per-step tables (best="row"), the DM matrix (bold_below=0.05) and the ranks this way.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")
    if best not in (None, "column", "row"):
        raise ValueError(f"best must be None, 'column' or 'row', not {best!r}")
    names = [(headers or {}).get(column, str(column)) for column in frame.columns]
    if fmt == "csv":
        return frame.set_axis(names, axis=1).to_csv(index=False, float_format="%.6g")
    columns = [frame[column].tolist() for column in frame.columns]  # each keeps its own type
    tiny = {j for j, column in enumerate(frame.columns) if column in set(pvalues)}
    columns = [[_floor(v, floatfmt) for v in column] if j in tiny else column
               for j, column in enumerate(columns)]
    if fmt == "md":
        shown = ([None if _missing(v) else v for v in column] for column in columns)
        return tabulate(list(zip(*shown, strict=True)), headers=names, tablefmt="github",
                        floatfmt=floatfmt, missingval="-")
    values = [[_number(v) for v in column] for column in
              ([frame[c].tolist() for c in frame.columns])]
    bold = _bold(list(frame.columns), values, best, set(lower_is_better),
                 set(higher_is_better), bold_below)
    cells = [[(_text(column[i], floatfmt), marks[i])
              for column, marks in zip(columns, bold, strict=True)] for i in range(len(frame))]
    if fmt == "latex":
        return _latex(names, cells)
    numeric = [j > 0 and any(v is not None for v in column)
               and all(v is not None or _missing(raw) for v, raw in zip(column, columns[j],
                                                                        strict=True))
               for j, column in enumerate(values)]
    return _html(names, cells, numeric)


def _bold(names: list, values: list[list[float | None]], best: str | None, lower: set,
          higher: set, below: float | None) -> list[list[bool]]:
    """Which cells (column by column) are bold; values holds None where a cell is no number."""
    bold = [[False] * len(column) for column in values]
    for j in range(1, len(values)):
        found = [x for x in values[j] if x is not None]
        goal = None
        if best == "column" and found:
            goal = min(found) if names[j] in lower else max(found) if names[j] in higher else None
        bold[j] = [x is not None and (x == goal or (below is not None and x < below))
                   for x in values[j]]
    for i in range(len(values[0]) if best == "row" and values else 0):
        row = [values[j][i] for j in range(1, len(values))]
        found = [x for x in row if x is not None]
        for j in range(1, len(values)):
            bold[j][i] = bold[j][i] or (bool(found) and values[j][i] == min(found))
    return bold


def _floor(value: object, floatfmt: str) -> object:
    """A p-value as text ("<0.0001" below PVALUE_FLOOR), so tabulate keeps it as shown."""
    number = _number(value)
    if number is None:
        return value
    return f"<{PVALUE_FLOOR:g}" if number < PVALUE_FLOOR else format(number, floatfmt)


def _missing(value: object) -> bool:
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def _number(value: object) -> float | None:
    """The cell as a float, or None when it is missing, a bool or no number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or _missing(value):
        return None
    return float(value)


def _text(value: object, floatfmt: str) -> str:
    if _missing(value):
        return "-"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return format(value, floatfmt)
    return str(value)


def _latex(headers: list[str], cells: list[list[Cell]]) -> str:
    def row(items: list[Cell]) -> str:
        return " & ".join(rf"\textbf{{{t.translate(_TEX)}}}" if bold else t.translate(_TEX)
                          for t, bold in items) + r" \\"

    lines = [r"\begin{tabular}{l" + "r" * (len(headers) - 1) + "}", r"\toprule",
             row([(h, False) for h in headers]), r"\midrule", *map(row, cells), r"\bottomrule",
             r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def _html(headers: list[str], cells: list[list[Cell]], numeric: list[bool]) -> str:
    """numeric: per column, whether it holds numbers only (class "num": right-aligned)."""
    kind = ["<th class='num'>" if flag else "<th>" for flag in numeric]
    head = "".join(f"{th}{html.escape(h)}</th>" for th, h in zip(kind, headers, strict=True))
    tds = ["<td class='num'>" if flag else "<td>" for flag in numeric]
    body = "".join(
        "<tr>" + "".join(f"{td}<b>{html.escape(t)}</b></td>" if bold
                         else f"{td}{html.escape(t)}</td>"
                         for td, (t, bold) in zip(tds, items, strict=True)) + "</tr>\n"
        for items in cells)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"


def p_text(value: float) -> str:
    """'p = 0.0123', 'p < 0.0001' below PVALUE_FLOOR, 'p = -' when undefined."""
    if pd.isna(value):
        return "p = -"
    return f"p < {PVALUE_FLOOR:g}" if value < PVALUE_FLOOR else f"p = {value:.4f}"
