"""Stage 6, money: the energy bill, capital, cash flows and their valuation.

Each sub-stage is a small pure function of arrays (scenario axes, then months), so each
can be checked by hand without running the chain. Cash flows sit at the middle of their
month; the held BTC is valued at the last month's price and counted, with the machines'
salvage, in the last month.

Money inputs are at start-date prices and escalate with inflation (:mod:`.prices`' price
levels): machines and the USD share of facilities and O&M with USD inflation, the local
share with the tariff currency's, converted at each month's rate. The BTC price is nominal
USD as quoted. With no inflation every level is exactly 1 and nothing changes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from .. import finance, plant
from ..config import Scenario, Tax
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
    imported_usd: np.ndarray
    """Of the capex, paid abroad in USD: the machines and the imported facilities [USD]."""
    depreciation_usd: np.ndarray
    """Straight-line depreciation of the machines [USD]."""
    book_end_usd: np.ndarray
    """Book value of the machines at the end, at the end's USD prices [USD], shape (...)."""


def capital(
    *,
    vintages: plant.Vintages,
    grid_mw_per_it_mw: np.ndarray,
    machines: tuple[npt.ArrayLike, npt.ArrayLike],
    refresh: tuple[float, float],
    infrastructure_usd_per_mw: np.ndarray,
    lifetime_years: float,
    levels: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> Capital:
    """Machines bought with the ramp and its refreshes, facilities, depreciation.

    Parameters
    ----------
    vintages : minecalc.plant.Vintages
        Machines bought, by month [MW of IT power].
    grid_mw_per_it_mw : array_like, shape (..., 1)
        ``pue / mining_share`` [1]: facilities are sized for the whole grid capacity.
    machines, refresh : (array_like, array_like)
        Efficiency [J/TH] and price [USD per TH/s] of the machines and of their
        replacements (NaN efficiency: no refresh).
    infrastructure_usd_per_mw : array_like, shape (..., 1)
        Facilities per MW of grid capacity [USD/MW].
    lifetime_years : float
        Machine life [years] for depreciation; inf depreciates over the horizon.
    levels : (array_like, array_like, array_like)
        The USD price level relative to the start (the machines' escalation), and the
        facilities' USD and local parts, each ``share x escalation`` [1], (..., n)
        (:meth:`Prices.split`).
    """
    n = vintages.mw.shape[-1]
    hardware = cast("np.ndarray", plant.hardware_capex_usd(vintages.bought_mw, *machines))
    if not np.isnan(refresh[0]):
        hardware = hardware + plant.hardware_capex_usd(vintages.refresh_bought_mw, *refresh)
    life = _depreciation_months(lifetime_years, n)
    # what is left of each month's machines at the end, in start-date prices, then at the
    # end's: machines bought later at higher prices are not escalated twice
    left = np.clip(1 - (n - np.arange(n)) / life, 0.0, 1.0)
    usd_level, usd_part, local_part = levels
    book_end = (hardware * left).sum(-1) * usd_level[..., -1]
    hardware = hardware * usd_level
    facilities = vintages.bought_mw * grid_mw_per_it_mw * infrastructure_usd_per_mw
    imported = hardware + facilities * usd_part
    capex = imported + facilities * local_part
    return Capital(
        hardware_usd=hardware,
        capex_usd=capex,
        imported_usd=imported,
        depreciation_usd=finance.straight_line_depreciation(hardware, life, n),
        book_end_usd=book_end,
    )


def _less(
    total: np.ndarray | float, *costs: np.ndarray | float, end: np.ndarray | None = None
) -> np.ndarray:
    """``total - costs[0] - costs[1] - ...`` in that order, into one new array (a chain of
    binary operators makes a full-size temporary per term), plus ``end`` (...) in the last
    month."""
    ends = () if end is None else ((*np.shape(end), 1),)
    out = np.empty(np.broadcast_shapes(np.shape(total), *(np.shape(c) for c in costs), *ends))
    np.copyto(out, total)
    for cost in costs:
        out -= cost
    if end is not None:
        out[..., -1] += end
    return out


@dataclass(frozen=True)
class Taxes:
    """Profit tax by month, losses carried forward without limit."""

    depreciation_usd: np.ndarray
    """Tax depreciation of the machines and facilities [USD], (..., n)."""
    earnings_usd: np.ndarray
    """Earnings before tax: BTC received at its price, less energy, O&M and tax
    depreciation [USD], (..., n)."""
    tax_usd: np.ndarray
    """Tax paid [USD], (..., n)."""
    rate: np.ndarray
    """Profit tax rate [1], (...)."""


def taxes(
    *,
    income_usd: np.ndarray,
    costs_usd: np.ndarray,
    capital: Capital,
    rate: np.ndarray,
    life_months: tuple[int, int],
) -> Taxes:
    """Tax on the mining's profit (:func:`minecalc.finance.profit_tax`).

    Parameters
    ----------
    income_usd : array_like, shape (..., n)
        BTC received at its price then [USD]: mined BTC is income when received, held or
        sold (gains on held BTC after that are not taxed here).
    costs_usd : array_like, shape (..., n)
        Energy and operating costs [USD].
    capital : Capital
    rate : array_like, shape (...)
        Profit tax rate [1].
    life_months : (int, int)
        Straight-line tax life of the machines and of the facilities [months].

    Notes
    -----
    Interest is not deducted: the tax is the project's, whatever its financing, which
    keeps sculpted debt free of the circularity of a tax shield (conservative for the
    lender).
    """
    n = np.shape(income_usd)[-1]
    facilities = capital.capex_usd - capital.hardware_usd
    depreciation = finance.straight_line_depreciation(
        capital.hardware_usd, life_months[0], n
    ) + finance.straight_line_depreciation(facilities, life_months[1], n)
    earnings = _less(income_usd, costs_usd, depreciation)
    return Taxes(
        depreciation_usd=depreciation,
        earnings_usd=earnings,
        tax_usd=finance.profit_tax(earnings, rate),
        rate=np.asarray(rate),
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
    """Net cash flow [USD]; the last month adds the end values."""
    end_usd: np.ndarray
    """The end values: the reserve's value and the salvage [USD], (...)."""


def cash_flows(
    *,
    btc_net: np.ndarray,
    btc_price_usd: np.ndarray,
    policy: ReservePolicy,
    running_usd: tuple[np.ndarray, np.ndarray, np.ndarray | float],
    capital: Capital,
    salvage_fraction: np.ndarray | float,
) -> CashFlows:
    """Sales of the BTC not held, less energy, operations, tax and capital, plus the end
    values.

    Parameters
    ----------
    btc_net, btc_price_usd : array_like, shape (..., n)
        BTC received after the pool fee [BTC]; its price [USD].
    policy : ReservePolicy
        What is held and what is sold.
    running_usd : (array_like, array_like, array_like)
        Energy, operations and tax, each (..., n) [USD]; the reserve policy covers the
        first two.
    capital : Capital
    salvage_fraction : array_like, shape (...)
        Share of the machines' book value recovered at the end [1].
    """
    energy_usd, opex_usd, tax_usd = running_usd
    reserve = finance.treasury(
        btc_net,
        btc_price_usd,
        np.asarray(policy.held_fraction)[..., None],
        cover_usd=energy_usd + opex_usd if policy.cover_costs else None,
        cap_btc=policy.cap_btc,
    )
    end = reserve.reserve_value_usd[..., -1] + salvage_fraction * capital.book_end_usd
    cash = _less(reserve.sales_usd, energy_usd, opex_usd, tax_usd, capital.capex_usd, end=end)
    return CashFlows(reserve=reserve, cash_usd=cash, end_usd=end)


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
    income_usd: np.ndarray,
    taxed: Taxes | None,
    discount: tuple[npt.ArrayLike, np.ndarray],
    at: tuple[np.ndarray, np.ndarray | float] | None,
) -> Valuation:
    """Discount the cash flows and, given the scenario's tariff and BTC price ``at``, find
    the breakevens (else NaN).

    Notes
    -----
    Without dispatch, the chain does not move with the tariff or the BTC price, so the
    breakeven tariff and starting price are zeros of NPV in a multiplier of the energy bill
    and of the price path. Before tax NPV is linear in each, so NPV at the scenario and
    with either term removed gives the root; profit tax bends it where profits start to be
    taxed, and Newton's method on that piecewise-linear NPV ends on the root
    (:func:`minecalc.finance.taxed_breakevens`). With dispatch the caller passes no ``at``
    (:mod:`minecalc.model.breakevens` finds them over whole runs). ``discount`` is the
    nominal rate [1/year], as the cash flows are, and their times [years]. ``income_usd``
    is the BTC received at its price then, the taxed income.
    """
    discount_rate, mid_years = discount
    npv = finance.npv(flows.cash_usd, discount_rate, mid_years)
    irr = finance.irr_with_reason(flows.cash_usd, mid_years)
    if at is None:
        nan = np.full(np.shape(npv), np.nan)
        return Valuation(
            npv_usd=npv, irr=irr, breakeven_energy_price_per_kwh=nan, breakeven_btc_price_usd=nan
        )
    tariff_per_kwh, btc_price_usd = at
    pv_energy = finance.npv(energy_usd, discount_rate, mid_years)
    factors = finance.discount_factors(discount_rate, mid_years)
    # the BTC sold, and at the end what is held: no full-size sum of the two
    pv_revenue = (
        finance.npv(flows.reserve.sales_usd, discount_rate, mid_years)
        + flows.reserve.reserve_value_usd[..., -1] * factors[..., -1]
    )
    if taxed is None:
        return Valuation(
            npv_usd=npv,
            irr=irr,
            breakeven_energy_price_per_kwh=finance.breakeven_of_linear(
                npv + pv_energy, npv, 0.0, tariff_per_kwh
            ),
            breakeven_btc_price_usd=btc_price_usd
            * finance.breakeven_of_linear(npv - pv_revenue, npv, 0.0, 1.0),
        )
    tariff_k, price_k = finance.taxed_breakevens(
        npv_untaxed=npv + finance.npv(taxed.tax_usd, discount_rate, mid_years),
        earnings_usd=taxed.earnings_usd,
        directions=((-pv_energy, -energy_usd), (pv_revenue, income_usd)),
        rate=taxed.rate,
        factors=factors,
    )
    return Valuation(
        npv_usd=npv,
        irr=irr,
        breakeven_energy_price_per_kwh=tariff_per_kwh * tariff_k,
        breakeven_btc_price_usd=btc_price_usd * price_k,
    )


@dataclass(frozen=True)
class Money:
    """The money of a run: every sub-stage's result."""

    bill: EnergyBill
    capital: Capital
    opex_usd: np.ndarray
    """Operations, maintenance and fixed costs [USD], (..., n)."""
    opex_imported_usd: np.ndarray
    """Of those, paid in USD abroad [USD], (..., n)."""
    btc_net: np.ndarray
    """BTC received after the pool fee [BTC], (..., n)."""
    taxes: Taxes | None
    """None when no scenario pays tax."""
    flows: CashFlows
    discount_rate: np.ndarray
    """Nominal discount rate [1/year], (...)."""
    value: Valuation

    @functools.cached_property  # the outputs, the payback and the peak funding need read it
    def cumulative_cash_usd(self) -> np.ndarray:
        """Running sum of the net cash flow [USD], (..., n)."""
        return np.cumsum(self.flows.cash_usd, axis=-1)

    @property
    def cfads_usd(self) -> np.ndarray:
        """BTC sold less energy, operating costs and tax [USD], (..., n): the cash available
        for debt service, before capex and what is held at the end."""
        return _less(self.flows.reserve.sales_usd, self.bill.cost_usd, self.opex_usd, self.tax_usd)

    @property
    def tax_usd(self) -> np.ndarray | float:
        """Tax paid [USD], (..., n); 0 without tax."""
        return 0.0 if self.taxes is None else self.taxes.tax_usd


def money(
    *,
    inputs: Inputs,
    timeline: Timeline,
    fleet: Fleet,
    prices: Prices,
    network: Network,
    solve_breakevens: bool = True,
) -> Money:
    """Stage 6: the energy bill, capital, operating costs, tax, cash flows and their value.

    ``solve_breakevens`` finds the breakevens with profit tax (Newton steps; without tax
    they are exact and free; with dispatch they need whole runs,
    :mod:`minecalc.model.breakevens`).
    """
    pm, v, vintages, scenario = inputs.per_month, inputs.values, fleet.vintages, inputs.scenario
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
        grid_mw_per_it_mw=fleet.pue / pm("site.mining_share"),
        machines=(pm("fleet.efficiency_j_per_th"), pm("costs.hardware_usd_per_th")),
        refresh=fleet.refresh,
        infrastructure_usd_per_mw=pm("costs.infrastructure_usd_per_mw"),
        lifetime_years=fleet.lifetime_years,
        levels=(prices.usd_level, *prices.split(pm("costs.facilities_usd_share"))),
    )
    om_usd, om_local = prices.split(pm("costs.om_usd_share"))
    opex_base = (
        pm("costs.om_usd_per_mw_year") * fleet.site_mw + pm("costs.fixed_usd_per_year")
    ) * timeline.period_years
    opex_imported = opex_base * om_usd
    opex = opex_imported + opex_base * om_local
    btc_net = network.fleet_btc * (1 - prices.pool_fee)
    rate = v["tax.profit_tax_rate"]
    income = btc_net * prices.btc_usd
    taxed = None
    if np.any(rate):
        taxed = taxes(
            income_usd=income,
            costs_usd=bill.cost_usd + opex,
            capital=spent,
            rate=rate,
            life_months=_tax_lives(scenario, fleet, timeline.n),
        )
    flows = cash_flows(
        btc_net=btc_net,
        btc_price_usd=prices.btc_usd,
        policy=ReservePolicy(
            held_fraction=v["finance.btc_held_fraction"],
            cover_costs=scenario.finance.sell_to_cover_costs,
            cap_btc=scenario.finance.reserve_cap_btc,
        ),
        running_usd=(bill.cost_usd, opex, 0.0 if taxed is None else taxed.tax_usd),
        capital=spent,
        salvage_fraction=v["costs.salvage_fraction"],
    )
    discount_rate = finance.nominal_discount_rate(
        v["finance.discount_rate"],
        scenario.finance.discount_rate_basis,
        v["inflation.usd_per_year"],
    )
    # with dispatch, the breakevens need whole runs (minecalc.model.breakevens)
    solve = scenario.tariff.dispatch != "economic" and (solve_breakevens or taxed is None)
    at = (v["tariff.energy_price_per_kwh"], v["market.btc_price_usd"])
    value = valuation(
        flows=flows,
        energy_usd=bill.cost_usd,
        income_usd=income,
        taxed=taxed,
        discount=(discount_rate, timeline.mid_years),
        at=at if solve else None,
    )
    return Money(
        bill=bill,
        capital=spent,
        opex_usd=opex,
        opex_imported_usd=opex_imported,
        btc_net=btc_net,
        taxes=taxed,
        flows=flows,
        discount_rate=discount_rate,
        value=value,
    )


def _tax_lives(scenario: Scenario, fleet: Fleet, n: int) -> tuple[int, int]:
    """The machines' and the facilities' tax lives [months]: the tax block's, or the
    fleet's life (the horizon without one)."""
    tax = scenario.tax or Tax(profit_tax_rate=0.0)  # a swept rate without a block: defaults
    machines = fleet.lifetime_years if tax.machines_life_years is None else tax.machines_life_years
    facilities = tax.facilities_life_years
    return _depreciation_months(machines, n), _depreciation_months(facilities, n)


def _depreciation_months(years: float, n: int) -> int:
    """A straight-line life in whole months (at least one); an endless life depreciates
    over the horizon. Unlike a machine's service life it is not capped at the horizon:
    what is left at the end is the book value."""
    return n if not np.isfinite(years) else max(1, int(np.rint(12 * years)))
