"""Stage 8, options: each use of the surplus power as a monthly ledger of the state's.

The state is the treasury plus the power sector, and every ledger is incremental to
leaving the power idle: capacity payments are due either way, so they cancel. Energy the
state uses or sells costs it the marginal cost grossed up for losses
(:func:`minecalc.state.cost_recovery_per_kwh`). Cash flows sit at the middle of their
month, in USD; what is held at the end is valued at the last month's price and counted in
the last month, as in :mod:`minecalc.model.money`. Arrays are scenario axes, then months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .. import finance, state
from ..config import Fx
from .fx_ledger import positions


@dataclass(frozen=True)
class Ledger:
    """One option's monthly ledger from the state's side, incremental to idle."""

    cash_usd: np.ndarray
    """Net cash flow to the state [USD], (..., n); the last month adds what is held."""
    reserve: finance.Treasury
    """BTC mined or bought: held, sold, and the reserve's value, (..., n)."""
    energy_kwh: np.ndarray
    """Surplus energy this option uses or sells [kWh], (..., n)."""
    energy_sold_kwh: np.ndarray
    """Of that, the energy sold to a consumer, who then shares the capacity charge [kWh]."""
    dollars_usd: np.ndarray
    """Dollars into the country less dollars out through the option's own books [USD],
    (..., n); the imported fuel of the energy it uses is not in it (:func:`worth`)."""


def _terminal(reserve: finance.Treasury) -> np.ndarray:
    """The reserve's value at the end, counted in the last month [USD], (..., n)."""
    at_end = np.zeros(reserve.reserve_btc.shape[-1])
    at_end[-1] = 1.0
    return reserve.reserve_value_usd[..., -1:] * at_end


def _nothing_held(shape: tuple[int, ...]) -> finance.Treasury:
    """The reserve of an option that neither mines nor buys BTC."""
    none = np.zeros(shape)
    return finance.treasury(none, np.ones(shape), 0.0)


def idle(*, months: int) -> Ledger:
    """The reference: nothing used, nothing earned, nothing held."""
    zero = np.zeros(months)
    return Ledger(zero, _nothing_held(zero.shape), zero, zero, zero)


def state_mining(
    *,
    cash_usd: np.ndarray,
    reserve: finance.Treasury,
    energy_mwh: np.ndarray,
    dollars_usd: np.ndarray,
) -> Ledger:
    """The state mines: the model's own ledger, its energy costed at cost recovery.

    Parameters
    ----------
    cash_usd : array_like, shape (..., n)
        The mining run's net cash flow [USD] (energy priced at cost recovery, the reserve
        policy applied, the reserve's value in the last month).
    reserve : minecalc.finance.Treasury
        The run's reserve.
    energy_mwh : array_like, shape (..., n)
        Energy billed to the fleet [MWh].
    dollars_usd : array_like, shape (..., n)
        The run's dollars in less out [USD] (:mod:`minecalc.model.fx_ledger`).
    """
    return Ledger(cash_usd, reserve, 1000 * energy_mwh, np.zeros_like(energy_mwh), dollars_usd)


def sell_power(
    *,
    energy_mwh: np.ndarray,
    price_per_kwh: npt.ArrayLike,
    cost_recovery_per_kwh: npt.ArrayLike,
    fx: np.ndarray,
    miners_tax_usd: npt.ArrayLike,
    comes: npt.ArrayLike,
    paid_in_usd: bool = False,
) -> Ledger:
    """Private miners buy the energy: the margin over cost recovery, plus their profit tax.

    Parameters
    ----------
    energy_mwh : array_like, shape (..., n)
        Energy billed to the private fleet [MWh].
    price_per_kwh : array_like, shape (...)
        Tariff plus levy the miners pay [currency/kWh].
    cost_recovery_per_kwh : array_like, shape (...)
        [currency/kWh].
    fx : array_like, shape (..., n)
        Tariff currency per USD over the tariff currency's price level [currency/USD]: the
        tariff and cost recovery are at start-date prices.
    miners_tax_usd : array_like, shape (..., n)
        Profit tax the miners pay [USD] (their run's, losses carried forward).
    comes : array_like of bool, shape (...)
        Whether the private fleet comes at all (its NPV at its hurdle rate >= 0).
    paid_in_usd : bool
        The tariff is in USD: what the miners pay for the energy comes in as dollars (their
        tax is paid in the local currency).
    """
    kwh = 1000 * np.asarray(energy_mwh, dtype=float) * np.asarray(comes)[..., None]
    margin = state.power_sale_margin(
        kwh, np.asarray(price_per_kwh)[..., None], 0.0, np.asarray(cost_recovery_per_kwh)[..., None]
    )
    tax = np.asarray(miners_tax_usd) * np.asarray(comes)[..., None]
    paid = kwh * np.asarray(price_per_kwh)[..., None] / fx if paid_in_usd else np.zeros(kwh.shape)
    return Ledger(margin / fx + tax, _nothing_held(kwh.shape), kwh, kwh, paid)


def buy_btc(
    *,
    outlay_usd: np.ndarray,
    btc_price_usd: np.ndarray,
    cap_btc: npt.ArrayLike | None = None,
) -> Ledger:
    """The state buys BTC and holds it (up to the cap; above it, it sells again).

    Parameters
    ----------
    outlay_usd : array_like, shape (..., n)
        Spent on purchases in each month [USD].
    btc_price_usd : array_like, shape (..., n)
        Price paid [USD/BTC].
    cap_btc : array_like, shape (...), optional
        Most the reserve may hold [BTC]; None = no cap.
    """
    bought = state.btc_bought(outlay_usd, btc_price_usd)
    reserve = finance.treasury(bought, btc_price_usd, 1.0, cap_btc=cap_btc)
    none = np.zeros(np.shape(bought))
    dollars = reserve.sales_usd - outlay_usd  # bought and sold abroad
    return Ledger(dollars + _terminal(reserve), reserve, none, none, dollars)


def sell_elsewhere(
    *,
    surplus_kwh: np.ndarray,
    firm_kwh: np.ndarray,
    margin_per_kwh: npt.ArrayLike,
    fx: np.ndarray,
    lease_usd: np.ndarray,
    firming_cost_per_kwh: npt.ArrayLike,
    capex_usd: np.ndarray,
) -> Ledger:
    """The energy sold to another load (an industrial tariff, export, an AI data centre).

    Parameters
    ----------
    surplus_kwh : array_like, shape (..., n)
        Surplus energy available in each month [kWh].
    firm_kwh : array_like, shape (..., n)
        Energy the load takes in each month [kWh] (0 before it is built); a firm load
        takes its full capacity every month, whatever the surplus.
    margin_per_kwh : array_like, shape (...)
        What the load pays for its energy less cost recovery [currency/kWh].
    fx : array_like, shape (..., n)
        Tariff currency per USD [currency/USD].
    lease_usd : array_like, shape (..., n)
        Lease income [USD].
    firming_cost_per_kwh : array_like, shape (...)
        Extra cost of energy beyond the surplus, bought or generated [currency/kWh].
    capex_usd : array_like, shape (..., n)
        What the state builds for the load [USD].

    Notes
    -----
    ``cash = (E m - max(E - S, 0) f) / fx + lease - capex``; the lease comes in as dollars
    and the capex (the load's equipment, imported) goes out as dollars.
    """
    short = np.maximum(firm_kwh - surplus_kwh, 0.0)
    local = (
        firm_kwh * np.asarray(margin_per_kwh)[..., None]
        - short * np.asarray(firming_cost_per_kwh)[..., None]
    )
    dollars = lease_usd - capex_usd
    cash = local / fx + dollars
    return Ledger(cash, _nothing_held(np.shape(cash)), firm_kwh, firm_kwh, dollars)


@dataclass(frozen=True)
class Worth:
    """What one option is worth to the state, one value per scenario (and option)."""

    npv_usd: np.ndarray
    """NPV incremental to idle at the state's discount rate [USD]."""
    usd_per_mwh: np.ndarray
    """NPV per discounted MWh of surplus [USD/MWh] (the levelized value of the surplus)."""
    peak_funding: state.PeakFunding
    drawdown: state.Drawdown
    fx: state.FxPosition
    """The option's dollars, its imported fuel included."""
    cover_with_btc_months: np.ndarray | None
    """Import cover counting the BTC held as a reserve asset [months]; None without
    reserves."""


def worth(
    *,
    ledger: Ledger,
    surplus_mwh: np.ndarray,
    discount_rate: npt.ArrayLike,
    mid_years: np.ndarray,
    fuel_usd_per_kwh: npt.ArrayLike = 0.0,
    reserves: Fx | None = None,
) -> Worth:
    """NPV, value per MWh of surplus, peak funding, the reserve's largest drawdown and the
    dollar position, where the energy the option uses burns ``fuel_usd_per_kwh`` of
    imported fuel [USD/kWh], (..., n), against the country's ``reserves`` if given."""
    npv = finance.npv(ledger.cash_usd, discount_rate, mid_years)
    pv_mwh = finance.npv(surplus_mwh, discount_rate, mid_years)
    position, with_btc = positions(
        usd_in=ledger.dollars_usd,
        usd_out=ledger.energy_kwh * np.asarray(fuel_usd_per_kwh, dtype=float),
        reserves=reserves,
        held_usd=ledger.reserve.reserve_value_usd,
    )
    return Worth(
        npv_usd=np.asarray(npv),
        usd_per_mwh=np.asarray(npv) / pv_mwh,
        peak_funding=state.peak_funding(
            np.cumsum(ledger.cash_usd, axis=-1), ledger.reserve.reserve_value_usd[..., -1]
        ),
        drawdown=state.largest_drawdown(ledger.reserve.reserve_value_usd),
        fx=position,
        cover_with_btc_months=with_btc,
    )
