"""Debt: annuity schedules against numpy-financial, linear and sculpted schedules by
hand, DSCR / LLCR / covenant checks, equity IRR, and properties over random loans."""

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from minecalc import debt as D
from minecalc import finance as F

# an annual rate whose monthly rate is exactly 1 % (up to rounding)
ONE_PCT_MONTHLY = 1.01**12 - 1


def test_monthly_rate_compounds_to_the_annual_rate():
    m = D.monthly_rate([0.0, 0.08, ONE_PCT_MONTHLY, -0.5])
    assert_allclose(m, [0.0, 1.08 ** (1 / 12) - 1, 0.01, 0.5 ** (1 / 12) - 1], rtol=1e-12)
    assert_allclose((1 + m) ** 12 - 1, [0.0, 0.08, ONE_PCT_MONTHLY, -0.5], rtol=1e-12)


# --- annuity against numpy-financial ----------------------------------------------------


def _npf(rate, n, pv):
    """Debt service, interest and principal per period from numpy-financial, as positives."""
    per = np.arange(1, n + 1)
    with np.errstate(divide="ignore", invalid="ignore"):  # its rate == 0 branch divides by 0
        return -npf.pmt(rate, n, pv), -npf.ipmt(rate, per, n, pv), -npf.ppmt(rate, per, n, pv)


@pytest.mark.parametrize("rate", [0.0, 0.03, 0.08, 0.25])
@pytest.mark.parametrize("tenor", [1, 12, 61])
def test_annuity_matches_numpy_financial(rate, tenor):
    principal = 2.5e6
    sch = D.schedule(principal, rate, tenor + 5, tenor_months=tenor)
    m = float(D.monthly_rate(rate))
    service, interest, repaid = _npf(m, tenor, principal)
    tol = {"rtol": 1e-9, "atol": 1e-9 * principal}
    assert_allclose(sch.debt_service_usd[:tenor], service, **tol)
    assert_allclose(sch.interest_usd[:tenor], interest, **tol)
    assert_allclose(sch.principal_usd[:tenor], repaid, **tol)
    assert_array_equal(sch.debt_service_usd[tenor:], 0.0)
    assert_array_equal(sch.closing_balance_usd[tenor - 1 :], 0.0)
    assert sch.balance_left_usd == 0.0
    assert_array_equal(sch.drawn_usd, [principal] + [0.0] * (tenor + 4))


@pytest.mark.parametrize("rate", [0.0, 0.1])
def test_annuity_after_capitalised_grace_is_pmt_on_the_grown_principal(rate):
    principal, grace, tenor = 1e6, 6, 30
    sch = D.schedule(principal, rate, 36, tenor_months=tenor, grace_months=grace)
    m = float(D.monthly_rate(rate))
    grown = principal * (1 + m) ** grace
    n = tenor - grace
    tol = {"rtol": 1e-9, "atol": 1e-9 * principal}
    # grace: nothing paid, interest added to the balance
    assert_array_equal(sch.debt_service_usd[:grace], 0.0)
    assert_allclose(sch.interest_usd[:grace], principal * m * (1 + m) ** np.arange(grace), **tol)
    assert_allclose(sch.opening_balance_usd[grace], grown, **tol)
    rep = slice(grace, tenor)
    service, interest, repaid = _npf(m, n, grown)
    assert_allclose(sch.debt_service_usd[rep], service, **tol)
    assert_allclose(sch.interest_usd[rep], interest, **tol)
    assert_allclose(sch.principal_usd[rep], repaid, **tol)
    assert_allclose(sch.principal_usd[rep].sum(), grown, **tol)
    assert_allclose(sch.principal_usd.sum(), principal, **tol)  # grace's is negative


def test_annuity_after_paid_grace_is_pmt_on_the_principal():
    principal, grace, tenor, rate = 1e6, 4, 16, 0.07
    sch = D.schedule(
        principal, rate, 16, tenor_months=tenor, grace_months=grace, capitalise_grace_interest=False
    )
    m = float(D.monthly_rate(rate))
    tol = {"rtol": 1e-9, "atol": 1e-9 * principal}
    assert_allclose(sch.debt_service_usd[:grace], principal * m, **tol)
    assert_array_equal(sch.principal_usd[:grace], 0.0)
    assert_allclose(sch.debt_service_usd[grace:], _npf(m, tenor - grace, principal)[0], **tol)
    assert_allclose(sch.principal_usd.sum(), principal, **tol)


# --- linear and sculpted by hand ----------------------------------------------------------


def test_linear_by_hand():
    # P 1200 at 1 %/month over 4 months after one month of paid grace
    sch = D.schedule(
        1200.0,
        ONE_PCT_MONTHLY,
        7,
        tenor_months=5,
        grace_months=1,
        profile="linear",
        capitalise_grace_interest=False,
    )
    tol = {"rtol": 0, "atol": 1e-9}
    assert_allclose(sch.opening_balance_usd, [1200, 1200, 900, 600, 300, 0, 0], **tol)
    assert_allclose(sch.interest_usd, [12, 12, 9, 6, 3, 0, 0], **tol)
    assert_allclose(sch.principal_usd, [0, 300, 300, 300, 300, 0, 0], **tol)
    assert_allclose(sch.debt_service_usd, [12, 312, 309, 306, 303, 0, 0], **tol)
    assert_allclose(sch.closing_balance_usd, [1200, 900, 600, 300, 0, 0, 0], **tol)


def test_linear_after_capitalised_grace_by_hand():
    sch = D.schedule(1000.0, ONE_PCT_MONTHLY, 3, tenor_months=3, grace_months=1, profile="linear")
    # 1000 grows to 1010, repaid 505 + interest in each of two months
    tol = {"rtol": 0, "atol": 1e-9}
    assert_allclose(sch.interest_usd, [10, 10.1, 5.05], **tol)
    assert_allclose(sch.debt_service_usd, [0, 515.1, 510.05], **tol)
    assert_allclose(sch.principal_usd, [-10, 505, 505], **tol)
    assert_allclose(sch.closing_balance_usd, [1010, 505, 0], **tol)


SCULPT_CFADS = np.array([50.0, 125.0, 250.0, 375.0, 80.0])
"""Month 0 is grace; months 1-3 repay at DSCR 1.25 (service 100, 200, 300); month 4 is past
maturity (tenor 4)."""
# the principal that service 100, 200, 300 at months 1-3 repays exactly, grace capitalised
SCULPT_P = 100 / 1.01**2 + 200 / 1.01**3 + 300 / 1.01**4


def _sculpt(principal, **kw):
    return D.schedule(
        principal,
        ONE_PCT_MONTHLY,
        5,
        tenor_months=4,
        grace_months=1,
        profile="sculpted",
        cfads_usd=SCULPT_CFADS,
        target_dscr=1.25,
        **kw,
    )


def test_sculpted_by_hand_repays_at_maturity_with_dscr_on_target():
    sch = _sculpt(SCULPT_P)
    b1 = SCULPT_P * 1.01
    b2 = b1 * 1.01 - 100
    b3 = b2 * 1.01 - 200
    tol = {"rtol": 1e-12, "atol": 1e-9}
    assert_allclose(sch.debt_service_usd, [0, 100, 200, 300, 0], **tol)
    assert_allclose(sch.opening_balance_usd, [SCULPT_P, b1, b2, b3, 0], **tol)
    assert_allclose(sch.interest_usd, [0.01 * SCULPT_P, 0.01 * b1, 0.01 * b2, 0.01 * b3, 0], **tol)
    assert_allclose(sch.principal_usd[1:4], [100 - 0.01 * b1, 200 - 0.01 * b2, 300 - 0.01 * b3])
    assert_allclose(sch.balance_left_usd, 0.0, atol=1e-9)
    cover = D.dscr(SCULPT_CFADS, sch.debt_service_usd)
    assert_allclose(cover.monthly[1:4], 1.25, rtol=1e-12)
    assert np.isnan(cover.monthly[[0, 4]]).all()
    assert_allclose([cover.min_monthly, cover.mean_monthly], 1.25, rtol=1e-12)
    # the capacity is the same principal, and LLCR equals the target while repaying
    capacity = D.sculpted_capacity_usd(
        SCULPT_CFADS, ONE_PCT_MONTHLY, target_dscr=1.25, tenor_months=4, grace_months=1
    )
    assert_allclose(capacity, SCULPT_P, rtol=1e-12)
    cover_life = D.llcr(SCULPT_CFADS, sch.opening_balance_usd, ONE_PCT_MONTHLY, maturity_months=4)
    assert_allclose(cover_life[1:4], 1.25, rtol=1e-9)
    assert np.isnan(cover_life[4])


def test_sculpted_paid_grace_capacity_repays_exactly():
    capacity = D.sculpted_capacity_usd(
        SCULPT_CFADS,
        ONE_PCT_MONTHLY,
        target_dscr=1.25,
        tenor_months=4,
        grace_months=1,
        capitalise_grace_interest=False,
    )
    assert_allclose(capacity, SCULPT_P * 1.01, rtol=1e-12)
    sch = _sculpt(capacity, capitalise_grace_interest=False)
    assert_allclose(sch.debt_service_usd, [0.01 * capacity, 100, 200, 300, 0], rtol=1e-12)
    assert_allclose(sch.balance_left_usd, 0.0, atol=1e-9)


def test_sculpted_shortfall_is_left_on_the_balance():
    extra = 50.0
    sch = _sculpt(SCULPT_P + extra)
    # service is still CFADS / target; the extra (grown for 4 months) is owed at maturity
    assert_allclose(sch.debt_service_usd, [0, 100, 200, 300, 0], rtol=1e-12, atol=1e-9)
    assert_allclose(sch.closing_balance_usd[3:], extra * 1.01**4, rtol=1e-9)
    assert_allclose(sch.balance_left_usd, extra * 1.01**4, rtol=1e-9)
    assert sch.interest_usd[4] == 0.0  # frozen after maturity


def test_sculpted_surplus_repays_early_and_stops():
    sch = _sculpt(100 / 1.01**2)  # the first repayment month's service clears it
    assert_allclose(sch.debt_service_usd, [0, 100, 0, 0, 0], rtol=1e-12, atol=1e-9)
    assert_array_equal(sch.closing_balance_usd[1:], 0.0)
    sch = _sculpt(150 / 1.01**2)  # month 2 pays only the 50 (grown) still owed
    assert_allclose(sch.debt_service_usd, [0, 100, 50 * 1.01, 0, 0], rtol=1e-12)


def test_sculpted_negative_cfads_pays_nothing_and_capitalises_interest():
    cfads = np.array([0.0, -125.0, 250.0])
    sch = D.schedule(
        1000.0,
        ONE_PCT_MONTHLY,
        3,
        tenor_months=3,
        profile="sculpted",
        cfads_usd=cfads,
        target_dscr=1.25,
    )
    assert_allclose(sch.debt_service_usd, [0, 0, 200], atol=1e-9)
    assert_allclose(sch.principal_usd, [-10, -10.1, 200 - 10.201], rtol=1e-12)
    assert_allclose(sch.balance_left_usd, 1000 * 1.01**3 - 200, rtol=1e-12)


# --- coverage ratios, covenants, equity ---------------------------------------------------


def test_dscr_per_year_by_hand_and_breach():
    cfads = np.concatenate([np.full(12, 10.0), np.full(12, 10.0), np.full(6, 10.0)])
    service = np.concatenate([np.zeros(12), np.full(12, 5.0), [5.0, 5, 5, 20, 5, 5]])
    cover = D.dscr(cfads, service)
    assert_allclose(cover.yearly, [np.nan, 2.0, 60 / 45])
    assert_allclose(cover.min_yearly, 60 / 45)
    assert_allclose(cover.mean_yearly, (2.0 + 60 / 45) / 2)
    assert_allclose(cover.min_monthly, 0.5)
    assert_allclose(cover.mean_monthly, (17 * 2.0 + 0.5) / 18)
    breach = D.first_breach(D.dscr(cfads, service), min_dscr=1.5)
    assert (int(breach.month), int(breach.year)) == (27, 2)
    breach = D.first_breach(D.dscr(cfads, service), min_dscr=0.4)
    assert (int(breach.month), int(breach.year)) == (-1, -1)


def test_dscr_without_service_is_nan_without_warnings():
    cover = D.dscr(np.ones((2, 5)), np.zeros((2, 5)))
    assert np.isnan(cover.monthly).all() and np.isnan(cover.min_monthly).all()
    assert cover.yearly.shape == (2, 1) and np.isnan(cover.mean_yearly).all()
    assert_array_equal(D.first_breach(D.dscr(np.ones(5), np.zeros(5)), min_dscr=1.2).month, -1)


def test_llcr_by_hand():
    # 1 %/month: CFADS 101 and 102.01 repay a balance of 200 twice over at the start
    got = D.llcr([101.0, 102.01, 7.0], [200.0, 100.0, 0.0], ONE_PCT_MONTHLY, maturity_months=2)
    assert_allclose(got[:2], [(100 + 100) / 200, 101 / 100], rtol=1e-12)
    assert np.isnan(got[2])


@pytest.mark.parametrize("rate", [0.06, 0.15])
def test_equity_irr_matches_numpy_financial(rate):
    months = 48
    project = np.full(months, 60_000.0)
    project[0] -= 2e6
    sch = D.schedule(1.2e6, rate, months, tenor_months=36, grace_months=3)
    equity = D.equity_cash_flow(project, sch.drawn_usd, sch.debt_service_usd)
    assert_allclose(equity, project + sch.drawn_usd - sch.debt_service_usd, rtol=0)
    want = (1 + npf.irr(equity)) ** 12 - 1
    got = F.irr(equity, np.arange(months) / 12)
    assert_allclose(got, want, rtol=1e-9)
    # leverage at a rate below the project's return raises the equity's
    assert got > F.irr(project, np.arange(months) / 12)


def test_equity_cash_flow_broadcasts():
    got = D.equity_cash_flow(np.ones((3, 4)), np.array([5.0, 0, 0, 0]), np.full((2, 1, 4), 2.0))
    assert got.shape == (2, 3, 4)
    assert_allclose(got[..., 0], 4.0)
    assert_allclose(got[..., 1:], -1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"profile": "bullet"}, "profile"),
        ({"tenor_months": 0}, "tenor_months"),
        ({"tenor_months": 12, "grace_months": 12}, "grace"),
        ({"tenor_months": 12.5}, "tenor_months"),
        ({"profile": "sculpted"}, "cfads_usd"),
        ({"profile": "sculpted", "cfads_usd": np.ones(5), "target_dscr": 1.3}, "cfads_usd"),
        ({"profile": "sculpted", "cfads_usd": np.ones(24), "target_dscr": 0.0}, "target_dscr"),
    ],
)
def test_bad_terms_name_the_field(kwargs, match):
    terms = {"tenor_months": 12} | kwargs
    with pytest.raises(ValueError, match=match):
        D.schedule(1e6, 0.08, 24, **terms)


# --- properties ---------------------------------------------------------------------------

loans = st.fixed_dictionaries(
    {
        "principal": st.floats(1.0, 1e9),
        "rate": st.floats(0.0, 0.5, allow_subnormal=False) | st.just(0.0),
        "tenor": st.integers(1, 120),
        "grace_share": st.floats(0.0, 0.99),
        "capitalise": st.booleans(),
    }
)


def _terms(loan):
    grace = min(int(loan["grace_share"] * loan["tenor"]), loan["tenor"] - 1)
    return loan["tenor"], grace


@settings(max_examples=60, deadline=None)
@given(loan=loans, profile=st.sampled_from(["annuity", "linear"]), extra=st.integers(0, 24))
def test_level_profiles_repay_the_capitalised_principal(loan, profile, extra):
    tenor, grace = _terms(loan)
    sch = D.schedule(
        loan["principal"],
        loan["rate"],
        tenor + extra,
        tenor_months=tenor,
        grace_months=grace,
        profile=profile,
        capitalise_grace_interest=loan["capitalise"],
    )
    p = loan["principal"]
    m = float(D.monthly_rate(loan["rate"]))
    grown = p * (1 + m) ** grace if loan["capitalise"] else p
    assert_allclose(sch.principal_usd[grace:].sum(), grown, rtol=1e-9)
    assert_allclose(sch.principal_usd.sum(), p, rtol=1e-9)
    assert (sch.closing_balance_usd >= 0).all() and (sch.opening_balance_usd >= 0).all()
    assert sch.balance_left_usd == 0.0
    # the balance identity, month by month
    assert_allclose(
        sch.closing_balance_usd,
        sch.opening_balance_usd + sch.interest_usd - sch.debt_service_usd,
        rtol=1e-9,
        atol=1e-9 * grown,
    )


@settings(max_examples=60, deadline=None)
@given(
    loan=loans,
    dscr_target=st.floats(1.0, 2.0),
    # subnormal CFADS / DSCR rounds to the CFADS itself: no ratio to keep
    cfads=st.lists(st.floats(-1e6, 1e7, allow_subnormal=False), min_size=1, max_size=60),
)
def test_sculpted_balance_never_negative_and_dscr_never_below_target(loan, dscr_target, cfads):
    n = len(cfads)
    tenor = min(loan["tenor"], n)
    grace = min(int(loan["grace_share"] * tenor), tenor - 1)
    sch = D.schedule(
        loan["principal"],
        loan["rate"],
        n,
        tenor_months=tenor,
        grace_months=grace,
        profile="sculpted",
        cfads_usd=cfads,
        target_dscr=dscr_target,
        capitalise_grace_interest=loan["capitalise"],
    )
    assert (sch.closing_balance_usd >= 0).all() and (sch.debt_service_usd >= 0).all()
    rep = slice(grace, tenor)
    cover = D.dscr(np.asarray(cfads)[rep], sch.debt_service_usd[rep]).monthly
    assert (cover[~np.isnan(cover)] >= dscr_target * (1 - 1e-9)).all()


@settings(max_examples=30, deadline=None)
@given(
    loans=st.lists(loans, min_size=1, max_size=5),
    profile=st.sampled_from(D.PROFILES),
    capitalise=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
# a tiny rate's grace interest makes monthly DSCRs near 1e308, whose sum overflows
@example(
    loans=[
        {"principal": 1.0, "rate": 0.0, "tenor": 1, "grace_share": 0.0, "capitalise": False},
        {
            "principal": 1.0,
            "rate": 2.2250738585072014e-308,
            "tenor": 24,
            "grace_share": 0.5,
            "capitalise": False,
        },
    ],
    profile="annuity",
    capitalise=False,
    seed=0,
)
def test_vectorized_equals_one_by_one(loans, profile, capitalise, seed):
    n = 130
    terms = np.array([_terms(loan) for loan in loans])
    principal = np.array([loan["principal"] for loan in loans])
    rate = np.array([loan["rate"] for loan in loans])
    rng = np.random.default_rng(seed)
    cfads = rng.normal(principal[:, None] / 40, principal[:, None] / 80, size=(len(loans), n))
    dscr_target = rng.uniform(1.1, 1.6, size=len(loans))
    sculpting = {"cfads_usd": cfads, "target_dscr": dscr_target} if profile == "sculpted" else {}
    common = {"profile": profile, "capitalise_grace_interest": capitalise}
    together = D.schedule(
        principal,
        rate,
        n,
        tenor_months=terms[:, 0],
        grace_months=terms[:, 1],
        **sculpting,
        **common,
    )
    cover = D.dscr(cfads, together.debt_service_usd)
    life = D.llcr(cfads, together.opening_balance_usd, rate, maturity_months=terms[:, 0])
    for i in range(len(loans)):
        one = {"cfads_usd": cfads[i], "target_dscr": dscr_target[i]} if sculpting else {}
        alone = D.schedule(
            principal[i],
            rate[i],
            n,
            tenor_months=terms[i, 0],
            grace_months=terms[i, 1],
            **one,
            **common,
        )
        for field in ("opening_balance_usd", "interest_usd", "debt_service_usd", "drawn_usd"):
            assert_allclose(getattr(together, field)[i], getattr(alone, field), rtol=1e-12)
        assert_allclose(cover.min_yearly[i], D.dscr(cfads[i], alone.debt_service_usd).min_yearly)
        assert_allclose(
            life[i],
            D.llcr(cfads[i], alone.opening_balance_usd, rate[i], maturity_months=terms[i, 0]),
            rtol=1e-12,
        )


def test_llcr_at_start_is_the_first_month_of_the_series():
    rng = np.random.default_rng(5)
    cfads = rng.normal(10.0, 5.0, (4, 30))
    opening = np.linspace(100.0, 0.0, 30) * np.ones((4, 1))
    full = D.llcr(cfads, opening, 0.08, maturity_months=24)
    first = D.llcr(cfads, opening, 0.08, maturity_months=24, at_start=True)
    assert first.shape == (4,)
    np.testing.assert_allclose(first, full[..., 0], rtol=1e-14)  # summed in another order
