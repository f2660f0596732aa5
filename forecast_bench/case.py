"""One case of the model contract: a model class with one parameter dict, the small series its
rules run on, and the fits they share (forecast_bench.rules checks it, forecast_bench.testing
builds it)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from forecast_bench.models.base import Forecaster

N_TRAIN = 120  # the training part of the shared series; the forecast origins come after it


def random_walk(n: int = 160, seed: int = 0, start: float = 100.0) -> pd.Series:
    """A random walk with a little drift on business days."""
    rng = np.random.default_rng(seed)
    values = start + np.cumsum(rng.normal(0.05, 1.0, n))
    return pd.Series(values, index=pd.bdate_range("2020-01-01", periods=n), name="Close")


def attribute_ids(model: Forecaster, prefix: str = "") -> dict[str, int]:
    """Each attribute's object id, also inside fitted Forecaster parts (a hybrid's models)."""
    ids = {}
    for key, value in vars(model).items():
        ids[prefix + key] = id(value)
        if isinstance(value, Forecaster):
            ids.update(attribute_ids(value, f"{prefix}{key}."))
    return ids


@dataclasses.dataclass(frozen=True)
class FreshFit:
    """A model fitted as the rules that need a fit of their own see it: what fit returned, the
    params before the fit, each attribute's id right after the fit (before any predict)."""

    model: Forecaster
    returned: object
    params_before: dict
    ids_after_fit: dict[str, int]


class Case:
    """A model class with one parameter dict (the `index`-th of its test parameters), and the
    fits its rules share: `fitted` on the first N_TRAIN values of `series` given as a Series,
    `fresh` on the same values given as an array."""

    def __init__(self, cls: type[Forecaster], params: Mapping[str, Any], index: int = 0) -> None:
        self.cls, self.params, self.index = cls, dict(params), index
        self.series = random_walk()
        self.y = self.series.to_numpy()

    def __repr__(self) -> str:
        return f"{self.cls.__name__}(**{self.params!r})"

    @property
    def label(self) -> str:
        """The model's registered name, or its class name."""
        return self.cls.name or self.cls.__name__

    def make(self) -> Forecaster:
        """A new, unfitted model."""
        return self.cls(**self.params)

    @functools.cached_property
    def fitted(self) -> Forecaster:
        return self.make().fit(self.series.iloc[:N_TRAIN])

    @functools.cached_property
    def fresh(self) -> FreshFit:
        model = self.make()
        before = model.params()
        returned = model.fit(self.y[:N_TRAIN])
        return FreshFit(model, returned, before, attribute_ids(model))
