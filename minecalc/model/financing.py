"""Stage 7, financing: the loans against the capex, their service, DSCR and the equity.

Each tranche is drawn in full at the start (:mod:`minecalc.debt`'s convention) and
serviced from the cash flow available for debt service (CFADS): BTC sold less energy and
operating costs. A loan in the tariff currency is scheduled in that currency and its
service converted at each month's rate, so a falling currency makes it cheaper in USD.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import debt, finance
from ..config import Financing, Tranche
from .money import Money
from .timeline import Timeline


@dataclass(frozen=True)
class Financed:
    """The loans together, by month [USD], and what they leave the equity."""

    drawn_usd: np.ndarray
    interest_usd: np.ndarray
    principal_usd: np.ndarray
    debt_service_usd: np.ndarray
    balance_usd: np.ndarray
    """Owed at the end of each month [USD]."""
    foreign_drawn_usd: np.ndarray
    """Of what is drawn, the USD loans' (dollars into the country) [USD]."""
    foreign_service_usd: np.ndarray
    """Of the debt service, the USD loans' (dollars out of the country) [USD]."""
    cfads_usd: np.ndarray
    equity_usd: np.ndarray
    """Cash flow to equity: the project's, plus what is lent, less the debt service."""
    coverage: debt.DSCR
    covenant_min_dscr: float | None
    """The lowest DSCR the loans allow; None = no covenant."""
    llcr: np.ndarray
    """Loan life coverage ratio at the draw, at the loans' mean rate [1], (...)."""
    breach: debt.Breach
    equity_irr: finance.IRRResult


def financing(*, terms: Financing, money: Money, fx: np.ndarray, timeline: Timeline) -> Financed:
    """Stage 7: schedule every tranche, add them up, and judge the cover and the equity.

    Parameters
    ----------
    terms : minecalc.config.Financing
        The loans.
    money : Money
        Stage 6: capex, sales, energy and operating costs, and the project's cash flow.
    fx : numpy.ndarray, shape (..., n)
        Tariff currency per USD in each month [currency/USD].
    timeline : Timeline
    """
    flows = money.flows
    cfads = money.cfads_usd
    capex = money.capital.capex_usd.sum(-1)
    # each tranche keeps the shape of what it depends on (capex, the rate; CFADS only when
    # sculpted): a sweep of prices schedules a level loan once, not once per price
    parts = [_tranche(t, capex, cfads, fx, timeline.n) for t in terms.tranches]
    # added up without stacking copies (one tranche: its own arrays)
    drawn, interest, principal, service, balance = (
        functools.reduce(np.add, column) for column in zip(*parts, strict=True)
    )
    dollars = [p for p, t in zip(parts, terms.tranches, strict=True) if t.currency == "USD"]
    foreign_drawn, foreign_service = (
        functools.reduce(np.add, [p[k] for p in dollars], np.zeros_like(drawn)) for k in (0, 3)
    )
    equity = debt.equity_cash_flow(flows.cash_usd, drawn, service)
    coverage = debt.dscr(cfads, service)
    # the loans together: opening balances, discounted at their principal-weighted rate
    principals = [p[0][..., 0] for p in parts]
    weighted = sum(t.rate_per_year * q for t, q in zip(terms.tranches, principals, strict=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rate = weighted / sum(principals)
    opening = np.concatenate([drawn[..., :1], balance[..., :-1]], axis=-1)
    llcr = debt.llcr(
        cfads,
        opening,
        np.nan_to_num(mean_rate),
        maturity_months=max(t.tenor_months for t in terms.tranches),
        at_start=True,
    )
    # no covenant: nothing falls below -inf
    floor = -np.inf if terms.min_dscr is None else terms.min_dscr
    return Financed(
        drawn_usd=drawn,
        interest_usd=interest,
        principal_usd=principal,
        debt_service_usd=service,
        balance_usd=balance,
        foreign_drawn_usd=foreign_drawn,
        foreign_service_usd=foreign_service,
        cfads_usd=cfads,
        equity_usd=equity,
        coverage=coverage,
        covenant_min_dscr=terms.min_dscr,
        llcr=llcr,
        breach=debt.first_breach(coverage, min_dscr=floor),
        equity_irr=finance.irr_with_reason(equity, timeline.mid_years),
    )


def _tranche(
    tranche: Tranche, capex_usd: np.ndarray, cfads_usd: np.ndarray, fx: np.ndarray, n: int
) -> tuple[np.ndarray, ...]:
    """One tranche's drawn, interest, principal, service and balance in USD, each (..., n)
    over the scenario axes it varies along."""
    local = tranche.currency != "USD"
    rate = fx if local else np.ones(1)  # currency units per USD, month by month
    principal_usd = (
        tranche.amount_usd
        if tranche.amount_usd is not None
        else tranche.share_of_capex * np.asarray(capex_usd)
    )
    plan = debt.schedule(
        np.asarray(principal_usd) * rate[..., 0],
        tranche.rate_per_year,
        n,
        tenor_months=tranche.tenor_months,
        grace_months=tranche.grace_months,
        profile=tranche.profile,
        cfads_usd=cfads_usd * rate if tranche.profile == "sculpted" else None,
        target_dscr=tranche.target_dscr,
        capitalise_grace_interest=tranche.capitalise_grace_interest,
    )
    return (
        plan.drawn_usd / rate,
        plan.interest_usd / rate,
        plan.principal_usd / rate,
        plan.debt_service_usd / rate,
        plan.closing_balance_usd / rate,
    )
