"""Loans against the capex in a run (issue 15, item 1): the financing stage against
numpy-financial and hand computations, and bad financing blocks."""

import numpy as np
import numpy_financial as npf
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from minecalc import model
from minecalc.cli import main
from minecalc.config import load_config

LOAN = "{share_of_capex: 0.6, rate_per_year: 0.1, tenor_months: 48, grace_months: 6}"


def _run(*overrides):
    return model.run(load_config("texas_100mw", list(overrides)), solve_breakevens=False)


def test_no_loans_no_financing_variables():
    assert "debt_service_usd" not in _run().data_vars


def test_an_annuity_loan_in_a_run_by_numpy_financial():
    ds = _run(f"financing={{tranches: [{LOAN}], min_dscr: 1.2}}")
    principal = 0.6 * float(ds.capex_usd)
    assert_allclose(ds.debt_drawn_usd[0], principal, rtol=1e-12)
    monthly = 1.1 ** (1 / 12) - 1
    grown = principal * (1 + monthly) ** 6  # grace interest capitalised
    payment = -npf.pmt(monthly, 42, grown)
    assert_allclose(ds.debt_service_usd[6:48], payment, rtol=1e-9)
    assert_allclose(ds.debt_service_usd[:6], 0.0, atol=1e-6)
    assert_allclose(ds.debt_balance_usd[47:], 0.0, atol=1e-3)
    equity = ds.cash_flow_usd + ds.debt_drawn_usd - ds.debt_service_usd
    assert_allclose(ds.equity_cash_flow_usd, equity, rtol=1e-12)
    cfads = ds.sales_usd - ds.energy_cost_usd - ds.opex_usd
    assert_allclose(ds.cfads_usd, cfads, rtol=1e-12)
    cfads_year = cfads.values.reshape(-1, 12).sum(-1)
    service_year = ds.debt_service_usd.values.reshape(-1, 12).sum(-1)
    paid = service_year > 0
    yearly = cfads_year[paid] / service_year[paid]
    assert_allclose(ds.dscr_min, yearly.min(), rtol=1e-12)
    breach = np.flatnonzero(yearly < 1.2)
    expected = np.nan if breach.size == 0 else np.flatnonzero(paid)[breach[0]] + 1
    assert_allclose(ds.covenant_breach_year, expected, equal_nan=True)


def test_a_loan_in_the_tariff_currency_is_serviced_at_each_months_rate():
    local = LOAN.replace("}", ", currency: USD}")
    flat_usd = _run(f"financing={{tranches: [{local}]}}")
    usd_dollar = _run(f"financing={{tranches: [{local}]}}", "tariff.usd_fx_change_per_year=0.2")
    # texas_100mw's tariff currency is USD: a 'local' loan is the USD loan
    assert_allclose(flat_usd.debt_service_usd, usd_dollar.debt_service_usd, rtol=1e-12)
    pk = model.run(
        load_config(
            "pk2000mw",
            [
                f"financing={{tranches: [{LOAN.replace('}', ', currency: PKR}')}]}}",
                "tariff.usd_fx_change_per_year=0.1",
            ],
        ),
        solve_breakevens=False,
    )
    fx = pk.usd_fx_rate.values
    in_pkr = pk.debt_service_usd.values * fx
    payment = in_pkr[6]
    assert_allclose(in_pkr[6:48], payment, rtol=1e-9)  # level in rupees ...
    assert (np.diff(pk.debt_service_usd.values[6:48]) < 0).all()  # ... falling in dollars


@pytest.mark.parametrize(
    "loan, field",
    [
        ("{share_of_capex: 0.5, rate_per_year: 0.1, tenor_months: 0}", "tenor_months"),
        ("{share_of_capex: 1.5, rate_per_year: 0.1, tenor_months: 60}", "share_of_capex"),
        (
            "{share_of_capex: 0.5, currency: EUR, rate_per_year: 0.1, tenor_months: 60}",
            "currency",
        ),
        (
            "{share_of_capex: 0.5, rate_per_year: 0.1, tenor_months: 60, grace_months: 60}",
            "grace_months",
        ),
    ],
)
def test_bad_financing_blocks_are_one_clear_line(loan, field):
    result = CliRunner().invoke(
        main, ["run", "pk2000mw", "--set", f"financing={{tranches: [{loan}]}}"]
    )
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: financing.tranches[0].{field}:"), line
