"""One exception family for the whole toolkit; the CLI maps it to exit status 2."""


class ForecastBenchError(Exception):
    """Base class: a problem the user can fix (bad data, bad config, model failure).

    The message is always one line: whitespace runs (a newline inside a CSV header, say)
    become single spaces."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


class DataError(ForecastBenchError):
    """The input data is unusable; the message names the file, column and first bad row."""


class ConfigError(ForecastBenchError):
    """A configuration value or CLI option is invalid; the message names it and the fix."""


class ModelError(ForecastBenchError):
    """A model could not be fitted or could not forecast."""


class NotFittedError(ModelError):
    """predict() was called before fit()."""
