"""Stage 6, money: the energy bill, capital, cash flows and their valuation.

Each sub-stage is a small pure function of arrays (scenario axes, then months), so each
can be checked by hand without running the chain. Cash flows sit at the middle of their
month; the held BTC is valued at the last month's price and counted, with the machines'
salvage, in the last month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from .. import finance, plant
from .fleet import Fleet
from .inputs import Inputs
from .network import Network
from .prices import Prices
from .timeline import Timeline

if TYPE_CHECKING:
    import numpy.typing as npt


@dataclass(frozen=True)
class EnergyBill:
    """Energy drawn and paid for, by month."""

    used_mwh: np.ndarray
    billed_mwh: np.ndarray
    """The larger of the energy used and the take-or-pay minimum [MWh]."""
    cost_usd: np.ndarray
    """The energy used at the hours' prices, plus the unused minimum at the mean tariff."""


def energy_bill(
    *,
    it_mw: np.ndarray,
    pue: np.ndarray,
    hours: np.ndarray,
    run_share: np.ndarray,
    supply: np.ndarray,
    take_or_pay_fraction: np.ndarray,
    prices_usd_per_kwh: tuple[np.ndarray, np.ndarray],
) -> EnergyBill:
    """What the fleet draws at the meter, and what that costs.

    Parameters
    ----------
    it_mw, pue, hours : array_like
        Machines in service [MW of IT power], (..., n); meter over IT power [1], (..., 1);
        length of each month [h], (n,).
    run_share, supply : array_like, shape (..., n)
        Share of the month the machines hash [1]; share the grid supplies [1].
    take_or_pay_fraction : array_like, shape (..., 1)
        Minimum share of the supplied energy paid for [1].
    prices_usd_per_kwh : (array_like, array_like)
        Mean price of the hours run, and the tariff's daily mean [USD/kWh], each (..., n).

    Notes
    -----
    ``used = it_mw pue hours run_share``; ``billed = max(used, f it_mw pue hours supply)``;
    ``cost = 1000 (used p_run + (billed - used) p_mean)``.
    """
    paid, mean = prices_usd_per_kwh
    used = cast("np.ndarray", plant.energy_mwh(it_mw, pue, hours, run_share))  # (..., n)
    billed = plant.take_or_pay_mwh(
        used, plant.energy_mwh(it_mw, pue, hours, supply), take_or_pay_fraction
    )
    return EnergyBill(
        used_mwh=used,
        billed_mwh=billed.billed_mwh,
        cost_usd=1000 * (used * paid + billed.unused_mwh * mean),
    )


@dataclass(frozen=True)
class Capital:
    """Capital spending by month and what the machines are worth at the end."""

    hardware_usd: np.ndarray
    capex_usd: np.ndarray
    """Machines plus facilities [USD]."""
    depreciation_usd: np.ndarray
    """Straight-line depreciation of the machines [USD]."""
    book_end_usd: np.ndarray
    """Book value of the machines at the end [USD], shape (...)."""


def capital(
    *,
    vintages: plant.Vintages,
    pue: np.ndarray,
    mining_share: np.ndarray,
    machines: tuple[npt.ArrayLike, npt.ArrayLike],
    refresh: tuple[float, float],
    infrastructure_usd_per_mw: np.ndarray,
    lifetime_years: float,
) -> Capital:
    """Machines bought with the ramp and its refreshes, facilities, depreciation.

    Parameters
    ----------
    vintages : minecalc.plant.Vintages
        Machines bought, by month [MW of IT power].
    pue, mining_share : array_like, shape (..., 1)
        [1]; facilities are sized for the whole grid capacity, ``IT MW pue / share``.
    machines, refresh : (array_like, array_like)
        Efficiency [J/TH] and price [USD per TH/s] of the machines and of their
        replacements (NaN efficiency: no refresh).
    infrastructure_usd_per_mw : array_like, shape (..., 1)
        Facilities per MW of grid capacity [USD/MW].
    lifetime_years : float
        Machine life [years] for depreciation; inf depreciates over the horizon.
    """
    n = vintages.mw.shape[-1]
    hardware = cast("np.ndarray", plant.hardware_capex_usd(vintages.bought_mw, *machines))
    if not np.isnan(refresh[0]):
        hardware = hardware + plant.hardware_capex_usd(vintages.refresh_bought_mw, *refresh)
    capex = hardware + vintages.bought_mw * pue / mining_share * infrastructure_usd_per_mw
    life = plant.lifetime_months(lifetime_years, n) if np.isfinite(lifetime_years) else n
    depreciation = finance.straight_line_depreciation(hardware, life, n)
    return Capital(
        hardware_usd=hardware,
        capex_usd=capex,
        depreciation_usd=depreciation,
        book_end_usd=hardware.sum(-1) - depreciation.sum(-1),
    )


@dataclass(frozen=True)
class ReservePolicy:
    """What happens to the BTC received (see :func:`minecalc.finance.treasury`)."""

    held_fraction: npt.ArrayLike
    """Share kept of what is left after covering costs [1], shape (...)."""
    cover_costs: bool = False
    """Sell first to pay each month's energy and operating costs."""
    cap_btc: float | None = None
    """Most the reserve may hold [BTC]; None = no cap."""


@dataclass(frozen=True)
class CashFlows:
    """The treasury's ledger and the net cash flow by month."""

    reserve: finance.Treasury
    cash_usd: np.ndarray
    """Net cash flow [USD]; the last month adds the reserve's value and the salvage."""
    at_end: np.ndarray
    """1 in the last month, else 0, shape (n,)."""


def cash_flows(
    *,
    btc_net: np.ndarray,
    btc_price_usd: np.ndarray,
    policy: ReservePolicy,
    energy_usd: np.ndarray,
    opex_usd: np.ndarray,
    capital: Capital,
    salvage_fraction: np.ndarray | float,
) -> CashFlows:
    """Sales of the BTC not held, less energy, operations and capital, plus the end values.

    Parameters
    ----------
    btc_net, btc_price_usd : array_like, shape (..., n)
        BTC received after the pool fee [BTC]; its price [USD].
    policy : ReservePolicy
        What is held and what is sold.
    energy_usd, opex_usd : array_like, shape (..., n)
        [USD].
    capital : Capital
    salvage_fraction : array_like, shape (...)
        Share of the machines' book value recovered at the end [1].
    """
    reserve = finance.treasury(
        btc_net,
        btc_price_usd,
        np.asarray(policy.held_fraction)[..., None],
        cover_usd=energy_usd + opex_usd if policy.cover_costs else None,
        cap_btc=policy.cap_btc,
    )
    at_end = np.zeros(np.shape(btc_net)[-1])
    at_end[-1] = 1.0
    terminal = (reserve.reserve_value_usd[..., -1] + salvage_fraction * capital.book_end_usd)[
        ..., None
    ] * at_end
    cash = reserve.sales_usd + terminal - energy_usd - opex_usd - capital.capex_usd
    return CashFlows(reserve=reserve, cash_usd=cash, at_end=at_end)


@dataclass(frozen=True)
class Valuation:
    """NPV, IRR and the breakevens, one value per scenario."""

    npv_usd: np.ndarray | float
    irr: finance.IRRResult
    breakeven_energy_price_per_kwh: np.ndarray | float
    breakeven_btc_price_usd: np.ndarray | float


def valuation(
    *,
    flows: CashFlows,
    energy_usd: np.ndarray,
    discount_rate: npt.ArrayLike,
    mid_years: np.ndarray,
    linear: bool,
    tariff_per_kwh: npt.ArrayLike,
    btc_price_usd: np.ndarray | float,
) -> Valuation:
    """Discount the cash flows; with ``linear`` (dispatch ``always``), the exact breakevens.

    Notes
    -----
    Without dispatch, NPV is linear in the tariff and in the BTC price path, so NPV at the
    scenario and with either term removed gives the root. Otherwise the breakevens are NaN
    here (:mod:`minecalc.model.breakevens` finds them over whole runs).
    """
    npv = finance.npv(flows.cash_usd, discount_rate, mid_years)
    irr = finance.irr_with_reason(flows.cash_usd, mid_years)
    if not linear:
        nan = np.full(np.shape(npv), np.nan)
        return Valuation(
            npv_usd=npv, irr=irr, breakeven_energy_price_per_kwh=nan, breakeven_btc_price_usd=nan
        )
    pv_energy = finance.npv(energy_usd, discount_rate, mid_years)
    revenue = flows.reserve.sales_usd + flows.reserve.reserve_value_usd[..., -1:] * flows.at_end
    pv_revenue = finance.npv(revenue, discount_rate, mid_years)
    return Valuation(
        npv_usd=npv,
        irr=irr,
        breakeven_energy_price_per_kwh=finance.breakeven_of_linear(
            npv + pv_energy, npv, 0.0, tariff_per_kwh
        ),
        breakeven_btc_price_usd=btc_price_usd
        * finance.breakeven_of_linear(npv - pv_revenue, npv, 0.0, 1.0),
    )


@dataclass(frozen=True)
class Money:
    """The money of a run: every sub-stage's result."""

    bill: EnergyBill
    capital: Capital
    opex_usd: np.ndarray
    """Operations, maintenance and fixed costs [USD], (..., n)."""
    btc_net: np.ndarray
    """BTC received after the pool fee [BTC], (..., n)."""
    flows: CashFlows
    value: Valuation

    @property
    def cfads_usd(self) -> np.ndarray:
        """BTC sold less energy and operating costs [USD], (..., n): the cash available for
        debt service, before capex and what is held at the end."""
        return self.flows.reserve.sales_usd - self.bill.cost_usd - self.opex_usd


def money(
    *, inputs: Inputs, timeline: Timeline, fleet: Fleet, prices: Prices, network: Network
) -> Money:
    """Stage 6: the energy bill, capital, operating costs, cash flows and their value."""
    pm, v, vintages = inputs.per_month, inputs.values, fleet.vintages
    bill = energy_bill(
        it_mw=vintages.mw,
        pue=fleet.pue,
        hours=timeline.hours,
        run_share=fleet.up * network.run_share,
        supply=fleet.supply,
        take_or_pay_fraction=pm("tariff.take_or_pay_fraction"),
        prices_usd_per_kwh=(network.paid_usd, prices.mean_tariff_usd),
    )
    spent = capital(
        vintages=vintages,
        pue=fleet.pue,
        mining_share=pm("site.mining_share"),
        machines=(pm("fleet.efficiency_j_per_th"), pm("costs.hardware_usd_per_th")),
        refresh=fleet.refresh,
        infrastructure_usd_per_mw=pm("costs.infrastructure_usd_per_mw"),
        lifetime_years=fleet.lifetime_years,
    )
    opex = (
        pm("costs.om_usd_per_mw_year") * fleet.site_mw + pm("costs.fixed_usd_per_year")
    ) * timeline.period_years
    btc_net = network.fleet_btc * (1 - prices.pool_fee)
    flows = cash_flows(
        btc_net=btc_net,
        btc_price_usd=prices.btc_usd,
        policy=ReservePolicy(
            held_fraction=v["finance.btc_held_fraction"],
            cover_costs=inputs.scenario.finance.sell_to_cover_costs,
            cap_btc=inputs.scenario.finance.reserve_cap_btc,
        ),
        energy_usd=bill.cost_usd,
        opex_usd=opex,
        capital=spent,
        salvage_fraction=v["costs.salvage_fraction"],
    )
    value = valuation(
        flows=flows,
        energy_usd=bill.cost_usd,
        discount_rate=v["finance.discount_rate"],
        mid_years=timeline.mid_years,
        linear=inputs.scenario.tariff.dispatch != "economic",
        tariff_per_kwh=v["tariff.energy_price_per_kwh"],
        btc_price_usd=v["market.btc_price_usd"],
    )
    return Money(bill=bill, capital=spent, opex_usd=opex, btc_net=btc_net, flows=flows, value=value)
