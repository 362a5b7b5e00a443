"""The plant and the money through the whole model: plug-back checks and monotonicity."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from minecalc import model
from minecalc.config import load_config

PK = Path(__file__).parents[1] / "configs" / "pk2000mw.yaml"
SHORT = ["horizon_months=24"]
TARIFF, FX, PRICE = 22.98, 277.5, 65_137  # pk2000mw's PKR/kWh, PKR/USD and USD/BTC (by hand)


def test_the_hand_figures_are_the_scenarios():
    scenario = load_config(PK)
    assert (scenario.tariff.energy_price_per_kwh, scenario.tariff.usd_fx_rate) == (TARIFF, FX)
    assert scenario.market.btc_price_usd == PRICE


def run(*overrides, solve=False):
    """The Pakistan case over 24 months; economic breakevens solved only when asked."""
    return model.run(load_config(PK, [*SHORT, *overrides]), solve_breakevens=solve)


@pytest.fixture(scope="module")
def base():
    return run()


def test_breakeven_tariff_plugged_back_gives_zero_npv(base):
    x = float(base.breakeven_energy_price_per_kwh)
    again = run(f"tariff.energy_price_per_kwh={x!r}") if x >= 0 else None
    if again is None:  # below zero the schema refuses it: check linearity instead
        lo, hi = run("tariff.energy_price_per_kwh=0"), base
        slope = (float(hi.npv_usd) - float(lo.npv_usd)) / TARIFF
        assert_allclose(float(lo.npv_usd) + slope * x, 0, atol=1e-6 * float(base.capex_usd))
    else:
        assert abs(float(again.npv_usd)) <= 1e-6 * float(base.capex_usd)


def test_breakeven_btc_price_plugged_back_gives_zero_npv(base):
    x = float(base.breakeven_btc_price_usd)
    again = run(f"market.btc_price_usd={x!r}")
    assert abs(float(again.npv_usd)) <= 1e-6 * float(base.capex_usd)


def test_cheap_power_breakeven_tariff_is_positive_and_plugs_back():
    rich = run("market.btc_price_usd=150000")
    x = float(rich.breakeven_energy_price_per_kwh)
    assert x > 0
    again = run("market.btc_price_usd=150000", f"tariff.energy_price_per_kwh={x!r}")
    assert abs(float(again.npv_usd)) <= 1e-6 * float(rich.capex_usd)
    assert_allclose(float(rich.breakeven_energy_price_usd_per_kwh), x / FX, rtol=1e-12)


def test_economic_dispatch_breakevens_plug_back():
    ds = run("tariff.dispatch=economic", "market.btc_price_usd=120000", solve=True)
    tariff, price = float(ds.breakeven_energy_price_per_kwh), float(ds.breakeven_btc_price_usd)
    assert 0 < tariff and np.isfinite(price)
    at_tariff = run(
        "tariff.dispatch=economic",
        "market.btc_price_usd=120000",
        f"tariff.energy_price_per_kwh={tariff!r}",
    )
    at_price = run("tariff.dispatch=economic", f"market.btc_price_usd={price!r}")
    scale = float(ds.capex_usd)
    assert abs(float(at_tariff.npv_usd)) <= 1e-6 * scale
    assert abs(float(at_price.npv_usd)) <= 1e-6 * scale


def test_energy_and_money_by_hand(base):
    # 2,000 MW at the meter for every hour of the first month, at 22.98 PKR / 277.5 per kWh.
    hours = float(base.period_days[0]) * 24
    assert_allclose(base.energy_mwh[0], 2000 * hours, rtol=1e-12)
    assert_allclose(base.energy_cost_usd[0], 2000 * hours * 1000 * TARIFF / FX, rtol=1e-12)
    # Capex: 1,818 IT MW of 17.5 J/TH machines at $13.50/TH, and $430k per grid MW.
    th = 2000e6 / 1.10 / 17.5
    assert_allclose(base.capex_usd, th * 13.5 + 2000 * 430_000, rtol=1e-12)
    assert_allclose(base.pool_fee_btc, 0.025 * base.fleet_btc, rtol=1e-12)
    assert_allclose(base.sales_usd, base.btc_net * PRICE, rtol=1e-12)


def test_economic_dispatch_flat_tariff_below_and_above_hashcost():
    cheap = run("tariff.dispatch=economic", "tariff.energy_price_per_kwh=1")
    dear = run("tariff.dispatch=economic", "tariff.energy_price_per_kwh=200")
    assert_allclose(cheap.run_fraction, 1.0)
    assert_allclose(dear.run_fraction, 0.0)
    assert_allclose(dear.fleet_btc, 0.0)
    assert_allclose(dear.energy_mwh, 0.0)


def test_economic_dispatch_runs_only_the_cheap_hours():
    # Half the day at a tenth of the price: with hashcost at 22.98 PKR ~38 USD/PH/day and
    # hashprice ~30, only the cheap hours pay.
    profile = "[" + ",".join(["0.1"] * 12 + ["1.0"] * 12) + "]"
    ds = run("tariff.dispatch=economic", f"tariff.time_of_use=[{profile}]")
    assert_allclose(ds.run_fraction, 0.5)
    assert_allclose(ds.energy_price_usd_per_kwh, TARIFF / 10 / FX, rtol=1e-12)


def test_reserve_holds_what_is_not_sold():
    ds = run("finance.btc_held_fraction=1")
    assert_allclose(ds.sales_usd, 0.0)
    assert_allclose(ds.reserve_btc_end, ds.btc_net.sum(), rtol=1e-12)


def test_reserve_sells_to_cover_local_costs_first_and_holds_the_rest():
    ds = run("finance.btc_held_fraction=1", "finance.sell_to_cover_costs=true")
    costs = ds.energy_cost_usd + ds.opex_usd
    assert_allclose(ds.sales_usd, np.minimum(costs, ds.btc_net * ds.btc_price_usd), rtol=1e-12)
    held = ds.btc_net - ds.sales_usd / ds.btc_price_usd
    assert_allclose(ds.reserve_btc, held.cumsum("time"), rtol=1e-12)


def test_the_reserve_cap_is_never_exceeded_and_the_rest_is_sold():
    ds = run("finance.btc_held_fraction=1", "finance.reserve_cap_btc=5000")
    assert float(ds.reserve_btc.max()) == pytest.approx(5000, rel=1e-12)
    assert (ds.reserve_btc <= 5000 * (1 + 1e-12)).all()
    sold_btc = ds.sales_usd / ds.btc_price_usd
    assert_allclose(sold_btc.sum() + ds.reserve_btc_end, ds.btc_net.sum(), rtol=1e-12)


# Economic dispatch decides each month from the difficulty in force when it starts, so
# NPV need not be monotone there: with self-dilution a skipped month keeps later
# difficulty lower (hypothesis found tariff 17 -> 17.5 PKR raising NPV by 0.07 %), and
# even as a price-taker a month started just profitable can end unprofitable after a
# retarget (price 106,396 -> 108,293 USD lowering NPV by 5e-6). With dispatch: always
# NPV is linear in both prices, so the properties hold exactly, diluting or not.
MONOTONE_CASES = [
    ["network.include_fleet_in_network=true"],
    ["network.include_fleet_in_network=false"],
]


@pytest.mark.parametrize("case", MONOTONE_CASES, ids=["diluting", "price-taker"])
@settings(max_examples=10, deadline=None)
@given(tariff=st.floats(0, 40), more=st.floats(0.5, 20))
def test_a_higher_tariff_never_raises_npv(case, tariff, more):
    a = run(f"tariff.energy_price_per_kwh={tariff}", *case)
    b = run(f"tariff.energy_price_per_kwh={tariff + more}", *case)
    assert float(b.npv_usd) <= float(a.npv_usd) + 1e-9 * abs(float(a.npv_usd))


@pytest.mark.parametrize("case", MONOTONE_CASES, ids=["diluting", "price-taker"])
@settings(max_examples=10, deadline=None)
@given(price=st.floats(20_000, 300_000), more=st.floats(1_000, 100_000))
def test_a_higher_btc_price_never_lowers_npv(case, price, more):
    a = run(f"market.btc_price_usd={price}", *case)
    b = run(f"market.btc_price_usd={price + more}", *case)
    assert float(b.npv_usd) >= float(a.npv_usd) - 1e-9 * abs(float(a.npv_usd))


@settings(max_examples=10, deadline=None)
@given(price=st.floats(50_000, 400_000))
def test_payback_agrees_with_the_cumulative_cash_flow(price):
    ds = run(f"market.btc_price_usd={price}")
    cum = ds.cumulative_cash_usd.values
    payback = float(ds.payback_months)
    if np.isnan(payback):
        assert cum[-1] < 0 or np.any(cum < 0)
    elif payback == 0:
        assert np.all(cum >= 0)
    else:
        # Period p covers months [p, p + 1): the crossing lies inside the payback period.
        p = int(np.ceil(payback)) - 1
        assert np.all(cum[p:] >= 0) and (p == 0 or cum[p - 1] < 0)


def test_ramp_phases_capacity_and_capex():
    ds = run(
        "site.ramp={shape: steps, points: [{date: 2026-09-05, capacity_mw: 1000}, "
        "{date: 2027-03-05, capacity_mw: 2000}]}"
    )
    assert_allclose(ds.site_mw[:6], 1000, rtol=1e-12)
    assert_allclose(ds.site_mw[6:], 2000, rtol=1e-12)
    capex = ds.capex_usd_by_month.values
    # Per grid MW: 1/1.10 IT MW of 17.5 J/TH machines at $13.50/TH, and $430k of facilities.
    per_grid_mw = 1e6 / 1.10 / 17.5 * 13.5 + 430_000
    assert_allclose(capex[[0, 6]], 1000 * per_grid_mw, rtol=1e-12)
    assert_allclose(np.delete(capex, [0, 6]), 0.0, atol=1e-6)


def test_price_path_and_growth():
    path = run("market.btc_price_path=[{date: 2027-09-05, btc_price_usd: 126800}]")
    assert_allclose(path.btc_price_usd[12:], 126_800, rtol=1e-12)
    assert 63_400 < float(path.btc_price_usd[6]) < 126_800
    grow = run("market.btc_price_growth_per_year=0.5")
    # Months 0 and 12 have the same length and their middles are 365 days apart.
    assert float(grow.btc_price_usd[12]) / float(grow.btc_price_usd[0]) == pytest.approx(
        1.5 ** (365 / 365.2425), rel=1e-12
    )


def test_refresh_buys_new_machines_at_end_of_life():
    ds = run("fleet.lifetime_years=1", "fleet.refresh={model: Antminer S21 XP}")
    hw = ds.capex_hardware_usd.values
    th_initial = 2000e6 / 1.10 / 17.5
    th_refresh = 2000e6 / 1.10 / 13.5  # same IT MW of 13.5 J/TH machines at $14.26/TH
    assert_allclose(hw[0], th_initial * 13.5, rtol=1e-12)
    assert_allclose(hw[12], th_refresh * 14.26, rtol=1e-12)
    assert_allclose(ds.fleet_nameplate_hashrate_eh_s, th_refresh / 1e6, rtol=1e-12)


def test_levelized_cost_per_btc_is_the_breakeven_price_on_a_flat_price():
    """PV(costs) / PV(BTC): with a flat price, no reserve and no salvage it is exactly the
    BTC price at which NPV is 0 (found independently by the linear breakeven)."""
    ds = run()
    assert_allclose(ds.levelized_cost_per_btc_usd, ds.breakeven_btc_price_usd, rtol=1e-9)
    t = (ds.time - ds.time[0]).dt.total_seconds().values / (365.2425 * 86400) + (
        ds.period_days.values / 365.2425 / 2
    )
    discount = 1.10**-t
    costs = ds.energy_cost_usd + ds.opex_usd + ds.capex_usd_by_month
    by_hand = float((costs * discount).sum()) / float((ds.btc_net * discount).sum())
    assert_allclose(ds.levelized_cost_per_btc_usd, by_hand, rtol=1e-9)


def test_peak_funding_is_the_deepest_cumulative_cash_before_end_values():
    ds = run("finance.btc_held_fraction=1")
    flow = ds.sales_usd - ds.energy_cost_usd - ds.opex_usd - ds.capex_usd_by_month
    assert_allclose(ds.peak_funding_usd, -float(flow.cumsum("time").min()), rtol=1e-12)
    assert float(ds.peak_funding_usd) > float(ds.capex_usd)  # holding everything: nothing sold
