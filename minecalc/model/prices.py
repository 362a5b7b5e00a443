"""Stage 4, prices: the BTC price, the exchange rate, the hourly tariff in USD and fees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import plant
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

    @property
    def mean_tariff_usd(self) -> np.ndarray:
        """The tariff averaged over the day [USD/kWh]."""
        return self.hourly_usd.mean(axis=-1)


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


def _hourly_tariff(inputs: Inputs, timeline: Timeline, fx: np.ndarray) -> np.ndarray:
    """The tariff by hour of day in USD: flat, one daily profile, or one per calendar month."""
    tou = inputs.scenario.tariff.time_of_use
    profile = "flat" if tou is None else ("daily" if len(tou) == 1 else "monthly")
    factors = 1.0 if tou is None else np.array(tou[0] if len(tou) == 1 else tou)
    price = inputs.values["tariff.energy_price_per_kwh"]
    base = price.reshape(price.shape + (1,) * np.ndim(factors))
    return plant.tariff_by_hour(base * factors, timeline.month_index, profile) / fx[..., None]


def prices(*, inputs: Inputs, timeline: Timeline) -> Prices:
    """Stage 4: BTC price, FX, hourly tariff in USD, fees and the pool fee by month."""
    fx = (
        inputs.per_month("tariff.usd_fx_rate")
        * (1 + inputs.per_month("tariff.usd_fx_change_per_year")) ** timeline.mid_years
    )
    return Prices(
        btc_usd=_btc_price(inputs, timeline),
        fx=fx,
        hourly_usd=_hourly_tariff(inputs, timeline, fx),
        fees_btc=inputs.paths.get(
            "fees_btc_per_block", inputs.per_month("network.fees_btc_per_block")
        ),
        pool_fee=inputs.per_month("costs.pool_fee"),
        alternative_per_kwh=inputs.per_month("finance.alternative_energy_price_per_kwh"),
    )
