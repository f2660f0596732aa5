"""The Model Confidence Set of Hansen, Lunde & Nason (2011, Econometrica 79(2)), through
`arch.bootstrap.MCS` (Kevin Sheppard's reference implementation).

The MCS starts from every model and removes, one at a time, the one whose mean loss is worst
relative to the others, as long as the test of equal mean loss among those left rejects at
`alpha`; what is left is a set that holds the best model(s) with probability 1 - alpha. Each
model's MCS p-value is the largest test p-value up to its removal: it is in the
(1 - alpha) set when that p-value is at least alpha (the paper's rule). Unlike a table of
pairwise tests, it answers "which models could be the best?" in one step, with the
multiplicity handled by the sequential testing.

Method "R" (the paper's range statistic t_R = max |d_ij| / se(d_ij) over pairs) rather than
"max" (each model against the average of the set): it studentizes every pair by its own
bootstrap variance, so a noisy model cannot hide a clear gap between two others, and it is
arch's default. Losses come as rows (draws: series, or forecast origins in time order) by
columns (models). Across the series of a collection the rows are independent, so the
bootstrap resamples single rows (block size 1); along one series they are serially
dependent (overlapping h-step forecasts), so a stationary block bootstrap with mean block
max(h, n^(1/3)) resamples stretches of origins.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

ALPHA = 0.10  # the MCS convention: the 90% set
REPS = 1000
METHOD: Literal["R"] = "R"
MIN_ROWS = 3  # fewer rows of losses: no set
COLUMNS = ["model", "in_set", "mcs_p", "mcs_rank", "loss_mean", "n"]
HEADERS = {"model": "model", "in_set": "in set", "mcs_p": "MCS p", "mcs_rank": "MCS rank",
           "loss_mean": "mean loss", "n": "rows"}


@dataclasses.dataclass(frozen=True)
class McsResult:
    """One MCS: the table (COLUMNS, best rank first) and how it was computed.

    mcs_rank: 1 for the model left at the end, k for the one removed first (models with
    identical losses share a rank); empty table with `why` set when there is no set."""

    table: pd.DataFrame
    loss: str  # what a row's loss is, in words
    rows: str  # what the rows are, in words
    n: int
    block_size: int
    alpha: float = ALPHA
    reps: int = REPS
    seed: int = 0
    why: str = ""

    def note(self) -> str:
        """How to read the table, in one paragraph."""
        if self.why:
            return self.why
        resample = ("single rows (iid)" if self.block_size == 1 else
                    f"a stationary block bootstrap, mean block {self.block_size}")
        inside = self.table.loc[self.table.in_set, "model"].astype(str).tolist()
        return (f"Model confidence set (Hansen, Lunde & Nason 2011) at {1 - self.alpha:.0%}:"
                f" {', '.join(inside)}. Loss: {self.loss}, over {self.n} {self.rows}; method R,"
                f" {self.reps} bootstrap draws of {resample}, seed {self.seed}. A model is in"
                f" the set when its MCS p-value is at least {self.alpha:g}; mcs rank 1 is the"
                " model left last, higher ranks were removed earlier.")


def model_confidence_set(losses: pd.DataFrame, *, block_size: int = 1, alpha: float = ALPHA,
                         reps: int = REPS, seed: int = 0, loss: str = "loss",
                         rows: str = "rows") -> McsResult:
    """The MCS of the models (columns) of `losses` (rows: draws, in time order when
    block_size > 1); rows with a missing or infinite loss are dropped. Models with identical
    losses on every row are tested as one (arch cannot standardize a zero difference) and
    share its result; a single distinct model is the whole set, with p-value 1."""
    if not 0 < alpha < 1 or reps < 1 or block_size < 1:
        raise ValueError(f"need 0 < alpha < 1, reps >= 1 and block_size >= 1, got {alpha}, "
                         f"{reps}, {block_size}")
    values = losses.astype(float)
    values = values[np.isfinite(values.to_numpy()).all(axis=1)]
    n = len(values)
    done = McsResult(pd.DataFrame(columns=COLUMNS), loss, rows, n, block_size, alpha, reps, seed)
    if values.shape[1] == 0 or n < MIN_ROWS:
        why = (f"No model confidence set: {n} {rows} with a finite {loss} for every model"
               f" (at least {MIN_ROWS} needed; more {rows} give one).")
        return dataclasses.replace(done, why=why)
    groups: dict[bytes, list[str]] = {}  # distinct loss column -> the models that have it
    for model in values.columns:
        groups.setdefault(values[model].to_numpy().tobytes(), []).append(str(model))
    first = [members[0] for members in groups.values()]
    pvalue, rank = _arch_mcs(values[first], block_size, alpha, reps, seed)
    table = pd.DataFrame({
        "model": [str(m) for m in values.columns],
        "mcs_p": [pvalue[_lead(groups, m)] for m in values.columns],
        "mcs_rank": [rank[_lead(groups, m)] for m in values.columns],
        "loss_mean": values.mean().to_numpy(), "n": n})
    table.insert(1, "in_set", table.mcs_p >= alpha)
    table = table.sort_values(["mcs_rank", "loss_mean"], kind="stable")
    return dataclasses.replace(done, table=table[COLUMNS].reset_index(drop=True))


def _lead(groups: dict[bytes, list[str]], model: object) -> str:
    return next(members[0] for members in groups.values() if str(model) in members)


def _arch_mcs(losses: pd.DataFrame, block_size: int, alpha: float, reps: int,
              seed: int) -> tuple[dict[str, float], dict[str, int]]:
    """model -> MCS p-value and model -> rank (1 = left last) from arch's MCS."""
    if losses.shape[1] < 2:
        return {str(losses.columns[0]): 1.0}, {str(losses.columns[0]): 1}
    from arch.bootstrap import MCS  # imported on use: the CLI starts without it

    mcs = MCS(losses.reset_index(drop=True), size=alpha, reps=reps, block_size=block_size,
              method=METHOD, bootstrap="stationary", seed=seed)
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant difference: 0/0, inf
        mcs.compute()
    order = [str(m) for m in mcs.pvalues.index]  # the first removed first, the last kept last
    pvalues = mcs.pvalues["Pvalue"].astype(float)
    return ({m: float(p) for m, p in zip(order, pvalues, strict=True)},
            {m: len(order) - i for i, m in enumerate(order)})


def collection_mcs(scores: pd.DataFrame, series: Sequence[str], models: Sequence[str],
                   metric: str = "mase", *, seed: int = 0, alpha: float = ALPHA,
                   reps: int = REPS) -> McsResult:
    """The MCS of `models` on their per-series `metric` over `series` (a collection's common
    series): rows are series, independent, so the bootstrap draws single series."""
    part = scores[scores["series"].isin(list(series))]
    wide = part.pivot(index="series", columns="model", values=metric)
    wide = wide.reindex(columns=[m for m in models if m in wide.columns])
    return model_confidence_set(wide, block_size=1, alpha=alpha, reps=reps, seed=seed,
                                loss=f"each series' {metric.upper()}", rows="series")


def origin_losses(forecasts: pd.DataFrame) -> pd.DataFrame:
    """One series' loss per forecast origin: the squared error averaged over the steps of
    each (fold, origin) that every model forecast (the same steps for every model); rows in
    time order (fold, then origin), columns the models in first-seen order."""
    frame = forecasts.assign(loss=(forecasts.y_true - forecasts.y_pred) ** 2)
    models = list(dict.fromkeys(frame.model))
    wide = frame.pivot_table(index=["fold", "origin", "step"], columns="model", values="loss",
                             aggfunc="mean", dropna=False).reindex(columns=models).dropna()
    return wide.groupby(level=["fold", "origin"], sort=True).mean()


def block_size_for(n: int, horizon: int) -> int:
    """max(horizon, n^(1/3)) rounded up, at most n: the mean block of the stationary
    bootstrap along one series (h-step errors overlap over h - 1 origins; n^(1/3) is the
    usual rate for block bootstraps of a mean)."""
    return max(1, min(n, max(horizon, math.ceil(n ** (1 / 3)))))


def series_mcs(forecasts: pd.DataFrame, horizon: int, *, seed: int = 0, alpha: float = ALPHA,
               reps: int = REPS) -> McsResult:
    """The MCS of one series' models on their squared errors per forecast origin (mean over
    the horizon's steps), resampled in blocks (block_size_for)."""
    losses = origin_losses(forecasts)
    steps = "squared error" if horizon == 1 else f"squared error, mean over steps 1-{horizon}"
    return model_confidence_set(losses, block_size=block_size_for(len(losses), horizon),
                                alpha=alpha, reps=reps, seed=seed, loss=steps,
                                rows="forecast origins")


def render(result: McsResult, fmt: str) -> str | None:
    """The MCS table as md|csv|latex|html (in set as yes/no); None when there is no set."""
    from forecast_bench.evaluation.reporting import formats

    if result.table.empty:
        return None
    shown = result.table.assign(in_set=result.table.in_set.map({True: "yes", False: "no"}))
    return formats.render_frame(shown, fmt, headers=HEADERS, pvalues=("mcs_p",),
                                floatfmt=".4g")


def run_seed(config: dict) -> int:
    """The run's seed (config.toml's `seed`, 0 when unset), the MCS bootstrap's seed."""
    seed = config.get("seed", 0)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else 0
