"""Stage 7, outputs: each group of the registry (:mod:`.variables`) as arrays by name.

Every function returns exactly its group's variables; :func:`minecalc.model.dataset.build`
labels them with the registry's dimensions, units and long names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any, cast

import numpy as np

from .. import chain, finance, plant, state
from ..protocol import HASHES_PER_DIFFICULTY, SECONDS_PER_DAY
from .financing import Financed
from .fleet import Fleet
from .fx_ledger import FxLedger
from .money import Money, Taxes
from .network import EH, Network
from .prices import Prices
from .timeline import Timeline


def hashvalue_btc_per_ph_day(
    proj: chain.Projection, fees: np.ndarray, period_s: np.ndarray
) -> np.ndarray:
    """Revenue of one PH/s for a day, averaged over each period [BTC/(PH/s)/d]."""
    return (
        1e15
        * SECONDS_PER_DAY
        / HASHES_PER_DIFFICULTY
        * (proj.subsidy_time_over_difficulty_btc_s + fees * proj.time_over_difficulty_s)
        / period_s
    )


def core(
    *,
    timeline: Timeline,
    fleet: Fleet,
    prices: Prices,
    network: Network,
    money: Money,
    only: Collection[str] | None = None,
) -> dict[str, Any]:
    """The chain, the fleet's yield and the money, month by month: each variable built
    only when asked for (``only``; None: all), as Monte Carlo keeps few of them."""
    proj, period_s, days = network.projection, timeline.period_s, timeline.days
    mine = proj.fleet_hashrate_h_s
    btc, bill, reserve = network.fleet_btc, money.bill, money.flows.reserve
    # what several variables share, computed once if any of them is asked for
    other = functools.cache(lambda: proj.mined_hashrate_h_s - mine)
    hashvalue = functools.cache(lambda: hashvalue_btc_per_ph_day(proj, prices.fees_btc, period_s))
    build: dict[str, Callable[[], Any]] = {
        "period_days": lambda: days,
        "fleet_hashrate_eh_s": lambda: mine / EH,
        "other_hashrate_eh_s": lambda: other() / EH,
        "network_hashrate_eh_s": lambda: (other() + mine) / EH,
        "difficulty": lambda: period_s / proj.time_over_difficulty_s,
        "difficulty_end": lambda: proj.difficulty_end,
        "network_blocks": lambda: proj.blocks,
        "block_interval_s": lambda: period_s / proj.blocks,
        "height_end": lambda: proj.height_end,
        "subsidy_btc_per_block": lambda: proj.subsidy_btc / proj.blocks,
        "fleet_blocks": lambda: network.fleet_blocks,
        "network_share": lambda: network.fleet_blocks / proj.blocks,
        "fleet_subsidy_btc": lambda: network.fleet_subsidy_btc,
        "fleet_fees_btc": lambda: btc - network.fleet_subsidy_btc,
        "fleet_btc": lambda: btc,
        "fleet_btc_per_day": lambda: btc / days,
        "fleet_btc_cumulative": lambda: np.cumsum(btc, axis=-1),
        "hashvalue_btc_per_ph_day": hashvalue,
        "hashprice_usd_per_ph_day": lambda: hashvalue() * prices.btc_usd,
        "energy_mwh": lambda: bill.used_mwh,
        "energy_billed_mwh": lambda: bill.billed_mwh,
        "energy_price_usd_per_kwh": lambda: network.paid_usd,
        "energy_cost_usd": lambda: bill.cost_usd,
        "energy_cost_local": lambda: bill.cost_usd * prices.fx,
        "run_fraction": lambda: fleet.up * network.run_share,
        "site_mw": lambda: fleet.site_mw,
        "usd_price_level": lambda: prices.usd_level,
        "local_price_level": lambda: prices.local_level,
        "btc_price_usd": lambda: prices.btc_usd,
        "usd_fx_rate": lambda: prices.fx,
        "pool_fee_btc": lambda: btc - money.btc_net,
        "btc_net": lambda: money.btc_net,
        "btc_held": lambda: money.btc_net - reserve.btc_sold,
        "reserve_btc": lambda: reserve.reserve_btc,
        "reserve_value_usd": lambda: reserve.reserve_value_usd,
        "sales_usd": lambda: reserve.sales_usd,
        "capex_hardware_usd": lambda: money.capital.hardware_usd,
        "capex_usd_by_month": lambda: money.capital.capex_usd,
        "opex_usd": lambda: money.opex_usd,
        "depreciation_usd": lambda: money.capital.depreciation_usd,
        "cash_flow_usd": lambda: money.flows.cash_usd,
        "cumulative_cash_usd": lambda: money.cumulative_cash_usd,
        "hashcost_usd_per_ph_day": lambda: plant.hashcost_usd_per_ph_day(
            fleet.vintages.effective_efficiency_j_per_th, network.paid_usd, fleet.pue
        ),
        "mining_value_usd_per_mwh": lambda: finance.cost_per_btc(
            money.btc_net * prices.btc_usd, bill.used_mwh
        ),
        "alternative_value_usd_per_mwh": lambda: 1000 * prices.alternative_per_kwh / prices.fx,
    }
    return {name: make() for name, make in build.items() if only is None or name in only}


def economics(
    *,
    fleet: Fleet,
    prices: Prices,
    money: Money,
    fx_start: np.ndarray,
    discount: tuple[np.ndarray, np.ndarray],
    dollars: FxLedger,
) -> dict[str, Any]:
    """One value per scenario: totals, NPV, IRR, payback, unit costs, breakevens and the
    peak needs for funding and for dollars.

    ``discount`` is the nominal discount rate [1/year] and the cash flows' times [years].
    """
    bill, value = money.bill, money.value
    btc_total, energy_total = money.btc_net.sum(-1), bill.cost_usd.sum(-1)
    opex_total = money.opex_usd.sum(-1)
    vintages = fleet.vintages
    nameplate = cast(
        "np.ndarray", plant.fleet_hashrate_h_s(vintages.mw, vintages.efficiency_j_per_th)
    )
    return {
        "energy_gwh_total": bill.used_mwh.sum(-1) / 1000,
        "fleet_nameplate_hashrate_eh_s": nameplate.max(-1) / EH,
        "capex_usd": money.capital.capex_usd.sum(-1),
        "npv_usd": value.npv_usd,
        "discount_rate_nominal": money.discount_rate,
        "irr": value.irr.irr_per_year,
        "irr_reason": value.irr.reason,
        "payback_months": finance.payback_months(money.cumulative_cash_usd),
        "cost_per_btc_cash_usd": finance.cost_per_btc(energy_total + opex_total, btc_total),
        "cost_per_btc_all_in_usd": finance.cost_per_btc(
            energy_total + opex_total + money.capital.depreciation_usd.sum(-1), btc_total
        ),
        "energy_mwh_per_btc": finance.cost_per_btc(bill.used_mwh.sum(-1), btc_total),
        "breakeven_energy_price_per_kwh": value.breakeven_energy_price_per_kwh,
        "breakeven_energy_price_usd_per_kwh": value.breakeven_energy_price_per_kwh / fx_start,
        "breakeven_btc_price_usd": value.breakeven_btc_price_usd,
        "reserve_btc_end": money.flows.reserve.reserve_btc[..., -1],
        "levelized_cost_per_btc_usd": finance.cost_per_btc(
            finance.npv(bill.cost_usd + money.opex_usd + money.capital.capex_usd, *discount),
            finance.npv(money.btc_net, *discount),
        ),
        **_peaks(money, dollars.position),
        "mining_value_usd_per_mwh_mean": finance.cost_per_btc(
            np.einsum("...k,...k->...", money.btc_net, prices.btc_usd), bill.used_mwh.sum(-1)
        ),
    }


def epochs(*, network: Network, to_time: Callable[[np.ndarray], np.ndarray]) -> dict[str, Any]:
    """Each retarget epoch and halving the projection passed."""
    proj = network.projection
    return {
        "epoch_start_time": to_time(proj.epoch_start_s),
        "epoch_difficulty": proj.epoch_difficulty,
        "epoch_block_interval_s": proj.epoch_block_interval_s,
        "halving_time": to_time(proj.halving_time_s),
    }


def hourly(*, fleet: Fleet, prices: Prices, network: Network, dispatch: str) -> dict[str, Any]:
    """Month x hour: which hours the machines hash, and what the energy costs then."""
    hashing = plant.dispatch_hours(
        prices.hourly_usd,
        network.net_hashprice,
        fleet.vintages.effective_efficiency_j_per_th,
        fleet.pue,
        dispatch,
    )
    return {
        "run_by_hour": fleet.up[..., None] * hashing,
        "energy_price_by_hour_usd_per_kwh": prices.hourly_usd,
    }


def without_fleet(*, timeline: Timeline, prices: Prices, network: Network) -> dict[str, Any]:
    """The network as if the fleet had not come, and the fleet as a price taker in it."""
    alone, mine = network.alone, network.projection.fleet_hashrate_h_s
    assert alone is not None, "the run has no fleet-free projection"
    blocks, _, btc = chain.fleet_yield(alone._replace(fleet_hashrate_h_s=mine), prices.fees_btc)
    # h / H exceeds 1 for a fleet larger than the network; a price taker still cannot win
    # more blocks than are found (the ratio is exactly 1 otherwise, so nothing else moves)
    capped = np.where(blocks > alone.blocks, alone.blocks / np.maximum(blocks, 1e-300), 1.0)
    blocks, btc = blocks * capped, btc * capped
    others = alone.mined_hashrate_h_s - alone.fleet_hashrate_h_s
    proj = network.projection
    return {
        "difficulty_without_fleet": timeline.period_s / alone.time_over_difficulty_s,
        "network_hashrate_without_fleet_eh_s": others / EH,
        "hashprice_without_fleet_usd_per_ph_day": hashvalue_btc_per_ph_day(
            alone, prices.fees_btc, timeline.period_s
        )
        * prices.btc_usd,
        "network_share_undiluted": np.minimum(blocks / alone.blocks, 1.0),  # capped exactly
        "fleet_btc_undiluted": btc,
        "displaced_hashrate_eh_s": (others - (proj.mined_hashrate_h_s - mine)) / EH,
    }


def response(*, timeline: Timeline, prices: Prices, network: Network) -> dict[str, Any]:
    """The fleet's yield if the other miners had kept to their path, and their deviation."""
    fixed = network.fixed
    assert fixed is not None, "the run has no response"
    _, _, btc = chain.fleet_yield(fixed, prices.fees_btc)
    return {
        "fleet_btc_without_response": btc,
        "hashprice_without_response_usd_per_ph_day": hashvalue_btc_per_ph_day(
            fixed, prices.fees_btc, timeline.period_s
        )
        * prices.btc_usd,
        "response_deviation": network.deviation,
    }


def financing(*, financed: Financed) -> dict[str, Any]:
    """The loans by month, the cover, the equity's return and any covenant breach."""
    breach = financed.breach.year.astype(float)
    return {
        "debt_drawn_usd": financed.drawn_usd,
        "debt_interest_usd": financed.interest_usd,
        "debt_principal_usd": financed.principal_usd,
        "debt_service_usd": financed.debt_service_usd,
        "debt_balance_usd": financed.balance_usd,
        "cfads_usd": financed.cfads_usd,
        "equity_cash_flow_usd": financed.equity_usd,
        "dscr_min": financed.coverage.min_yearly,
        "dscr_mean": financed.coverage.mean_yearly,
        "llcr": financed.llcr,
        "equity_irr": financed.equity_irr.irr_per_year,
        "equity_irr_reason": financed.equity_irr.reason,
        "covenant_min_dscr": np.nan
        if financed.covenant_min_dscr is None
        else financed.covenant_min_dscr,
        "covenant_breach_year": np.where(breach >= 0, breach + 1, np.nan),
        "debt_left_usd": financed.balance_usd[..., -1],
    }


def _peaks(money: Money, dollars: state.FxPosition) -> dict[str, Any]:
    """The peak funding need, before financing and what is held or salvaged at the end
    (that funds nothing), and the peak need for dollars (USD loans included)."""
    funding = state.peak_funding(money.cumulative_cash_usd, end_usd=money.flows.end_usd)
    return {
        "peak_funding_usd": funding.usd,
        "peak_funding_month": state.month_of_peak(funding.month, funding.usd),
        "peak_fx_need_usd": dollars.peak_need_usd,
        "peak_fx_need_month": state.month_of_peak(dollars.peak_month, dollars.peak_need_usd),
    }


def tax(*, taxes: Taxes) -> dict[str, Any]:
    """The profit tax by month and in total."""
    return {
        "tax_usd": taxes.tax_usd,
        "earnings_before_tax_usd": taxes.earnings_usd,
        "tax_depreciation_usd": taxes.depreciation_usd,
        "tax_usd_total": taxes.tax_usd.sum(-1),
    }


def dollars(*, ledger: FxLedger) -> dict[str, Any]:
    """The dollars out and in by month, and the position."""
    return {
        "fx_out_usd": ledger.out_usd,
        "fx_in_usd": ledger.in_usd,
        "fx_position_usd": ledger.position.cumulative_usd,
    }


def fx(*, ledger: FxLedger) -> dict[str, Any]:
    """The import cover at the worst point of the dollar position, with and without BTC."""
    assert ledger.cover_with_btc_months is not None, "the ledger has no reserves to cover"
    return {
        "import_cover_months": ledger.position.import_cover_months,
        "import_cover_with_btc_months": ledger.cover_with_btc_months,
    }


def subsidy(
    *, tariff_per_kwh: np.ndarray, cost_recovery_per_kwh: float, money: Money, months: int
) -> dict[str, Any]:
    """The fleet's tariff against cost recovery (the IMF's test), with the energy it buys."""
    kwh_per_year = 1000 * money.bill.billed_mwh.sum(-1) / (months / 12)
    test = state.subsidy_test(tariff_per_kwh, cost_recovery_per_kwh, kwh_per_year)
    return {
        "cost_recovery_per_kwh": cost_recovery_per_kwh,
        "subsidised": test.subsidised.astype(float),
        "subsidy_gap_per_kwh": test.gap_per_kwh,
        "subsidy_cost_per_year": test.cost_per_year,
    }
