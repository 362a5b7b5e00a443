"""The model's stages: each money sub-stage by hand, the breakevens with a fake run, the
registry against the Dataset, and economic dispatch with a fee path."""

import numpy as np
import numpy_financial as npf
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import optimize

import minecalc
from minecalc import finance, plant
from minecalc.model import breakevens, money, variables


def test_energy_bill_by_hand():
    # 10 MW IT at PUE 1.1 over two months of 720 and 744 h; runs 50 % and 100 %,
    # the grid supplies 100 % and 100 %; 80 % take-or-pay at 0.05 and 0.06 USD/kWh
    bill = money.energy_bill(
        it_mw=np.array([10.0, 10.0]),
        pue=np.array([1.1]),
        hours=np.array([720.0, 744.0]),
        run_share=np.array([0.5, 1.0]),
        supply=np.array([1.0, 1.0]),
        take_or_pay_fraction=np.array([0.8]),
        prices_usd_per_kwh=(np.array([0.04, 0.06]), np.array([0.05, 0.06])),
    )
    used = np.array([10 * 1.1 * 720 * 0.5, 10 * 1.1 * 744])
    billed = np.array([0.8 * 10 * 1.1 * 720, 10 * 1.1 * 744])  # the minimum binds in month 1
    assert_allclose(bill.used_mwh, used, rtol=1e-15)
    assert_allclose(bill.billed_mwh, billed, rtol=1e-15)
    cost = 1000 * (used * [0.04, 0.06] + (billed - used) * [0.05, 0.06])
    assert_allclose(bill.cost_usd, cost, rtol=1e-15)


def _vintages(bought, refresh=(0.0, 0.0, 0.0)):
    n = len(bought)
    return plant.Vintages(
        mw=np.cumsum(bought),
        efficiency_j_per_th=np.full(n, 20.0),
        degradation_factor=np.ones(n),
        bought_mw=np.array(bought, float),
        refresh_bought_mw=np.array(refresh, float),
        retired_mw=np.zeros(n),
    )


def test_capital_by_hand():
    # 4 MW IT bought in month 0 at 20 J/TH and 10 USD per TH/s, facilities 0.5 M USD per MW
    # of grid capacity (PUE 1.25, all of it mining), three-month life over a 3-month horizon
    spent = money.capital(
        vintages=_vintages([4.0, 0.0, 0.0]),
        grid_mw_per_it_mw=np.array([1.25]),
        machines=(np.array([20.0]), np.array([10.0])),
        refresh=(np.nan, np.nan),
        infrastructure_usd_per_mw=np.array([5e5]),
        lifetime_years=0.25,
        levels=(np.ones(3), np.ones(3), np.zeros(3)),
    )
    machines = 4e6 / 20 * 10  # W / (J/TH) = TH/s, times USD per TH/s
    assert_allclose(spent.hardware_usd, [machines, 0, 0], rtol=1e-15)
    assert_allclose(spent.capex_usd, [machines + 4 * 1.25 * 5e5, 0, 0], rtol=1e-15)
    assert_allclose(spent.depreciation_usd, [machines / 3] * 3, rtol=1e-12)
    assert_allclose(spent.book_end_usd, 0.0, atol=1e-6)


def test_cash_flows_and_valuation_by_hand():
    btc, price = np.array([1.0, 2.0, 1.0]), np.array([100.0, 110.0, 120.0])
    spent = money.Capital(
        hardware_usd=np.array([50.0, 0, 0]),
        capex_usd=np.array([80.0, 0, 0]),
        imported_usd=np.array([50.0, 0, 0]),
        depreciation_usd=np.array([10.0, 10, 10]),
        book_end_usd=np.array(20.0),
    )
    flows = money.cash_flows(
        btc_net=btc,
        btc_price_usd=price,
        policy=money.ReservePolicy(held_fraction=np.array(0.5)),
        running_usd=(np.array([30.0, 30, 30]), np.array([5.0, 5, 5]), 0.0),
        capital=spent,
        salvage_fraction=np.array(0.5),
    )
    sold = 0.5 * btc * price
    reserve_end = 0.5 * btc.sum() * price[-1]
    expected = sold - 35 - [80, 0, 0] + [0, 0, reserve_end + 0.5 * 20]
    assert_allclose(flows.cash_usd, expected, rtol=1e-15)
    # valued with monthly periods at t = k: numpy-financial's npv and irr
    t = np.arange(3.0)
    value = money.valuation(
        flows=flows,
        energy_usd=np.array([30.0, 30, 30]),
        income_usd=btc * price,
        taxed=None,
        discount=(0.1, t),
        at=(np.array(2.0), np.array(100.0)),
    )
    assert_allclose(value.npv_usd, npf.npv(0.1, expected), rtol=1e-12)
    assert_allclose(value.irr.irr_per_year, npf.irr(expected), rtol=1e-9)
    # breakevens: NPV is linear in the tariff (energy scales with it) and in the BTC price
    energy_at = lambda tariff: np.array([30.0, 30, 30]) * tariff / 2.0  # noqa: E731
    at_tariff = expected + 30 - energy_at(value.breakeven_energy_price_per_kwh)
    assert_allclose(npf.npv(0.1, at_tariff), 0.0, atol=1e-9)
    scale = value.breakeven_btc_price_usd / 100.0
    revenue = sold + np.array([0, 0, reserve_end])
    assert_allclose(npf.npv(0.1, expected + (scale - 1) * revenue), 0.0, atol=1e-9)


def test_taxed_breakevens_by_hand():
    """Two months, EBT (100, -300) + k (-50, -50) before tax, NPV before tax 40 - 60 (k - 1),
    no discounting, tax 30 %: NPV(k) = 40 - 60 (k - 1) - 0.3 max(100 - 50 k, 0) (the loss
    carried forward shelters nothing later). At k = 1: 40 - 15 = 25 > 0. Root above k = 2,
    where nothing is taxed: 40 - 60 (k - 1) = 0, k = 5/3 < 2, so the tax binds there:
    40 - 60 k + 60 - 30 + 15 k = 0, k = 70 / 45."""
    (k,) = finance.taxed_breakevens(
        npv_untaxed=40.0,
        earnings_usd=np.array([100.0 - 50, -300.0 - 50]),
        directions=[(-60.0, np.array([-50.0, -50.0]))],
        rate=0.3,
        factors=np.ones(2),
    )
    npv = 40 - 60 * (k - 1) - 0.3 * max(100 - 50 * k, 0.0)
    assert_allclose(npv, 0.0, atol=1e-12)
    assert_allclose(k, 70 / 45, rtol=1e-14)


def test_breakevens_solve_a_fake_run_exactly():
    # NPV = 100 (2 - tariff) and NPV = price - 5e4 for two scenarios: roots 2 and 5e4
    def npv_at(key, values):
        x = np.asarray(values, dtype=float)
        return 100 * (2.0 - x) if key == "tariff.energy_price_per_kwh" else x - 5e4

    tariff, price = breakevens.solve(npv_at=npv_at, tariff_per_kwh=1.0, btc_price_usd=6e4)
    assert_allclose(tariff, 2.0, rtol=1e-12)
    assert_allclose(price, 5e4, rtol=1e-12)


def _groups_of(ds):
    out = {}
    for name in [*ds.data_vars, *ds.coords]:
        if name in variables.VARIABLES:
            out.setdefault(variables.VARIABLES[name].group, set()).add(name)
    return out


ALWAYS = {"core", "economics", "summary", "coords"}
DEFAULT = ALWAYS | {"epochs", "hourly", "dollars", "without_fleet"}  # all detail


@pytest.mark.parametrize(
    "config, options, groups",
    [
        ("pk2000mw", {}, DEFAULT),
        ("pk2000mw_response", {}, DEFAULT | {"response"}),
        ("pk2000mw", {"detail": (), "without_fleet": False}, ALWAYS),
        (
            "pk2000mw",
            {"detail": ("hourly",)},
            ALWAYS | {"hourly", "without_fleet"},
        ),
    ],
)
def test_every_variable_comes_from_the_registry(config, options, groups):
    ds = minecalc.run(minecalc.load_config(config), **options)
    scenario_coords = {c for c in ds.coords if c not in variables.VARIABLES}
    assert scenario_coords == set()  # a single run has no scenario dimensions
    found = _groups_of(ds)
    assert set(found) == groups
    for group in groups - {"coords"}:
        assert found[group] == set(variables.names(group)), group
    for name in ds.data_vars:
        assert ds[name].attrs == variables.attrs(name, ds.attrs["tariff_currency"])
        assert set(ds[name].dims) == set(variables.VARIABLES[name].dims)
    assert set(ds.data_vars) | set(ds.coords) <= set(variables.VARIABLES)


def test_record_epochs_is_an_alias_of_detail():
    scenario = minecalc.load_config("pk2000mw", ["horizon_months=12"])
    old = minecalc.run(scenario, record_epochs=False)
    new = minecalc.run(scenario, detail=())
    xr.testing.assert_identical(old, new)
    with pytest.raises(minecalc.errors.InputError, match="detail"):
        minecalc.run(scenario, detail=("epoch",))


def test_a_fee_path_switches_economic_dispatch_on_in_the_months_it_pays():
    # At 60 PKR/kWh the subsidy alone does not pay for the energy; from month 6 fees of
    # 50 BTC a block make hashprice about 4 times hashcost: the fleet must run then
    # (before the fix, dispatch read month 0's fees in every month and never ran).
    scenario = minecalc.load_config(
        "pk2000mw",
        ["tariff.dispatch=economic", "tariff.energy_price_per_kwh=60", "horizon_months=12"],
    )
    fees = xr.DataArray(np.where(np.arange(12) < 6, 0.0, 50.0), dims="time")
    ds = minecalc.run(scenario, paths={"fees_btc_per_block": fees})
    run = ds.run_fraction.values
    assert np.all(run[:6] == 0.0)
    assert np.all(run[6:] == 1.0)
    assert np.all(
        ds.hashprice_usd_per_ph_day.values[6:] > 3 * ds.hashcost_usd_per_ph_day.values[6:]
    )


def test_taxed_breakevens_are_the_same_scenario_by_scenario():
    """Shared and own discount factors, slopes of smaller shapes read from their own rows:
    each scenario's multiplier is exactly the one it gets alone."""
    rng = np.random.default_rng(5)
    n, count = 12, 1_200
    earnings = rng.normal(50.0, 100.0, size=(2, count // 2, n))
    slope = -rng.uniform(1.0, 20.0, size=(1, count // 2, n))  # broadcast on the first axis
    npv = rng.normal(0.0, 200.0, size=(2, 1))
    npv_slope = -1.0 + slope.sum(-1)
    rate = np.array([[0.2], [0.35]])
    shared = (1.1 ** -(np.arange(n) / 12))[None, None, :]
    own = 1.2 ** -(np.arange(n) / 12) * rng.uniform(0.9, 1.0, size=(2, count // 2, n))
    for factors in (shared, own):
        (together,) = finance.taxed_breakevens(
            npv_untaxed=npv,
            earnings_usd=earnings,
            directions=[(npv_slope, slope)],
            rate=rate,
            factors=factors,
        )
        assert together.shape == (2, count // 2)
        for i, j in [(0, 0), (1, count // 2 - 1), (1, 301), (0, 77)]:
            (alone,) = finance.taxed_breakevens(
                npv_untaxed=npv[i, 0],
                earnings_usd=earnings[i, j],
                directions=[(npv_slope[0, j], slope[0, j])],
                rate=rate[i, 0],
                factors=np.broadcast_to(factors, earnings.shape)[i, j],
            )
            assert together[i, j] == alone


def test_kernels_compile_without_a_writable_cache(monkeypatch):
    """Where numba finds no place to cache compiled code (a read-only install run by an
    account without a home), a kernel is compiled in the process instead of failing, and
    computes what the interpreter computes."""
    from numba.core.dispatcher import Dispatcher

    from minecalc import kernels

    def refuse(self, *args, **kwargs):
        raise RuntimeError("cannot cache function 'x': no locator available for file 'y'")

    monkeypatch.setattr(Dispatcher, "enable_caching", refuse)
    fresh = kernels.Kernel(kernels.profit_tax.python)
    assert fresh.compiled._cache.__class__.__name__ == "NullCache"
    earnings = np.array([[-100.0, 30.0, 80.0, -5.0, 40.0]])
    args = (earnings, np.zeros(1, dtype=np.int64), np.array([0.25]))
    np.testing.assert_array_equal(fresh.compiled(*args), fresh(*args, loops=1))
    np.testing.assert_array_equal(fresh(*args, loops=1), [[0.0, 0.0, 2.5, 0.0, 8.75]])


@settings(max_examples=60, deadline=None)
@given(
    earnings=st.lists(st.floats(-1e3, 1e3), min_size=12, max_size=12),
    slope=st.lists(st.floats(-100.0, 0.0), min_size=12, max_size=12),
    rate=st.floats(0.01, 1.0),
    discount=st.floats(0.0, 0.5),
    start=st.floats(-1e4, 1e4),
)
def test_taxed_breakeven_is_the_root_scipy_finds(earnings, slope, rate, discount, start):
    """Newton on the concave piecewise-linear NPV ends where brentq finds the root of the
    same NPV written out with the month-by-month carry-forward loop."""
    e0, g = np.array(earnings), np.array(slope)
    factors = (1 + discount) ** -(np.arange(12) / 12)
    s0 = -1.0 + g @ factors  # NPV before tax falls with k at least as fast as the earnings

    def npv(k):
        loss, pv_tax = 0.0, 0.0
        for month, ebt in enumerate(e0 + (k - 1) * g):  # carry losses forward by hand
            taxable = max(ebt - loss, 0.0)
            loss = max(loss - ebt, 0.0)
            pv_tax += rate * taxable * factors[month]
        return start + (k - 1) * s0 - pv_tax

    (k,) = finance.taxed_breakevens(
        npv_untaxed=start, earnings_usd=e0, directions=[(s0, g)], rate=rate, factors=factors
    )
    root = optimize.brentq(npv, -1e6, 1e6, xtol=1e-12, rtol=1e-13)
    assert_allclose(k, root, rtol=1e-9, atol=1e-9)
