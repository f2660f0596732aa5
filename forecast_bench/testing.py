"""The model contract, shipped: `check_forecaster(ModelClass)` runs the conformance rules on
tiny synthetic series and raises AssertionError whose message starts with the broken rule's
name. A plugin package tests itself with it:

    from forecast_bench.testing import check_forecaster

    def test_contract():
        check_forecaster(MyModel)

Each rule runs on the parameter dicts of `ModelClass.test_params()` (default `[{}]`);
tests/test_conformance.py runs every rule on every registered model. The rules are in
forecast_bench.rules.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from forecast_bench import rules
from forecast_bench.case import Case, random_walk
from forecast_bench.models.base import Forecaster

__all__ = ["RULES", "Case", "Rule", "check_forecaster", "checks", "random_walk"]


@dataclasses.dataclass(frozen=True)
class Rule:
    """A named rule of the contract; `first_params_only` (a slow one) runs on a model's first
    parameter dict only."""

    name: str
    check: Callable[[Case], None]
    first_params_only: bool = False

    @property
    def slug(self) -> str:
        """The name as a test id: "batched = per-origin" -> "batched_per_origin"."""
        return re.sub(r"\W+", "_", self.name).strip("_")

    def run(self, case: Case) -> None:
        """Check `case`; any failure or error becomes an AssertionError naming this rule."""
        try:
            self.check(case)
        except AssertionError as exc:
            raise AssertionError(f"{self.name}: {case}: {exc}") from exc
        except Exception as exc:
            raise AssertionError(f"{self.name}: {case}: {type(exc).__name__}: {exc}") from exc


RULES = (  # in the order check_forecaster runs them
    Rule("interface", rules.interface),
    Rule("no look-ahead", rules.no_lookahead),
    Rule("no look-ahead in covariates", rules.covariates_no_lookahead, first_params_only=True),
    Rule("batched = per-origin", rules.batched_equals_per_origin),
    Rule("determinism under a seed", rules.determinism),
    Rule("intervals well formed", rules.intervals),
    Rule("predicting writes no attribute", rules.predicting_writes_nothing),
    Rule("with_period", rules.with_period),
    Rule("walk-forward", rules.walk_forward),
    Rule("no look-ahead on a collection", rules.collection_no_lookahead,
         first_params_only=True),
)


def checks(cls: type[Forecaster],
           params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
           ) -> Iterator[tuple[Case, Rule]]:
    """Each (case, rule) that check_forecaster runs, in order: one case per parameter dict
    (`params`, one dict or a list; default `cls.test_params()`)."""
    if params is None:
        params = cls.test_params()
    elif isinstance(params, Mapping):
        params = [params]
    if not params:
        raise ValueError(f"{cls.__name__}: no parameter dicts to check the model with")
    for index, one in enumerate(params):
        case = Case(cls, one, index)
        for rule in RULES:
            if index == 0 or not rule.first_params_only:
                yield case, rule


def check_forecaster(cls: type[Forecaster],
                     params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                     ) -> None:
    """Run every rule of the contract on `cls`; raises AssertionError "RULE: MODEL: why" at the
    first broken rule."""
    for case, rule in checks(cls, params):
        rule.run(case)
