"""Stage 2, timeline: the monthly periods of the horizon.

Periods are ``start_date + k`` calendar months (28 to 31 days); a period is labelled by
its start, and cash flows sit at its middle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import chain, finance
from ..protocol import SECONDS_PER_DAY, SECONDS_PER_YEAR

if TYPE_CHECKING:
    import numpy.typing as npt


@dataclass(frozen=True)
class Timeline:
    """The months of a run; arrays of length ``n`` (periods) or ``n + 1`` (edges)."""

    edges: pd.DatetimeIndex
    edges_s: np.ndarray
    """Period edges [s from start]."""
    period_s: np.ndarray
    """Period lengths [s]."""
    mid_years: np.ndarray
    """Middle of each period [years from start]: when its cash flows count."""
    month_index: np.ndarray
    """Calendar month of each period, 0 = January."""

    @property
    def n(self) -> int:
        """Number of periods."""
        return self.period_s.size

    @property
    def hours(self) -> np.ndarray:
        """Period lengths [h]."""
        return self.period_s / 3600

    @property
    def days(self) -> np.ndarray:
        """Period lengths [d]."""
        return self.period_s / SECONDS_PER_DAY

    @property
    def period_years(self) -> np.ndarray:
        """Period lengths [years]."""
        return self.hours * 3600 / SECONDS_PER_YEAR


def month_edges(start_date: date | str, horizon_months: int) -> pd.DatetimeIndex:
    """Edges of the monthly periods: ``start_date + k`` calendar months, k = 0..n.

    Returns
    -------
    pandas.DatetimeIndex
        ``n + 1`` edges (UTC-naive), so period k covers ``[edges[k], edges[k+1])``.
        A period is labelled by its start; its calendar month is the start's.
    """
    start = pd.Timestamp(start_date)
    return pd.DatetimeIndex([start + pd.DateOffset(months=k) for k in range(horizon_months + 1)])


def seconds_from(start_date: date | str, dates: Iterable[date | str]) -> np.ndarray:
    """Dates as seconds after start_date [s]."""
    t0 = pd.Timestamp(start_date)
    return np.array([(pd.Timestamp(d) - t0).total_seconds() for d in dates])


def timeline(*, start_date: date | str, horizon_months: int) -> Timeline:
    """Stage 2: the monthly periods from ``start_date`` over ``horizon_months``."""
    edges = month_edges(start_date, horizon_months)
    edges_s = (edges - edges[0]).total_seconds().to_numpy()
    return Timeline(
        edges=edges,
        edges_s=edges_s,
        period_s=np.diff(edges_s),
        mid_years=finance.cash_flow_times(edges_s / SECONDS_PER_YEAR),
        month_index=edges[:-1].month.to_numpy() - 1,
    )


def dated_path(
    start_date: date | str,
    points: Sequence[tuple[date | str, float]],
    today: npt.ArrayLike,
    times_s: np.ndarray,
) -> np.ndarray:
    """Log-linear path through dated ``(date, value)`` points, from ``today`` at start_date.

    ``today`` (shape ``(...)``) is the value at the start unless the first point is
    on or before start_date; after the last point the path stays flat. Values at
    ``times_s`` [s from start], shape ``(..., len(times_s))``.
    """
    knot_s = seconds_from(start_date, [d for d, _ in points])
    today = np.asarray(today, dtype=np.float64)
    knots = np.broadcast_to(np.array([v for _, v in points]), (*today.shape, len(points)))
    if knot_s[0] > 0:
        knot_s = np.concatenate([[0.0], knot_s])
        knots = np.concatenate([today[..., None], knots], axis=-1)
    return chain.log_linear_path(knot_s, knots, times_s)
