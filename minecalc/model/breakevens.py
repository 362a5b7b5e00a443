"""Breakevens by root finding over whole runs, for economic dispatch.

With dispatch the fleet's switch-off moves difficulty, so NPV is no longer linear in the
tariff or the BTC price (without dispatch :func:`minecalc.model.money.valuation` solves
them exactly). Each root-finding iteration is one vectorized run of every scenario.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import finance

NpvAt = Callable[[str, np.ndarray], np.ndarray]
"""``npv_at(parameter, values)``: NPV of every scenario with ``parameter`` set to
``values`` (an array of the scenario shape)."""


def solve(
    *, npv_at: NpvAt, tariff_per_kwh: float, btc_price_usd: float
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """The tariff and the starting BTC price at which NPV is zero, scenario by scenario.

    Parameters
    ----------
    npv_at : callable
        See :data:`NpvAt`.
    tariff_per_kwh, btc_price_usd : float
        The scenario's values, which set the search brackets.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Breakeven tariff [currency/kWh] and BTC price [USD]; NaN where there is none.
    """
    scale = tariff_per_kwh + 1.0
    tariff = finance.breakeven(
        lambda x: npv_at("tariff.energy_price_per_kwh", x),
        0.0,
        2 * scale,
        xmin=-1e3 * scale,
        xmax=1e3 * scale,
    )
    price = finance.breakeven(
        lambda x: npv_at("market.btc_price_usd", x),
        btc_price_usd / 4,
        btc_price_usd * 4,
        xmin=1.0,
        xmax=btc_price_usd * 1e3,
    )
    return tariff, price
