"""The hyper-parameters of a model: a frozen dataclass per model, validated when built
(models.base.Forecaster takes one; models import it from there)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of a model. Subclasses add fields and validate them in __post_init__."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the field and the allowed values; default: nothing to check."""

    def require_ints(self, **lowest: int) -> None:
        """Each named field must be an integer (not a bool) >= its given lowest value."""
        for field, low in lowest.items():
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{field} must be an integer >= {low}, got {value!r}")

    def require_optional_ints(self, **lowest: int) -> None:
        """Each named field must be None or an integer (not a bool) >= its given lowest value."""
        self.require_ints(**{f: low for f, low in lowest.items() if getattr(self, f) is not None})

    def require_choices(self, **allowed: tuple[str, ...]) -> None:
        """Each named field must be one of its allowed strings."""
        for field, options in allowed.items():
            if getattr(self, field) not in options:
                raise ValueError(f"{field} must be one of {', '.join(options)}, "
                                 f"got {getattr(self, field)!r}")
