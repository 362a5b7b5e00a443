"""Out of sample: do Monte Carlo's bands hold? The path generators against what happened.

On the first of January of each year from 2015 to 2025 (the cut-offs), each generator is
calibrated on the monthly moves before the cut-off only, draws paths forward from the
last month it knows, and its P10-P90 bands of BTC price, difficulty and hashprice, 6, 12
and 24 months on, are scored against the months that followed; so are its probabilities
that hashprice falls below a fraction of its level at the cut-off (Brier scores).

Two generators, calibrated alike (the 120 months before the cut-off, at most; the median
price kept flat; the network's trend the mean move of the last 24 months):

- ``joint``: :func:`minecalc.uncertainty.joint_paths`, the stationary bootstrap of the
  joint moves, as Monte Carlo draws them by default;
- ``independent``: the price by GBM at the window's volatility and the network by an
  i.i.d. bootstrap of its moves, drawn apart: the structure of the independent draws.

Difficulty is scored as the mid-month difficulty, and the paths move it with the mean
hashrate (difficulty follows hashrate about a retarget late). Hashprice is
``price x (subsidy + 0.03 BTC) / difficulty`` (:func:`minecalc.response.monthly_history`),
the subsidy by the real halving dates on both sides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import moves, response
from .uncertainty import QUANTILES, joint_paths

CUTOFFS = tuple(f"{year}-01" for year in range(2015, 2026))
"""First months after each cut-off (1 January 2015 to 2025)."""
HORIZONS_MONTHS = (6, 12, 24)
LOOKBACK_MONTHS = 120
"""Most months of moves before a cut-off that calibrate it (ten years, as the default
window of Monte Carlo has today)."""
TREND_MONTHS = 24
"""Months before a cut-off whose mean hashrate move is the network's trend."""
THRESHOLDS = (0.5, 0.75, 1.0)
"""Hashprice levels, as fractions of the cut-off's, whose shortfall is forecast."""
GENERATORS = ("joint", "independent")
VARIABLES = ("btc_price", "difficulty", "hashprice")


def _realized() -> pd.DataFrame:
    """Monthly log BTC price, log difficulty and log hashprice since 2012 [1]."""
    table = response.monthly_history(first_month="2012-01")
    return pd.DataFrame(
        {
            "btc_price": np.log(table["btc_price_usd"].to_numpy()),
            "difficulty": np.log(table["difficulty"].to_numpy()),
            "hashprice": np.log(table["hashprice_usd_per_ph_day"].to_numpy()),
            "log_reward": np.log(table["subsidy_btc"].to_numpy() + 0.03),
        },
        index=pd.PeriodIndex(table.index, freq="M"),
    )


def _draws(
    generator: str, window: np.ndarray, rng: np.random.Generator, paths: int, months: int,
    block_months: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Log price and log hashrate moves (paths, months) from the calibration window."""
    trend = window[-TREND_MONTHS:, 1].mean()
    drift = np.array([[0.0], [trend]]) * np.ones(months)
    if generator == "joint":
        price, network = joint_paths(window, rng, paths, drift, block_months)
        return price, network
    sigma = window[:, 0].std()
    price = sigma * rng.standard_normal((paths, months))  # GBM, median flat, monthly steps
    (network,) = joint_paths(window[:, 1:], rng, paths, drift[1:], 1.0)
    return price, network


def out_of_sample(
    cutoffs=CUTOFFS, paths: int = 2000, seed: int = 0, block_months: float = 6.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bands and shortfall probabilities of each generator at each cut-off, with outcomes.

    Parameters
    ----------
    cutoffs : iterable of str
        First months after the cut-offs (``YYYY-MM``).
    paths : int
        Paths per cut-off and generator.
    seed : int
        Cut-off ``i`` and generator ``g`` draw from ``numpy.random.default_rng([seed, i, g])``.
    block_months : float
        Mean block length of the joint bootstrap [months].

    Returns
    -------
    bands : pandas.DataFrame
        One row per cut-off, generator, horizon and variable: ``realized``, ``p10``,
        ``p50``, ``p90`` (log change from the last month before the cut-off) [1] and
        ``inside`` (bool).
    shortfalls : pandas.DataFrame
        One row per cut-off, generator, horizon and threshold: ``probability`` that
        hashprice ends below ``threshold`` times its level in the last month before the
        cut-off [fraction], and ``outcome`` (1 if it did) [1].
    """
    realized = _realized()
    all_moves = moves.monthly_moves(first_month="2012-02")
    bands, shortfalls = [], []
    for i, cutoff in enumerate(cutoffs):
        last = pd.Period(cutoff, freq="M") - 1  # the newest month known at the cut-off
        window = all_moves.loc[last - LOOKBACK_MONTHS + 1 : last].to_numpy()
        ahead = [h for h in HORIZONS_MONTHS if last + h <= realized.index[-1]]
        if not ahead:
            continue
        for g, generator in enumerate(GENERATORS):
            rng = np.random.default_rng([seed, i, g])
            price, network = _draws(generator, window, rng, paths, max(ahead), block_months)
            for h in ahead:
                reward = realized.at[last + h, "log_reward"] - realized.at[last, "log_reward"]
                simulated = {
                    "btc_price": price[:, :h].sum(axis=1),
                    "difficulty": network[:, :h].sum(axis=1),
                }
                simulated["hashprice"] = simulated["btc_price"] - simulated["difficulty"] + reward
                key = {"cutoff": str(cutoff), "generator": generator, "horizon_months": h}
                for variable in VARIABLES:
                    change = realized.at[last + h, variable] - realized.at[last, variable]
                    p10, p50, p90 = np.quantile(simulated[variable], QUANTILES)
                    bands.append(
                        key
                        | {"variable": variable, "realized": change}
                        | {"p10": p10, "p50": p50, "p90": p90, "inside": p10 <= change <= p90}
                    )
                change = realized.at[last + h, "hashprice"] - realized.at[last, "hashprice"]
                for threshold in THRESHOLDS:
                    below = simulated["hashprice"] < np.log(threshold)
                    shortfalls.append(
                        key
                        | {"threshold": threshold, "probability": float(below.mean())}
                        | {"outcome": float(change < np.log(threshold))}
                    )
    return pd.DataFrame(bands), pd.DataFrame(shortfalls)


def scores(bands: pd.DataFrame, shortfalls: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the bands and Brier score of the shortfall forecasts.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``generator`` and ``horizon_months``: ``outcomes`` (cut-offs scored),
        ``independent`` (about as many independent outcomes: cut-offs a year apart
        overlap when the horizon is longer), the ``coverage`` of each variable's band
        [fraction] and ``brier`` (mean squared error of the shortfall probabilities over
        the thresholds; 0 is perfect, 0.25 what a constant 50 % scores) [1].
    """
    keys = ["generator", "horizon_months"]
    coverage = bands.pivot_table(index=keys, columns="variable", values="inside", aggfunc="mean")
    coverage.columns = [f"coverage_{v}" for v in coverage.columns]
    counted = bands[bands["variable"] == VARIABLES[0]].groupby(keys).size().rename("outcomes")
    brier = (
        shortfalls.assign(error=(shortfalls["probability"] - shortfalls["outcome"]) ** 2)
        .groupby(keys)["error"]
        .mean()
        .rename("brier")
    )
    table = pd.concat([counted, coverage, brier], axis=1)
    horizon = table.index.get_level_values("horizon_months").to_numpy()
    table.insert(1, "independent", table["outcomes"] * np.minimum(1.0, 12 / horizon))
    return table


def markdown(table: pd.DataFrame) -> str:
    """:func:`scores` as the Markdown table the README shows (percent, Brier to 0.01)."""
    lines = [
        "| generator | horizon | cut-offs (independent) | price | difficulty | hashprice "
        "| Brier, hashprice shortfall |",
        "|---|---|---|---|---|---|---|",
    ]
    for (generator, horizon), row in table.iterrows():
        covered = " | ".join(f"{100 * row[f'coverage_{v}']:.0f} %" for v in VARIABLES)
        lines.append(
            f"| {generator} | {horizon} months | {row['outcomes']:.0f} ({row['independent']:.0f})"
            f" | {covered} | {row['brier']:.2f} |"
        )
    return "\n".join(lines)
