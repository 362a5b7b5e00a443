"""The options' ledgers from the state's side (issue 14), each against a hand computation."""

import numpy as np
from numpy.testing import assert_allclose

from minecalc import finance
from minecalc.model import options


def test_idle_is_zero():
    ledger = options.idle(months=5)
    assert_allclose(ledger.cash_usd, 0.0)
    assert_allclose(ledger.reserve.reserve_btc, 0.0)


def test_buy_btc_bought_is_outlay_over_price_month_by_month():
    price = np.array([[40_000.0, 50_000.0, 100_000.0], [80_000.0, 20_000.0, 40_000.0]])
    outlay = np.array([1e6, 2e6, 0.5e6])
    ledger = options.buy_btc(outlay_usd=outlay, btc_price_usd=price)
    bought = outlay / price
    assert_allclose(np.diff(ledger.reserve.reserve_btc, prepend=0.0), bought, rtol=1e-15)
    held_end = bought.sum(-1)
    expected = -outlay + np.array([0.0, 0.0, 1.0]) * (held_end * price[:, -1])[:, None]
    assert_allclose(ledger.cash_usd, expected, rtol=1e-12)


def test_buy_btc_above_the_cap_sells_again():
    ledger = options.buy_btc(
        outlay_usd=np.full(3, 100.0), btc_price_usd=np.full(3, 50.0), cap_btc=3
    )
    assert_allclose(ledger.reserve.reserve_btc, [2.0, 3.0, 3.0])
    assert_allclose(ledger.cash_usd, [-100.0, -50.0, 150.0])  # the last month: 3 BTC held


def test_sell_power_take_on_flat_paths_equals_energy_times_margin():
    """Flat network, price and tariff, no entry constraint: the state's take equals
    energy x (T + levy - mc / (1 - losses)) / fx plus the miners' profit tax, to 1e-9; a
    fleet that stays away buys nothing and pays no tax."""
    energy_mwh = np.full(12, 1.2e6)
    tariff, levy, mc, losses, fx = 22.98, 1.5, 9.0, 0.16, 280.0
    miners_tax = np.linspace(0.0, 2.2e6, 12)  # none at first (losses carried), then rising
    ledger = options.sell_power(
        energy_mwh=energy_mwh,
        price_per_kwh=tariff + levy,
        cost_recovery_per_kwh=mc / (1 - losses),
        fx=np.full(12, fx),
        miners_tax_usd=miners_tax,
        comes=True,
    )
    by_hand = 1.2e9 * (tariff + levy - mc / (1 - losses)) / fx + miners_tax
    assert_allclose(ledger.cash_usd, by_hand, rtol=1e-9)
    assert_allclose(ledger.energy_sold_kwh, 1.2e9)
    stays_away = options.sell_power(
        energy_mwh=energy_mwh,
        price_per_kwh=tariff,
        cost_recovery_per_kwh=10.0,
        fx=np.full(12, fx),
        miners_tax_usd=np.full(12, 1e6),
        comes=False,
    )
    assert_allclose(stays_away.cash_usd, 0.0, atol=0)
    assert_allclose(stays_away.energy_sold_kwh, 0.0, atol=0)


def test_sell_elsewhere_by_hand():
    surplus = np.array([100.0, 50.0, 100.0])
    firm = np.array([0.0, 100.0, 100.0])  # built after a month; short by 50 in month 2
    ledger = options.sell_elsewhere(
        surplus_kwh=surplus,
        firm_kwh=firm,
        margin_per_kwh=30.0 - 10.0,
        fx=np.full(3, 2.0),
        lease_usd=np.array([0.0, 7.0, 7.0]),
        firming_cost_per_kwh=40.0,
        capex_usd=np.array([500.0, 0.0, 0.0]),
    )
    assert_allclose(ledger.cash_usd, [-500.0, (2000 - 2000) / 2 + 7, 2000 / 2 + 7])


def test_worth_npv_and_peak_funding():
    ledger = options.buy_btc(outlay_usd=np.full(3, 100.0), btc_price_usd=np.full(3, 50.0))
    mid_years = (np.arange(3) + 0.5) / 12
    got = options.worth(
        ledger=ledger, surplus_mwh=np.full(3, 10.0), discount_rate=0.1, mid_years=mid_years
    )
    assert_allclose(got.npv_usd, finance.npv(ledger.cash_usd, 0.1, mid_years))
    assert_allclose(got.usd_per_mwh, got.npv_usd / finance.npv(np.full(3, 10.0), 0.1, mid_years))
    assert_allclose(got.peak_funding.usd, 300.0)  # the end value does not fund anything
    assert int(got.peak_funding.month) == 2
