"""--device: cpu hides the GPUs from TensorFlow (in this process and its workers), gpu fails with
a one-line error and exit status 2 where TensorFlow sees none."""

from __future__ import annotations

import os

import pytest

from forecast_bench.benchmarks.cli import main
from forecast_bench.models.device import use_device
from forecast_bench.models.errors import ConfigError
from forecast_bench.models.lstm import keras_module


def tensorflow_sees_a_gpu() -> bool:
    keras_module()
    import tensorflow as tf
    return bool(tf.config.list_physical_devices("GPU"))


def test_cpu_hides_the_gpus_for_tensorflow_and_workers(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    use_device(None)
    assert "CUDA_VISIBLE_DEVICES" not in os.environ
    use_device("cpu")
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "-1"
    with pytest.raises(ConfigError, match="cpu or gpu"):
        use_device("tpu")


def test_gpu_without_one_is_a_one_line_error_with_exit_status_2(tmp_path, capsys, monkeypatch):
    if tensorflow_sees_a_gpu():
        use_device("gpu")  # passes where there is one
        pytest.skip("TensorFlow sees a GPU here")
    status = main(["run", "--data", "lynx", "--models", "naive", "--device", "gpu", "--quiet",
                   "--out", str(tmp_path / "results")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "TensorFlow sees no GPU" in err
    assert not (tmp_path / "results").exists()  # nothing written
