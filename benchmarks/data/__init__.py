"""Load and clean one series: built-in datasets (no network) or a user's CSV file.

Data problems raise a one-line ``DataError`` naming the file, column, line (header = 1) and fix.
The parts live below this module, which names them for callers: the spec in
``benchmarks.data.spec``, one series in ``benchmarks.data.one_series``, sources of many series (M3,
long/wide CSV) in ``benchmarks.data.collection``.
"""

from __future__ import annotations

from forecast_bench.benchmarks.data.collection import load_single
from forecast_bench.benchmarks.data.one_series import Dataset
from forecast_bench.benchmarks.data.spec import (
    DATASETS,
    FILLS,
    M3_SOURCES,
    TRANSFORMS,
    DataSpec,
    is_collection_source,
)

__all__ = ["DATASETS", "FILLS", "M3_SOURCES", "TRANSFORMS", "DataSpec", "Dataset",
           "is_collection_source", "load"]


def load(spec: DataSpec) -> Dataset:
    """Load, validate and clean the series described by ``spec``.

    A source holding several series (or a spec with a subset) must leave exactly one."""
    return load_single(spec)
