"""Accuracy across many series (a panel such as M3): per-series scores, M4's OWA, ranks and the
Friedman / Nemenyi tests of Demsar (2006).

Per-series scores (rmse, mae, mape, smape, mase) come from `evaluation.scoring.reductions`, the
same reducer as the single-series tables of `evaluation.scoring.metrics`. Aggregates are
computed only over the "common" series: those on which every model has a finite sMAPE and
MASE, so that every model is judged on the same series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from forecast_bench.evaluation.scoring import reductions

SCORE_COLUMNS = ["series", "model", "n", "rmse", "mae", "mape", "smape", "mase"]
STEP_COLUMNS = ["series", "model", "step", "n", "smape", "mase"]
COVERAGE_COLUMNS = ["model", "n_series", "n_common", "n_too_short", "left_out"]
AGGREGATE_COLUMNS = ["model", "n_series", "smape_mean", "smape_median", "mase_mean",
                     "mase_median", "owa", "beats_ref_pct", "mean_rank"]
OWN_COLUMNS = ["model", "own_series", "own_smape_mean", "own_mase_mean"]
CATEGORY_COLUMNS = ["category", "model", "n_series", "smape_mean", "mase_mean", "owa"]
BY_STEP_COLUMNS = ["model", "step", "smape_mean", "mase_mean"]
BY_BAND_COLUMNS = ["model", "band", "smape_mean", "mase_mean"]
UNCATEGORISED = "(none)"  # category of a series the categories mapping does not name
LEFT_OUT_SHOWN = 10  # coverage's left_out lists at most this many series ids

NOTES: dict[str, str] = {
    "model": "Model: the forecaster's name.",
    "category": "Category: the series' category (e.g. M3's Micro, Finance); series without "
                f"one are grouped as {UNCATEGORISED}.",
    "step": "Step: the forecast horizon step, 1 = one period ahead.",
    "n_series": "Series: how many series the row's means are taken over, the common series "
                "(those on which every model has a finite sMAPE and MASE; in the category "
                "table, the common series of that category).",
    "n_common": "Common: how many series every model has a finite sMAPE and MASE on.",
    "n_too_short": "Too short: the series left out for this model only, before it ran, because "
                   "their first training part is shorter than the model needs (skipped.csv).",
    "own_series": "Own series: how many series this model has a finite sMAPE and MASE on; "
                  "own sMAPE and own MASE are its means over those series (not comparable "
                  "across models when their own series differ).",
    "left_out": "Left out: the series on which this model has no finite sMAPE or MASE (not "
                "forecast, failed, or MASE's scale undefined), which the aggregates leave out "
                "for every model.",
    "smape_mean": "sMAPE mean: each series' sMAPE (M3/M4's mean of 200|e|/(|y|+|y_hat|) over "
                  "the model's forecasts on it), averaged over the common series with equal "
                  "weight per series (per step in the step table).",
    "smape_median": "sMAPE median: the median over the common series of each series' sMAPE.",
    "mase_mean": "MASE mean: each series' MASE (mean of |e| divided by the in-sample seasonal "
                 "naive MAE of the forecast's training part), averaged over the common series "
                 "(per step in the step table).",
    "mase_median": "MASE median: the median over the common series of each series' MASE.",
    "owa": "OWA: M4's overall weighted average, 0.5 x (mean sMAPE / reference's mean sMAPE + "
           "mean MASE / reference's mean MASE), over the common series (of the category in the "
           "category table); below 1 beats the reference, the reference's own is 1.",
    "beats_ref_pct": "Beats ref %: the share of common series on which the model's ranking "
                     "metric (MASE unless stated) is strictly lower than the reference's (empty "
                     "for the reference).",
    "mean_rank": "Mean rank: the model's rank by the ranking metric (MASE unless stated) among "
                 "all models on each common series (1 = best, ties share the average rank), "
                 "averaged over the common series.",
    "metric": "Metric: the per-series score the Friedman test ranks the models on.",
    "k": "k: the number of models compared.",
    "statistic": "Friedman chi-square: 12N/(k(k+1)) x the sum over models of (mean rank - "
                 "(k+1)/2)^2, corrected for ties as scipy does; large when the models' mean "
                 "ranks differ by more than chance.",
    "pvalue": "Friedman p-value: chance of a chi-square this large (k-1 degrees of freedom) if "
              "all models were equally accurate; small means at least one differs.",
    "iman_davenport_f": "Iman-Davenport F: (N-1) chi2 / (N(k-1) - chi2), Demsar's less "
                        "conservative form of the Friedman statistic.",
    "iman_davenport_pvalue": "Iman-Davenport p-value: from the F distribution with k-1 and "
                             "(k-1)(N-1) degrees of freedom.",
    "critical_difference": "CD: Nemenyi's critical difference q_alpha sqrt(k(k+1)/(6N)); two "
                           "models whose mean ranks differ by at least this much differ "
                           "significantly (level alpha).",
    "alpha": "Alpha: the significance level of the Nemenyi critical difference.",
}


def series_scores(forecasts: pd.DataFrame, scales: pd.DataFrame) -> pd.DataFrame:
    """rmse, mae, mape, smape, mase per (series, model), pooled over folds, origins and steps.

    MASE divides each |error| by its own fold's scale (`scales`: series, fold, scale); NaN if
    any scale used is missing, not finite or <= 0. Series, then models, in first-seen order.
    """
    return reductions.grouped_scores(forecasts, reductions.row_scales(forecasts, scales),
                                     ["series", "model"], SCORE_COLUMNS[3:])


def series_step_scores(forecasts: pd.DataFrame, scales: pd.DataFrame) -> pd.DataFrame:
    """smape and mase per (series, model, step), pooled over folds and origins."""
    return reductions.grouped_scores(forecasts, reductions.row_scales(forecasts, scales),
                                     ["series", "model", "step"], STEP_COLUMNS[4:])


def _left_out(ids: list[str]) -> str:
    shown = ", ".join(map(str, ids[:LEFT_OUT_SHOWN]))
    more = len(ids) - LEFT_OUT_SHOWN
    return f"{shown}, ... (+{more} more)" if more > 0 else shown


def coverage(scores: pd.DataFrame, models: Sequence[str],
             too_short: Mapping[str, int] | None = None) -> tuple[list[str], pd.DataFrame]:
    """(common series, per-model table): the series, in first-seen order, on which every one of
    `models` has a finite smape and mase; per model n_series (series it has finite scores on),
    n_common, n_too_short (from `too_short`: model -> series left out before it ran) and
    left_out (the series it lacks, first LEFT_OUT_SHOWN ids)."""
    all_series = list(dict.fromkeys(scores["series"]))
    ok = _finite(scores)
    have = {model: set(ok.loc[ok["model"] == model, "series"]) for model in models}
    common = [s for s in all_series if all(s in have[m] for m in models)]
    rows = [{"model": model, "n_series": len(have[model]), "n_common": len(common),
             "n_too_short": int((too_short or {}).get(model, 0)),
             "left_out": _left_out([s for s in all_series if s not in have[model]])}
            for model in models]
    return common, pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def own_scores(scores: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """Per model over its own series (those it has a finite smape and mase on): their number
    and its mean smape and mase over them."""
    ok = _finite(scores)
    rows = []
    for model in models:
        own = ok[ok["model"] == model]
        rows.append({"model": model, "own_series": len(own),
                     "own_smape_mean": own["smape"].mean() if len(own) else np.nan,
                     "own_mase_mean": own["mase"].mean() if len(own) else np.nan})
    return pd.DataFrame(rows, columns=OWN_COLUMNS)


def _finite(scores: pd.DataFrame) -> pd.DataFrame:
    """The rows of `scores` with a finite smape and mase."""
    return scores[np.isfinite(scores["smape"].to_numpy(dtype=float))
                  & np.isfinite(scores["mase"].to_numpy(dtype=float))]


def _models(scores: pd.DataFrame, reference: str | None = None) -> list[str]:
    models = list(dict.fromkeys(scores["model"]))
    if reference is not None and reference not in models:
        raise ValueError(f"the reference model {reference!r} is not among the models scored: "
                         f"{', '.join(map(str, models)) or '(none)'}")
    return models


def _wide(scores: pd.DataFrame, series: Sequence[str], models: Sequence[str],
          metric: str) -> pd.DataFrame:
    """series x model table of `metric` (rows in `series` order, columns in `models` order)."""
    if metric not in scores.columns:
        raise ValueError(f"no {metric!r} column in the scores")
    part = scores[scores["series"].isin(list(series))]
    if part.duplicated(["series", "model"]).any():
        raise ValueError("scores has several rows for one (series, model)")
    table = part.pivot(index="series", columns="model", values=metric)
    return table.reindex(index=list(series), columns=list(models)).astype(float)


def _ratio(value: float, reference: float) -> float:
    return value / reference if np.isfinite(reference) and reference > 0 else float("nan")


def _owa(smape_mean: pd.Series, mase_mean: pd.Series, reference: str) -> pd.Series:
    """M4's OWA of each model (index) against `reference`."""
    return pd.Series({m: 0.5 * (_ratio(smape_mean[m], smape_mean[reference])
                                + _ratio(mase_mean[m], mase_mean[reference]))
                      for m in smape_mean.index}, dtype=float)


def _row_ranks(values: pd.DataFrame) -> pd.DataFrame:
    """Rank of each model (column) on each series (row): 1 = lowest, ties averaged."""
    return values.rank(axis=1, method="average", na_option="keep")


def aggregate(scores: pd.DataFrame, reference: str, rank_metric: str = "mase") -> pd.DataFrame:
    """One row per model over the common series: means, medians, OWA vs `reference`, % of
    series beating it on `rank_metric` and mean rank on it; best OWA first (NaN last)."""
    models = _models(scores, reference)
    common, _ = coverage(scores, models)
    smape = _wide(scores, common, models, "smape")
    mase = _wide(scores, common, models, "mase")
    ranked = _wide(scores, common, models, rank_metric)
    owa = _owa(smape.mean(), mase.mean(), reference)
    n = len(common)
    with np.errstate(invalid="ignore"):
        beats = (ranked.lt(ranked[reference], axis=0).sum() / n * 100 if n
                 else pd.Series(np.nan, index=models))
    beats[reference] = np.nan
    table = pd.DataFrame({
        "model": models, "n_series": n,
        "smape_mean": smape.mean().to_numpy(), "smape_median": smape.median().to_numpy(),
        "mase_mean": mase.mean().to_numpy(), "mase_median": mase.median().to_numpy(),
        "owa": owa[models].to_numpy(), "beats_ref_pct": beats[models].to_numpy(dtype=float),
        "mean_rank": _row_ranks(ranked).mean().to_numpy(),
    }, columns=AGGREGATE_COLUMNS)
    return table.sort_values("owa", na_position="last", kind="stable").reset_index(drop=True)


def by_category(scores: pd.DataFrame, categories: Mapping[str, str],
                reference: str) -> pd.DataFrame:
    """Per (category, model) over the category's common series: n_series, smape_mean,
    mase_mean and OWA against the reference's means in that category. Categories sorted by
    name (UNCATEGORISED last), models by OWA within each."""
    models = _models(scores, reference)
    common, _ = coverage(scores, models)
    of = {s: str(categories.get(s, UNCATEGORISED)) for s in common}
    names = sorted(set(of.values()) - {UNCATEGORISED})
    names += [UNCATEGORISED] if UNCATEGORISED in of.values() else []
    parts = []
    for name in names:
        members = [s for s in common if of[s] == name]
        smape = _wide(scores, members, models, "smape").mean()
        mase = _wide(scores, members, models, "mase").mean()
        part = pd.DataFrame({"category": name, "model": models, "n_series": len(members),
                             "smape_mean": smape.to_numpy(), "mase_mean": mase.to_numpy(),
                             "owa": _owa(smape, mase, reference)[models].to_numpy()})
        parts.append(part.sort_values("owa", na_position="last", kind="stable"))
    if not parts:
        return pd.DataFrame(columns=CATEGORY_COLUMNS)
    return pd.concat(parts, ignore_index=True)[CATEGORY_COLUMNS]


def by_step(step_scores: pd.DataFrame, common: Sequence[str], reference: str) -> pd.DataFrame:
    """Per (model, step): smape and mase averaged over the `common` series (equal weight per
    series). Models in first-seen order, steps ascending; `reference` must be among them."""
    models = _models(step_scores, reference)
    part = step_scores[step_scores["series"].isin(list(common))]
    table = part.groupby(["model", "step"], sort=False)[["smape", "mase"]].mean().reset_index()
    table = table.rename(columns={"smape": "smape_mean", "mase": "mase_mean"})
    order = {m: i for i, m in enumerate(models)}
    table = table.sort_values("step", kind="stable").sort_values(
        "model", key=lambda s: s.map(order), kind="stable")
    return table[BY_STEP_COLUMNS].reset_index(drop=True)


def by_band(step_scores: pd.DataFrame, common: Sequence[str],
            bands: Mapping[str, tuple[int, int]]) -> pd.DataFrame:
    """Per (model, band): smape and mase of each common series averaged over the band's steps
    (`bands`: name -> first and last step, inclusive; bands may overlap), then over the series
    with equal weight, as Makridakis et al. (2018) average. Models first-seen, bands in order."""
    part = step_scores[step_scores["series"].isin(list(common))]
    tables = []
    for band, (low, high) in bands.items():
        inside = part[part["step"].between(low, high)]
        per_series = inside.groupby(["model", "series"], sort=False)[["smape", "mase"]].mean()
        means = per_series.groupby(level="model", sort=False).mean().reset_index()
        means.insert(1, "band", band)
        tables.append(means.rename(columns={"smape": "smape_mean", "mase": "mase_mean"}))
    if not tables:
        return pd.DataFrame(columns=BY_BAND_COLUMNS)
    return pd.concat(tables, ignore_index=True)[BY_BAND_COLUMNS]


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman test and Nemenyi critical difference over the common series (Demsar 2006)."""

    metric: str
    n_series: int
    k: int
    mean_ranks: pd.Series  # model -> mean rank (1 = best), ascending
    statistic: float
    pvalue: float
    iman_davenport_f: float
    iman_davenport_pvalue: float
    critical_difference: float
    alpha: float

    def nemenyi_groups(self) -> list[list[str]]:
        """See the module-level `nemenyi_groups`."""
        return nemenyi_groups(self)


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Demsar's q_alpha: the studentized range quantile (k groups, infinite df) / sqrt(2)."""
    return float(stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2))


def friedman_statistic(values: np.ndarray) -> tuple[float, float]:
    """(chi-square, p-value) of the Friedman test on an N x k array (rows: series), with the
    tie correction of scipy.stats.friedmanchisquare; valid for k >= 2, NaN below or N < 2."""
    values = np.asarray(values, dtype=float)
    n, k = values.shape if values.ndim == 2 else (0, 0)
    if k < 2 or n < 2:
        return float("nan"), float("nan")
    ranks = stats.rankdata(values, axis=1)
    tied = (values[:, :, None] == values[:, None, :]).sum(axis=2)  # t of each value's tie group
    correction = 1 - float(np.sum(tied**2 - 1)) / (k * (k * k - 1) * n)  # sum t(t^2-1) per group
    if correction <= 0:  # every series ties all models: no ranking information
        return float("nan"), float("nan")
    ssbn = float(np.sum(ranks.sum(axis=0) ** 2))
    chisq = (12.0 / (k * n * (k + 1)) * ssbn - 3 * n * (k + 1)) / correction
    return chisq, float(stats.chi2.sf(chisq, k - 1))


def friedman_nemenyi(scores: pd.DataFrame, metric: str = "mase",
                     alpha: float = 0.05) -> FriedmanResult:
    """Friedman test of the models' ranks on `metric` over the common series (those also
    lacking `metric` dropped), with the Iman-Davenport F and Nemenyi's critical difference."""
    models = _models(scores)
    common, _ = coverage(scores, models)
    wide = _wide(scores, common, models, metric).dropna()
    n, k = wide.shape
    ranks = _row_ranks(wide)
    mean = ranks.mean() if n else pd.Series(np.nan, index=models, dtype=float)
    chisq, pvalue = friedman_statistic(wide.to_numpy())
    f_stat = f_pvalue = float("nan")
    if np.isfinite(chisq):
        denom = n * (k - 1) - chisq
        f_stat = (n - 1) * chisq / denom if denom > 0 else float("inf")
        f_pvalue = float(stats.f.sf(f_stat, k - 1, (k - 1) * (n - 1))) if denom > 0 else 0.0
    cd = nemenyi_q(k, alpha) * np.sqrt(k * (k + 1) / (6 * n)) if k >= 2 and n >= 1 else np.nan
    return FriedmanResult(
        metric=metric, n_series=int(n), k=int(k),
        mean_ranks=mean.sort_values(kind="stable").astype(float).rename("mean_rank"),
        statistic=float(chisq), pvalue=float(pvalue), iman_davenport_f=float(f_stat),
        iman_davenport_pvalue=float(f_pvalue), critical_difference=float(cd),
        alpha=float(alpha))


def nemenyi_groups(result: FriedmanResult) -> list[list[str]]:
    """Maximal sets (of 2 or more models, best first) whose mean ranks all differ by less than
    the critical difference: the bars of a CD diagram. Empty when the CD is undefined."""
    ranks = result.mean_ranks.dropna()
    cd = result.critical_difference
    if not np.isfinite(cd) or len(ranks) < 2:
        return []
    names, values = [str(m) for m in ranks.index], ranks.to_numpy(dtype=float)
    groups: list[list[str]] = []
    last_end = -1
    for i in range(len(values)):
        end = i
        while end + 1 < len(values) and values[end + 1] - values[i] < cd:
            end += 1
        if end > last_end and end > i:  # not inside the previous group, not a singleton
            groups.append(names[i:end + 1])
        last_end = max(last_end, end)
    return groups
