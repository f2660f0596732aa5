"""Forecasters behind one interface; importing this package registers the built-in models."""

from models import arima, ets, hybrid, lstm, mlp, naive, statistical  # noqa: F401  (registers)
from models.base import Forecast, Forecaster, ModelConfig
from models.errors import ConfigError, DataError, ForecastBenchError, ModelError, NotFittedError
from models.registry import available, get, register

__all__ = [
    "ConfigError",
    "DataError",
    "Forecast",
    "ForecastBenchError",
    "Forecaster",
    "ModelConfig",
    "ModelError",
    "NotFittedError",
    "available",
    "get",
    "register",
]
