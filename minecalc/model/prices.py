"""Stage 4, prices: the BTC price, the exchange rate, price levels, the hourly tariff in USD
and fees.

Inflation escalates start-date prices by a price level per currency, ``(1 + pi)**t`` at
each month's middle; the exchange rate follows a yearly change, a dated path, or relative
inflation (purchasing-power parity). With no inflation both levels are exactly 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import finance, plant
from ..protocol import SECONDS_PER_YEAR
from .inputs import Inputs
from .timeline import Timeline, dated_path


@dataclass(frozen=True)
class Prices:
    """Prices through time, shape ``(..., n)`` (``(..., n, 24)`` by hour)."""

    btc_usd: np.ndarray
    """BTC price at each period's middle [USD]."""
    fx: np.ndarray
    """Tariff currency per USD [currency/USD]."""
    hourly_usd: np.ndarray
    """Energy price by hour of day [USD/kWh]."""
    fees_btc: np.ndarray
    """Fees per block [BTC/block]."""
    pool_fee: np.ndarray
    """The pool's share of what the fleet wins [1], trailing month axis."""
    alternative_per_kwh: np.ndarray
    """What the energy would sell for instead [currency/kWh], trailing month axis."""
    usd_level: np.ndarray
    """USD price level relative to the start [1], (..., n)."""
    local_level: np.ndarray
    """The tariff currency's price level relative to the start [1], (..., n)."""
    fx_start: np.ndarray
    """Tariff currency per USD at the start [currency/USD], (..., 1)."""

    @property
    def mean_tariff_usd(self) -> np.ndarray:
        """The tariff averaged over the day [USD/kWh]."""
        return self.hourly_usd.mean(axis=-1)

    def split(self, usd_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What one start-date USD of a cost is worth in each month, USD part and local part.

        Parameters
        ----------
        usd_share : array_like, shape (..., 1)
            Share of the cost priced in USD [1]; the rest is priced in the tariff currency
            at the starting rate.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            ``share usd_level`` and ``(1 - share) local_level fx_start / fx`` [1], (..., n).
        """
        return usd_share * self.usd_level, (1 - usd_share) * self.local_level * (
            self.fx_start / self.fx
        )


def _btc_price(inputs: Inputs, timeline: Timeline) -> np.ndarray:
    """A given path, a dated path, or the starting price growing at a yearly rate."""
    market = inputs.scenario.market
    if "btc_price_usd" in inputs.paths:
        return inputs.paths["btc_price_usd"]
    if market.btc_price_path is None:
        return (
            inputs.per_month("market.btc_price_usd")
            * (1 + inputs.per_month("market.btc_price_growth_per_year")) ** timeline.mid_years
        )
    return dated_path(
        inputs.scenario.start_date,
        [(q.date, q.btc_price_usd) for q in market.btc_price_path],
        inputs.values["market.btc_price_usd"],
        timeline.mid_years * SECONDS_PER_YEAR,
    )


def _fx(inputs: Inputs, timeline: Timeline, levels: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Tariff currency per USD: with relative inflation, along a dated path, or changing at
    a yearly rate."""
    scenario, start = inputs.scenario, inputs.per_month("tariff.usd_fx_rate")
    if scenario.inflation is not None and scenario.inflation.fx_follows_inflation:
        usd, local = levels
        return start * local / usd
    points = scenario.tariff.usd_fx_path
    if points is not None:
        return dated_path(
            scenario.start_date,
            [(q.date, q.usd_fx_rate) for q in points],
            inputs.values["tariff.usd_fx_rate"],
            timeline.mid_years * SECONDS_PER_YEAR,
        )
    return start * (1 + inputs.per_month("tariff.usd_fx_change_per_year")) ** timeline.mid_years


def _hourly_tariff(inputs: Inputs, timeline: Timeline, fx: np.ndarray) -> np.ndarray:
    """The tariff by hour of day in USD: flat, one daily profile, or one per calendar month.

    ``fx`` is the tariff currency per USD over its price level: the tariff escalates."""
    tou = inputs.scenario.tariff.time_of_use
    profile = "flat" if tou is None else ("daily" if len(tou) == 1 else "monthly")
    factors = 1.0 if tou is None else np.array(tou[0] if len(tou) == 1 else tou)
    price = inputs.values["tariff.energy_price_per_kwh"]
    base = price.reshape(price.shape + (1,) * np.ndim(factors))
    return plant.tariff_by_hour(base * factors, timeline.month_index, profile) / fx[..., None]


def prices(*, inputs: Inputs, timeline: Timeline) -> Prices:
    """Stage 4: BTC price, price levels, FX, hourly tariff in USD, fees and the pool fee by
    month."""
    v = inputs.values
    usd = finance.escalation(v["inflation.usd_per_year"], timeline.mid_years)
    # a USD tariff has no other currency: USD inflation escalates it
    local = (
        usd
        if inputs.scenario.tariff.currency == "USD"
        else finance.escalation(v["inflation.local_per_year"], timeline.mid_years)
    )
    fx = _fx(inputs, timeline, (usd, local))
    return Prices(
        btc_usd=_btc_price(inputs, timeline),
        fx=fx,
        hourly_usd=_hourly_tariff(inputs, timeline, fx / local),
        fees_btc=inputs.paths.get(
            "fees_btc_per_block", inputs.per_month("network.fees_btc_per_block")
        ),
        pool_fee=inputs.per_month("costs.pool_fee"),
        alternative_per_kwh=inputs.per_month("finance.alternative_energy_price_per_kwh") * local,
        usd_level=usd,
        local_level=local,
        fx_start=inputs.per_month("tariff.usd_fx_rate"),
    )
