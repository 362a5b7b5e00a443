"""The state's side of surplus power (issue 14): each function against a hand computation
or the published figures of the domain notes (section 8)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from minecalc import state

# NEPRA FY2024-25 (domain notes §8): capacity purchase price PKR 1,806.18 bn on 126,705 GWh
CAPACITY_PKR = 1_806.18e9
SALES_KWH = 126_705e6
NEW_KWH = 2_000 * 8_760 * 1e3  # 2,000 MW all year: 17,520 GWh


def test_capacity_charge_relief_on_the_published_figures():
    got = state.capacity_charge(CAPACITY_PKR, SALES_KWH, NEW_KWH)
    assert_allclose(got.before_per_kwh, 14.3, atol=0.05)  # "≈ PKR 14.3/kWh"
    assert_allclose(got.after_per_kwh, 12.52, atol=0.005)  # "≈ PKR 12.52/kWh"
    assert_allclose(got.relief_per_kwh, 1806.18 / 126.705 - 1806.18 / 144.225, rtol=1e-12)


def test_cost_recovery_and_the_subsidy_test_by_hand():
    recovery = state.cost_recovery_per_kwh(9.0, 0.16)
    assert_allclose(recovery, 9.0 / 0.84, rtol=1e-15)
    test = state.subsidy_test([8.0, 22.98], recovery, NEW_KWH)
    assert list(test.subsidised) == [True, False]
    assert_allclose(test.gap_per_kwh, [9.0 / 0.84 - 8.0, 0.0], rtol=1e-12)
    assert_allclose(test.cost_per_year, [(9.0 / 0.84 - 8.0) * NEW_KWH, 0.0], rtol=1e-12)


def test_power_sale_margin_by_hand():
    got = state.power_sale_margin([1e6, 2e6], 22.98, 1.5, 9.0 / 0.84)
    assert_allclose(got, np.array([1e6, 2e6]) * (22.98 + 1.5 - 9.0 / 0.84), rtol=1e-12)


def test_levy_schedule_steps_down_as_the_tariff_rises():
    """A Kazakhstan-like schedule: 25 up to a tariff of 10, 10 up to 20, 1 above."""
    got = state.levy_per_kwh([0.0, 10.0, 10.01, 20.0, 1e6], [10.0, 20.0, 30.0], [25.0, 10.0, 1.0])
    assert_allclose(got, [25.0, 25.0, 10.0, 10.0, 1.0])


def test_purchases_of_a_fixed_schedule_by_hand():
    """El Salvador's 1 BTC a day: a 31-day month buys 31 BTC at whatever it costs."""
    price = np.array([[50_000.0, 100_000.0], [80_000.0, 80_000.0]])
    outlay = state.schedule_outlay_usd(days=[31, 28], btc_price_usd=price, btc_per_day=1.0)
    assert_allclose(outlay, [[31 * 50_000, 28 * 100_000], [31 * 80_000, 28 * 80_000]])
    assert_allclose(state.btc_bought(outlay, price), [[31, 28], [31, 28]])
    usd = state.schedule_outlay_usd(days=[31, 28], btc_price_usd=price, usd_per_month=1e6)
    assert_allclose(state.btc_bought(usd, price), 1e6 / price)


@settings(max_examples=50, deadline=None)
@given(
    outlay=arrays(np.float64, (2, 12), elements=st.floats(0, 1e9, allow_subnormal=False)),
    price=arrays(np.float64, (12,), elements=st.floats(1e3, 1e7)),
)
def test_btc_bought_is_outlay_over_price_month_by_month(outlay, price):
    bought = state.btc_bought(outlay, price)
    assert_allclose(bought * price, outlay, rtol=1e-12, atol=1e-300)  # subnormal quotients
    assert np.all(bought >= 0)


def test_largest_drawdown_and_peak_funding_by_hand():
    dd = state.largest_drawdown([[1.0, 2.0, 1.5, 3.0, 1.2, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    assert_allclose(dd.fraction, [0.6, 0.0])
    assert list(dd.month) == [4, 0]
    cash = np.array([[-5.0, -3.0, 4.0, 10.0], [1.0, 1.0, -1.0, 1.0]])
    need = state.peak_funding(np.cumsum(cash, axis=-1))
    assert_allclose(need.usd, [8.0, 0.0])
    assert list(need.month) == [1, 0]
    # without end values of 14 and 5 the last months' cumulatives are 6 - 14 = -8 (tying
    # the deepest point before it: the first is kept) and 2 - 5 = -3 (the deepest)
    need = state.peak_funding(np.cumsum(cash, axis=-1), end_usd=[14.0, 5.0])
    assert_allclose(need.usd, [8.0, 3.0])
    assert list(need.month) == [1, 3]


@settings(deadline=None, max_examples=200)
@given(
    cash=arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e3, 1e3)),
    end=st.floats(-1e3, 1e3),
)
def test_peak_funding_is_the_deepest_running_sum_without_the_end_values(cash, end):
    running, deepest, month = 0.0, 0.0, 0
    for k, flow in enumerate(cash):
        running += flow - (end if k == cash.size - 1 else 0.0)
        if running < deepest:
            deepest, month = running, k
    need = state.peak_funding(np.cumsum(cash), end_usd=end)
    assert_allclose(need.usd, -deepest, rtol=1e-9, atol=1e-9)
    # the month of that depth (without a need, no month is reported); with depths equal but
    # for rounding, either may be the deepest
    if deepest < 0:
        assert need.month == month or abs(running_at(cash, end, int(need.month)) - deepest) < 1e-9


def running_at(cash, end, month):
    return cash[: month + 1].sum() - (end if month == cash.size - 1 else 0.0)


@pytest.mark.parametrize("losses", [0.0, 0.16, 0.5])
def test_a_tariff_at_cost_recovery_leaves_no_margin_and_no_subsidy(losses):
    recovery = state.cost_recovery_per_kwh(9.0, losses)
    assert_allclose(state.power_sale_margin(1e9, recovery, 0.0, recovery), 0.0, atol=1e-6)
    assert not state.subsidy_test(recovery, recovery, 1e9).subsidised


@settings(max_examples=60, deadline=None)
@given(
    usd_in=arrays(np.float64, (3, 24), elements=st.floats(0, 1e9)),
    usd_out=arrays(np.float64, (3, 24), elements=st.floats(0, 1e9)),
)
def test_the_fx_ledger_conserves(usd_in, usd_out):
    """USD in - USD out = the change in the USD position, month by month."""
    fx = state.fx_position(usd_in=usd_in, usd_out=usd_out)
    change = np.diff(fx.cumulative_usd, axis=-1, prepend=0.0)
    assert_allclose(change, usd_in - usd_out, rtol=1e-9, atol=1e-3)
    assert np.all(fx.peak_need_usd >= 0)
    assert_allclose(fx.peak_need_usd, np.maximum(-fx.cumulative_usd.min(-1), 0.0))


def test_fx_peak_need_and_import_cover_by_hand():
    """Bhutan-like: 500 out in the first two months, 100 back a month after; reserves 1,270
    and imports of 100 a month; held BTC worth 200 at the worst month counts as a reserve."""
    usd_out = [300.0, 200.0, 0.0, 0.0]
    usd_in = [0.0, 0.0, 100.0, 100.0]
    fx = state.fx_position(
        usd_in=usd_in, usd_out=usd_out, reserves_usd=1270.0, imports_usd_per_month=100.0
    )
    assert_allclose(fx.cumulative_usd, [-300.0, -500.0, -400.0, -300.0])
    assert float(fx.peak_need_usd) == 500.0 and int(fx.peak_month) == 1
    assert_allclose(fx.import_cover_months, (1270 - 500) / 100)
    counted = state.import_cover_months(
        fx.cumulative_usd, 1270.0, 100.0, reserve_assets_usd=[0.0, 200.0, 200.0, 200.0]
    )
    assert_allclose(counted, (1270 - 500 + 200) / 100)
    # the held BTC can move the worst month: worth 450 then, the first month is worse
    later = state.import_cover_months(fx.cumulative_usd, 1270.0, 100.0, [0.0, 450.0, 0.0, 0.0])
    assert_allclose(later, (1270 - 400) / 100)
