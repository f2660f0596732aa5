"""What the property-test files share: hypothesis settings and the one-line message check."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# No example database is written (database=None) so the working tree stays clean; a failure
# prints its minimal example, which can be pinned with @example.
FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def one_line(exc: BaseException) -> str:
    """The message, checked to be non-empty and on one line."""
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} with an empty message"
    assert "\n" not in message and "\r" not in message, f"multi-line message: {message!r}"
    return message
