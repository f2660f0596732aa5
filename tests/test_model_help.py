"""`forecast-bench models [NAME]`: within 100 columns, whole descriptions, no internals."""

from __future__ import annotations

import pytest

from forecast_bench import models
from forecast_bench.benchmarks import cli
from forecast_bench.models import registry


def printed(capsys, *args: str) -> str:
    assert cli.main(["models", *args]) == 0
    return capsys.readouterr().out


def first_paragraph(name: str) -> str:
    """The description as written: the class docstring's first paragraph, on one line."""
    doc = type(models.get(name)).__doc__ or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def test_the_listing_fits_100_columns_and_cuts_no_description(capsys):
    """The listing printed 105 columns and only each docstring's first line, cutting gpr's
    and theta's descriptions mid-sentence."""
    lines = printed(capsys).splitlines()
    assert max(map(len, lines)) <= 100
    indent = lines[0].index("description")
    descriptions: dict[str, list[str]] = {}
    for line in lines[1:]:
        if line[:indent].strip():
            name = line[:indent].strip()
        descriptions.setdefault(name, []).append(line[indent:].strip())
    assert set(descriptions) == set(registry.available())
    for name, parts in descriptions.items():
        assert " ".join(parts) == first_paragraph(name), name
    assert len(descriptions["theta"]) > 1 and descriptions["gpr"][-1].endswith("mean.")


@pytest.mark.parametrize("name", sorted(registry.available()))
def test_a_models_help_names_no_internals(capsys, name):
    text = printed(capsys, name)
    assert max(map(len, text.splitlines())) <= 100
    assert "with_period" not in text and "see module doc" not in text
    assert " ".join(text.split("\n\n")[0].split()) == f"{name}: {first_paragraph(name)}"


def test_ets_help_says_what_ets_is(capsys):
    head = printed(capsys, "ets").split("\n\n")[0]
    assert "exponential smoothing" in head and "AICc" in head and "(see" not in head
