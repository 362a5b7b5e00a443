"""The Bitcoin difficulty, price and fee history: one row per retarget epoch or month.

The packaged difficulty table (``minecalc/data/difficulty_epochs.csv``, provenance in
``data/README.md``) holds the start height, header time, difficulty and compact target of
every epoch from the genesis block to height 965,664. This module loads it, fills
the start times the source lacks, fits growth trends and returns the
historical epoch-to-epoch changes that Monte Carlo paths are sampled from.

Each table is read from the user data folder instead where ``minecalc data update`` has
written a valid copy (:mod:`minecalc.datafiles` picks it); :func:`data_status` says which
copy is used and how old its newest row is, and :func:`clear_caches` forgets what was read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import numpy.typing as npt

from minecalc import datafiles
from minecalc.errors import InputError
from minecalc.protocol import RETARGET_INTERVAL, SECONDS_PER_YEAR, TARGET_TIMESPAN_S

_UNIX_EPOCH = pd.Timestamp(0, tz="UTC")


def estimate_start_times(start_time_s: npt.ArrayLike, difficulty: npt.ArrayLike) -> np.ndarray:
    """Fill missing epoch start times from the retarget rule.

    Parameters
    ----------
    start_time_s : array_like of float
        Header time of each epoch's first block [s since 1970-01-01 UTC], NaN where
        unknown. The first value must be known.
    difficulty : array_like of float
        Difficulty of each epoch [-], NaN where unknown; consecutive epochs.

    Returns
    -------
    numpy.ndarray of float
        Start times [s]; known values unchanged, missing ones estimated.

    Notes
    -----
    The retarget scales the target by the measured timespan, which covers the
    2015 intervals from an epoch's first to its last block; one epoch start to
    the next covers 2016. So epoch ``k`` lasted about

        ``duration_k = 1209600 * D_k / D_{k+1} * 2016 / 2015``  [s]

    and a missing ``start_{k+1} = start_k + duration_k``. An unknown difficulty is
    interpolated geometrically between its neighbours: for one missing epoch the
    geometric mean, which makes its two durations equal. By AM-GM that gives the
    shortest total of the two, so later estimates are never later than with the
    true difficulty.

    Error, measured by reconstructing known times with this function (epochs with
    difficulty > 1, i.e. height >= 32,256): one step median 6 min, 95th percentile
    20 min, worst 3.6 h; chained over 12 epochs from a known anchor (as for
    943,488-965,664 from 941,472) median 23 min, 95th percentile 1.5 h, worst
    3.9 h (1.1 h and 1.4 h since height 400,000). Two steps across one blanked
    difficulty, since height 400,000: median 18 min, 95th percentile 2.3 h, worst
    11.6 h (after large swings). At minimum difficulty (2009) the rule says
    nothing: the capped target no longer measures the timespan.
    """
    start = np.array(start_time_s, dtype=np.float64)
    log_d = np.log(np.asarray(difficulty, dtype=np.float64))
    if np.isnan(start[0]):
        raise InputError("start_time_s: expected the first epoch's start time, got NaN")
    idx = np.arange(log_d.size)
    known = ~np.isnan(log_d)
    log_d = np.interp(idx, idx[known], log_d[known])
    intervals = RETARGET_INTERVAL / (RETARGET_INTERVAL - 1)
    duration = TARGET_TIMESPAN_S * np.exp(log_d[:-1] - log_d[1:]) * intervals
    for k in np.flatnonzero(np.isnan(start)):
        start[k] = start[k - 1] + duration[k - 1]
    return start


def _history() -> pd.DataFrame:
    """The difficulty table in use, parsed (cached per copy)."""
    return _parse_history(datafiles.active_table(datafiles.DIFFICULTY).text)


@functools.lru_cache(maxsize=2)
def _parse_history(text: str) -> pd.DataFrame:
    # Python's float() parses every difficulty exactly; pandas 2's fast parser is one ulp
    # off for a few of them.
    raw = pd.read_csv(
        io.StringIO(text),
        converters={
            "nbits": lambda s: int(s, 16) if s else pd.NA,
            "difficulty": lambda s: float(s) if s else np.nan,
        },
    )
    start_s = raw["start_time_unix"].to_numpy(dtype=np.float64)
    # Header times are whole seconds; round the estimates to match.
    filled = np.round(estimate_start_times(start_s, raw["difficulty"]))
    return pd.DataFrame(
        {
            "height": raw["height"].astype("int64"),
            "start_time": pd.to_datetime(filled, unit="s", utc=True),
            "difficulty": raw["difficulty"].astype("float64"),
            "nbits": raw["nbits"].astype("Int64"),
            "source": raw["source"],
            "start_time_estimated": np.isnan(start_s),
        }
    )


def load_difficulty_history() -> pd.DataFrame:
    """The per-epoch difficulty history: packaged (heights 0 to 965,664), or the user data
    folder's newer copy (:func:`data_status`).

    Returns
    -------
    pandas.DataFrame
        One row per epoch, in height order, with columns

        - ``height`` (int64): height of the epoch's first block [-], a multiple of 2016
        - ``start_time`` (datetime64, UTC): header time of that block
        - ``difficulty`` (float64): difficulty of the epoch [-]; NaN for 951,552
        - ``nbits`` (Int64): compact target; <NA> for 951,552
        - ``source`` (str): provenance, see ``minecalc/data/README.md``
        - ``start_time_estimated`` (bool): True for the 11 epochs 943,488-965,664 of
          the packaged table, whose start time is reconstructed by
          :func:`estimate_start_times`

        A fresh copy on each call; the parsed table is cached.
    """
    return _history().copy()


def _start_time_s(table: pd.DataFrame) -> np.ndarray:
    return ((table["start_time"] - _UNIX_EPOCH) / pd.Timedelta(seconds=1)).to_numpy()


def fit_growth_per_year(start_time_s: npt.ArrayLike, difficulty: npt.ArrayLike) -> float:
    """Exponential growth rate of difficulty fitted by least squares.

    Parameters
    ----------
    start_time_s : array_like of float
        Epoch start times [s].
    difficulty : array_like of float
        Difficulties at those times [-], all > 0.

    Returns
    -------
    float
        Growth [fraction per year], e.g. 0.39 for +39 %/yr.

    Notes
    -----
    Ordinary least squares of ``ln D = a + b t``; growth ``= exp(b * Y) - 1`` with
    ``Y = 365.2425 * 86400`` s.
    """
    t = np.asarray(start_time_s, dtype=float)
    t = t - t.mean()
    y = np.log(difficulty)
    slope = t @ (y - y.mean()) / (t @ t)
    return float(np.expm1(slope * SECONDS_PER_YEAR))


def growth_trend_per_year(n_epochs: int, end_height: int | None = None) -> float:
    """Difficulty growth trend over the last epochs of the packaged history.

    Parameters
    ----------
    n_epochs : int
        Number of epochs with a known difficulty to fit [-], >= 2.
    end_height : int, optional
        Last epoch start height included [-]; default the last row (965,664).

    Returns
    -------
    float
        Growth [fraction per year], see :func:`fit_growth_per_year`.

    Raises
    ------
    ValueError
        If ``n_epochs`` (``trend_epochs`` in a config) is < 2 or more than the
        epochs with a difficulty up to ``end_height``.

    Notes
    -----
    Epochs without a difficulty (height 951,552) are skipped, not counted. Start
    times of the last 11 epochs are estimates (:func:`estimate_start_times`).
    """
    table = _history()
    if end_height is None:
        end_height = int(table["height"].iloc[-1])
    rows = table[table["difficulty"].notna() & (table["height"] <= end_height)]
    if not 2 <= n_epochs <= len(rows):
        raise InputError(
            f"trend_epochs: expected 2 to {len(rows)} (epochs with a difficulty up to "
            f"height {end_height}), got {n_epochs}"
        )
    rows = rows.tail(n_epochs)
    return fit_growth_per_year(_start_time_s(rows), rows["difficulty"].to_numpy())


def difficulty_changes(start_height: int = 0, end_height: int | None = None) -> np.ndarray:
    """Historical per-epoch difficulty ratios ``D_{k+1} / D_k``.

    Parameters
    ----------
    start_height, end_height : int, optional
        Both epochs of a pair must start within ``[start_height, end_height]``
        [-]; default the whole table.

    Returns
    -------
    numpy.ndarray of float
        Ratios [-] in height order. Pairs where either difficulty is unknown
        (around 951,552) are left out rather than bridged, so every ratio is one
        retarget.
    """
    table = _history()
    if end_height is not None:
        table = table[table["height"] <= end_height]
    d = table.loc[table["height"] >= start_height, "difficulty"].to_numpy()
    ratio = d[1:] / d[:-1]
    return ratio[~np.isnan(ratio)]


def load_price_history() -> pd.DataFrame:
    """The monthly BTC price history: packaged (January 2012 to August 2026), or the user
    data folder's newer copy (:func:`data_status`).

    Returns
    -------
    pandas.DataFrame
        Columns ``month`` (``YYYY-MM``), ``btc_price_usd_mean``, ``btc_price_usd_min``,
        ``btc_price_usd_max`` [USD], ``days`` (daily prices in the month; the last month is
        partial) and ``pkr_per_usd_mean`` [PKR/USD] (from January 2024; NaN before); see
        ``minecalc/data/README.md``. A fresh copy on each call; the parsed table is cached.
    """
    return _parse_csv(datafiles.active_table(datafiles.PRICES).text).copy()


@functools.lru_cache(maxsize=4)
def _parse_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def load_fee_history() -> pd.DataFrame:
    """The mean transaction fees per block: packaged, in the 15 months that per-block data
    fully covers (2009, 2018-01, 2021, 2023-03, September 2025 to January 2026), or the user
    data folder's copy with the months since (:func:`data_status`).

    Returns
    -------
    pandas.DataFrame
        Columns ``month`` (``YYYY-MM``), ``fees_btc_per_block_mean`` [BTC], ``blocks`` (in
        the month) and ``first_height``, ``last_height`` (the blocks summed); see
        ``minecalc/data/README.md``.
    """
    raw = _parse_csv(datafiles.active_table(datafiles.FEES).text)
    first, last = (raw["heights"].str.split("-", expand=True)[k].astype("int64") for k in (0, 1))
    return raw.drop(columns="heights").assign(first_height=first, last_height=last)


def clear_caches() -> None:
    """Forget the tables read, so that the next load reads the data folder again (after
    ``minecalc data update``, or a test that points ``MINECALC_DATA_DIR`` elsewhere)."""
    datafiles.clear_cache()
    _parse_history.cache_clear()
    _parse_csv.cache_clear()


@dataclasses.dataclass(frozen=True)
class Epoch:
    """One epoch of the difficulty history.

    Attributes
    ----------
    height : int
        Height of the epoch's first block [-].
    start_time : datetime.datetime
        Header time of that block (UTC).
    difficulty : float
        Difficulty of the epoch [-].
    start_time_estimated : bool
        True where the table has no header time and :func:`estimate_start_times` filled it.
    """

    height: int
    start_time: dt.datetime
    difficulty: float
    start_time_estimated: bool


def newest_epoch() -> Epoch:
    """The newest epoch with a known difficulty in the history in use (packaged or user)."""
    row = _history().dropna(subset=["difficulty"]).iloc[-1]
    return Epoch(
        height=int(row["height"]),
        start_time=row["start_time"].to_pydatetime(),
        difficulty=float(row["difficulty"]),
        start_time_estimated=bool(row["start_time_estimated"]),
    )


@dataclasses.dataclass(frozen=True)
class TableStatus:
    """Which copy of a history table is read, and how old its newest row is.

    Attributes
    ----------
    table : str
        File name, e.g. ``"difficulty_epochs.csv"``.
    path : pathlib.Path or None
        The user data folder's file in use; None for the packaged table.
    source : str
        ``"packaged"``, or where ``minecalc data update`` fetched it (``"mempool"``, ``"node"``).
    fetched_at : datetime.datetime or None
        When it was fetched (UTC); None for the packaged table or without provenance.
    newest : str
        The newest row: ``"epoch 965,664"`` or a month ``"2026-08"``.
    newest_date : datetime.date
        Its date: the epoch's start (UTC), or the month's last priced or counted day.
    age_days : int
        Days from ``newest_date`` to today [d].
    problem : str or None
        Why the user folder's copy, although there, was not used; else None.
    """

    table: str
    path: Path | None
    source: str
    fetched_at: dt.datetime | None
    newest: str
    newest_date: dt.date
    age_days: int
    problem: str | None = None

    def as_dict(self) -> dict:
        """Plain types for JSON: paths and dates as strings."""
        out = dataclasses.asdict(self)
        out["path"] = None if self.path is None else str(self.path)
        out["fetched_at"] = None if self.fetched_at is None else self.fetched_at.isoformat()
        out["newest_date"] = self.newest_date.isoformat()
        return out


def _month_end(month: str, days: int | None = None) -> dt.date:
    """The last day of ``"YYYY-MM"``, or its ``days``-th day."""
    year, mon = map(int, month.split("-"))
    return dt.date(year, mon, days if days is not None else datafiles.days_in_month(month))


def data_status(*, today: dt.date | None = None) -> tuple[TableStatus, ...]:
    """Which copy of each history table the loaders read, and how old it is.

    Parameters
    ----------
    today : datetime.date, optional
        The date ages are counted to; default today (UTC).

    Returns
    -------
    tuple of TableStatus
        Difficulty, price and fee tables, in that order.
    """
    today = today if today is not None else dt.datetime.now(dt.timezone.utc).date()
    epoch = newest_epoch()
    prices = load_price_history().iloc[-1]
    fees = load_fee_history().iloc[-1]
    newest = {
        datafiles.DIFFICULTY: (f"epoch {epoch.height:,}", epoch.start_time.date()),
        datafiles.PRICES: (prices["month"], _month_end(prices["month"], int(prices["days"]))),
        datafiles.FEES: (fees["month"], _month_end(fees["month"])),
    }
    recorded = datafiles.provenance().get("tables", {})
    out = []
    for name, (label, date) in newest.items():
        choice = datafiles.active_table(name)
        entry = recorded.get(name, {}) if choice.path is not None else {}
        entry = entry if isinstance(entry, dict) else {}
        try:
            fetched = dt.datetime.fromisoformat(entry["fetched_at"])
        except (KeyError, TypeError, ValueError):
            fetched = None
        source = "packaged" if choice.path is None else str(entry.get("source", "unknown"))
        out.append(
            TableStatus(
                table=name,
                path=choice.path,
                source=source,
                fetched_at=fetched,
                newest=label,
                newest_date=date,
                age_days=(today - date).days,
                problem=choice.problem,
            )
        )
    return tuple(out)


def data_line(statuses: tuple[TableStatus, ...]) -> str:
    """:func:`data_status` in one line, as the command line prints it on standard error.

    The difficulty table leads; a price or fee table read from elsewhere is added::

        data: packaged history to 2026-09 (epoch 965,664; 86 days old)
        data: /home/u/.local/share/minecalc (mempool, fetched 2026-11-30; newest epoch
        2026-11-28, 2 days old)
    """
    first, *others = statuses
    if first.path is None:
        text = (
            f"data: packaged history to {first.newest_date:%Y-%m} "
            f"({first.newest}; {first.age_days:,} days old)"
        )
    else:
        fetched = "" if first.fetched_at is None else f", fetched {first.fetched_at:%Y-%m-%d}"
        text = (
            f"data: {first.path.parent} ({first.source}{fetched}; newest "
            f"{first.newest.split()[0]} {first.newest_date}, {first.age_days:,} days old)"
        )
    for status in others:
        if (status.path is None) != (first.path is None):
            where = "packaged" if status.path is None else f"{status.source} in the folder"
            text += f"; {datafiles.LABELS[status.table]} {where} to {status.newest}"
    bad = [s.table for s in statuses if s.problem]
    if bad:
        text += f"; invalid in the data folder, not used: {', '.join(bad)} (minecalc data status)"
    return text
