"""A run of benchmarks/configs/m3_makridakis2018.toml beside the published figures of
Makridakis, Spiliotis & Assimakopoulos (2018), PLoS ONE 13(3): e0194889.

The published figures below are transcribed from the article's Tables 5, 7, 8 and 9 (see
benchmarks/datasets/m3/MAKRIDAKIS2018.md); they are the paper's values, never ours. The table
gives, per model: sMAPE and MASE over horizons 1-6, 7-12, 13-18 and 1-18 on the series every
model forecast, the paper's 1-18 figures, the networks' spread over seeds, the one-step-ahead
variant where the run has one (`one_step.csv`), the computational cost relative to the random
walk (`naive`), and the mean rank by MASE. `paired_table` compares the global models with
their per-series counterparts and with the best statistical methods, series by series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from forecast_bench.evaluation.run_folder import run_files
from forecast_bench.evaluation.run_folder.record import RunRecord
from forecast_bench.evaluation.scoring import collection_stats, pairwise

# run label -> the paper's name for it
PAPER_NAMES = {
    "naive2": "Naive 2", "ses": "SES", "holt": "Holt", "damped": "Damped", "comb": "Comb",
    "theta": "Theta", "arima": "ARIMA", "ets": "ETS", "mlp": "MLP Iterative",
    "mlp_direct": "MLP Direct", "mlp_multi": "MLP Multi", "knn": "KNN", "cart": "CART",
    "svr": "SVR", "gpr": "GP", "rnn_local": "RNN", "lstm_local": "LSTM",
}
# Tables 8 and 9: sMAPE and MASE averaged over h = 1-18, and the cost relative to Naive
PUBLISHED_18 = {
    "MLP Iterative": (12.29, 0.96, 245.58), "MLP Direct": (13.49, 1.08, 438.53),
    "MLP Multi": (12.77, 1.01, 4006.82), "Naive 2": (12.77, 1.05, 1.48),
    "SES": (11.26, 0.97, 1.60), "Holt": (11.51, 0.94, 1.75), "Damped": (11.02, 0.92, 2.07),
    "Comb": (10.97, 0.91, 2.65), "Theta": (10.89, 0.90, 1.70), "ARIMA": (11.28, 0.89, 73.50),
    "ETS": (11.26, 0.92, 56.66),
}
# Table 5 (statistical, original data) and Table 7 (ML): one-step-ahead sMAPE and MASE
PUBLISHED_ONE_STEP = {
    "Naive 2": (8.59, 0.56), "SES": (7.36, 0.49), "Holt": (7.41, 0.48),
    "Damped": (7.30, 0.48), "Comb": (7.27, 0.48), "Theta": (7.31, 0.48),
    "ARIMA": (7.34, 0.47), "ETS": (7.19, 0.47), "MLP Iterative": (8.39, 0.55),
    "KNN": (11.49, 0.80), "CART": (10.28, 0.74), "SVR": (8.88, 0.61), "GP": (9.14, 0.62),
    "RNN": (9.48, 0.54), "LSTM": (11.67, 0.72),
}
# (model, against) pairs of paired_table: what pooling the series changes, and whether it
# closes the gap to the statistical methods
PAIRS = [("lstm_global", "lstm_local"), ("mlp_global", "mlp"), ("hybrid_global", "hybrid"),
         ("lstm_global", "theta"), ("mlp_global", "theta"), ("hybrid_global", "theta"),
         ("hybrid_global", "ets"), ("lstm_local", "theta")]
BANDS = {"1-6": (1, 6), "7-12": (7, 12), "13-18": (13, 18), "1-18": (1, 18)}
PAPER_MIN_LENGTH = 99  # the paper's 1045 M3 monthly series: 81 or more values before the 18


def paper_series(record: RunRecord, series_scores: pd.DataFrame,
                 common: list[str]) -> tuple[list[str], pd.Series]:
    """The common series the paper used (total length >= PAPER_MIN_LENGTH), and the models'
    mean MASE ranks over them: a run of all 1428 M3 monthly series (m3_nbeats.toml) joins the
    paper's table on its 1045."""
    lengths = record.info.set_index("id")["n"] if "n" in record.info else pd.Series(dtype=int)
    chosen = [s for s in common if lengths.get(s, PAPER_MIN_LENGTH) >= PAPER_MIN_LENGTH]
    scores = series_scores[series_scores["series"].isin(chosen)]
    return chosen, collection_stats.friedman_nemenyi(scores, "mase").mean_ranks


def band_scores(step_scores: pd.DataFrame, common: list[str]) -> pd.DataFrame:
    """sMAPE and MASE per model (index) and horizon band of BANDS, each series weighted
    equally (collection_stats.by_band: the mean of a series' steps, then over the series, as
    the paper averages)."""
    long = collection_stats.by_band(step_scores, common, BANDS)
    out = {}
    for band in BANDS:
        means = long[long["band"] == band].set_index("model")
        out[f"sMAPE {band}"], out[f"MASE {band}"] = means["smape_mean"], means["mase_mean"]
    return pd.DataFrame(out)


def seed_spread(members: pd.DataFrame, scales: pd.DataFrame, common: list[str]) -> pd.DataFrame:
    """Per model with several seeds: sMAPE over h = 1-18 of each seed's own forecasts, as the
    mean over seeds (the paper's figure: it averages the errors of ten runs) and their sd."""
    rows = {}
    part = members[members["series"].isin(common)]
    for model, frame in part.groupby("model", sort=False):
        per_member = [collection_stats.series_scores(one.drop(columns="member"), scales)
                      for _, one in frame.groupby("member")]
        smape = np.array([scores["smape"].mean() for scores in per_member])
        mase = np.array([scores["mase"].mean() for scores in per_member])
        rows[model] = {"seeds": len(smape), "sMAPE seed mean": smape.mean(),
                       "sMAPE seed sd": smape.std(ddof=1), "MASE seed mean": mase.mean(),
                       "MASE seed sd": mase.std(ddof=1)}
    return pd.DataFrame.from_dict(rows, orient="index")


def relative_cost(status: pd.DataFrame, random_walk: str = "naive") -> pd.Series:
    """Mean fit + forecast seconds per series, relative to the random walk's (the paper's
    CC); NaN when the run has no random walk."""
    seconds = status["fit_seconds"].fillna(0) + status["predict_seconds"].fillna(0)
    per_model = seconds.groupby(status["model"], sort=False).mean()
    if random_walk not in per_model or not per_model[random_walk] > 0:
        return pd.Series(np.nan, index=per_model.index)
    return per_model / per_model[random_walk]


def paper_table(record: RunRecord, step_scores: pd.DataFrame, common: list[str],
                mean_ranks: pd.Series, run_dir: Path) -> pd.DataFrame:
    """One row per model of the run: ours beside the paper's (NaN where it has no figure)."""
    table = band_scores(step_scores, common)
    names = pd.Series({m: PAPER_NAMES.get(m, "") for m in table.index})
    table.insert(0, "paper name", names)
    published = names.map(lambda n: PUBLISHED_18.get(n, (np.nan,) * 3))
    table["paper sMAPE 1-18"] = [p[0] for p in published]
    table["paper MASE 1-18"] = [p[1] for p in published]
    if len(record.members):  # members.csv, read with the run
        table = table.join(seed_spread(record.members, record.scales, common))
    one_step_path = run_dir / run_files.ONE_STEP
    if one_step_path.is_file():
        one_step = pd.read_csv(one_step_path, dtype={"series": str})
        scores = collection_stats.series_scores(one_step[one_step["series"].isin(common)],
                                                record.scales)
        means = scores.groupby("model", sort=False)[["smape", "mase"]].mean()
        table["one-step sMAPE"], table["one-step MASE"] = means["smape"], means["mase"]
        paper = names.map(lambda n: PUBLISHED_ONE_STEP.get(n, (np.nan, np.nan)))
        table["paper one-step sMAPE"] = [p[0] for p in paper]
        table["paper one-step MASE"] = [p[1] for p in paper]
    table["CC"] = relative_cost(record.status)
    table["paper CC"] = [p[2] for p in published]
    table["mean rank"] = mean_ranks
    return table.rename_axis("model").reset_index()


def _per_seed_mase(members: pd.DataFrame, scales: pd.DataFrame, model: str,
                   common: list[str]) -> np.ndarray | None:
    """Mean MASE over the common series of each seed's own forecasts; None for one model."""
    frame = members[(members["model"] == model) & members["series"].isin(common)]
    if frame.empty:
        return None
    score = collection_stats.series_scores
    return np.array([score(one.drop(columns="member"), scales)["mase"].mean()
                     for _, one in frame.groupby("member")])


def paired_table(series_scores: pd.DataFrame, members: pd.DataFrame | None,
                 scales: pd.DataFrame, common: list[str],
                 pairs: list[tuple[str, str]] = PAIRS) -> pd.DataFrame:
    """Per (model, against) pair of the run: mean sMAPE and MASE differences over the common
    series (negative: `model` better), the share of series where `model` has the lower MASE,
    the Wilcoxon signed-rank p-value of the per-series MASE differences (Holm-adjusted over
    the pairs), and the range over seeds of the mean MASE difference, seed k against seed k
    (against a single model's MASE when `against` has one run): a sign that holds for every
    seed is not seed luck."""
    wide = series_scores[series_scores["series"].isin(common)].pivot(
        index="series", columns="model", values=["smape", "mase"])
    rows = []
    for model, against in pairs:
        if model not in wide["mase"] or against not in wide["mase"]:
            continue
        diff = wide["mase"][model] - wide["mase"][against]
        row = {"model": model, "against": against, "series": len(diff),
               "sMAPE diff": (wide["smape"][model] - wide["smape"][against]).mean(),
               "MASE diff": diff.mean(), "share better": (diff < 0).mean(),
               "p": stats.wilcoxon(diff).pvalue if (diff != 0).any() else 1.0}
        seeds = (None, None) if members is None else (
            _per_seed_mase(members, scales, model, common),
            _per_seed_mase(members, scales, against, common))
        if seeds[0] is not None:
            other = seeds[1] if seeds[1] is not None and len(seeds[1]) == len(seeds[0]) \
                else wide["mase"][against].mean()
            row["seed MASE diff min"], row["seed MASE diff max"] = (
                np.min(seeds[0] - other), np.max(seeds[0] - other))
        rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:
        table["p Holm"] = pairwise.holm(table.pop("p").to_numpy())
    return table
