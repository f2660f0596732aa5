"""Which device TensorFlow trains on: `forecast-bench run --device cpu|gpu` (default: TensorFlow's
own choice, a GPU when it sees one)."""

from __future__ import annotations

import os

from forecast_bench.models.errors import ConfigError

DEVICES = ("cpu", "gpu")


def use_device(device: str | None) -> None:
    """cpu: hide every GPU from TensorFlow, in this process and the worker processes it starts
    (CUDA_VISIBLE_DEVICES=-1, set before TensorFlow is imported). gpu: ConfigError unless
    TensorFlow sees a GPU. None: leave TensorFlow's choice."""
    if device is None:
        return
    if device not in DEVICES:
        raise ConfigError(f"--device must be cpu or gpu, got {device!r}")
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
        return
    from forecast_bench.models.lstm import keras_module

    keras_module()  # imports TensorFlow quietly
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        raise ConfigError("--device gpu: TensorFlow sees no GPU (no CUDA build or driver, or "
                          "CUDA_VISIBLE_DEVICES hides it); use --device cpu or leave it out")
