"""Models from other packages: the entry-point group `forecast_bench.models`.

tests/plugin_example holds a tiny "installed" plugin (the fb_ets package and its dist-info);
putting that folder on PYTHONPATH makes importlib.metadata see its entry point, as if it had
been installed with pip. The same code is the example of docs/adding_a_model.md.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_bench.models import registry
from forecast_bench.models.base import Forecaster

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = ROOT / "tests" / "plugin_example"
GROUP = registry.ENTRY_POINT_GROUP


def run_python(*args: str, extra_path: tuple[Path, ...] = (PLUGIN_DIR,), timeout: int = 600):
    path = [str(p) for p in (*extra_path, ROOT)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


# -- the whole path, in fresh processes that see the example plugin --


def test_plugin_is_listed():
    done = run_python("-m", "forecast_bench.benchmarks", "models")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^sm_ses\s+Simple exponential smoothing", done.stdout, re.M), done.stdout


def test_plugin_runs_in_a_benchmark(tmp_path):
    done = run_python("-m", "forecast_bench.benchmarks", "run", "--data", "msft", "--last", "300",
                      "--test-size", "40", "--folds", "2", "--models", "naive,sm_ses",
                      "--out", str(tmp_path), "--no-cache", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    (summary,) = tmp_path.glob("*/summary.csv")
    rows = pd.read_csv(summary).set_index("model")
    assert set(rows.index) == {"naive", "sm_ses"}
    assert math.isfinite(rows.loc["sm_ses", "rmse"]) and rows.loc["sm_ses", "folds_ok"] == "2/2"


def test_plugin_passes_its_own_contract_test():
    """The example plugin's test (forecast_bench.testing.check_forecaster), run as its author
    would: pytest on the plugin's test file, with forecast-bench and the plugin installed."""
    done = run_python("-m", "pytest", str(PLUGIN_DIR / "test_fb_ets.py"), "-q",
                      "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert re.search(r"^1 passed", done.stdout, re.M), done.stdout[-3000:]


WORKER_SCRIPT = """
import json
import numpy as np
import pandas as pd
from forecast_bench import models
from forecast_bench.evaluation.harness.executors import ExecutorSpec
from forecast_bench.evaluation.harness.splits import WalkForward
from forecast_bench.evaluation.harness.walk_forward import run_walk_forward

if __name__ == "__main__":
    y = pd.Series(np.linspace(1.0, 2.0, 12) + np.sin(np.arange(12)))
    folds = WalkForward(test_size=6, folds=2).split(len(y), min_train=3)
    result = run_walk_forward(y, folds, {"sm_ses": models.get("sm_ses")}, 1,
                              executor=ExecutorSpec("local", 2))
    print(json.dumps(result.status.reason.tolist()))
"""


def test_plugin_errors_in_worker_processes_name_the_model(tmp_path):
    """A worker unpickles the plugin class by reference; it gets its registered name there."""
    script = tmp_path / "in_workers.py"
    script.write_text(WORKER_SCRIPT, encoding="utf-8")
    done = run_python(str(script))
    assert done.returncode == 0, done.stderr[-3000:]
    reasons = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(reasons) == 2
    expected = "ModelError: model 'sm_ses' needs at least 10 training"
    assert all(r.startswith(expected) for r in reasons)


def test_broken_plugin_warns_and_the_tool_still_works(tmp_path):
    (tmp_path / "fb_broken.py").write_text('raise RuntimeError("boom")\n')
    info = tmp_path / "fb_broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fb-broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\nbroken = fb_broken:Model\n")
    done = run_python("-m", "forecast_bench.benchmarks", "models",
                      extra_path=(tmp_path, PLUGIN_DIR))
    assert done.returncode == 0, done.stderr
    assert "skipped model plugin 'broken' (fb_broken:Model): RuntimeError: boom" in done.stderr
    listed = {line.split()[0] for line in done.stdout.splitlines()[1:]}
    assert {"naive", "drift", "arima", "sm_ses"} <= listed
    assert "broken" not in listed


def test_the_docs_show_the_example_model_and_its_test_in_full():
    code = (PLUGIN_DIR / "fb_ets" / "__init__.py").read_text()
    assert len(code.splitlines()) < 60
    docs = (ROOT / "docs" / "adding_a_model.md").read_text()
    assert f"```python\n{code}```" in docs
    assert f"```python\n{(PLUGIN_DIR / 'test_fb_ets.py').read_text()}```" in docs


def test_forecast_bench_is_the_public_api():
    import forecast_bench
    from forecast_bench.models import base, errors

    expected = {
        "Forecaster": base.Forecaster, "ModelConfig": base.ModelConfig, "Forecast": base.Forecast,
        "register": registry.register, "get": registry.get, "available": registry.available,
        "ForecastBenchError": errors.ForecastBenchError, "ConfigError": errors.ConfigError,
        "DataError": errors.DataError, "ModelError": errors.ModelError,
        "NotFittedError": errors.NotFittedError,
    }
    assert sorted(forecast_bench.__all__) == sorted(expected)
    for name, obj in expected.items():
        assert getattr(forecast_bench, name) is obj, name
    assert "from forecast_bench import" in (PLUGIN_DIR / "fb_ets" / "__init__.py").read_text()


def test_forecast_bench_is_packaged():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "forecast_bench" in project["tool"]["setuptools"]["packages"]


# -- the loading itself, in this process with faked entry points (fast) --


class _Const(Forecaster):
    """Always 1."""

    def _fit(self, y):
        pass

    def _predict(self, history, horizon):
        return np.ones(horizon)


@pytest.fixture
def fake_entry_points(monkeypatch):
    """Install entry points of the group; returns the list of calls to entry_points()."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    calls = []

    def install(*specs: tuple[str, str]) -> list[str]:
        entries = [EntryPoint(name, value, GROUP) for name, value in specs]

        def entry_points(*, group):
            calls.append(group)
            return [e for e in entries if e.group == group]

        monkeypatch.setattr(registry.metadata, "entry_points", entry_points)
        return calls

    return install


def test_a_class_entry_point_is_registered_once(fake_entry_points):
    calls = fake_entry_points(("const", f"{__name__}:_Const"))
    assert registry.available()["const"] == "Always 1."
    model = registry.get("const")
    assert isinstance(model, _Const) and model.name == "const"
    assert registry.parameters("const") == ()
    assert calls == [GROUP]  # loaded on the first read only


def test_a_module_entry_point_registers_on_import(fake_entry_points, tmp_path, monkeypatch):
    (tmp_path / "fb_module_plugin.py").write_text(
        "from forecast_bench.models import register\n"
        "from forecast_bench.models.naive import Naive\n\n\n"
        '@register("naive_again")\nclass NaiveAgain(Naive):\n    """Naive, from a module."""\n'
    )
    monkeypatch.syspath_prepend(tmp_path)
    fake_entry_points(("anything", "fb_module_plugin"))
    try:
        assert registry.available()["naive_again"] == "Naive, from a module."
        assert registry.get("naive_again").name == "naive_again"
    finally:
        sys.modules.pop("fb_module_plugin", None)


@pytest.mark.parametrize(("value", "reason"), [
    ("fb_no_such_module_xyz:Model", "ModuleNotFoundError"),
    ("math:pi", "TypeError: expected a Forecaster subclass"),
    ("forecast_bench.models.naive:Drift", "ValueError: Drift is registered as 'drift', not 'bad'"),
])
def test_a_bad_plugin_is_skipped_with_a_warning(fake_entry_points, value, reason):
    fake_entry_points(("bad", value), ("const", f"{__name__}:_Const"))
    message = f"skipped model plugin 'bad' ({value}): {reason}"
    with pytest.warns(UserWarning, match=re.escape(message)):
        names = registry.available()
    assert {"naive", "drift", "const"} <= set(names) and "bad" not in names
    assert registry.get("drift").name == "drift"


def test_a_plugin_cannot_take_a_built_in_name(fake_entry_points):
    fake_entry_points(("naive", f"{__name__}:_Const"))
    with pytest.warns(UserWarning, match="'naive' is already registered"):
        assert type(registry.get("naive")).__name__ == "Naive"
