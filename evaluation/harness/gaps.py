"""Values that cleaning filled or dropped: their counts, the line that shows them, and the rule
that a series whose test part is mostly filled is not scored.

A filled value is never scored as an actual: the harness (evaluation.harness.walk_forward) emits no
forecast row whose target was filled, so forecasts.csv holds observed targets only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from forecast_bench.evaluation.harness.splits import Fold
from forecast_bench.models.errors import DataError

MAX_FILLED_TEST_SHARE = 0.5  # a series whose test part is filled beyond this share is skipped


class Cleaned(Protocol):
    """What this module reads from a cleaned series (benchmarks.data.collection.SeriesData)."""

    @property
    def id(self) -> str: ...
    @property
    def n_filled(self) -> int: ...
    @property
    def n_dropped(self) -> int: ...


def totals(items: Iterable[Cleaned]) -> dict[str, object]:
    """manifest.json's counts of a collection: values filled and dropped, series with any, and
    per series (only those with any) its n_filled and n_dropped."""
    per_series = {item.id: {"n_filled": item.n_filled, "n_dropped": item.n_dropped}
                  for item in items if item.n_filled or item.n_dropped}
    return {
        "n_filled": sum(counts["n_filled"] for counts in per_series.values()),
        "n_dropped": sum(counts["n_dropped"] for counts in per_series.values()),
        "n_series_filled": sum(counts["n_filled"] > 0 for counts in per_series.values()),
        "filled_or_dropped": per_series,
    }


def summary_line(data: Mapping[str, Any]) -> str | None:
    """'filled 32 values in 3 series (series_info.csv); dropped 2 missing values at series
    ends' from a manifest's data section; None when nothing was filled or dropped."""
    filled, dropped = int(data.get("n_filled") or 0), int(data.get("n_dropped") or 0)
    parts = []
    if filled:
        many = data.get("n_series_filled")
        where = f" in {many} series (series_info.csv)" if many is not None else ""
        parts.append(f"filled {_values(filled)}{where}, not scored where they are test targets")
    if dropped:
        parts.append(f"dropped {_values(dropped, 'missing value')} at series ends")
    return "Data: " + "; ".join(parts) if parts else None


def check_test_observed(series_id: str, filled: np.ndarray | None, folds: Sequence[Fold]) -> None:
    """DataError when more than half of a series' test values were filled (the series is then
    skipped: its scores would rest on too few observed values)."""
    if filled is None or not len(folds):
        return
    test = np.unique(np.concatenate([np.arange(f.train_end, f.test_end) for f in folds]))
    n_filled = int(filled[test].sum())
    if n_filled > MAX_FILLED_TEST_SHARE * len(test):
        raise DataError(f"series {series_id!r}: {n_filled} of its {len(test)} test values were "
                        "filled, not observed (too few left to score); fill in the data, or "
                        "move the test part with --test-size or --end (data.end)")


def _values(count: int, noun: str = "value") -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"
