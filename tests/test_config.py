"""TOML configs: validation with suggestions, overrides, and the resolved round trip."""

from __future__ import annotations

import tomllib

import pytest

from forecast_bench.benchmarks import config
from forecast_bench.models.errors import ConfigError


def test_default_config_is_the_documented_benchmark():
    cfg = config.load_config(config.DEFAULT_CONFIG)
    assert cfg.data.source == "msft" and cfg.data.last == 1260
    assert (cfg.split.test_size, cfg.split.folds, cfg.split.horizon) == (252, 4, 1)
    assert [m.label for m in cfg.models] == ["naive", "drift", "arima", "naive2", "ses", "holt",
                                             "damped", "comb", "theta", "ets", "lstm",
                                             "lstm_diff", "hybrid"]


def test_seed_spread_config_is_the_default_benchmark_on_five_seeds():
    default = config.load_config(config.DEFAULT_CONFIG)
    seeds = config.load_config(config.DEFAULT_CONFIG.with_name("msft_seeds.toml"))
    assert (seeds.data, seeds.split, seeds.seed) == (default.data, default.split, default.seed)
    expected = {}
    for label, model in config.build_models(default).items():
        params = model.params()
        if label in ("lstm", "lstm_diff"):
            params["n_seeds"] = 5
        elif label == "hybrid":
            params["residual_params"] = {**params["residual_params"], "n_seeds": 5}
        expected[label] = params
    assert {k: m.params() for k, m in config.build_models(seeds).items()} == expected


def test_resolved_config_round_trips(tmp_path):
    cfg = config.load_config(config.DEFAULT_CONFIG)
    built = config.build_models(cfg)
    text = config.to_toml(cfg, built)
    again = config.from_dict(tomllib.loads(text))
    assert again.data == cfg.data and again.split == cfg.split
    assert again.levels == cfg.levels == (80.0, 95.0)
    assert {k: m.params() for k, m in config.build_models(again).items()} == {
        k: m.params() for k, m in built.items()}


def test_naive_reference_is_always_added():
    cfg = config.from_dict({"models": {"arima": {"order": [1, 1, 0]}}})
    assert list(config.build_models(cfg)) == ["naive", "arima"]


def test_labels_can_name_variants_of_one_model():
    cfg = config.from_dict({"models": {"ar1": {"model": "arima", "order": [1, 0, 0]},
                                       "ma1": {"model": "arima", "order": [0, 0, 1]}}})
    built = config.build_models(cfg)
    assert built["ar1"].config.order == (1, 0, 0) and built["ma1"].config.order == (0, 0, 1)


@pytest.mark.parametrize(
    ("raw", "message"),
    [({"dataa": {}}, "unknown key 'dataa'; did you mean 'data'"),
     ({"split": {"fold": 2}}, "did you mean 'folds'"),
     ({"data": {"sorce": "msft"}}, "did you mean 'source'"),
     ({"models": {"arimaa": {}}}, "did you mean 'arima'"),
     ({"models": {"arima": {"order": "best"}}}, "order"),
     ({"models": {"arima": 3}}, "must be a table"),
     ({"split": {"folds": -1}}, "split.folds"),
     ({"seed": -3}, "seed"),
     ({"levels": 95}, "levels must be a list of percentages"),
     ({"levels": [80, 100]}, "between 0 and 100"),
     ({"data": 5}, "must be a table")],
)
def test_bad_configs_name_the_problem(raw, message):
    with pytest.raises(ConfigError, match=message):
        config.from_dict(raw)


def test_overrides_replace_and_validate():
    cfg = config.load_config(config.DEFAULT_CONFIG)
    new = config.with_overrides(cfg, data={"last": 500, "column": None},
                                split={"folds": 2}, models=["naive", "seasonal_naive"], seed=7)
    assert new.data.last == 500 and new.data.column == "Close"
    assert new.split.folds == 2 and new.seed == 7
    assert [m.model for m in new.models] == ["naive", "seasonal_naive"]
    with pytest.raises(ConfigError, match="horizon"):
        config.with_overrides(cfg, data={}, split={"horizon": 0}, models=None, seed=None)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        config.load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[data\nsource=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load_config(bad)
