"""N-BEATS (Oreshkin et al. 2020) and N-HiTS (Challu et al. 2023): global networks that map a
look-back window of `lookback multiplier x horizon` values straight to all `horizon` forecasts.

Trained with models.nbeats_net.train on windows drawn from every series' training part only
(WindowSampler), with a scale-free loss (sMAPE, MAPE or MASE; MASE's scale is each series'
in-sample seasonal naive MAE with its period). Windows are scaled by their largest absolute
value (models.nbeats_net says why).

Ensembles: member i (i = 0 .. ensemble - 1) trains with loss losses[i % len(losses)], lookback
multiplier lookbacks[(i // len(losses)) % len(lookbacks)] and seed seed + i, so the first
len(losses) x len(lookbacks) members cover every pair (the paper's 180 = 3 losses x 6
lookbacks x 10 seeds). The point forecast is the members' median (the paper's); the members
go to members.csv. The harness trains each member as its own cached job (`member`), so a
long ensemble resumes member by member and `--jobs 2` trains two at once.

Horizon: the network outputs `horizon` values, fixed at fit time. None (the default) takes the
run's horizon (the harness calls `with_horizon`); a model fitted outside the harness with it
unset trains for DEFAULT_HORIZON steps. Forecasting fewer steps returns the first ones, more is
a ModelError.
"""

from __future__ import annotations

import dataclasses
import itertools
from abc import abstractmethod
from typing import Any, Self

import numpy as np

from forecast_bench.models import registry
from forecast_bench.models.base import Forecast, ModelConfig
from forecast_bench.models.collection import CollectionForecaster
from forecast_bench.models.errors import ModelError
from forecast_bench.models.lstm import _positive_ints
from forecast_bench.models.nbeats_net import (
    LOSSES,
    WindowSampler,
    _Builder,
    assemble,
    basis_block,
    generic_block,
    hierarchical_block,
    origin_windows,
    seasonality_basis,
    train,
    trend_basis,
)

DEFAULT_HORIZON = 18  # M3 monthly's: used only by a plain fit with horizon unset


@dataclasses.dataclass(frozen=True)
class NBeatsConfig(ModelConfig):
    """The parameters every model of this module shares."""

    horizon: int | None = None  # None: the run's horizon (with_horizon), else DEFAULT_HORIZON
    period: int | None = None  # MASE's seasonal period in a plain fit (None: 1)
    steps: int = 10_000  # training batches per member
    batch_size: int = 1024
    ensemble: int = 1  # members (see the module docstring); the paper: 180
    lookbacks: tuple[int, ...] = (2, 3, 4, 5, 6, 7)  # look-back multipliers of the horizon
    losses: tuple[str, ...] = LOSSES
    history: float = 20.0  # L_H: cut points among each series' last history x horizon values
    learning_rate: float = 0.001  # Adam
    seed: int = 0
    member: int | None = None  # train this member of the ensemble alone (the harness's member jobs)

    def validate(self) -> None:
        set_ = object.__setattr__
        set_(self, "lookbacks", _positive_ints(self.lookbacks, "lookbacks"))
        losses = (self.losses,) if isinstance(self.losses, str) else tuple(self.losses)
        if not losses or any(name not in LOSSES for name in losses):
            raise ValueError(f"losses must be some of {', '.join(LOSSES)}, got {self.losses!r}")
        set_(self, "losses", losses)
        self.require_ints(steps=1, batch_size=1, ensemble=1, seed=0)
        self.require_optional_ints(horizon=1, period=1, member=0)
        for field in ("history", "learning_rate"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{field} must be a number > 0, got {value!r}")

    def recipe(self, i: int) -> tuple[str, int, int]:
        """Member i's loss, look-back multiplier and seed."""
        loss = self.losses[i % len(self.losses)]
        return loss, self.lookbacks[(i // len(self.losses)) % len(self.lookbacks)], self.seed + i


class _NBeatsBase(CollectionForecaster):
    """Shared code of nbeats, nbeats_i and nhits (see the module docstring)."""

    config_class = NBeatsConfig
    config: NBeatsConfig
    period_param = "period"
    horizon_param = "horizon"
    min_history = 2  # a window needs one input value and one target
    batch_tolerance = 1e-4  # float32 networks on values of ~100: last bits move with the batch

    @abstractmethod
    def _stacks(self, b: _Builder, lookback: int, horizon: int) -> list[list[Any]]:
        """The network's stacks of blocks (models.nbeats_net), seeded through `b`."""

    def build(self, lookback: int, horizon: int, seed: int, parts: bool = False) -> Any:
        """An untrained network for `lookback` inputs and `horizon` outputs."""
        b = _Builder(seed)
        return assemble(b, lookback, horizon, self._stacks(b, lookback, horizon), parts)

    def member_indices(self) -> list[int]:
        """The members this model trains: all, or the one its `member` names."""
        cfg = self.config
        return [cfg.member] if cfg.member is not None else list(range(cfg.ensemble))

    def ensemble_size(self) -> int:
        return len(self.member_indices())

    def member(self, index: int) -> Self:
        """Member `index` alone; its parameters leave out the ensemble's size, so a larger
        ensemble finds its first members in the cache."""
        return type(self)(**{**self.params(), "ensemble": 1, "member": index})

    def combine(self, members: np.ndarray) -> np.ndarray:
        return np.median(np.asarray(members, dtype=float), axis=0)

    @property
    def horizon_of(self) -> int:
        return self.config.horizon or DEFAULT_HORIZON

    def _fit_collection(self, series: list[np.ndarray], periods: list[int]) -> None:
        cfg, horizon = self.config, self.horizon_of
        self.networks_, self.histories_, self.lookbacks_ = [], [], []
        samplers: dict[int, WindowSampler] = {}
        for i in self.member_indices():
            loss, multiplier, seed = cfg.recipe(i)
            lookback = multiplier * horizon
            if lookback not in samplers:
                samplers[lookback] = WindowSampler(series, periods, lookback, horizon,
                                                   cfg.history)
            network = self.build(lookback, horizon, seed)
            curve = train(network, samplers[lookback], loss, steps=cfg.steps,
                          batch_size=cfg.batch_size, learning_rate=cfg.learning_rate, seed=seed)
            self.networks_.append(network)
            self.lookbacks_.append(lookback)
            self.histories_.append({"loss": curve})

    def describe_fit(self) -> str:
        last = [round(h["loss"][-1], 3) for h in self.histories_]
        return (f"{self.name}: {len(self.networks_)} member(s), horizon {self.horizon_of}, "
                f"{self.networks_[0].count_params()} params (member 0), {self.config.steps} "
                f"steps, {self.n_series_} series, final losses {last}")

    def _forecast_collection(self, series: list[np.ndarray], origins: list[np.ndarray],
                             horizon: int) -> list[Forecast]:
        """Each member's forecasts for every origin of every series in one predict; the point
        is the members' median."""
        if horizon > self.horizon_of:
            raise ModelError(f"model '{self.name}' was trained for {self.horizon_of} steps and "
                             f"cannot forecast {horizon}; set its horizon to {horizon} or more")
        members = []
        for network, lookback in zip(self.networks_, self.lookbacks_, strict=True):
            x, mask = origin_windows(series, origins, lookback)
            # eager: predict_on_batch's trace depends on the batch sizes seen before (Keras
            # relaxes its shapes), and a different trace moves the last bits
            raw = network([x, mask], training=False)
            members.append(np.asarray(raw, dtype=float)[:, :horizon])
        z = np.stack(members)
        bounds = np.cumsum([0] + [len(o) for o in origins])
        out = []
        for a, b in itertools.pairwise(bounds):
            part = z[:, a:b]
            out.append(Forecast(self.combine(part), part) if len(part) > 1
                       else Forecast.single(part[0]))
        return out


TINY = {"steps": 5, "batch_size": 16, "horizon": 3, "lookbacks": [2], "history": 10}


@dataclasses.dataclass(frozen=True)
class GenericConfig(NBeatsConfig):
    stacks: int = 30
    blocks: int = 1  # per stack
    layers: int = 4  # fully connected ReLU layers per block
    width: int = 512

    def validate(self) -> None:
        super().validate()
        self.require_ints(stacks=1, blocks=1, layers=1, width=1)


@registry.register("nbeats")
class NBeatsGeneric(_NBeatsBase):
    """N-BEATS generic: 30 stacks of one block, 4 ReLU layers of 512, linear projections."""

    config_class = GenericConfig
    config: GenericConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        tiny = {**TINY, "stacks": 2, "layers": 2, "width": 8}
        return [tiny, {**tiny, "ensemble": 3, "losses": ["mase", "smape"], "period": 4}]

    def _stacks(self, b: _Builder, lookback: int, horizon: int) -> list[list[Any]]:
        cfg = self.config
        return [[generic_block(b, lookback, horizon, cfg.layers, cfg.width)
                 for _ in range(cfg.blocks)] for _ in range(cfg.stacks)]


@dataclasses.dataclass(frozen=True)
class InterpretableConfig(NBeatsConfig):
    steps: int = 6_000
    history: float = 5.0
    layers: int = 4
    trend_blocks: int = 3  # weights shared within each stack
    trend_width: int = 256
    degree: int = 2  # of the trend polynomials
    seasonality_blocks: int = 3
    seasonality_width: int = 2048
    harmonics: int | None = None  # Fourier pairs; None: max(1, horizon // 2 - 1)

    def validate(self) -> None:
        super().validate()
        self.require_ints(layers=1, trend_blocks=1, trend_width=1, degree=0,
                          seasonality_blocks=1, seasonality_width=1)
        self.require_optional_ints(harmonics=1)


@registry.register("nbeats_i")
class NBeatsInterpretable(_NBeatsBase):
    """N-BEATS interpretable: a polynomial trend stack, then a Fourier seasonality stack."""

    config_class = InterpretableConfig
    config: InterpretableConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{**TINY, "layers": 1, "trend_width": 8, "seasonality_width": 8}]

    def harmonics_for(self, horizon: int) -> int:
        return self.config.harmonics or max(1, horizon // 2 - 1)

    def _stacks(self, b: _Builder, lookback: int, horizon: int) -> list[list[Any]]:
        cfg, k = self.config, self.harmonics_for(horizon)
        trend = basis_block(b, trend_basis(lookback, cfg.degree),
                            trend_basis(horizon, cfg.degree), cfg.layers, cfg.trend_width)
        season = basis_block(b, seasonality_basis(lookback, k), seasonality_basis(horizon, k),
                             cfg.layers, cfg.seasonality_width)
        return [[trend] * cfg.trend_blocks, [season] * cfg.seasonality_blocks]


@dataclasses.dataclass(frozen=True)
class HierarchicalConfig(NBeatsConfig):
    steps: int = 1_000
    batch_size: int = 256
    lookbacks: tuple[int, ...] = (5,)
    blocks: int = 1  # per stack
    layers: int = 2
    width: int = 512
    pooling: tuple[int, ...] = (2, 2, 1)  # max-pooling kernel per stack (one stack each)
    downsample: tuple[int, ...] = (4, 2, 1)  # forecast knots: ceil(horizon / downsample)

    def validate(self) -> None:
        super().validate()
        set_ = object.__setattr__
        set_(self, "pooling", _positive_ints(self.pooling, "pooling"))
        set_(self, "downsample", _positive_ints(self.downsample, "downsample"))
        self.require_ints(blocks=1, layers=1, width=1)
        if len(self.pooling) != len(self.downsample):
            raise ValueError(f"pooling and downsample need one entry per stack, got "
                             f"{len(self.pooling)} and {len(self.downsample)}")


@registry.register("nhits")
class NHits(_NBeatsBase):
    """N-HiTS: 3 stacks with input max-pooling (2, 2, 1) and interpolated forecasts (4, 2, 1)."""

    config_class = HierarchicalConfig
    config: HierarchicalConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{**TINY, "layers": 1, "width": 8, "pooling": [2, 1], "downsample": [2, 1]}]

    def _stacks(self, b: _Builder, lookback: int, horizon: int) -> list[list[Any]]:
        cfg = self.config
        return [[hierarchical_block(b, lookback, horizon, cfg.layers, cfg.width, pool, down)
                 for _ in range(cfg.blocks)]
                for pool, down in zip(cfg.pooling, cfg.downsample, strict=True)]
