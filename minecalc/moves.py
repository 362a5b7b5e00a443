"""Month-by-month moves of the BTC price and the network's hashrate, from the history.

What the joint bootstrap of Monte Carlo resamples (:mod:`minecalc.uncertainty`) and what
its out-of-sample test scores (:mod:`minecalc.backtest`): for each calendar month, the log
change of the mean BTC price and of the mean network hashrate, side by side, so that
their co-movement (hashrate follows price a month or two late) survives resampling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import history
from .errors import InputError
from .protocol import HASHES_PER_DIFFICULTY, RETARGET_INTERVAL

WINDOW_START = "2016-07"
"""First month of the default calibration window: the 2016 halving, after which mining is
an industry of ASIC farms much like today's (ten years, about 120 monthly moves)."""


def monthly_hashrate() -> pd.Series:
    """Mean network hashrate of each calendar month the epoch history covers [H/s].

    Returns
    -------
    pandas.Series
        Indexed by month (``pandas.Period``, monthly), from the first whole month after
        the genesis block to the last month that ends before the newest epoch starts.

    Notes
    -----
    Epoch ``k`` found 2016 blocks at difficulty ``D_k`` between its start and the next:
    its mean hashrate is ``H_k = D_k * 2**48 / 0xffff * 2016 / (t_{k+1} - t_k)``. The
    hashes done by a time ``t`` are the integral of that step function; a month's mean
    hashrate is the hashes done in it over its length. An epoch without a difficulty
    (951,552) takes the geometric mean of its neighbours', as its start time does
    (:func:`minecalc.history.estimate_start_times`); the last eleven start times are
    themselves estimates.
    """
    table = history.load_difficulty_history()
    t = history._start_time_s(table)
    log_d = np.log(table["difficulty"].to_numpy(dtype=np.float64))
    known = ~np.isnan(log_d)
    idx = np.arange(log_d.size)
    difficulty = np.exp(np.interp(idx, idx[known], log_d[known]))
    hashes = np.concatenate([[0.0], np.cumsum(difficulty[:-1] * HASHES_PER_DIFFICULTY)])
    hashes *= RETARGET_INTERVAL  # each epoch's blocks times the hashes a block takes
    first = pd.Period(table["start_time"].iloc[0].tz_localize(None), freq="M") + 1
    last = pd.Period(table["start_time"].iloc[-1].tz_localize(None), freq="M") - 1
    months = pd.period_range(first, last, freq="M")
    edges = np.array(
        [(m.start_time - pd.Timestamp(0)).total_seconds() for m in months]
        + [((last + 1).start_time - pd.Timestamp(0)).total_seconds()]
    )
    done = np.interp(edges, t, hashes)
    return pd.Series(np.diff(done) / np.diff(edges), index=months, name="hashrate_h_s")


def monthly_moves(first_month: str = WINDOW_START, last_month: str | None = None) -> pd.DataFrame:
    """Log changes of the mean BTC price and the mean network hashrate, month on month.

    Parameters
    ----------
    first_month, last_month : str
        The calibration window (``YYYY-MM``, both included): moves into months in it.
        Default from :data:`WINDOW_START` to the newest month both histories cover.

    Returns
    -------
    pandas.DataFrame
        Indexed by month (``pandas.Period``); columns ``log_price_change`` and
        ``log_hashrate_change`` [1], each ``ln(x_m / x_{m-1})``.

    Raises
    ------
    InputError
        If the window holds fewer than 12 moves, or lies outside the history.
    """
    prices = history.load_price_history()
    prices = prices[prices["days"] >= 28]  # a partial last month is not a month's mean
    price = pd.Series(
        prices["btc_price_usd_mean"].to_numpy(dtype=np.float64),
        index=pd.PeriodIndex(prices["month"], freq="M"),
    )
    both = pd.DataFrame({"price": price, "hashrate": monthly_hashrate()}).dropna()
    moves = np.log(both).diff().iloc[1:]
    moves.columns = ["log_price_change", "log_hashrate_change"]
    moves.index.name = "month"
    try:  # pandas reads "July 2016" as a month too: ask for the one form the docs give
        first, last = (
            pd.Period(pd.to_datetime(m, format="%Y-%m"), freq="M")
            for m in (first_month, last_month or str(moves.index[-1]))
        )
    except ValueError as err:
        raise InputError(
            f"window: expected months as YYYY-MM, got {first_month!r} to {last_month!r}"
        ) from err
    window = moves.loc[first:last]
    if len(window) < 12:
        raise InputError(
            f"window: expected at least 12 monthly moves between {moves.index[0]} and "
            f"{moves.index[-1]}, got {len(window)} from {first} to {last}"
        )
    return window
