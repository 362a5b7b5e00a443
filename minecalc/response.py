"""How the rest of the network answers hashprice: a lagged elasticity, and its calibration.

The reduced form: other miners' hashrate deviates from its baseline path (the scenario's
growth setting, which already holds the price path the user assumes) by a log deviation
``x`` that relaxes, with time constant ``lag_months``, toward ``elasticity`` times the log
gap between the hashprice they earn and the hashprice of the baseline world::

    x <- x + (1 - exp(-dt / lag)) * (elasticity * ln(hp / hp_baseline) - x)

When a fleet arrives, difficulty rises and ``hp / hp_baseline`` falls below 1, so the
least profitable miners switch off and part of the fleet's share comes back. Elasticity
0 is no response; a large elasticity is full crowd-out (hashprice back to the baseline's).
Prices and fees are the same in both worlds, so the gap is that of ``(subsidy + fees) / D``.

The calibration fits the same law to history: monthly difficulty (the network's hashrate
a retarget later) and hashprice from the packaged BTC prices, both around their log-linear
trends; ordinary least squares on ``x[m+1] - x[m] = a (elasticity * g[m] - x[m])``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from . import history
from .errors import InputError
from .protocol import SECONDS_PER_DAY, SECONDS_PER_YEAR, block_subsidy_btc, expected_btc

if TYPE_CHECKING:
    import numpy.typing as npt

MONTH_S = SECONDS_PER_YEAR / 12
"""A month of a year/12 [s]: the unit of ``lag_months``."""


def adjust(
    deviation: np.ndarray | float,
    gap: np.ndarray | float,
    dt_s: npt.ArrayLike,
    elasticity: npt.ArrayLike,
    lag_months: npt.ArrayLike,
) -> np.ndarray | float:
    """One step of the lagged response.

    Parameters
    ----------
    deviation : array_like
        Log deviation of the rest of the network from its baseline [-].
    gap : array_like
        ``ln(hashprice / baseline hashprice)`` the miners see [-].
    dt_s : float or array_like
        Length of the step [s].
    elasticity : array_like
        Long-run log change of hashrate per log change of hashprice [-], >= 0.
    lag_months : array_like
        Time constant of the adjustment [months], > 0.

    Returns
    -------
    numpy.ndarray
        The deviation after the step [-].

    Notes
    -----
    Exact for a gap constant over the step: ``x' = x + (1 - e^(-dt/tau)) (eps g - x)``.
    """
    weight = -np.expm1(-np.asarray(dt_s) / (np.asarray(lag_months) * MONTH_S))
    return deviation + weight * (np.asarray(elasticity) * gap - deviation)


def hashprice_gap(
    subsidy_btc: np.ndarray | float,
    fees_btc: np.ndarray | float,
    difficulty: np.ndarray | float,
    baseline_subsidy_btc: np.ndarray | float,
    baseline_difficulty: np.ndarray | float,
) -> np.ndarray | float:
    """``ln(hashprice / baseline hashprice)`` at one BTC price and fee level [-].

    Notes
    -----
    Hashprice is proportional to ``(subsidy + fees) * price / D``; the price cancels.
    """
    return np.log((subsidy_btc + fees_btc) / difficulty) - np.log(
        (baseline_subsidy_btc + fees_btc) / baseline_difficulty
    )


class Calibration(NamedTuple):
    """Fitted response law and how well it fits."""

    elasticity: float
    """Long-run elasticity of hashrate to hashprice [-]."""
    lag_months: float
    """Time constant of the adjustment [months]."""
    adjustment_per_month: float
    """Share of the gap closed in a month, ``a`` [-]."""
    r_squared: float
    """Share of the variance of the monthly change of the deviation explained [-]."""
    standard_errors: tuple[float, ...]
    """Standard errors of the two regression coefficients ``(a eps, -a)`` [-]."""
    months: int
    """Monthly observations used."""
    first_month: str
    last_month: str


CALIBRATION_START = "2024-01"
"""First month of the default calibration window: the run-up to the 2024 halving and what
followed. Longer windows span several subsidy eras, around which one log-linear trend does
not hold; the README's table shows how the fit moves with the window."""


def monthly_history(
    fees_btc_per_block: float = 0.03, first_month: str = CALIBRATION_START
) -> pd.DataFrame:
    """Monthly difficulty, BTC price and hashprice over the packaged price history.

    Parameters
    ----------
    fees_btc_per_block : float
        Fees added to the subsidy in the hashprice [BTC/block].
    first_month : str
        First month (``YYYY-MM``) kept; the price history starts in 2012-01.

    Returns
    -------
    pandas.DataFrame
        Index ``month`` (``YYYY-MM``); columns ``difficulty`` (in force at mid-month) [-],
        ``btc_price_usd`` (monthly mean) [USD], ``subsidy_btc`` [BTC/block] and
        ``hashprice_usd_per_ph_day`` [USD/(PH/s)/d]. The last month of the price table is
        dropped when partial (fewer than 28 days).
    """
    prices = history.load_price_history()
    prices = prices[(prices["days"] >= 28) & (prices["month"] >= first_month)]
    epochs = history.load_difficulty_history().dropna(subset=["difficulty"])
    mid = pd.to_datetime(prices["month"]) + pd.Timedelta(days=14)
    starts = epochs["start_time"].dt.tz_localize(None).to_numpy()
    k = np.searchsorted(starts, mid.to_numpy(), side="right") - 1
    difficulty = epochs["difficulty"].to_numpy()[k]
    # Height at mid-month: the epoch's first block plus ~600 s blocks since (for the subsidy).
    elapsed = (mid.to_numpy() - starts[k]) / np.timedelta64(600, "s")
    subsidy = block_subsidy_btc(
        epochs["height"].to_numpy()[k] + np.minimum(elapsed, 2015).astype(int)
    )
    price = prices["btc_price_usd_mean"].to_numpy(dtype=np.float64)
    hashprice = (
        expected_btc(1e15, SECONDS_PER_DAY, difficulty, subsidy + fees_btc_per_block) * price
    )
    return pd.DataFrame(
        {
            "difficulty": difficulty,
            "btc_price_usd": price,
            "subsidy_btc": subsidy,
            "hashprice_usd_per_ph_day": hashprice,
        },
        index=pd.Index(prices["month"], name="month"),
    )


def calibrate(table: pd.DataFrame | None = None) -> Calibration:
    """Fit the lagged elasticity on monthly history (default :func:`monthly_history`).

    Notes
    -----
    ``x = ln D - trend``, ``g = ln hashprice - trend`` (least-squares lines in time);
    OLS without intercept of ``x[m+1] - x[m]`` on ``g[m]`` and ``x[m]`` gives ``a eps`` and
    ``-a``, so ``a = -coef_x``, ``eps = coef_g / a`` and ``lag = -1 / ln(1 - a)`` months.
    Difficulty follows hashrate one retarget (about half a month) late, so the fitted lag
    includes that delay; the projection adds the retarget delay itself, so the lag is
    slightly long for it (a conservative, slower response).
    """
    table = monthly_history() if table is None else table
    t = np.arange(len(table), dtype=np.float64)

    def detrended(y: np.ndarray) -> np.ndarray:
        return y - np.polyval(np.polyfit(t, y, 1), t)

    x = detrended(np.log(table["difficulty"].to_numpy()))
    g = detrended(np.log(table["hashprice_usd_per_ph_day"].to_numpy()))
    design = np.column_stack([g[:-1], x[:-1]])
    target = np.diff(x)
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    resid = target - design @ coef
    dof = len(target) - 2
    cov = resid @ resid / dof * np.linalg.inv(design.T @ design)
    a = -coef[1]
    if not 0 < a < 1 or coef[0] <= 0:
        raise InputError(
            f"response calibration: expected 0 < a < 1 and a positive elasticity, "
            f"got a = {a:.3f}, a*elasticity = {coef[0]:.3f}"
        )
    return Calibration(
        elasticity=float(coef[0] / a),
        lag_months=float(-1 / np.log1p(-a)),
        adjustment_per_month=float(a),
        r_squared=float(1 - resid @ resid / ((target - target.mean()) @ (target - target.mean()))),
        standard_errors=tuple(float(s) for s in np.sqrt(np.diag(cov))),
        months=len(table),
        first_month=str(table.index[0]),
        last_month=str(table.index[-1]),
    )
