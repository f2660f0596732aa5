"""scikit-learn regressors on lagged windows of the preprocessed series: the machine learning
methods of Makridakis, Spiliotis & Assimakopoulos (2018).

The series is mapped into the model's space by models.preprocess (fitted on the training part
only); a regressor learns the values after each window of the last `lags` values there, by
one of three multi-step strategies:

- iterative: one one-step model, applied recursively (its forecasts feed the next window);
- direct: one model per step k = 1..horizon, trained on (window, value k steps later);
- multi: one model with `horizon` outputs.

Forecasts from every origin are made in one batched call per step and mapped back by
`Pipeline.inverse`. With `n_seeds` > 1 the members (seeds seed, seed+1, ...) are averaged.
A subclass only gives its estimator (`make_estimator`) and its own hyper-parameters.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.neighbors import KNeighborsRegressor
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor

from forecast_bench.models import windows
from forecast_bench.models.base import Forecast, Forecaster, ModelConfig
from forecast_bench.models.blas import one_blas_thread
from forecast_bench.models.errors import ModelError
from forecast_bench.models.preprocess import HasSteps, Pipeline
from forecast_bench.models.registry import register

STRATEGIES = ("iterative", "direct", "multi")


def require_number(cfg: ModelConfig, field: str, low: float, strict: bool = False) -> None:
    """cfg.`field` must be a number (not a bool) >= low, or > low when `strict`."""
    value = getattr(cfg, field)
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not (value > low if strict else value >= low)):
        raise ValueError(f"{field} must be a number {'>' if strict else '>='} {low}, "
                         f"got {value!r}")


@dataclasses.dataclass(frozen=True)
class WindowConfig(HasSteps, ModelConfig):
    """Defaults: the paper's best preprocessing for its learning methods (section 3.4)."""

    lags: int = 12  # inputs: the last `lags` values (a year of monthly data)
    strategy: str = "iterative"  # iterative, direct or multi
    horizon: int = 18  # direct and multi: the steps learnt (the paper's h); more cannot be asked
    deseasonalize: str = "test"  # test (the competitions' autocorrelation test), always, never
    boxcox: bool = True  # Box-Cox with Guerrero's lambda
    detrend: str = "cox_stuart"  # none, linear, diff, or cox_stuart choosing linear or diff
    scale: str = "minmax"  # none, minmax (to [0, 1]) or standard
    period: int | None = None  # None: the series' period ([data] period, or from its dates)
    seed: int = 0
    n_seeds: int = 1  # members with seeds seed, seed+1, ...; forecast = their mean

    def validate(self) -> None:
        self.require_ints(lags=1, horizon=1, seed=0, n_seeds=1)
        self.require_optional_ints(period=1)
        self.require_choices(strategy=STRATEGIES)
        self.steps()  # checks the preprocessing switches

    @property
    def steps_ahead(self) -> int:
        """The furthest value after a window that training needs: 1, or horizon."""
        return 1 if self.strategy == "iterative" else self.horizon


class WindowRegressor(Forecaster):
    """A scikit-learn regressor on the last `lags` values of the preprocessed series."""

    config_class = WindowConfig
    config: WindowConfig
    period_param = "period"

    @abstractmethod
    def make_estimator(self, seed: int) -> RegressorMixin:
        """An unfitted estimator; `seed` seeds its randomness, if it has any."""

    @property
    def min_windows(self) -> int:
        """Fewest training windows (for the furthest step) to learn from."""
        return max(10, 2 * self.config.lags)

    @property
    def min_train_size(self) -> int:
        """One value lost to differencing (when it may be chosen), the first window, the
        values up to the furthest step, and min_windows - 1 more windows."""
        cfg = self.config
        return (int(cfg.steps().differencing_possible) + cfg.lags + cfg.steps_ahead - 1
                + self.min_windows)

    def _fit(self, y: np.ndarray) -> None:
        cfg = self.config
        self.pipeline_ = Pipeline.fit(y, cfg.period or 1, cfg.steps())
        z = self.pipeline_.transform(y)[self.pipeline_.first_valid:]
        with one_blas_thread():  # fits and forecasts (see models/blas.py)
            self.estimators_ = [self._train_member(z, cfg.seed + i) for i in range(cfg.n_seeds)]

    def _train_member(self, z: np.ndarray, seed: int) -> list[RegressorMixin]:
        """One member's models: one per step (direct), else a single one."""
        lags, ahead = self.config.lags, self.config.steps_ahead
        if self.config.strategy == "direct":
            return [self.make_estimator(seed).fit(*windows.lag_pairs(z, lags, k, k))
                    for k in range(1, ahead + 1)]
        return [self.make_estimator(seed).fit(*windows.lag_pairs(z, lags, 1, ahead))]

    def describe_fit(self) -> str:
        cfg = self.config
        return f"{cfg.lags} lags, {cfg.strategy}, {self.pipeline_.describe()}"

    def _predict(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast(history, np.array([len(history)]), horizon).point[0]

    def _forecast(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> Forecast:
        """Each member's forecasts from the windows ending just before every origin."""
        cfg = self.config
        if cfg.strategy != "iterative" and horizon > cfg.horizon:
            raise ModelError(f"model '{self.name}' ({cfg.strategy} strategy) learnt "
                             f"{cfg.horizon} steps and cannot forecast {horizon}; "
                             f"set horizon >= {horizon}")
        z = self.pipeline_.transform(y[: int(origins.max())])
        paths = windows.origin_paths(z, origins, cfg.lags)
        if not np.isfinite(paths).all():
            raise ModelError(f"model '{self.name}': a window before an origin has values the "
                             "fitted preprocessing cannot transform (Box-Cox needs values > 0)")
        with one_blas_thread():
            members = [self.pipeline_.inverse(self._model_space(member, paths, horizon),
                                              origins, y) for member in self.estimators_]
        return Forecast.from_members(np.stack(members))

    def _model_space(self, member: list[RegressorMixin], paths: np.ndarray,
                     horizon: int) -> np.ndarray:
        """One member's forecasts in the model's space (origins x horizon)."""
        if self.config.strategy == "direct":
            return np.column_stack([model.predict(paths) for model in member[:horizon]])
        (model,) = member
        if self.config.strategy == "multi":
            return model.predict(paths).reshape(len(paths), -1)[:, :horizon]
        out = np.empty((len(paths), horizon))
        for step in range(horizon):
            out[:, step] = model.predict(paths)
            paths = np.concatenate([paths[:, 1:], out[:, step:step + 1]], axis=1)
        return out


# -- the paper's other learning methods (hyper-parameters fixed, not tuned per series) --------


@dataclasses.dataclass(frozen=True)
class KnnConfig(WindowConfig):
    n_neighbors: int = 5  # scikit-learn's default; about 5% of a monthly series' ~100 windows

    def validate(self) -> None:
        super().validate()
        self.require_ints(n_neighbors=1)


@register("knn")
class Knn(WindowRegressor):
    """k-nearest-neighbour regression (the mean of the k closest windows' targets)."""

    config_class = KnnConfig
    config: KnnConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"lags": 3}, {"lags": 3, "strategy": "direct", "horizon": 3, "detrend": "diff"},
                {"lags": 2, "strategy": "multi", "horizon": 3, "deseasonalize": "always",
                 "period": 5, "n_neighbors": 3}]

    @property
    def min_windows(self) -> int:
        return max(super().min_windows, self.config.n_neighbors)

    def make_estimator(self, seed: int) -> RegressorMixin:
        # a k-d tree finds each origin's neighbours exactly, whatever else is in the batch
        return KNeighborsRegressor(n_neighbors=self.config.n_neighbors, algorithm="kd_tree")


@dataclasses.dataclass(frozen=True)
class CartConfig(WindowConfig):
    min_samples_leaf: int = 7  # R rpart's default minbucket (round(minsplit / 3), minsplit 20)

    def validate(self) -> None:
        super().validate()
        self.require_ints(min_samples_leaf=1)


@register("cart")
class Cart(WindowRegressor):
    """A regression tree (CART); the seed breaks ties between equally good splits."""

    config_class = CartConfig
    config: CartConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"lags": 3}, {"lags": 3, "strategy": "multi", "horizon": 3, "n_seeds": 2}]

    def make_estimator(self, seed: int) -> RegressorMixin:
        return DecisionTreeRegressor(min_samples_leaf=self.config.min_samples_leaf,
                                     random_state=seed)


@dataclasses.dataclass(frozen=True)
class SvrConfig(WindowConfig):
    C: float = 1.0  # scikit-learn's name: the penalty on errors beyond epsilon
    epsilon: float = 0.02  # tube width in [0, 1]-scaled units (e1071's 0.1 is in sd units)

    def validate(self) -> None:
        super().validate()
        require_number(self, "C", 0, strict=True)
        require_number(self, "epsilon", 0)
        if self.strategy == "multi":
            raise ValueError("strategy 'multi' is impossible for svr: an SVR has one output; "
                             "use 'direct' (one SVR per step) or 'iterative'")


@register("svr")
class Svr(WindowRegressor):
    """Support vector regression with an RBF kernel (gamma "scale"); deterministic."""

    config_class = SvrConfig
    config: SvrConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"lags": 3}, {"lags": 3, "strategy": "direct", "horizon": 3}]

    def make_estimator(self, seed: int) -> RegressorMixin:
        return SVR(kernel="rbf", C=self.config.C, epsilon=self.config.epsilon, gamma="scale")


@dataclasses.dataclass(frozen=True)
class GprConfig(WindowConfig):
    restarts: int = 0  # extra optimiser starts for the kernel parameters, drawn with the seed

    def validate(self) -> None:
        super().validate()
        self.require_ints(restarts=0)


@register("gpr")
class Gpr(WindowRegressor):
    """Gaussian process regression: kernel c * RBF(l) + white noise, its c, l and noise level
    fitted by maximum marginal likelihood; the forecast is the posterior mean.

    l starts at sqrt(lags) (the scale of distances between [0, 1]-scaled windows) and stays
    >= 0.1: with scikit-learn's bound of 1e-5 most M3 series fell into the degenerate optimum
    l -> 0, where no window informs another and every forecast is the training mean."""

    config_class = GprConfig
    config: GprConfig

    @classmethod
    def test_params(cls) -> list[dict[str, Any]]:
        return [{"lags": 3}, {"lags": 2, "strategy": "multi", "horizon": 3, "restarts": 1,
                              "n_seeds": 2}]

    def make_estimator(self, seed: int) -> RegressorMixin:
        rbf = RBF(length_scale=np.sqrt(self.config.lags), length_scale_bounds=(0.1, 1e3))
        kernel = ConstantKernel(1.0) * rbf + WhiteKernel(noise_level=0.01)
        return GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed,
                                        n_restarts_optimizer=self.config.restarts)
