"""Finance: NPV and IRR against numpy-financial, hand-computed payback, depreciation,
treasury and cost per BTC, breakevens plugged back in, and properties."""

import itertools

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from reference import carry_forward_tax
from scipy.optimize import brentq

from minecalc import finance as F

NPF_SERIES = [
    [-100, 39, 59, 55, 20],
    [-100, 0, 0, 74],
    [-100, 100, 0, 7],
    [-5, 10.5, 1, -8, 1],
    [-100, 100, 0, -7],
    [-1000, 300, 300, 300, 300, 300],
    [-250_000, 100_000, 150_000, 200_000, 250_000, 300_000],
    [-1e9, 2e8, 2e8, 2e8, 2e8, 2e8, 2e8, -5e7],
]


# --- NPV ------------------------------------------------------------------------------


@pytest.mark.parametrize("values", NPF_SERIES)
@pytest.mark.parametrize("rate", [0.0, 0.05, 0.1, 0.281, -0.3, 2.0])
def test_npv_matches_numpy_financial(values, rate):
    got = F.npv(values, rate, np.arange(len(values)))
    want = npf.npv(rate, values)
    assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(values).sum())


def test_npv_broadcasts_rates_against_scenarios():
    rng = np.random.default_rng(3)
    cf = rng.normal(size=(3, 7))
    rates = np.array([[0.02], [0.15]])  # (2, 1) against (3,) scenarios -> (2, 3)
    got = F.npv(cf, rates, np.arange(7))
    assert got.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert_allclose(got[i, j], npf.npv(rates[i, 0], cf[j]), rtol=1e-12)


def test_discount_factors_mid_period_by_hand():
    t = F.cash_flow_times([0.0, 1.0, 2.0], "mid")
    assert_array_equal(t, [0.5, 1.5])
    assert_allclose(F.discount_factors(0.1, t), [1.1**-0.5, 1.1**-1.5], rtol=1e-15)
    assert_allclose(F.discount_factors([0.0, 1.0], t), [[1, 1], [2**-0.5, 2**-1.5]], rtol=1e-15)
    assert_array_equal(F.cash_flow_times([0.0, 1.0, 2.0], "end"), [1.0, 2.0])
    assert_array_equal(F.cash_flow_times([0.0, 1.0, 2.0], "start"), [0.0, 1.0])
    with pytest.raises(ValueError, match="timing"):
        F.cash_flow_times([0.0, 1.0], "middle")


def test_npv_of_capex_at_time_zero_and_mid_period_flows():
    cf = np.array([[-100.0, 30.0, 40.0, 50.0], [-20.0, 10.0, 10.0, 10.0]])
    t = [0.0, 0.5, 1.5, 2.5]
    want = -100 + 30 / 1.1**0.5 + 40 / 1.1**1.5 + 50 / 1.1**2.5
    assert_allclose(F.npv(cf, 0.1, t)[0], want, rtol=1e-14)


# --- IRR ------------------------------------------------------------------------------


@pytest.mark.parametrize("values", NPF_SERIES)
def test_irr_matches_numpy_financial(values):
    got, reason = F.irr_with_reason(values, np.arange(len(values)))
    assert reason in (F.IRR_OK, F.IRR_MULTIPLE)
    assert_allclose(got, npf.irr(values), rtol=0, atol=1e-8)
    assert abs(F.npv(values, got, np.arange(len(values)))) <= 1e-9 * np.abs(values).sum()


def test_irr_reason_codes():
    t = np.arange(3)
    cases = {
        (1.0, 2.0, 3.0): F.IRR_NO_SIGN_CHANGE,
        (-1.0, -2.0, 0.0): F.IRR_NO_SIGN_CHANGE,
        (0.0, 0.0, 0.0): F.IRR_NO_SIGN_CHANGE,
        (-100.0, 0.001, 0.0): F.IRR_NO_ROOT,  # IRR = -99.999 %/yr, below the bracket
        (-1.0, 100.0, 0.0): F.IRR_NO_ROOT,  # IRR = 9900 %/yr, above it
        (-100.0, 230.0, -132.0): F.IRR_MULTIPLE,  # roots at 10 % and 20 %
        (-100.0, 50.0, 60.0): F.IRR_OK,
        (np.nan, 50.0, 60.0): F.IRR_NO_ROOT,
    }
    cf = np.array(list(cases))
    rate, reason = F.irr_with_reason(cf, t)
    assert_array_equal(reason, list(cases.values()))
    assert_array_equal(np.isnan(rate), [True] * 5 + [False, False, True])
    assert_allclose(rate[5], 0.1, atol=1e-12)  # the root nearest zero of 10 % and 20 %
    assert_allclose(F.irr(cf, t), rate, equal_nan=True)


def test_irr_root_on_a_grid_point():
    """NPV exactly zero at a grid point of the scan (r = 0) beside rows without one: roots
    at 0 and 100 %/yr, the one at zero reported; the other rows as when scanned alone."""
    t = np.arange(3)
    cf = np.array([[100.0, -300.0, 200.0], [-100.0, 230.0, -132.0]])
    rate, reason = F.irr_with_reason(cf, t)
    assert_array_equal(reason, [F.IRR_MULTIPLE, F.IRR_MULTIPLE])
    assert rate[0] == 0.0
    assert rate[1] == F.irr(cf[1], t)
    assert_allclose(rate[1], 0.1, atol=1e-12)


def _three_blocks(rng, size, n=36):
    """Flows in three blocks of alternating sign (-, +, - or +, -, +), of random lengths and
    sizes: two sign changes each, some with roots and most without."""
    cuts = np.sort(rng.integers(1, n, size=(size, 2)), axis=-1)
    cuts[:, 1] = np.maximum(cuts[:, 1], cuts[:, 0] + 1)
    k = np.arange(n)
    sign = np.where(k < cuts[:, :1], -1.0, np.where(k < cuts[:, 1:], 1.0, -1.0))
    sign *= rng.choice([-1.0, 1.0], size=(size, 1))
    return sign * rng.lognormal(0.0, 1.5, size=(size, n)), k / 12


def test_irr_no_root_proof_changes_nothing(monkeypatch):
    """Rows with two sign changes whose running sums prove there is no root skip the grid
    scan: every rate and reason is what the scan alone gives, and the proof is used."""
    cf, t = _three_blocks(np.random.default_rng(7), 20_000)
    proved = F._irr_no_root(cf, np.arange(len(cf)))
    assert 0.2 < proved.mean() < 0.95  # both kinds of rows are tested
    with_proof = F.irr_with_reason(cf, t)
    monkeypatch.setattr(F, "_irr_no_root", lambda cf, rows: np.zeros(rows.size, dtype=bool))
    scanned = F.irr_with_reason(cf, t)
    assert_array_equal(with_proof.reason, scanned.reason)
    assert_array_equal(with_proof.irr_per_year, scanned.irr_per_year)
    assert (with_proof.reason[proved] == F.IRR_NO_ROOT).all()


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_irr_no_root_proof_holds_at_every_rate(seed):
    """Where the proof says no root, NPV keeps the first flow's sign on a fine grid of rates
    from -99.99 % to +1,000 % a year (well past the scan's spacing)."""
    cf, t = _three_blocks(np.random.default_rng(seed), 200, n=24)
    proved = F._irr_no_root(cf, np.arange(len(cf)))
    u = np.linspace(np.log1p(-0.9999), np.log1p(10.0), 4_001)
    npv = cf[proved] @ np.exp(-np.outer(t, u))
    first = np.sign(cf[proved, 0])[:, None]
    assert (npv * first > 0).all()


def test_irr_vectorized_matches_numpy_financial_monthly():
    """10,000 series of 24 months: npf.irr one by one on the monthly series, annualized."""
    rng = np.random.default_rng(20250525)
    size, n = 10_000, 24
    capex = rng.uniform(500, 1500, size)
    months_to_pay = rng.uniform(8, 40, size)  # IRRs from about -50 %/yr to well above 100 %/yr
    cf = rng.normal(1.0, 0.6, (size, n)) * (capex / months_to_pay)[:, None]
    cf[:, 0] = -capex
    cf[:50, 0] = np.abs(cf[:50, 0])  # no sign change: all >= 0
    cf[50:100] = -np.abs(cf[50:100])  # no sign change: all <= 0
    rate, reason = F.irr_with_reason(cf, np.arange(n) / 12)
    assert rate.shape == reason.shape == (size,)

    lo, hi = F.IRR_BRACKET_PER_YEAR
    compared = 0
    for i in range(size):
        monthly = npf.irr(cf[i])
        if not (cf[i] > 0).any() or not (cf[i] < 0).any():
            assert np.isnan(monthly) and np.isnan(rate[i]) and reason[i] == F.IRR_NO_SIGN_CHANGE
            continue
        roots = np.roots(cf[i][::-1])
        x = roots[(roots.imag == 0) & (roots.real > 0)].real
        annual_roots = (1 / x) ** 12 - 1
        inside = annual_roots[(annual_roots > lo) & (annual_roots < hi)]
        if inside.size == 1:
            assert reason[i] == F.IRR_OK
            assert_allclose(rate[i], inside[0], rtol=0, atol=1e-8 * max(1, abs(inside[0])))
            if abs(inside[0] - ((1 + monthly) ** 12 - 1)) < 1e-6:
                assert_allclose(rate[i], (1 + monthly) ** 12 - 1, rtol=0, atol=1e-8)
                compared += 1
        elif inside.size > 1:
            assert reason[i] == F.IRR_MULTIPLE
            nearest = inside[np.argmin(np.abs(np.log1p(inside)))]
            assert_allclose(rate[i], nearest, rtol=0, atol=1e-8 * max(1, abs(nearest)))
        else:
            assert reason[i] == F.IRR_NO_ROOT and np.isnan(rate[i])
    assert compared > 0.9 * size  # most series have one real IRR and were checked against npf


def test_irr_non_uniform_calendar_months():
    edges = pd.date_range("2025-01-01", periods=37, freq="MS")
    years = (edges - edges[0]).total_seconds().to_numpy() / (365.2425 * 86400)
    t = F.cash_flow_times(years, "end")
    cf = np.full(36, 30.0)
    cf[0] -= 800.0

    def npv_of(r):
        return np.sum(cf * (1 + r) ** -t)

    want = brentq(npv_of, -0.5, 5.0, xtol=1e-15)
    rate, reason = F.irr_with_reason(cf, t)
    assert reason == F.IRR_OK
    assert_allclose(rate, want, rtol=1e-12)
    # Uniform twelfths give a different answer: the calendar matters.
    assert abs(F.irr(cf, (np.arange(36) + 1) / 12) - want) > 1e-6


def test_irr_keeps_scenario_dimensions_and_per_scenario_times():
    rng = np.random.default_rng(5)
    cf = rng.uniform(1, 3, (2, 3, 12))
    cf[..., 0] = -15
    t = np.arange(12) / 12
    shared = F.irr(cf, t)
    assert shared.shape == (2, 3)
    per = F.irr(cf, np.broadcast_to(t, (2, 3, 12)) + np.zeros((2, 3, 1)))
    assert_allclose(per, shared, rtol=1e-13)
    for idx in np.ndindex(2, 3):
        assert_allclose(shared[idx], F.irr(cf[idx], t), rtol=1e-13)


def test_irr_one_sign_change_scanned_or_bracketed_agree():
    """One sign change: shared times go through the grid scan, per-row times through the
    bracket's ends; the two give the same reasons and rates, roots outside the bracket
    (above +1,000 % and below -99.99 % a year) included."""
    rng = np.random.default_rng(11)
    size, n = 5_000, 24
    cf = rng.lognormal(0.0, 1.0, (size, n)) * rng.choice([1e-6, 1.0, 1e3], size=(size, 1))
    cf[:, 0] = -rng.lognormal(3.0, 1.0, size)
    t = (np.arange(n) + 0.5) / 12
    shared = F.irr_with_reason(cf, t)
    own = F.irr_with_reason(cf, np.broadcast_to(t, (size, n)) + np.zeros((size, 1)))
    assert set(np.unique(shared.reason)) == {F.IRR_OK, F.IRR_NO_ROOT}
    assert_array_equal(shared.reason, own.reason)
    assert_allclose(shared.irr_per_year, own.irr_per_year, rtol=1e-12, equal_nan=True)


# --- payback --------------------------------------------------------------------------


def test_payback_crossing_back_negative_by_hand():
    cf = np.array(
        [
            [
                -100.0,
                60,
                60,
                -50,
                40,
                10,
            ],  # cumulative -100 -40 20 -30 10 20: pays back in period 4
            [-100.0, 50, 40, 0, 0, 0],  # ends at -10: never
            [10.0, -5, 3, 0, 0, 0],  # never negative
            [-100.0, 50, 50, 0, 0, 0],  # reaches exactly 0 at the end of period 2
        ]
    )
    months = F.payback_months(np.cumsum(cf, axis=-1))
    assert_allclose(months, [4 + 30 / 40, np.nan, 0.0, 3.0], equal_nan=True)
    cf[1, 3] = np.nan  # a flow that is not a number: no payback, whatever comes before
    cf[0, 5] = np.inf
    assert np.isnan(F.payback_months(np.cumsum(cf, axis=-1))[:2]).all()


def test_payback_keeps_scenario_dimensions():
    cf = np.zeros((2, 3, 4))
    cf[..., 0] = -10
    cf[..., 1:] = np.arange(1, 7).reshape(2, 3, 1)
    months = F.payback_months(np.cumsum(cf, axis=-1))
    assert months.shape == (2, 3)
    # 1-3 a month never pay back 10 in 3 months; 4: -6, -2, 2; 5: -5, 0; 6: -4, 2
    assert_allclose(months, [[np.nan] * 3, [3.5, 3.0, 2 + 4 / 6]], equal_nan=True)


# --- depreciation, treasury, cost per BTC ---------------------------------------------


def test_straight_line_depreciation_by_hand():
    capex = [120.0, 0, 60, 0, 0, 0]
    # 120 over periods 0-2 (40 each), 60 over 2-4 (20 each)
    assert_allclose(F.straight_line_depreciation(capex, 3, 6), [40, 40, 60, 20, 20, 0])
    # life beyond the horizon: 12 and 6 a month, the rest never within the horizon
    dep = F.straight_line_depreciation(capex, 10, 6)
    assert_allclose(dep, [12, 12, 18, 18, 18, 18])
    assert dep.sum() == pytest.approx(96)
    both = F.straight_line_depreciation(capex, np.array([3, 10]), 6)
    assert_allclose(both, [[40, 40, 60, 20, 20, 0], [12, 12, 18, 18, 18, 18]])
    # capex shorter or longer than the horizon
    assert_allclose(F.straight_line_depreciation([90.0], 3, 5), [30, 30, 30, 0, 0])
    assert_allclose(F.straight_line_depreciation([0.0, 0, 9, 50], 3, 3), [0, 0, 3])
    with pytest.raises(ValueError, match="life_months"):
        F.straight_line_depreciation(capex, 0, 6)
    with pytest.raises(ValueError, match="life_months"):
        F.straight_line_depreciation(capex, 2.5, 6)


def test_treasury_by_hand():
    res = F.treasury([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], 0.5)
    assert_allclose(res.reserve_btc, [0.5, 1.5, 3.0])
    assert_allclose(res.btc_sold, [0.5, 1.0, 1.5])
    assert_allclose(res.sales_usd, [5, 20, 45])
    assert_allclose(res.reserve_value_usd, [5, 30, 90])
    # per-scenario policy: sell all, hold all
    res = F.treasury([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], np.array([0.0, 1.0])[:, None])
    assert_allclose(res.reserve_btc, [[0, 0, 0], [1, 3, 6]])
    assert_allclose(res.sales_usd, [[10, 40, 90], [0, 0, 0]])
    assert_allclose(res.reserve_value_usd, [[0, 0, 0], [10, 60, 180]])
    with pytest.raises(ValueError, match="held_fraction"):
        F.treasury([1.0], [1.0], 1.5)


def test_reserve_policy_covers_costs_then_caps_by_hand():
    """Sell to cover the month's costs first, keep the rest, never above the cap."""
    price = [10.0, 20.0, 40.0, 10.0]
    res = F.treasury([2.0, 2.0, 2.0, 2.0], price, 1.0, cover_usd=[5.0, 60.0, 40.0, 0.0], cap_btc=3)
    # covered: 0.5, 2 (all: costs exceed the month's BTC), 1, 0 -> kept 1.5, 0, 1, 2
    assert_allclose(res.reserve_btc, [1.5, 1.5, 2.5, 3.0])
    assert_allclose(res.btc_sold, [0.5, 2.0, 1.0, 1.5])
    assert_allclose(res.sales_usd, [5.0, 40.0, 40.0, 15.0])
    assert_allclose(res.reserve_value_usd, [15.0, 30.0, 100.0, 30.0])
    no_accumulation = F.treasury([1.0, 1.0], [5.0, 5.0], 1.0, cap_btc=0.0)
    assert_allclose(no_accumulation.reserve_btc, 0.0)
    assert_allclose(no_accumulation.sales_usd, [5.0, 5.0])


@settings(max_examples=60, deadline=None)
@given(
    mined=arrays(np.float64, (3, 8), elements=st.floats(0, 100)),
    price=arrays(np.float64, (8,), elements=st.floats(1, 1e6)),
    cover=arrays(np.float64, (3, 8), elements=st.floats(0, 1e7)),
    held=st.floats(0, 1),
    cap=st.floats(0, 500),
)
def test_reserve_policy_properties(mined, price, cover, held, cap):
    """Sold + held = mined; the cap is never exceeded; nothing sold below zero; and with
    nothing to cover and no cap it is the simple held fraction."""
    res = F.treasury(mined, price, held, cover_usd=cover, cap_btc=cap)
    held_per_month = np.diff(res.reserve_btc, axis=-1, prepend=0.0)
    assert_allclose(res.btc_sold + held_per_month, mined, atol=1e-9)
    assert np.all(res.reserve_btc <= cap + 1e-9) and np.all(held_per_month >= -1e-12)
    assert np.all(res.btc_sold >= -1e-9)
    simple = F.treasury(mined, price, held, cover_usd=0.0, cap_btc=np.inf)
    assert_allclose(simple.reserve_btc, np.cumsum(held * mined, axis=-1), rtol=1e-12)


def test_cost_per_btc_zero_btc_is_nan_without_warning():
    got = F.cost_per_btc([100.0, 50.0, 0.0], [2.0, 0.0, 0.0])  # filterwarnings=error
    assert_allclose(got, [50.0, np.nan, np.nan], equal_nan=True)
    assert_allclose(F.cost_per_btc(np.array([[3.0], [6.0]]), [1.0, 3.0]), [[3, 1], [6, 2]])


# --- breakevens -----------------------------------------------------------------------


def _toy_plant(scenarios=40, n=60, seed=0):
    rng = np.random.default_rng(seed)
    t = (np.arange(n) + 0.5) / 12
    btc = rng.uniform(30, 50, (scenarios, 1)) * 0.97 ** np.arange(n)  # BTC/month
    energy_kwh = rng.uniform(20e6, 30e6, (scenarios, 1)) * np.ones(n)  # kWh/month
    capex = rng.uniform(1e7, 3e7, scenarios)
    return t, btc, energy_kwh, capex


def test_breakeven_tariff_plugged_back_gives_zero_npv():
    t, btc, energy, capex = _toy_plant()

    def npv_at_tariff(price_usd_per_kwh, btc_price=80_000.0):
        cf = btc * btc_price - energy * np.asarray(price_usd_per_kwh)[..., None]
        cf[..., 0] -= capex
        return F.npv(cf, 0.10, t)

    scale = capex.max()
    linear = F.breakeven_of_linear(
        npv_at_tariff(np.zeros(40)), npv_at_tariff(np.full(40, 0.1)), 0.0, 0.1
    )
    assert np.all(np.isfinite(linear)) and np.all(linear > 0)
    assert np.max(np.abs(npv_at_tariff(linear))) <= 1e-6 * scale
    general = F.breakeven(npv_at_tariff, 0.0, 1.0)
    assert np.max(np.abs(npv_at_tariff(general))) <= 1e-6 * scale
    assert_allclose(general, linear, rtol=1e-9)
    # a bracket without the root: NaN unless it may be widened
    assert np.all(np.isnan(F.breakeven(npv_at_tariff, 2.0, 3.0)))
    widened = F.breakeven(npv_at_tariff, 0.0, 1e-4, xmin=0.0, xmax=10.0)
    assert_allclose(widened, linear, rtol=1e-9)


def test_breakeven_btc_price_with_switch_off_is_not_linear():
    """Months whose margin is negative are switched off: NPV is piecewise linear in price."""
    t, btc, energy, capex = _toy_plant(seed=1)
    tariff = 0.08

    def npv_at_price(btc_price_usd):
        margin = btc * np.asarray(btc_price_usd)[..., None] - energy * tariff
        cf = np.maximum(margin, 0.0)
        cf[..., 0] -= capex
        return F.npv(cf, 0.10, t)

    x = F.breakeven(npv_at_price, 1_000.0, 1e6)
    assert np.all(np.isfinite(x))
    assert np.max(np.abs(npv_at_price(x))) <= 1e-6 * capex.max()
    chord = F.breakeven_of_linear(
        npv_at_price(np.full(40, 1e5)), npv_at_price(np.full(40, 5e5)), 1e5, 5e5
    )
    assert np.max(np.abs(chord - x)) > 1.0  # the chord misses: NPV is not linear here


def test_breakeven_of_linear_by_hand():
    # margins m(x) = m0 + s x with m0 = 10, -6, 5 and s = -2, 3, 0 vanish at 5, 2 and nowhere
    m0, s = np.array([10.0, -6.0, 5.0]), np.array([-2.0, 3.0, 0.0])
    assert_allclose(F.breakeven_of_linear(m0, m0 + s, 0.0, 1.0), [5.0, 2.0, np.nan], equal_nan=True)
    assert_allclose(
        F.breakeven_of_linear([4.0, 1.0], [-4.0, 1.0], [1.0, 0.0], [3.0, 1.0]),
        [2.0, np.nan],
        equal_nan=True,
    )


# --- properties -----------------------------------------------------------------------

flows = arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e6, 1e6))


@settings(deadline=None, max_examples=200)
@given(cf=flows, rate=st.floats(-0.5, 1.0), c1=st.floats(1.0, 1e6), dc=st.floats(1.0, 1e6))
def test_npv_decreases_with_an_added_uniform_cost(cf, rate, c1, dc):
    t = (np.arange(cf.size) + 0.5) / 12
    base = F.npv(cf, rate, t)
    assert F.npv(cf - c1, rate, t) < base
    assert F.npv(cf - (c1 + dc), rate, t) < F.npv(cf - c1, rate, t)


@settings(deadline=None, max_examples=300)
@given(cf=flows)
def test_payback_agrees_with_cumulative_cash_flow(cf):
    cum = np.cumsum(cf)
    months = F.payback_months(cum)
    # p: the first period from which the cumulative stays >= 0 (n: it never does)
    p = max((j + 1 for j in range(cf.size) if cum[j] < 0), default=0)
    if p == cf.size:
        assert np.isnan(months)
    elif p > 0:
        assert p <= months <= p + 1  # (p, p + 1], p itself after rounding
    else:
        assert months == 0


@settings(deadline=None, max_examples=200)
@given(
    capex=st.floats(1.0, 1e9),
    margins=arrays(np.float64, st.integers(2, 40), elements=st.floats(0.0, 1e8)),
)
def test_irr_of_conventional_project_zeroes_npv(capex, margins):
    cf = margins.copy()
    cf[0] -= capex
    t = np.arange(cf.size) / 12
    rate, reason = F.irr_with_reason(cf, t)
    if not ((cf > 0).any() and (cf < 0).any()):
        assert reason == F.IRR_NO_SIGN_CHANGE
        return
    assert reason in (F.IRR_OK, F.IRR_NO_ROOT)  # one sign change: never several roots
    if reason == F.IRR_OK:
        df = (1 + rate) ** -t
        assert abs(np.sum(cf * df)) <= 1e-9 * np.sum(np.abs(cf) * df)


def test_breakeven_widens_the_bracket_on_either_side():
    # The roots lie left of the starting bracket for one scenario and right for the other;
    # bracket_root grows both sides at once, which must not mix up the two points.
    def f(x):
        return np.array([-2.0, 3.0]) * (np.asarray(x) - np.array([-7.5, 40.0]))

    assert_allclose(F.breakeven(f, 0.0, 1.0, xmin=-1e3, xmax=1e3), [-7.5, 40.0], rtol=1e-12)


# --- tax with loss carry-forward, inflation ----------------------------------------------


def test_profit_tax_carries_losses_forward_by_hand():
    ebt = np.array([-10.0, 4.0, 8.0, -5.0, 6.0])
    # a loss of 10, used up by 4 and 8 leaving 2 taxable; a new loss of 5, then 6: 1 taxable
    assert_allclose(F.profit_tax(ebt, 0.5), [0.0, 0.0, 1.0, 0.0, 0.5])
    # a swept rate adds its own axis in front of the earnings' scenarios
    swept = F.profit_tax(np.stack([ebt, -ebt]), np.array([[0.5], [1.0]]))
    assert swept.shape == (2, 2, 5)
    assert_allclose(swept[1, 0], [0.0, 0.0, 2.0, 0.0, 1.0])
    assert_allclose(swept[0, 1], F.profit_tax(-ebt, 0.5))


@settings(max_examples=200, deadline=None)
@given(
    ebt=arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e9, 1e9)),
    rate=st.floats(0, 1),
)
def test_profit_tax_closed_form_equals_the_month_by_month_loop(ebt, rate):
    assert_allclose(F.profit_tax(ebt, rate), carry_forward_tax(ebt, rate), rtol=1e-9, atol=1e-3)


@settings(max_examples=100, deadline=None)
@given(
    real=arrays(np.float64, (12,), elements=st.floats(-1e8, 1e8)),
    rate=st.floats(-0.5, 1.0),
    inflation=st.floats(-0.5, 2.0),
)
def test_escalating_and_discounting_at_the_nominal_rate_gives_the_real_npv(real, rate, inflation):
    t = (np.arange(12) + 0.5) / 12
    nominal = real * F.escalation(inflation, t)
    assert_allclose(
        F.npv(nominal, F.nominal_rate(rate, inflation), t),
        F.npv(real, rate, t),
        rtol=1e-9,
        atol=1e-6 * max(1.0, float(np.abs(real).sum())),
    )


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (4, 9), elements=st.sampled_from([-2.0, -0.5, 0.0, 0.0, 1.0, 3.0])))
def test_sign_changes_skip_zero_flows(cf):
    """The count the IRR's reason codes rest on, against a loop over each row's nonzero signs."""
    expected = []
    for row in cf:
        signs = [np.sign(x) for x in row if x != 0]
        expected.append(sum(a != b for a, b in itertools.pairwise(signs)))
    assert_array_equal(F._sign_changes(cf), expected)
