"""Issue 15: profit tax, inflation, exchange-rate paths, the cost currency shares, the
discount basis, the FX ledger and the fiscal summary, each against a computation by hand
(the domain notes, section 9: tax with loss carry-forward, real vs nominal, peak funding,
P90 as exceeded in 90 % of paths).

Runs use pk2000mw over 24 months (texas_100mw for a USD tariff) without detail or the
fleet-free projection, so each takes a fraction of a second.
"""

from __future__ import annotations

import itertools
import json
import re
from functools import cache

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from reference import carry_forward_tax

import minecalc
from minecalc import finance, model
from minecalc.cli import main
from minecalc.compare import compare_paths

HORIZON = "horizon_months=24"
FX_BLOCK = "fx={reserves_usd: 1.4e10, imports_usd_per_month: 5.0e9}"
LOAN = "{share_of_capex: 0.5, rate_per_year: 0.08, tenor_months: 36}"
FINANCED = f"financing={{tranches: [{LOAN}], min_dscr: 1.2}}"

# pk2000mw by hand: 2,000 MW of grid power at PUE 1.1 is 2000 / 1.1 MW of machines at
# 17.5 J/TH and USD 13.50 per TH/s; facilities for the 2,000 MW at USD 430k per MW
PK_MACHINES_USD = 2000e6 / 1.1 / 17.5 * 13.5
PK_FACILITIES_USD = 2000 * 430e3
FX0, TARIFF = 277.5, 22.98  # pk2000mw's PKR per USD and PKR/kWh
GREGORIAN_YEAR_S = 365.2425 * 86400


def _run(*overrides: str, config: str = "pk2000mw", params=None, **kwargs) -> xr.Dataset:
    """A run of ``config`` over 24 months with the overrides, without detail."""
    scenario = minecalc.load_config(config, [HORIZON, *overrides])
    kwargs = {"detail": (), "without_fleet": False, **kwargs}
    return model.run(scenario, params, **kwargs)


def _mid_years(ds: xr.Dataset) -> np.ndarray:
    """Middle of each calendar month of the run [years of 365.2425 days from the start]."""
    start = pd.Timestamp(ds.time.values[0])
    edges = [start + pd.DateOffset(months=k) for k in range(ds.sizes["time"] + 1)]
    seconds = np.array([(e - start).total_seconds() for e in edges])
    return (seconds[:-1] + seconds[1:]) / 2 / GREGORIAN_YEAR_S


def _assert_same(a: xr.Dataset, b: xr.Dataset, names) -> None:
    for name in names:
        assert_array_equal(a[name].values, b[name].values, err_msg=name)  # NaNs equal


# -- 1. zero inflation, zero tax, no debt: today's outputs ------------------------------------

NEUTRAL = [
    "inflation={usd_per_year: 0, local_per_year: 0}",
    "tax={profit_tax_rate: 0}",
    "finance.discount_rate_basis=real",
    "costs.facilities_usd_share=1",
]


@cache
def _today_and_neutral() -> tuple[xr.Dataset, xr.Dataset]:
    """pk2000mw as shipped, and with the issue's blocks set to change nothing (all detail)."""
    return (
        model.run(minecalc.load_config("pk2000mw")),
        model.run(minecalc.load_config("pk2000mw", NEUTRAL)),
    )


def test_zero_inflation_and_tax_reproduce_todays_outputs_exactly():
    today, neutral = _today_and_neutral()
    assert set(today.data_vars) == set(neutral.data_vars)  # a 0 tax rate adds no tax group
    assert set(today.coords) == set(neutral.coords)
    _assert_same(today, neutral, today.coords)
    # the reported discount rate is the one variable that differs (the next test)
    _assert_same(today, neutral, sorted(set(today.data_vars) - {"discount_rate_nominal"}))
    assert float(today.npv_usd) == float(neutral.npv_usd)


def test_real_basis_at_zero_inflation_reports_the_same_discount_rate():
    today, neutral = _today_and_neutral()
    assert_array_equal(neutral.discount_rate_nominal.values, today.discount_rate_nominal.values)


# -- 2. real vs nominal ---------------------------------------------------------------------

PROFITABLE = "market.btc_price_usd=250000"  # pk2000mw with a defined IRR over 24 months
R = 0.10  # pk2000mw's discount rate


@cache
def _real(g: float) -> xr.Dataset:
    return _run(PROFITABLE, f"market.btc_price_growth_per_year={g!r}")


@settings(max_examples=5, deadline=None)
@given(
    pi=st.floats(0.0, 0.2, allow_nan=False),
    g=st.sampled_from([-0.2, 0.0, 0.05, 0.4]),
)
def test_nominal_cash_flows_at_the_nominal_rate_are_worth_the_real_ones(pi, g):
    """Everything escalated by the same inflation and discounted at (1 + r)(1 + pi) - 1:
    the NPV, the breakevens (start-date prices) and the real IRR do not move."""
    real = _real(g)
    growth = f"market.btc_price_growth_per_year={(1 + g) * (1 + pi) - 1!r}"
    both = f"usd_per_year: {pi!r}, local_per_year: {pi!r}"
    ppp_real_basis = _run(
        PROFITABLE,
        growth,
        f"inflation={{{both}, fx_follows_inflation: true}}",
        "finance.discount_rate_basis=real",
    )
    flat_fx_nominal_rate = _run(
        PROFITABLE,
        growth,
        f"inflation={{{both}}}",
        f"finance.discount_rate={(1 + R) * (1 + pi) - 1!r}",
    )
    capex = float(real.capex_usd)
    for nominal in (ppp_real_basis, flat_fx_nominal_rate):
        assert_allclose(nominal.usd_fx_rate, FX0, rtol=1e-12)  # equal inflation: a flat rate
        assert_allclose(nominal.discount_rate_nominal, (1 + R) * (1 + pi) - 1, rtol=1e-12)
        assert_allclose(nominal.npv_usd, real.npv_usd, rtol=1e-9, atol=1e-9 * capex)
        for name in ("breakeven_energy_price_per_kwh", "breakeven_btc_price_usd"):
            assert_allclose(nominal[name], real[name], rtol=1e-9, err_msg=name)
        if int(real.irr_reason) == 0:
            assert_allclose(nominal.irr, (1 + float(real.irr)) * (1 + pi) - 1, rtol=1e-8)


# -- 3. escalation by hand --------------------------------------------------------------------

SMALL = ["site.capacity_mw=50", "costs.fixed_usd_per_year=1.0e6"]  # 50 MW, and a fixed cost
PI_USD, PI_LOCAL = 0.03, 0.12
INFLATION = f"inflation={{usd_per_year: {PI_USD}, local_per_year: {PI_LOCAL}}}"


def test_costs_escalate_by_currency_share_and_convert_at_each_months_rate():
    s, f = 0.4, 0.3  # O&M and facilities priced in USD; the rest in PKR
    ds = _run(
        *SMALL,
        INFLATION,
        f"costs.om_usd_share={s}",
        f"costs.facilities_usd_share={f}",
        "tariff.usd_fx_change_per_year=0.08",
    )
    t = _mid_years(ds)
    usd, local, fx = (1 + PI_USD) ** t, (1 + PI_LOCAL) ** t, FX0 * 1.08**t
    assert_allclose(ds.usd_price_level, usd, rtol=1e-13)
    assert_allclose(ds.local_price_level, local, rtol=1e-13)
    assert_allclose(ds.usd_fx_rate, fx, rtol=1e-13)
    # O&M of USD 20k per MW-year over 50 MW, plus USD 1M a year, over each month's length
    assert_allclose(ds.site_mw, 50.0, rtol=0)
    base = (20e3 * 50 + 1e6) * ds.period_days.values / 365.2425
    assert_allclose(ds.opex_usd, base * (s * usd + (1 - s) * local * FX0 / fx), rtol=1e-12)
    # the PKR tariff escalates with local prices and converts at the month's rate
    local_bill = 1000 * ds.energy_mwh.values * TARIFF * local
    assert_allclose(ds.energy_cost_local, local_bill, rtol=1e-12)
    assert_allclose(ds.energy_cost_usd, local_bill / fx, rtol=1e-12)
    assert_allclose(ds.energy_price_usd_per_kwh, TARIFF * local / fx, rtol=1e-12)
    # the machines (all imported) escalate with USD prices; the facilities by their shares
    machines, facilities = 50e6 / 1.1 / 17.5 * 13.5, 50 * 430e3
    assert_allclose(ds.capex_hardware_usd[0], machines * usd[0], rtol=1e-12)
    assert_allclose(ds.capex_hardware_usd[1:], 0.0, atol=0)
    facilities_now = facilities * (f * usd[0] + (1 - f) * local[0] * FX0 / fx[0])
    assert_allclose(ds.capex_usd_by_month[0], machines * usd[0] + facilities_now, rtol=1e-12)
    assert_allclose(ds.capex_usd, machines * usd[0] + facilities_now, rtol=1e-12)


def test_the_rate_follows_relative_inflation_under_ppp():
    ds = _run(
        *SMALL,
        f"inflation={{usd_per_year: {PI_USD}, local_per_year: {PI_LOCAL}, "
        "fx_follows_inflation: true}",
    )
    t = _mid_years(ds)
    fx = FX0 * ((1 + PI_LOCAL) / (1 + PI_USD)) ** t
    assert_allclose(ds.usd_fx_rate, fx, rtol=1e-12)
    # in USD the PKR tariff then escalates with USD prices
    assert_allclose(ds.energy_price_usd_per_kwh, TARIFF / FX0 * (1 + PI_USD) ** t, rtol=1e-12)


def test_a_dated_fx_path_is_log_linear_between_points_and_flat_after():
    ds = _run(
        *SMALL,
        INFLATION,
        "tariff.usd_fx_path=[{date: 2027-03-05, usd_fx_rate: 320}, "
        "{date: 2028-01-05, usd_fx_rate: 400}]",
    )
    t = _mid_years(ds)
    start = pd.Timestamp(ds.time.values[0])
    knots = [  # (years from the start, rate): the starting rate, then the points
        (0.0, FX0),
        ((pd.Timestamp("2027-03-05") - start).total_seconds() / GREGORIAN_YEAR_S, 320.0),
        ((pd.Timestamp("2028-01-05") - start).total_seconds() / GREGORIAN_YEAR_S, 400.0),
    ]
    expected = np.full(t.size, 400.0)  # flat after the last point
    for (t0, x0), (t1, x1) in itertools.pairwise(knots):
        inside = (t >= t0) & (t < t1)
        expected[inside] = x0 * (x1 / x0) ** ((t[inside] - t0) / (t1 - t0))
    assert (t > knots[-1][0]).sum() == 8  # months 17 to 24 are after the last point
    assert_allclose(ds.usd_fx_rate, expected, rtol=1e-12)
    local = (1 + PI_LOCAL) ** t
    assert_allclose(ds.energy_price_usd_per_kwh, TARIFF * local / expected, rtol=1e-12)


def test_a_usd_tariff_escalates_with_usd_inflation():
    ds = _run("inflation={usd_per_year: 0.04}", config="texas_100mw")
    t = _mid_years(ds)
    assert_allclose(ds.usd_fx_rate, 1.0, rtol=0)
    assert_allclose(ds.local_price_level, ds.usd_price_level, rtol=0)
    assert_allclose(ds.energy_price_usd_per_kwh, 0.045 * 1.04**t, rtol=1e-12)


def test_salvage_is_the_machines_book_value_at_the_ends_usd_prices():
    salvaged = _run("inflation={usd_per_year: 0.03}", "costs.salvage_fraction=0.5")
    scrapped = _run("inflation={usd_per_year: 0.03}", "costs.salvage_fraction=0")
    t = _mid_years(salvaged)
    book = PK_MACHINES_USD * (1 - 24 / 60)  # 24 of the S21s' 60 months gone
    salvage = salvaged.cash_flow_usd.values - scrapped.cash_flow_usd.values
    assert_allclose(salvage[:-1], 0.0, atol=1e-6)
    assert_allclose(salvage[-1], 0.5 * book * 1.03 ** t[-1], rtol=1e-9)


# -- 4. tax by hand -------------------------------------------------------------------------

TAX = "tax={profit_tax_rate: 0.29, machines_life_years: 1, facilities_life_years: 2}"
DIP = (  # profits, a loss when the price dips, profits again
    "market.btc_price_path=[{date: 2027-01-05, btc_price_usd: 220000}, "
    "{date: 2027-07-05, btc_price_usd: 60000}, {date: 2028-03-05, btc_price_usd: 300000}]"
)


def test_profit_tax_carries_losses_forward_by_hand():
    taxed = _run("market.btc_price_usd=200000", DIP, TAX, FINANCED)
    untaxed = _run("market.btc_price_usd=200000", DIP, FINANCED)
    ebt, tax = taxed.earnings_before_tax_usd.values, taxed.tax_usd.values
    capex = float(taxed.capex_usd)
    # the case is worth testing: profits, then losses, then profits the losses shelter
    signs = np.sign(ebt)
    first_loss = np.flatnonzero(signs < 0)[0]
    assert signs[0] > 0 and first_loss > 0 and (signs[first_loss:] > 0).any()
    sheltered = (np.arange(24) > first_loss) & (ebt > 0) & (tax < 0.29 * ebt)
    assert sheltered.any()
    # tax depreciation: machines over 12 months, facilities over 24, both from month 1
    depreciation = np.full(24, PK_FACILITIES_USD / 24)
    depreciation[:12] += PK_MACHINES_USD / 12
    assert_allclose(taxed.tax_depreciation_usd, depreciation, rtol=1e-12)
    by_hand = (
        taxed.btc_net * taxed.btc_price_usd
        - taxed.energy_cost_usd
        - taxed.opex_usd
        - taxed.tax_depreciation_usd
    )
    assert_allclose(ebt, by_hand, rtol=1e-12, atol=1e-12 * capex)
    assert_allclose(tax, carry_forward_tax(ebt, 0.29), rtol=1e-12, atol=1e-12 * capex)
    assert_allclose(tax, finance.profit_tax(ebt, 0.29), rtol=1e-12, atol=1e-12 * capex)
    assert (tax[signs < 0] == 0).all()
    assert_allclose(taxed.tax_usd_total, tax.sum(), rtol=1e-12)
    # what the tax takes, and nothing else: the cash flow and the CFADS drop by it
    _assert_same(taxed, untaxed, ["btc_net", "sales_usd", "energy_cost_usd", "opex_usd"])
    drop = untaxed.cash_flow_usd.values - taxed.cash_flow_usd.values
    assert_allclose(drop, tax, rtol=0, atol=1e-12 * capex)
    assert_allclose(untaxed.cfads_usd.values - taxed.cfads_usd.values, tax, atol=1e-12 * capex)
    cfads = taxed.sales_usd - taxed.energy_cost_usd - taxed.opex_usd - taxed.tax_usd
    assert_allclose(taxed.cfads_usd, cfads, rtol=1e-12, atol=1e-12 * capex)
    # interest is not deducted: the loan changes no tax
    _assert_same(taxed, _run("market.btc_price_usd=200000", DIP, TAX), ["tax_usd"])


def test_npv_is_zero_at_the_taxed_breakevens():
    growing = ["market.btc_price_usd=150000", "market.btc_price_growth_per_year=1.5"]
    taxed = _run(*growing, TAX)
    untaxed = _run(*growing)
    capex = float(taxed.capex_usd)
    for name, key in (
        ("breakeven_energy_price_per_kwh", "tariff.energy_price_per_kwh"),
        ("breakeven_btc_price_usd", "market.btc_price_usd"),
    ):
        value = float(taxed[name])
        assert np.isfinite(value)
        assert not np.isclose(value, float(untaxed[name]), rtol=1e-3)  # the tax moves it
        again = _run(*growing, TAX, params={key: xr.DataArray(value)}, solve_breakevens=False)
        assert float(again.tax_usd_total) > 0  # the root is where profits are taxed
        assert abs(float(again.npv_usd)) <= 1e-9 * capex, (name, float(again.npv_usd))


def test_facilities_depreciate_for_tax_over_their_own_life():
    ds = model.run(
        minecalc.load_config("pk2000mw", ["tax={profit_tax_rate: 0.29}"]),
        detail=(),
        without_fleet=False,
    )
    # machines over fleet.lifetime_years (5), facilities over the default 20 years
    expected = PK_MACHINES_USD / 60 + PK_FACILITIES_USD / 240
    assert_allclose(ds.tax_depreciation_usd, expected, rtol=1e-12)


# -- 5. the FX ledger ----------------------------------------------------------------------

USD_LOAN = "{share_of_capex: 0.4, rate_per_year: 0.08, tenor_months: 18}"
PKR_LOAN = "{share_of_capex: 0.3, rate_per_year: 0.15, tenor_months: 24, currency: PKR}"
LEDGER = [
    FX_BLOCK,
    "tariff.usd_fx_change_per_year=0.1",
    "costs.facilities_usd_share=0.6",
    "costs.om_usd_share=0.5",
]
RESERVES, IMPORTS = 1.4e10, 5.0e9


def _financed(*tranches: str, held: float = 0.0) -> xr.Dataset:
    loans = [f"financing={{tranches: [{', '.join(tranches)}]}}"] if tranches else []
    return _run(*LEDGER, *loans, f"finance.btc_held_fraction={held}")


def test_the_fx_ledger_counts_the_usd_loan_and_not_the_pkr_one():
    both, usd_only, pkr_only, none = (
        _financed(USD_LOAN, PKR_LOAN),
        _financed(USD_LOAN),
        _financed(PKR_LOAN),
        _financed(),
    )
    capex = float(both.capex_usd)
    fx_in, fx_out = both.fx_in_usd.values, both.fx_out_usd.values
    assert_allclose(both.fx_position_usd, np.cumsum(fx_in - fx_out), rtol=1e-12)
    # without loans: in, the BTC sold; out, the machines, 60 % of the facilities (at start
    # prices: no inflation) and half the O&M
    opex_usd = 0.5 * 20e3 * 2000 * none.period_days.values / 365.2425
    out = opex_usd.copy()
    out[0] += PK_MACHINES_USD + 0.6 * PK_FACILITIES_USD
    assert_allclose(none.fx_out_usd, out, rtol=1e-12)
    assert_allclose(none.fx_in_usd, none.sales_usd, rtol=1e-12)
    # the USD loan's draw comes in and its service goes out; the PKR loan's do neither
    drawn, service = usd_only.debt_drawn_usd.values, usd_only.debt_service_usd.values
    assert drawn[0] > 0 and float(pkr_only.debt_drawn_usd[0]) > 0
    assert_allclose(drawn[0], 0.4 * capex, rtol=1e-12)
    assert_allclose(fx_in, none.fx_in_usd.values + drawn, rtol=1e-12)
    assert_allclose(fx_out, none.fx_out_usd.values + service, rtol=1e-12)
    _assert_same(pkr_only, none, ["fx_in_usd", "fx_out_usd"])
    # the peak need and its month (1-based), and the import cover at that worst point
    position = np.cumsum(fx_in - fx_out)
    assert_allclose(both.peak_fx_need_usd, max(-position.min(), 0.0), rtol=1e-12)
    assert float(both.peak_fx_need_month) == position.argmin() + 1
    cover = (RESERVES + position.min()) / IMPORTS
    assert_allclose(both.import_cover_months, cover, rtol=1e-12)
    # all BTC sold: nothing held to count, both covers agree
    assert_allclose(both.import_cover_with_btc_months, cover, rtol=1e-12)


def test_import_cover_with_the_held_btc_and_the_peak_funding_by_hand():
    ds = _financed(USD_LOAN, PKR_LOAN, held=1.0)
    position = np.cumsum(ds.fx_in_usd.values - ds.fx_out_usd.values)
    held = ds.reserve_value_usd.values
    assert held[-1] > 0 and float(ds.sales_usd.sum()) == 0  # all held, none sold
    assert_allclose(ds.import_cover_months, (RESERVES + position.min()) / IMPORTS, rtol=1e-12)
    with_btc = (RESERVES + (position + held).min()) / IMPORTS
    assert_allclose(ds.import_cover_with_btc_months, with_btc, rtol=1e-12)
    assert float(ds.import_cover_with_btc_months) > float(ds.import_cover_months)
    # the peak funding need: the deepest cumulative cash before financing and end values
    before = np.cumsum(
        ds.sales_usd - ds.energy_cost_usd - ds.opex_usd - ds.capex_usd_by_month
    ).values
    assert_allclose(ds.peak_funding_usd, max(-before.min(), 0.0), rtol=1e-12)
    assert float(ds.peak_funding_month) == before.argmin() + 1


def test_no_need_no_month():
    """A plan that brings in more dollars than it sends out has no peak FX need."""
    ds = _run(FX_BLOCK, "financing={tranches: [{amount_usd: 1.0e10, rate_per_year: 0.0, "
              "tenor_months: 600}]}")  # fmt: skip
    assert float(ds.peak_fx_need_usd) == 0
    assert np.isnan(float(ds.peak_fx_need_month))


# -- 6. bad blocks --------------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("config", "sets", "field"),
    [
        ("pk2000mw", ["tax.profit_tax_rate=1.5"], "tax.profit_tax_rate"),
        ("texas_100mw", ["inflation={local_per_year: 0.05}"], "inflation.local_per_year"),
        (
            "pk2000mw",
            ["inflation={fx_follows_inflation: true}", "tariff.usd_fx_change_per_year=0.05"],
            "tariff.usd_fx_change_per_year",
        ),
        (
            "pk2000mw",
            [
                "tariff.usd_fx_path=[{date: 2027-09-05, usd_fx_rate: 300}]",
                "tariff.usd_fx_change_per_year=0.05",
            ],
            "tariff.usd_fx_change_per_year",
        ),
        (
            "texas_100mw",
            ["tariff.usd_fx_path=[{date: 2027-09-05, usd_fx_rate: 300}]"],
            "tariff.usd_fx_path",
        ),
        (
            "pk2000mw",
            ["fx={reserves_usd: 1.4e10, imports_usd_per_month: 0}"],
            "fx.imports_usd_per_month",
        ),
        (
            "pk2000mw",
            [f"financing={{tranches: [{LOAN.replace('36', '0')}]}}"],
            "financing.tranches[0].tenor_months",
        ),
        (
            "pk2000mw",
            [f"financing={{tranches: [{LOAN.replace('0.5', '1.5')}]}}"],
            "financing.tranches[0].share_of_capex",
        ),
        (
            "pk2000mw",
            [f"financing={{tranches: [{LOAN[:-1]}, currency: EUR}}]}}"],
            "financing.tranches[0].currency",
        ),
    ],
    ids=[
        "tax_rate",
        "local_inflation_usd_tariff",
        "ppp_with_fx_change",
        "fx_path_with_fx_change",
        "fx_path_usd_tariff",
        "no_imports",
        "tenor_0",
        "share_1.5",
        "eur_loan",
    ],
)
def test_bad_blocks_exit_2_in_one_line_naming_the_field(config, sets, field):
    result = invoke("run", config, *[a for s in sets for a in ("--set", s)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {field}: expected"), result.output


# -- 7. the fiscal summary in the CLI -------------------------------------------------------


def test_run_prints_the_fiscal_summary_and_its_json():
    text = invoke("run", "pk2000mw", "--set", HORIZON)
    assert text.exit_code == 0, text.output
    for head in ("Fiscal summary", "Peak funding need", "Peak FX need", "Levelized cost per BTC"):
        assert head in text.output, head
    assert re.search(r"Minimum DSCR\s+n/a", text.output)  # no loans
    as_json = invoke("run", "pk2000mw", "--set", HORIZON, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    fiscal = json.loads(as_json.output)["fiscal"]
    ds = _run()
    for name in ("peak_fx_need_usd", "peak_funding_usd", "levelized_cost_per_btc_usd"):
        assert_allclose(fiscal[name], float(ds[name]), rtol=1e-12, err_msg=name)
    assert fiscal["peak_fx_need_month"] == float(ds.peak_fx_need_month)
    # levelized cost: PV of every cost over PV of the BTC, at the discount rate
    t, r = _mid_years(ds), 0.10
    costs = ds.energy_cost_usd + ds.opex_usd + ds.capex_usd_by_month
    lcob = (costs.values / (1 + r) ** t).sum() / (ds.btc_net.values / (1 + r) ** t).sum()
    assert_allclose(fiscal["levelized_cost_per_btc_usd"], lcob, rtol=1e-12)


def test_run_with_a_loan_shows_its_minimum_dscr():
    result = invoke("run", "pk2000mw", "--set", HORIZON, "--set", FINANCED)
    assert result.exit_code == 0, result.output
    found = re.search(r"Minimum DSCR\s+(-?[\d.,]+)", result.output)
    assert found, result.output
    ds = _run(FINANCED)
    assert_allclose(float(found.group(1).replace(",", "")), float(ds.dscr_min), rtol=5e-3)


def test_compare_prints_the_fiscal_summary_of_state_mining():
    result = invoke("compare", "pk2000mw_options", "--set", HORIZON)
    assert result.exit_code == 0, result.output
    assert "Fiscal summary of state mining" in result.output


def test_compare_over_paths_gives_the_p90_of_the_minimum_dscr():
    args = ["compare", "pk2000mw_options", "--paths", "20", "--seed", "1"]
    args += ["--set", HORIZON, "--set", FINANCED]
    text = invoke(*args)
    assert text.exit_code == 0, text.output
    dscr_line = next(x for x in text.output.splitlines() if "Minimum DSCR" in x)
    assert "P90" in dscr_line, dscr_line
    as_json = invoke(*args, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    fiscal = json.loads(as_json.output)["fiscal"]
    scenario = minecalc.load_config("pk2000mw_options", [HORIZON, FINANCED])
    per_path = np.sort(compare_paths(scenario, 20, seed=1).dscr_min.values)
    assert per_path.shape == (20,)
    # exceeded in 90 % of paths: the 10th percentile, linear between order statistics
    k = 0.1 * (per_path.size - 1)
    lo = int(np.floor(k))
    p90 = per_path[lo] + (k - lo) * (per_path[lo + 1] - per_path[lo])
    assert_allclose(fiscal["dscr_min_p90"], p90, rtol=1e-12)
    assert (per_path >= fiscal["dscr_min_p90"]).mean() >= 0.9
    assert_allclose(fiscal["dscr_min"], np.median(per_path), rtol=1e-12)


def test_the_dollars_by_month_are_detail_unless_there_is_an_fx_block():
    lean, full, reserves = _run(), _run(detail=model.DETAIL), _run(FX_BLOCK)
    assert "fx_out_usd" not in lean and "import_cover_months" not in lean
    assert "fx_out_usd" in full and "import_cover_months" not in full
    assert "fx_out_usd" in reserves and "import_cover_months" in reserves
    # the headline is the same either way
    assert_allclose(lean.peak_fx_need_usd, full.peak_fx_need_usd, rtol=0)
    assert_allclose(full.peak_fx_need_usd, max(-float(full.fx_position_usd.min()), 0.0))
