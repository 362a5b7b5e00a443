"""Backtests: check the projection against the real chain history.

Three checks, each a function of the packaged history (``minecalc/data``) alone:

- **Replay** (:func:`replay_cases`, :func:`replay_history`): the exact retarget rule
  (:func:`minecalc.protocol.next_nbits`) applied to real header times gives the next
  epoch's difficulty. With the first and last block times of an epoch it is exact; with
  epoch start times only (all the packaged table has) it is within a fraction of a percent.
- **Halving timing** (:func:`halving_timing`): started one year before a halving with the
  network's realized hashrate, :func:`minecalc.chain.project` must find the halving block
  within days of its real header time.
- **Out of sample** (:func:`out_of_sample`, :func:`coverage`): a Monte Carlo band of
  difficulty calibrated on the history before a cut-off date is compared with what came
  after it; an 80 % band should hold about 80 % of the realized epochs.

All times are seconds since 1970-01-01 UTC unless a name says otherwise.
"""

from __future__ import annotations

import warnings
from importlib import resources
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import chain, history, path_backtest, response
from .errors import InputError
from .progress import Progress, tell
from .protocol import (
    HALVING_INTERVAL,
    HASHES_PER_DIFFICULTY,
    POW_LIMIT_NBITS,
    RETARGET_INTERVAL,
    SECONDS_PER_YEAR,
    nbits_to_difficulty,
    next_nbits,
)

HALVING_TIMES_UNIX = {
    210_000: 1_354_116_278,  # 2012-11-28 15:24:38 UTC
    420_000: 1_468_082_773,  # 2016-07-09 16:46:13 UTC
    630_000: 1_589_225_023,  # 2020-05-11 19:23:43 UTC
    840_000: 1_713_571_767,  # 2024-04-20 00:09:27 UTC
}
"""Header time (``nTime``) of each halving block [s since 1970-01-01 UTC].

Public chain data (``getblockheader``), not in the packaged table because no halving
height is a multiple of 2016. Each lies between the packaged start times of its epoch
and the next (``tests/test_backtest.py`` checks it), and the packaged nBits of the
epoch of 840,000 (``0x17034219``) is that block's header field."""

TOLERANCE_DAYS = 2.0
"""The halving-timing backtest passes when the projected time is within this [d]."""
CUTOFFS = (
    "2019-01-01",
    "2020-01-01",
    "2021-01-01",
    "2022-01-01",
    "2023-01-01",
    "2024-01-01",
    "2025-01-01",
)
"""Default cut-off dates of the out-of-sample backtest: every 1 January 2019-2025."""
WINDOW_EPOCHS = 52
"""Epochs before a cut-off whose difficulty changes calibrate the Monte Carlo (~2 years)."""
BLOCK_EPOCHS = (1, 13)
"""Resampling schemes compared: i.i.d. one-epoch changes (1) and blocks of 13
consecutive changes (about half a year), which keep the persistence of growth."""
BAND = (0.1, 0.5, 0.9)
"""Quantiles of the band: P10, P50, P90 (an 80 % band)."""


# --- 1. Replay -------------------------------------------------------------------------------


def replay_cases() -> pd.DataFrame:
    """Replay the packaged retarget test vectors with their real first and last block times.

    Returns
    -------
    pandas.DataFrame
        The 13 rows of ``data/retarget_cases.csv`` (``nbits`` and ``next_nbits`` as int)
        plus ``predicted_next_nbits`` (int) and ``exact`` (bool): the rule's result equals
        the listed next nBits bit for bit.
    """
    hex_int = {c: (lambda s: int(s, 16)) for c in ("nbits", "next_nbits")}
    with resources.files("minecalc").joinpath("data/retarget_cases.csv").open() as f:
        cases = pd.read_csv(f, converters=hex_int)
    cases["predicted_next_nbits"] = [
        next_nbits(n, a, b)
        for n, a, b in zip(
            cases["nbits"],
            cases["first_block_time_unix"],
            cases["last_block_time_unix"],
            strict=True,
        )
    ]
    cases["exact"] = cases["predicted_next_nbits"] == cases["next_nbits"]
    return cases


def replay_history() -> pd.DataFrame:
    """Replay every retarget of the packaged table from epoch start times alone.

    Returns
    -------
    pandas.DataFrame
        One row per epoch whose difficulty can be replayed (467: every epoch from 2,016
        to 941,472; the rest lack a real start time or a difficulty before or at them):

        - ``height`` (int): first height of the epoch whose difficulty is predicted [-]
        - ``start_time`` (datetime64, UTC): its first block's header time
        - ``timespan_s`` (int): start of this epoch minus start of the previous [s]
        - ``nbits``, ``predicted_nbits`` (int): listed and replayed compact targets
        - ``difficulty``, ``predicted_difficulty`` (float): the same as difficulties [-]
        - ``relative_error`` (float): ``predicted / listed - 1`` [-]
        - ``exact`` (bool): the replayed nBits equals the listed one
        - ``at_pow_limit`` (bool): the listed target is powLimit (difficulty 1)

    Notes
    -----
    ``predicted = next_nbits(nbits_{k-1}, start_{k-1}, start_k)``: the next epoch's first
    block stands in for the previous epoch's last, so the timespan covers 2016 block
    intervals where Bitcoin Core measures 2015. The replayed target is therefore about
    one block interval in 2016 too easy (``-1/2016 = -0.0496 %`` in difficulty, on
    average), and exact only by chance, or where the rule caps the target at powLimit
    (2009: any timespan longer than two weeks at difficulty 1 gives difficulty 1 again).
    Start times reconstructed from the difficulties (943,488 onward) are not used: that
    would replay the rule on itself.
    """
    table = history.load_difficulty_history()
    start_s = np.round(history._start_time_s(table)).astype(np.int64)
    usable = (~table["start_time_estimated"] & table["nbits"].notna()).to_numpy()
    pair = usable[:-1] & usable[1:]  # heights are contiguous: consecutive rows are one retarget
    nbits = table["nbits"].to_numpy(dtype=object)
    rows = np.flatnonzero(pair) + 1
    # One retarget at a time in 256-bit Python integers: 467 exact evaluations.
    predicted = np.array(
        [next_nbits(nbits[k - 1], start_s[k - 1], start_s[k]) for k in rows], dtype=np.int64
    )
    listed = table["nbits"].to_numpy(dtype=np.int64, na_value=0)[rows]
    predicted_d = nbits_to_difficulty(predicted)
    listed_d = table["difficulty"].to_numpy()[rows]
    return pd.DataFrame(
        {
            "height": table["height"].to_numpy()[rows],
            "start_time": table["start_time"].array[rows],
            "timespan_s": start_s[rows] - start_s[rows - 1],
            "nbits": listed,
            "predicted_nbits": predicted,
            "difficulty": listed_d,
            "predicted_difficulty": predicted_d,
            "relative_error": predicted_d / listed_d - 1,
            "exact": predicted == listed,
            "at_pow_limit": listed == POW_LIMIT_NBITS,
        }
    )


def replay_summary(replay: pd.DataFrame | None = None, cases: pd.DataFrame | None = None) -> dict:
    """Statistics of the replay: exact matches and the relative error of difficulty.

    Parameters
    ----------
    replay, cases : pandas.DataFrame, optional
        Outputs of :func:`replay_history` and :func:`replay_cases` (computed if omitted).

    Returns
    -------
    dict
        ``cases``, ``cases_exact`` [-]; ``epochs``, ``exact``, ``exact_at_pow_limit``,
        ``at_pow_limit`` [-]; ``max_abs_relative_error``, ``median_abs_relative_error``,
        ``p95_abs_relative_error``, ``mean_relative_error`` [fraction];
        ``expected_mean_relative_error`` (``-1/2016``, the one extra interval) [fraction];
        ``worst_height`` [-], ``first_height``, ``last_height`` [-].
    """
    replay = replay_history() if replay is None else replay
    cases = replay_cases() if cases is None else cases
    err = replay["relative_error"].to_numpy()
    above = ~replay["at_pow_limit"].to_numpy()
    return {
        "cases": len(cases),
        "cases_exact": int(cases["exact"].sum()),
        "epochs": len(replay),
        "first_height": int(replay["height"].iloc[0]),
        "last_height": int(replay["height"].iloc[-1]),
        "exact": int(replay["exact"].sum()),
        "at_pow_limit": int((~above).sum()),
        "exact_at_pow_limit": int((replay["exact"] & replay["at_pow_limit"]).sum()),
        "max_abs_relative_error": float(np.abs(err).max()),
        "median_abs_relative_error": float(np.median(np.abs(err))),
        "p95_abs_relative_error": float(np.percentile(np.abs(err), 95)),
        "mean_relative_error": float(err[above].mean()),
        "expected_mean_relative_error": -1 / RETARGET_INTERVAL,
        "worst_height": int(replay["height"].iloc[np.argmax(np.abs(err))]),
    }


# --- 2. Halving timing ------------------------------------------------------------------------


def implied_hashrate() -> pd.DataFrame:
    """Mean network hashrate of each packaged epoch, from its difficulty and duration.

    Returns
    -------
    pandas.DataFrame
        The history (:func:`minecalc.history.load_difficulty_history`) plus
        ``start_time_s`` [s], ``duration_s`` (next start minus this start) [s],
        ``mid_time_s`` [s] and ``hashrate_h_s`` [H/s]; NaN for the last epoch and
        around 951,552. From 941,472 on the start times are reconstructed from the
        difficulties, so the hashrate there is the rule's own echo, not a measurement.

    Notes
    -----
    ``H_k = D_k * 2**48/0xffff * 2016 / (start_{k+1} - start_k)``: the expected work
    of the epoch's 2016 blocks over the time they took (luck counts as hashrate).
    """
    table = history.load_difficulty_history()
    start_s = history._start_time_s(table)
    duration = np.append(np.diff(start_s), np.nan)
    return table.assign(
        start_time_s=start_s,
        duration_s=duration,
        mid_time_s=start_s + duration / 2,
        hashrate_h_s=table["difficulty"] * HASHES_PER_DIFFICULTY * RETARGET_INTERVAL / duration,
    )


def halving_timing(
    heights=tuple(HALVING_TIMES_UNIX), lead_years: int = 1, trend_epochs: int = 26
) -> pd.DataFrame:
    """Project each halving from one year before, and compare with its real time.

    Parameters
    ----------
    heights : iterable of int
        Halving heights, keys of :data:`HALVING_TIMES_UNIX`.
    lead_years : int
        Start at the epoch that begins at or before the halving's date minus this many
        calendar years [yr].
    trend_epochs : int
        Epochs up to the start fitted for the forecast column [-].

    Returns
    -------
    pandas.DataFrame
        One row per halving: ``height``, ``real_time``, ``start_height``, ``start_time``,
        ``start_difficulty`` [-]; with the realized hashrate ``projected_time``,
        ``error_h`` (projected minus real) [h], ``within_tolerance`` (``|error| <=``
        :data:`TOLERANCE_DAYS`) and ``epoch_start_max_error_h`` (worst projected epoch
        start on the way) [h]; with a trend forecast ``trend_growth_per_year``
        [fraction/yr], ``trend_time`` and ``trend_error_h`` [h].

    Notes
    -----
    The chain starts at the first block of the chosen epoch, with its real height,
    difficulty and header time, and no fleet. The rest of the network is
    :func:`implied_hashrate` placed at each epoch's middle and interpolated
    log-linearly (:func:`minecalc.chain.log_linear_path`); the projection then runs the
    float retarget rule on its own block times, so errors in difficulty do not build
    up: an epoch projected too hard runs slow and its retarget takes the excess back.
    This checks the timing machinery given the hashrate that happened, not a forecast.
    The trend columns are the forecast a planner could have made at the start: the
    latest epoch's hashrate growing at the difficulty trend fitted over the
    ``trend_epochs`` epochs up to the start (:func:`minecalc.history.growth_trend_per_year`).
    """
    epochs = implied_hashrate()
    rows = [  # one backtest per halving, each with its own start and path
        _halving_row(epochs, height, lead_years=lead_years, trend_epochs=trend_epochs)
        for height in heights
    ]
    return pd.DataFrame(rows)


def _halving_row(epochs: pd.DataFrame, height: int, *, lead_years: int, trend_epochs: int) -> dict:
    """One halving's backtest: the realized hashrate and the trend forecast, from a start
    ``lead_years`` before it (see :func:`halving_timing`)."""
    t_all, h_all = epochs["mid_time_s"].to_numpy(), epochs["hashrate_h_s"].to_numpy()
    if height not in HALVING_TIMES_UNIX:
        raise InputError(
            f"heights: expected halvings with a known time "
            f"({', '.join(map(str, HALVING_TIMES_UNIX))}), got {height}"
        )
    real_s = float(HALVING_TIMES_UNIX[height])
    begin = pd.Timestamp(real_s, unit="s", tz="UTC") - pd.DateOffset(years=lead_years)
    k = int(np.flatnonzero(epochs["start_time"] <= begin)[-1])
    start = epochs.iloc[k]
    last = height // RETARGET_INTERVAL + 2  # knots through two epochs past the halving
    knots_s = t_all[k - 1 : last + 1] - start["start_time_s"]
    edges = np.concatenate([[0.0], knots_s[knots_s > 0]])
    realized = chain.log_linear_path(knots_s, h_all[k - 1 : last + 1], edges)
    growth = history.growth_trend_per_year(trend_epochs, end_height=int(start["height"]))
    rate = chain.growth_rate_per_s(growth, "per_year")
    trend = chain.exponential_path(h_all[k - 1] * np.exp(-rate * knots_s[0]), rate, edges)
    proj = chain.project(
        edges,
        np.stack([realized, trend]),
        np.zeros((2, edges.size - 1)),
        difficulty=start["difficulty"],
        height=int(start["height"]),
        epoch_elapsed_s=0.0,
    )
    halving_s = (
        start["start_time_s"]
        + proj.halving_time_s[:, height // HALVING_INTERVAL - proj.first_halving]
    )
    projected_starts = proj.epoch_start_s[0, 1:]
    real_starts = epochs["start_time_s"].to_numpy()[k + 1 : k + 1 + projected_starts.size]
    reached = ~np.isnan(projected_starts)
    start_error_s = projected_starts[reached] + start["start_time_s"] - real_starts[reached]
    error_h = (halving_s - real_s) / 3600
    return {
        "height": height,
        "real_time": pd.Timestamp(real_s, unit="s", tz="UTC"),
        "start_height": int(start["height"]),
        "start_time": start["start_time"],
        "start_difficulty": float(start["difficulty"]),
        "projected_time": pd.Timestamp(halving_s[0], unit="s", tz="UTC"),
        "error_h": float(error_h[0]),
        "within_tolerance": bool(abs(error_h[0]) <= TOLERANCE_DAYS * 24),
        "epoch_start_max_error_h": float(np.abs(start_error_s).max() / 3600),
        "trend_growth_per_year": growth,
        "trend_time": pd.Timestamp(halving_s[1], unit="s", tz="UTC"),
        "trend_error_h": float(error_h[1]),
    }


# --- 3. Out of sample -------------------------------------------------------------------------


def resample_changes(changes, rng, paths: int, n: int, block_epochs: int = 1) -> np.ndarray:
    """Resample a history of per-epoch changes into paths: i.i.d. or in blocks.

    Parameters
    ----------
    changes : array_like, shape (m,)
        Historical log changes per epoch [-], in time order.
    rng : numpy.random.Generator
    paths, n : int
        Number of paths and of epochs per path.
    block_epochs : int
        1 draws each epoch independently; ``L > 1`` is a moving-block bootstrap: runs of
        ``L`` consecutive historical changes, starting at random, laid end to end.

    Returns
    -------
    numpy.ndarray, shape (paths, n)
        Resampled log changes [-].

    Notes
    -----
    I.i.d. draws make the variance of an n-epoch sum ``n var(x)``; growth is persistent
    (a run of good epochs tends to follow a good epoch), which blocks keep up to their
    length and i.i.d. draws destroy.
    """
    changes = np.asarray(changes, dtype=np.float64)
    if not 1 <= block_epochs <= changes.size:
        raise InputError(
            f"block_epochs: expected 1 to {changes.size} (the changes given), got {block_epochs}"
        )
    blocks = -(-n // block_epochs)
    first = rng.integers(0, changes.size - block_epochs + 1, size=(paths, blocks))
    index = (first[..., None] + np.arange(block_epochs)).reshape(paths, -1)[:, :n]
    return changes[index]


def project_epoch_difficulty(
    log_changes, difficulty, height, hashrate_h_s, hashrate_time_s, epoch_s, epochs: int
) -> np.ndarray:
    """Difficulty of the next epochs on hashrate paths built from per-epoch log changes.

    Parameters
    ----------
    log_changes : array_like, shape (..., n)
        Log change of the network's hashrate over each successive epoch [-].
    difficulty : float
        Difficulty of the epoch that starts at time 0 [-].
    height : int
        Its first height [-], a multiple of 2016.
    hashrate_h_s : float
        Network hashrate at ``hashrate_time_s`` [H/s].
    hashrate_time_s : float
        When that hashrate held [s from the start], <= 0 (the middle of the last
        completed epoch).
    epoch_s : float
        Duration of one change [s].
    epochs : int
        Epochs after the current one to return [-].

    Returns
    -------
    numpy.ndarray, shape (..., epochs)
        Difficulty of epochs ``height/2016 + 1 ...`` [-]; NaN where a path does not
        reach the epoch within ``n`` changes.

    Notes
    -----
    ``ln H`` at ``hashrate_time_s + j epoch_s`` is ``ln hashrate_h_s + sum of the first
    j changes``, log-linear between (:func:`minecalc.chain.log_linear_path`); the chain
    (:func:`minecalc.chain.project`, no fleet) turns it into retargets.
    """
    log_changes = np.asarray(log_changes, dtype=np.float64)
    n = log_changes.shape[-1]
    knots_s = hashrate_time_s + epoch_s * np.arange(n + 1)
    log_h = np.log(hashrate_h_s) + np.concatenate(
        [np.zeros((*log_changes.shape[:-1], 1)), np.cumsum(log_changes, axis=-1)], axis=-1
    )
    edges = np.concatenate([[0.0], knots_s[knots_s > 0]])
    other = chain.log_linear_path(knots_s, np.exp(log_h), edges)
    proj = chain.project(
        edges,
        other,
        np.zeros(edges.size - 1),
        difficulty=difficulty,
        height=height,
        epoch_elapsed_s=0.0,
    )
    found = proj.epoch_difficulty[..., 1 : epochs + 1]
    missing = epochs - found.shape[-1]  # no path got that far
    return np.concatenate([found, np.full((*found.shape[:-1], missing), np.nan)], axis=-1)


def quantile_band(samples, quantiles=BAND, axis: int = 0) -> np.ndarray:
    """Quantiles over paths, ignoring NaN (paths that did not get there).

    Returns
    -------
    numpy.ndarray
        ``len(quantiles)`` first, then ``samples``' shape without ``axis``; NaN where
        no path has a value.
    """
    with warnings.catch_warnings():  # an all-NaN column has no band: NaN, said by the caller
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(samples, quantiles, axis=axis)


def coverage(realized, low, high) -> float:
    """Share of realized values inside their band ``[low, high]``.

    Parameters
    ----------
    realized, low, high : array_like, broadcastable
        Realized values and band edges. A NaN realized value is left out; a NaN band
        edge (no path got there) holds nothing, so its value counts as outside.

    Returns
    -------
    float
        Coverage [fraction]; NaN when no realized value is given.
    """
    realized, low, high = np.broadcast_arrays(realized, low, high)
    known = ~np.isnan(realized)
    return float(_inside(realized, low, high)[known].mean()) if known.any() else float("nan")


def _inside(realized, low, high):
    """Whether each value lies in its band; False against a NaN edge."""
    return (np.asarray(realized) >= low) & (np.asarray(realized) <= high)


def out_of_sample(
    cutoffs=CUTOFFS,
    paths: int = 2000,
    seed: int = 0,
    window_epochs: int = WINDOW_EPOCHS,
    block_epochs=BLOCK_EPOCHS,
    horizon_years: float = 1.0,
) -> pd.DataFrame:
    """Monte Carlo difficulty bands calibrated before each cut-off, against what happened.

    Parameters
    ----------
    cutoffs : iterable of str or datetime-like
        Cut-off dates (UTC); nothing after a cut-off is used for its band.
    paths : int
        Monte Carlo paths per cut-off and scheme.
    seed : int
        Seed; cut-off i draws from ``numpy.random.default_rng([seed, i])``.
    window_epochs : int
        Number of difficulty changes before the cut-off resampled [-].
    block_epochs : iterable of int
        Resampling schemes (:func:`resample_changes`), one band each.
    horizon_years : float
        Realized epochs that start within this time after the cut-off are scored [yr].

    Returns
    -------
    pandas.DataFrame
        One row per cut-off, scheme and realized epoch: ``cutoff``, ``block_epochs``,
        ``height``, ``start_time``, ``epochs_ahead``, ``difficulty`` (realized) [-],
        ``p10``, ``p50``, ``p90`` [-], ``inside`` (bool), ``reached`` (share of paths
        that got to the epoch) [fraction].

    Notes
    -----
    At a cut-off the model knows the epoch in force (the last that began at or before
    it: its height, difficulty and start time) and the ``window_epochs`` changes that
    led to it. The network's hashrate starts at the previous epoch's implied value
    (:func:`implied_hashrate`, in the middle of that epoch) and changes by one resampled
    difficulty change per mean epoch duration of the window; the chain turns it into
    difficulties epoch by epoch. Epoch 951,552 has no difficulty and is not scored.
    """
    epochs = implied_hashrate()
    start_s, mid_s = epochs["start_time_s"].to_numpy(), epochs["mid_time_s"].to_numpy()
    blocks = np.atleast_1d(np.asarray(block_epochs, dtype=np.int64))
    frames = []
    for i, cutoff in enumerate(cutoffs):  # each cut-off is its own calibration
        at = _at_cutoff(epochs, cutoff, window_epochs, horizon_years)
        k, ahead = at.k, at.ahead
        n = int(np.ceil(1.5 * (ahead[-1] - k))) + 2  # room for paths slower than history
        rng = np.random.default_rng([seed, i])
        draws = np.stack([resample_changes(at.changes, rng, paths, n, b) for b in blocks])
        d = project_epoch_difficulty(
            draws,
            epochs["difficulty"].iloc[k],
            int(epochs["height"].iloc[k]),
            epochs["hashrate_h_s"].iloc[k - 1],
            mid_s[k - 1] - start_s[k],
            (start_s[k] - start_s[k - window_epochs]) / window_epochs,
            int(ahead[-1] - k),
        )
        frames += [_scored(epochs, at, d[s], int(b)) for s, b in enumerate(blocks)]
    frame = pd.concat(frames, ignore_index=True)
    return frame[frame["difficulty"].notna()].reset_index(drop=True)


class _Cutoff(NamedTuple):
    """What the model knows at a cut-off."""

    label: str
    """The cut-off as YYYY-MM-DD (UTC)."""
    k: int
    """Index of the epoch in force."""
    changes: np.ndarray
    """Log difficulty changes of the window before it."""
    ahead: np.ndarray
    """Indices of the epochs that start within the horizon after it."""


def _at_cutoff(epochs: pd.DataFrame, cutoff, window_epochs: int, horizon_years: float) -> _Cutoff:
    """The epoch in force at ``cutoff``, the changes that led to it, the epochs to score."""
    start_s = epochs["start_time_s"].to_numpy()
    cut = pd.Timestamp(cutoff)
    cut = cut.tz_localize("UTC") if cut.tz is None else cut.tz_convert("UTC")
    cut_s = (cut - pd.Timestamp(0, tz="UTC")).total_seconds()
    k = int(np.searchsorted(start_s, cut_s, side="right")) - 1  # the epoch in force
    if k < window_epochs + 1:
        raise InputError(
            f"cutoffs: expected dates with {window_epochs} epochs of history "
            f"before them, got {cutoff}"
        )
    height = int(epochs["height"].iloc[k])
    changes = np.log(history.difficulty_changes(height - window_epochs * RETARGET_INTERVAL, height))
    horizon_s = cut_s + horizon_years * SECONDS_PER_YEAR
    ahead = np.flatnonzero((start_s > cut_s) & (start_s <= horizon_s))
    if not ahead.size:
        raise InputError(
            f"cutoffs: expected dates before the history ends "
            f"({epochs['start_time'].iloc[-1]:%Y-%m-%d}), got {cutoff}"
        )
    return _Cutoff(cut.strftime("%Y-%m-%d"), k, changes, ahead)


def _scored(epochs: pd.DataFrame, at: _Cutoff, d: np.ndarray, block_epochs: int) -> pd.DataFrame:
    """One scheme's band at a cut-off against the realized epochs; ``d`` is (path, epoch)."""
    col = at.ahead - at.k - 1
    band = quantile_band(d, BAND, axis=0)[..., col]  # (quantile, epoch)
    realized = epochs["difficulty"].to_numpy()[at.ahead]
    return pd.DataFrame(
        {
            "cutoff": at.label,
            "block_epochs": block_epochs,
            "height": epochs["height"].to_numpy()[at.ahead],
            "start_time": epochs["start_time"].array[at.ahead],
            "epochs_ahead": at.ahead - at.k,
            "difficulty": realized,
            "p10": band[0],
            "p50": band[1],
            "p90": band[2],
            "inside": _inside(realized, band[0], band[2]),
            "reached": (~np.isnan(d)).mean(axis=0)[col],
        }
    )


def coverage_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Coverage per cut-off and scheme, and over all cut-offs, from :func:`out_of_sample`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cutoff`` (``"all"`` for the pooled rows) and ``block_epochs``:
        ``epochs`` [-] and ``coverage`` [fraction]; per cut-off also, at the last scored
        epoch (about ``horizon_years`` ahead), ``inside_at_horizon`` (bool),
        ``p50_error`` (``P50 / realized - 1``) [fraction] and ``band_ratio``
        (``P90 / P10``) [-].

    Notes
    -----
    The epochs after one cut-off follow one realized path, so they are far from
    independent: a band that misses a regime misses it for many epochs in a row. The
    pooled coverage rests on about as many independent outcomes as there are cut-offs.
    """
    keys = ["cutoff", "block_epochs"]
    per_cutoff = frame.groupby(keys).agg(epochs=("inside", "size"), coverage=("inside", "mean"))
    last = frame.groupby(keys).last()
    per_cutoff["inside_at_horizon"] = last["inside"]
    per_cutoff["p50_error"] = last["p50"] / last["difficulty"] - 1
    per_cutoff["band_ratio"] = last["p90"] / last["p10"]
    pooled = frame.groupby("block_epochs").agg(
        epochs=("inside", "size"), coverage=("inside", "mean")
    )
    pooled.index = pd.MultiIndex.from_product([["all"], pooled.index], names=keys)
    return pd.concat([per_cutoff, pooled])


# --- All three, for the command line ----------------------------------------------------------


def summary(
    paths: int = 2000, seed: int = 0, cutoffs=CUTOFFS, *, progress: Progress | None = None
) -> dict:
    """The three backtests' figures as a JSON-ready dict.

    Parameters
    ----------
    paths, seed, cutoffs
        Passed to :func:`out_of_sample`.
    progress : callable, optional
        ``progress(message, fraction)`` (:mod:`minecalc.progress`).

    Returns
    -------
    dict
        ``replay`` (:func:`replay_summary`); ``halvings``, one dict per halving
        (:func:`halving_timing`, times as ISO 8601 UTC strings) and
        ``tolerance_days``; ``out_of_sample`` with the settings, one dict per cut-off and
        scheme, and the ``pooled`` coverage per scheme (:func:`coverage_summary`);
        ``response``, the calibration of :func:`minecalc.response.calibrate`.
    """
    tell(progress, "backtest: halving dates", 0.0)
    halvings = halving_timing()
    tell(progress, "backtest: out-of-sample difficulty bands", 1 / 3)
    for column in ("real_time", "start_time", "projected_time", "trend_time"):
        halvings[column] = halvings[column].map(lambda t: t.isoformat(timespec="seconds"))
    table = coverage_summary(out_of_sample(cutoffs, paths, seed)).reset_index()
    pooled = table["cutoff"] == "all"
    tell(progress, "backtest: out-of-sample price, difficulty and hashprice bands", 0.6)
    generators = path_backtest.scores(*path_backtest.out_of_sample(paths=paths, seed=seed))
    tell(progress, "backtest: retarget replay and response calibration", 0.8)
    per_cutoff = table[~pooled].astype({"inside_at_horizon": bool})
    return {
        "replay": replay_summary(),
        "tolerance_days": TOLERANCE_DAYS,
        "halvings": _records(halvings),
        "out_of_sample": {
            "paths": paths,
            "seed": seed,
            "window_epochs": WINDOW_EPOCHS,
            "block_epochs": list(BLOCK_EPOCHS),
            "band": [BAND[0], BAND[-1]],
            "cutoffs": _records(per_cutoff),
            "pooled": _records(table.loc[pooled, ["block_epochs", "epochs", "coverage"]]),
        },
        "generators": {
            "paths": paths,
            "seed": seed,
            "cutoffs": list(path_backtest.CUTOFFS),
            "scores": _records(generators.reset_index()),
        },
        "response": response.calibrate()._asdict(),
    }


def _records(frame: pd.DataFrame) -> list:
    """Rows as dicts of plain Python values (JSON has no numpy types)."""
    return [
        {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def format_report(result: dict) -> str:
    """The output of :func:`summary` as readable text tables."""
    r = result["replay"]
    pct = 100
    lines = [
        "Replay of the retarget rule (exact integer form, minecalc.protocol.next_nbits)",
        f"  Test vectors with real first and last block times   {r['cases_exact']} of "
        f"{r['cases']} bit for bit",
        f"  Packaged table from epoch start times alone         {r['epochs']} epochs, "
        f"{r['first_height']:,} to {r['last_height']:,}",
        f"    exact nBits                                       {r['exact']} ("
        f"{r['exact_at_pow_limit']} of them at difficulty 1, capped at powLimit)",
        f"    |difficulty error| median / P95 / max             "
        f"{pct * r['median_abs_relative_error']:.3f} / {pct * r['p95_abs_relative_error']:.3f}"
        f" / {pct * r['max_abs_relative_error']:.3f} % (worst at {r['worst_height']:,})",
        f"    mean error above difficulty 1                     "
        f"{pct * r['mean_relative_error']:+.3f} % (one extra block interval: "
        f"{pct * r['expected_mean_relative_error']:+.3f} %)",
        "",
        f"Halving timing: projected from one year before, no fleet (pass: within "
        f"{result['tolerance_days']:g} days)",
        f"  {'':53}{'realized hashrate':^24}  {'trend forecast':^20}".rstrip(),
        f"  {'halving':>7}  {'start epoch':>11}  {'start':<10}  {'real time (UTC)':<19}"
        f"{'error h':>9}{'error d':>9}{'pass':>6}  {'growth/yr':>11}{'error d':>9}",
    ]
    for h in result["halvings"]:
        lines.append(
            f"  {h['height']:>7,}  {h['start_height']:>11,}  {h['start_time'][:10]}  "
            f"{h['real_time'][:19].replace('T', ' ')}{h['error_h']:+9.1f}{h['error_h'] / 24:+9.2f}"
            f"{'yes' if h['within_tolerance'] else 'NO':>6}  "
            f"{pct * h['trend_growth_per_year']:>+9,.0f} %{h['trend_error_h'] / 24:+9.1f}"
        )
    o = result["out_of_sample"]
    schemes = o["block_epochs"]
    names = ["i.i.d." if b == 1 else f"blocks of {b}" for b in schemes]
    lines += [
        "",
        f"Out of sample: P{pct * o['band'][0]:.0f}-P{pct * o['band'][1]:.0f} band of "
        f"difficulty per epoch, 1 year after each cut-off",
        f"  ({o['paths']:,} paths, seed {o['seed']}; calibrated on the {o['window_epochs']} "
        "epoch changes before the cut-off; claims 80 %)",
        (f"  {'':18}" + "".join(f"  {name:^26}" for name in names)).rstrip(),
        f"  {'cut-off':<10}{'epochs':>8}"
        + f"  {'cover':>8}{'at 1 yr':>9}{'P50 err':>9}" * len(names),
    ]
    rows: dict[str, dict[int, dict]] = {}
    for c in o["cutoffs"]:
        rows.setdefault(c["cutoff"], {})[c["block_epochs"]] = c
    for cutoff, by_scheme in rows.items():
        lines.append(
            f"  {cutoff:<10}{by_scheme[schemes[0]]['epochs']:>8}"
            + "".join(
                f"  {pct * c['coverage']:6.0f} %{'in' if c['inside_at_horizon'] else 'out':>9}"
                f"{pct * c['p50_error']:>+7.0f} %"
                for c in (by_scheme[b] for b in schemes)
            )
        )
    pooled = {p["block_epochs"]: p for p in o["pooled"]}
    lines.append(
        f"  {'all':<10}{pooled[schemes[0]]['epochs']:>8}"
        + "".join(
            f"  {pct * pooled[b]['coverage']:6.0f} %"
            f"{sum(c['inside_at_horizon'] for c in o['cutoffs'] if c['block_epochs'] == b):>5} of "
            f"{len(rows)}{'':9}"
            for b in schemes
        ).rstrip()
    )
    g = result["generators"]
    lines += [
        "",
        f"Out of sample: Monte Carlo's P{pct * BAND[0]:.0f}-P{pct * BAND[-1]:.0f} bands of BTC "
        f"price, difficulty and hashprice, calibrated before each 1 January "
        f"{g['cutoffs'][0][:4]}-{g['cutoffs'][-1][:4]}",
        f"  ({g['paths']:,} paths, seed {g['seed']}; claims 80 %; Brier score of "
        f"P(hashprice below 50/75/100 % of today's): 0 is perfect, 0.25 a constant 50 %)",
        f"  {'generator':<12}{'horizon':>8}{'cut-offs':>10}{'price':>8}{'difficulty':>12}"
        f"{'hashprice':>11}{'Brier':>8}",
    ]
    for s in g["scores"]:
        lines.append(
            f"  {s['generator']:<12}{s['horizon_months']:>5} mo{s['outcomes']:>6} "
            f"({s['independent']:>2.0f}){pct * s['coverage_btc_price']:>6.0f} %"
            f"{pct * s['coverage_difficulty']:>10.0f} %{pct * s['coverage_hashprice']:>9.0f} %"
            f"{s['brier']:>8.2f}"
        )
    c = result["response"]
    se_ae, se_a = c["standard_errors"]
    lines += [
        "",
        "Network response calibration (minecalc.response.calibrate; network.response in a config)",
        f"  monthly difficulty and hashprice around their trends, {c['first_month']} to "
        f"{c['last_month']} ({c['months']} months)",
        f"  elasticity {c['elasticity']:.2f}, lag {c['lag_months']:.1f} months "
        f"(closes {pct * c['adjustment_per_month']:.0f} % of the gap a month, "
        f"s.e. {se_a:.2f}; elasticity x rate s.e. {se_ae:.3f}); R^2 {c['r_squared']:.2f}",
    ]
    return "\n".join(lines)
