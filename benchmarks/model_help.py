"""`forecast-bench models NAME`: a model's parameters with their defaults and meaning.

The meaning is the comment written next to the field in the model's config dataclass: a
trailing `# comment`, the comment lines right above a field that has none, and comment lines
continuing a trailing comment below it. A field a subclass redeclares without a comment keeps
its parent's. Sources that cannot be read (a compiled plugin) give empty meanings.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import io
import textwrap
import tokenize
from typing import Any

from tabulate import tabulate

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.terminal import WIDTH
from forecast_bench.models import registry
from forecast_bench.models.errors import ConfigError

DEFAULT_WIDTH = 24  # a longer default wraps


def listing() -> str:
    """`forecast-bench models`: every registered model with its description, wrapped to fit
    WIDTH columns."""
    available = registry.available()
    name_width = max(len("model"), *map(len, available))
    return tabulate(available.items(), headers=["model", "description"], tablefmt="plain",
                    maxcolwidths=[None, WIDTH - name_width - 2])


def describe(name: str) -> str:
    """The model's one-line description, then one row per parameter: name, default, meaning."""
    available = registry.available()
    if name not in available:
        close = difflib.get_close_matches(name, available, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown model '{name}'; {hint}`forecast-bench models` lists them")
    rows = parameter_rows(registry.get(name).config_class)
    head = textwrap.fill(f"{name}: {available[name]}", WIDTH)
    if not rows:
        return f"{head}\n\nNo parameters."
    used = max(len(row[0]) for row in rows) + min(DEFAULT_WIDTH, max(len(r[1]) for r in rows))
    table = tabulate(rows, headers=["parameter", "default", "meaning"], tablefmt="simple",
                     maxcolwidths=[None, DEFAULT_WIDTH, WIDTH - used - 4],
                     disable_numparse=True)
    return f'{head}\n\n{table}\n\nIn a config: [models.LABEL] with model = "{name}" and these keys.'


def parameter_rows(config_class: type) -> list[tuple[str, str, str]]:
    """(name, default as TOML, meaning) for each field of a model's config dataclass."""
    comments = [field_comments(cls) for cls in config_class.__mro__]
    rows = []
    for field in dataclasses.fields(config_class):
        meaning = next((found[field.name] for found in comments if found.get(field.name)), "")
        rows.append((field.name, toml_text(_default(field)), meaning))
    return rows


def field_comments(cls: type) -> dict[str, str]:
    """field -> its comment, for the fields declared in `cls`'s own body ({} without source)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
        tree = ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (OSError, TypeError, SyntaxError, tokenize.TokenError):
        return {}
    if not tree.body or not isinstance(tree.body[0], ast.ClassDef):
        return {}
    lines = source.splitlines()
    trailing: dict[int, str] = {}
    alone: dict[int, str] = {}
    for token in tokens:
        if token.type == tokenize.COMMENT:
            row, column = token.start
            text = token.string.lstrip("#").strip()
            (alone if not lines[row - 1][:column].strip() else trailing)[row] = text
    fields = [(node.target.id, node.lineno, node.end_lineno or node.lineno)
              for node in tree.body[0].body
              if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)]
    own = {name: [trailing[r] for r in range(start, end + 1) if r in trailing]
           for name, start, end in fields}
    found = {name: list(texts) for name, texts in own.items()}
    for index, (name, start, end) in enumerate(fields):
        above = _block(alone, start - 1, -1)
        previous = fields[index - 1] if index else None
        if above and previous and previous[2] == start - len(above) - 1 \
                and own[previous[0]] and own[name]:
            found[previous[0]] += above  # continues the comment of the field above
        elif above:
            found[name] = above + found[name]
        below = _block(alone, end + 1, 1)
        following = fields[index + 1] if index + 1 < len(fields) else None
        if below and own[name] and (following is None or following[1] != end + len(below) + 1):
            found[name] += below
    return {name: " ".join(parts) for name, parts in found.items() if parts}


def _block(alone: dict[int, str], row: int, direction: int) -> list[str]:
    """The comment-only lines next to `row` going up (-1) or down (1), in reading order."""
    texts = []
    while row in alone:
        texts.append(alone[row])
        row += direction
    return texts[::-1] if direction < 0 else texts


def toml_text(value: Any) -> str:
    """A default as a config would write it; None (resolved at run time) as "None"."""
    return "None" if value is None else config.toml_value(value)


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None
