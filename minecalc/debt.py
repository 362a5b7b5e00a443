"""Project debt: repayment schedules, DSCR, LLCR, equity cash flow, covenant breaches.

Pure functions over numpy arrays with months on the last axis, shape ``(..., n)``,
and any number of leading scenario dimensions (scalars broadcast against them).
Nothing here loops over scenarios or months: schedules are closed forms and
cumulative sums.

Conventions
-----------
- Monthly periods. Month ``k`` runs from ``k`` to ``k + 1`` months after the start.
- Rates are annual effective rates [1/year]; the monthly rate is
  ``m = (1 + r)**(1/12) - 1``, so twelve months compound to exactly ``r``
  (the convention of :mod:`minecalc.finance`).
- The loan is drawn in full at the start of month 0 (a single draw; staged draws
  during construction are not modelled yet). Interest on month ``k``'s opening
  balance accrues through the month; debt service is paid at its end.
- ``tenor_months`` is the loan's life from the draw to maturity, grace included:
  months ``0 .. grace - 1`` are grace, ``grace .. tenor - 1`` repayment.
- ``principal_usd`` of a schedule is always ``debt_service_usd - interest_usd``:
  negative where interest is capitalised (grace, or a sculpted month whose debt
  service does not cover the interest).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

PROFILES = ("annuity", "linear", "sculpted")
"""Repayment profiles :func:`schedule` knows."""


def monthly_rate(rate_per_year: npt.ArrayLike) -> np.ndarray:
    """Monthly rate equivalent to an annual effective rate.

    Parameters
    ----------
    rate_per_year : array_like
        Annual effective rate [1/year], > -1.

    Returns
    -------
    numpy.ndarray
        Monthly rate [1/month].

    Notes
    -----
    ``m = (1 + r)**(1/12) - 1``, computed as ``expm1(log1p(r) / 12)`` to keep
    precision for small rates.
    """
    return np.expm1(np.log1p(np.asarray(rate_per_year, dtype=np.float64)) / 12.0)


@dataclass(frozen=True)
class Schedule:
    """A loan's monthly schedule (:func:`schedule`); every array has shape ``(..., n)``.

    Identity: ``closing = opening + interest - debt_service`` and
    ``opening[k + 1] = closing[k]``.
    """

    drawn_usd: np.ndarray
    """Amount drawn in each month [USD]: the principal in month 0, zero after."""
    opening_balance_usd: np.ndarray
    """Balance outstanding at the start of each month, after the draw [USD]."""
    interest_usd: np.ndarray
    """Interest accrued in the month [USD]; zero after maturity."""
    principal_usd: np.ndarray
    """Principal repaid in the month [USD]: debt service less interest (negative while
    interest is capitalised)."""
    debt_service_usd: np.ndarray
    """Cash paid to the lender in the month [USD]: interest paid plus principal repaid."""
    closing_balance_usd: np.ndarray
    """Balance outstanding at the end of each month [USD]; after maturity it stays at
    what was left unpaid (zero unless a sculpted loan's CFADS fell short)."""

    @property
    def balance_left_usd(self) -> np.ndarray:
        """Balance still owed at the end of the horizon [USD], shape ``(...)``.

        At or after maturity this is what the schedule failed to repay (only a
        sculpted loan can); before maturity, what is still to be repaid.
        """
        return self.closing_balance_usd[..., -1]


def _int_months(name: str, value: npt.ArrayLike) -> np.ndarray:
    """``value`` as an int64 array; ValueError naming ``name`` unless integer-valued."""
    arr = np.asarray(value)
    if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        raise ValueError(f"{name}: expected whole months, got {value!r}")
    return arr.astype(np.int64)


def schedule(  # noqa: PLR0913 - the loan's terms beyond the three obvious are keyword-only
    principal_usd: npt.ArrayLike,
    rate_per_year: npt.ArrayLike,
    n_months: int,
    *,
    tenor_months: npt.ArrayLike,
    grace_months: npt.ArrayLike = 0,
    profile: str = "annuity",
    cfads_usd: npt.ArrayLike | None = None,
    target_dscr: npt.ArrayLike | None = None,
    capitalise_grace_interest: bool = True,
) -> Schedule:
    """Monthly repayment schedule of a loan drawn in full at the start of month 0.

    Parameters
    ----------
    principal_usd : array_like, shape (...)
        Amount drawn at the start of month 0 [USD], >= 0.
    rate_per_year : array_like, shape (...)
        Annual effective interest rate [1/year], > -1.
    n_months : int
        Length of the horizon [months]; may be shorter or longer than the tenor.
    tenor_months : array_like of int, shape (...)
        Months from the draw to maturity, grace included [months], >= 1.
    grace_months : array_like of int, shape (...)
        Months without principal repayment at the start [months], ``0 <= grace < tenor``.
    profile : {"annuity", "linear", "sculpted"}
        "annuity": a level debt service in every repayment month; "linear": equal
        principal repayments; "sculpted": debt service ``CFADS / target_dscr`` in
        every repayment month.
    cfads_usd : array_like, shape (..., n_months), optional
        Cash flow available for debt service [USD]; required for "sculpted".
    target_dscr : array_like, shape (...), optional
        Target debt service coverage ratio [-], > 0; required for "sculpted".
    capitalise_grace_interest : bool
        True: grace-period interest is added to the balance (no debt service in
        grace); False: it is paid each month (debt service = interest).

    Returns
    -------
    Schedule
        Draw, balances, interest, principal and debt service per month [USD].

    Raises
    ------
    ValueError
        Unknown profile, months that are not whole or out of range, a missing or
        misshapen ``cfads_usd`` or ``target_dscr`` for "sculpted".

    Notes
    -----
    With ``L = log(1 + r) / 12``, ``m = e**L - 1``, grace ``g``, tenor ``T``,
    ``n = T - g`` repayment months and ``B_g = P e**(g L)`` (capitalised) or ``P``
    (paid), the balance at the start of month ``k`` is

    - grace (``k <= g``): ``P e**(k L)`` capitalised, ``P`` paid;
    - annuity: ``B_g (e**(n L) - e**(j L)) / (e**(n L) - 1)``, ``j = k - g``, with
      debt service ``B_g m / (1 - e**(-n L))`` (``B_g / n`` at ``m = 0``);
    - linear: ``B_g (n - j) / n``, debt service ``B_g / n + m * balance``;
    - sculpted: ``e**(k L) max(B_g e**(-g L) - sum_{g <= s < k} d_s e**(-(s+1) L), 0)``
      with ``d_s = max(CFADS_s / DSCR_target, 0)``: the debt service is ``d_s`` until
      the balance is repaid (the last payment is only what is owed, so the DSCR
      exceeds its target there and service stops after). Negative CFADS pay
      nothing; where ``d_s`` is below the interest the shortfall is capitalised.
      If the CFADS cannot repay the loan by maturity, the balance left stays in
      ``closing_balance_usd`` (see :attr:`Schedule.balance_left_usd`); what
      happens to it (a balloon, refinancing, default) is the caller's decision.

    After maturity the balance is frozen: no interest, no service.
    """
    tenor, grace = _check_terms(profile, n_months, tenor_months, grace_months)
    p = np.asarray(principal_usd, dtype=np.float64)
    log_growth = np.log1p(np.asarray(rate_per_year, dtype=np.float64)) / 12.0
    shapes = [p.shape, log_growth.shape, tenor.shape, grace.shape]
    if profile == "sculpted":
        cfads, dscr_target = _sculpting_inputs(n_months, cfads_usd, target_dscr)
        shapes += [cfads.shape[:-1], dscr_target.shape]
    shape = np.broadcast_shapes(*shapes)

    # scenario parameters as (..., 1) columns against the month axis
    p_, lg, t_, g_ = (np.broadcast_to(a, shape)[..., None] for a in (p, log_growth, tenor, grace))
    k = np.arange(n_months + 1)  # month starts 0..n; n is the end of the horizon
    kc = np.minimum(k, t_)  # the balance is frozen after maturity
    b_grace = p_ * np.exp(g_ * lg) if capitalise_grace_interest else p_
    if profile == "sculpted":
        s = k[:-1]
        due = np.maximum(cfads / dscr_target[..., None], 0.0)
        due = np.where((s >= g_) & (s < t_), np.broadcast_to(due, (*shape, n_months)), 0.0)
        balance, service = _sculpted(b_grace, lg, g_, kc, due)
    else:
        balance, service = _level(profile, b_grace, lg, g_, t_, kc)
    grace_balance = p_ * np.exp(kc * lg) if capitalise_grace_interest else p_
    balance = np.where(kc < g_, grace_balance, balance)

    opening, closing = balance[..., :-1], balance[..., 1:]
    s = k[:-1]
    live, repaying = s < t_, (s >= g_) & (s < t_)
    interest = np.where(live, np.expm1(lg) * opening, 0.0)
    grace_service = 0.0 if capitalise_grace_interest else interest
    service = np.where(repaying, service, np.where(live, grace_service, 0.0))
    return Schedule(
        drawn_usd=np.where(s == 0, p_, 0.0),
        opening_balance_usd=opening,
        interest_usd=interest,
        principal_usd=service - interest,
        debt_service_usd=service,
        closing_balance_usd=closing,
    )


def _check_terms(
    profile: str, n_months: int, tenor_months: npt.ArrayLike, grace_months: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Validate the loan's shape; tenor and grace as int64 arrays."""
    if profile not in PROFILES:
        raise ValueError(f"profile: expected one of {PROFILES}, got {profile!r}")
    if int(n_months) != n_months or n_months < 1:
        raise ValueError(f"n_months: expected a whole number >= 1, got {n_months!r}")
    tenor = _int_months("tenor_months", tenor_months)
    grace = _int_months("grace_months", grace_months)
    if np.any(tenor < 1) or np.any(grace < 0) or np.any(grace >= tenor):
        raise ValueError(
            "tenor_months, grace_months: expected tenor >= 1 and 0 <= grace < tenor, "
            f"got tenor {tenor_months!r}, grace {grace_months!r}"
        )
    return tenor, grace


def _sculpting_inputs(
    n_months: int, cfads_usd: npt.ArrayLike | None, target_dscr: npt.ArrayLike | None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a sculpted schedule's CFADS and target DSCR; both as float arrays."""
    if cfads_usd is None or target_dscr is None:
        raise ValueError("cfads_usd, target_dscr: both required for profile 'sculpted'")
    cfads = np.asarray(cfads_usd, dtype=np.float64)
    dscr_target = np.asarray(target_dscr, dtype=np.float64)
    if cfads.ndim == 0 or cfads.shape[-1] != n_months:
        raise ValueError(
            f"cfads_usd: expected {n_months} months on the last axis, got shape {cfads.shape}"
        )
    if not np.all(dscr_target > 0):
        raise ValueError(f"target_dscr: expected > 0, got {target_dscr!r}")
    return cfads, dscr_target


def _level(
    profile: str, b_grace: np.ndarray, lg: np.ndarray, g: np.ndarray, t: np.ndarray, kc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Annuity or linear: balance at month starts ``(..., n + 1)`` and service ``(..., n)``."""
    m = np.expm1(lg)
    n_rep = t - g
    j = np.maximum(kc - g, 0)  # repayments made before month kc
    if profile == "linear":
        balance = b_grace * (n_rep - j) / n_rep
        return balance, b_grace / n_rep + m * balance[..., :-1]
    with np.errstate(divide="ignore", invalid="ignore"):  # m = 0 is taken by np.where
        left = np.where(
            m == 0,
            (n_rep - j) / n_rep,
            (np.expm1(n_rep * lg) - np.expm1(j * lg)) / np.expm1(n_rep * lg),
        )
        payment = np.where(m == 0, 1.0 / n_rep, m / -np.expm1(-n_rep * lg))
    balance = b_grace * left
    return balance, np.broadcast_to(b_grace * payment, balance[..., :-1].shape)


def _sculpted(
    b_grace: np.ndarray, lg: np.ndarray, g: np.ndarray, kc: np.ndarray, due: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sculpted: balance at month starts ``(..., n + 1)`` and service ``(..., n)``.

    ``due`` is the target service, zero outside the repayment months.
    """
    s = np.arange(due.shape[-1])
    paid_pv = np.cumsum(due * np.exp(-(s + 1) * lg), axis=-1)  # at month 0
    paid_pv = np.concatenate([np.zeros((*due.shape[:-1], 1)), paid_pv], axis=-1)
    # the balance's value at month 0; once repaid it stays repaid (service is never negative)
    balance = np.exp(kc * lg) * np.maximum(b_grace * np.exp(-g * lg) - paid_pv, 0.0)
    opening, closing = balance[..., :-1], balance[..., 1:]
    # the exact target payment until the month that clears the balance, which pays what is owed
    return balance, np.where(closing > 0, due, opening * np.exp(lg))


def sculpted_capacity_usd(
    cfads_usd: npt.ArrayLike,
    rate_per_year: npt.ArrayLike,
    *,
    target_dscr: npt.ArrayLike,
    tenor_months: npt.ArrayLike,
    grace_months: npt.ArrayLike = 0,
    capitalise_grace_interest: bool = True,
) -> np.ndarray:
    """Largest principal a sculpted schedule repays exactly by maturity.

    Parameters
    ----------
    cfads_usd : array_like, shape (..., n)
        Cash flow available for debt service [USD], ``n >= tenor_months``.
    rate_per_year : array_like, shape (...)
        Annual effective interest rate [1/year], > -1.
    target_dscr : array_like, shape (...)
        Target debt service coverage ratio [-], > 0.
    tenor_months, grace_months : array_like of int, shape (...)
        As in :func:`schedule` [months].
    capitalise_grace_interest : bool
        As in :func:`schedule`.

    Returns
    -------
    numpy.ndarray, shape (...)
        Debt capacity [USD]: :func:`schedule` with ``profile="sculpted"`` and this
        principal ends with zero balance at maturity and DSCR equal to the target in
        every repayment month.

    Notes
    -----
    ``PV = sum_{g <= s < T} max(CFADS_s / DSCR_target, 0) e**(-(s+1) L)``, the target
    debt service discounted at the loan rate to month 0; ``P = PV`` with grace interest
    capitalised, ``P = PV e**(g L)`` with it paid (the balance does not grow in grace).
    """
    cf = np.asarray(cfads_usd, dtype=np.float64)
    lg = (np.log1p(np.asarray(rate_per_year, dtype=np.float64)) / 12.0)[..., None]
    tenor = _int_months("tenor_months", tenor_months)[..., None]
    grace = _int_months("grace_months", grace_months)[..., None]
    s = np.arange(cf.shape[-1])
    due = np.maximum(cf / np.asarray(target_dscr, dtype=np.float64)[..., None], 0.0)
    pv = np.sum(np.where((s >= grace) & (s < tenor), due * np.exp(-(s + 1) * lg), 0.0), axis=-1)
    return pv if capitalise_grace_interest else pv * np.exp(grace[..., 0] * lg[..., 0])


@dataclass(frozen=True)
class DSCR:
    """Debt service coverage (:func:`dscr`); NaN where no debt service is due. The monthly
    figures are computed when first read: a run reports the yearly ones."""

    cfads_usd: np.ndarray
    """Cash flow available for debt service [USD], shape ``(..., n)``."""
    debt_service_usd: np.ndarray
    """Debt service due [USD], shape ``(..., n)``."""
    yearly: np.ndarray
    """DSCR of each 12-month project year [-], shape ``(..., ceil(n / 12))``."""
    min_yearly: np.ndarray
    """Lowest yearly DSCR over years with debt service [-], shape ``(...)``."""
    mean_yearly: np.ndarray
    """Mean of the yearly DSCRs over years with debt service [-], shape ``(...)``."""

    @functools.cached_property
    def monthly(self) -> np.ndarray:
        """DSCR of each month [-], shape ``(..., n)``."""
        return _ratio(self.cfads_usd, self.debt_service_usd)

    @functools.cached_property
    def _monthly_min_mean(self) -> tuple[np.ndarray, np.ndarray]:
        return _min_mean(self.monthly)

    @property
    def min_monthly(self) -> np.ndarray:
        """Lowest monthly DSCR over months with debt service [-], shape ``(...)``."""
        return self._monthly_min_mean[0]

    @property
    def mean_monthly(self) -> np.ndarray:
        """Mean of the monthly DSCRs over months with debt service [-], shape ``(...)``."""
        return self._monthly_min_mean[1]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, NaN elsewhere (no service: no coverage to speak of)."""
    # a vanishing service (a near-zero rate's grace interest) rightly gives an infinite ratio
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _min_mean(ratio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and mean over the finite entries of the last axis; NaN where there are none."""
    ok = ~np.isnan(ratio)
    count = ok.sum(axis=-1)
    lowest = np.min(np.where(ok, ratio, np.inf), axis=-1)
    # +inf and -inf ratios (vanishing service) average to NaN, and huge ones to +inf, rightly
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total = np.sum(np.where(ok, ratio, 0.0), axis=-1)
        return np.where(count > 0, lowest, np.nan), np.where(count > 0, total / count, np.nan)


def dscr(cfads_usd: npt.ArrayLike, debt_service_usd: npt.ArrayLike) -> DSCR:
    """Debt service coverage ratio per month and per project year, with min and mean.

    Parameters
    ----------
    cfads_usd : array_like, shape (..., n)
        Cash flow available for debt service [USD].
    debt_service_usd : array_like, shape (..., n)
        Debt service due [USD] (:attr:`Schedule.debt_service_usd`).

    Returns
    -------
    DSCR
        Monthly and yearly ratios [-]; min and mean over the periods with debt
        service > 0 (the repayment months, and paid-interest grace months).

    Notes
    -----
    ``DSCR_k = CFADS_k / DS_k`` where ``DS_k > 0``, NaN elsewhere. Project year
    ``y`` is months ``12 y .. 12 y + 11`` from the start; its DSCR is
    ``sum CFADS / sum DS`` over those months (a short last year sums the months
    it has). The mean is the arithmetic mean of the ratios, not a ratio of sums.
    """
    own = [np.asarray(x, dtype=np.float64) for x in (cfads_usd, debt_service_usd)]
    starts = np.arange(0, own[0].shape[-1], 12)  # a short last year sums the months it has
    # each summed at its own shape: a level loan's service is not summed once per price
    yearly = _ratio(*(np.add.reduceat(x, starts, axis=-1) for x in own))
    cf, ds = np.broadcast_arrays(*own)
    return DSCR(cf, ds, yearly, *_min_mean(yearly))


def llcr(
    cfads_usd: npt.ArrayLike,
    opening_balance_usd: npt.ArrayLike,
    rate_per_year: npt.ArrayLike,
    *,
    maturity_months: npt.ArrayLike,
    at_start: bool = False,
) -> np.ndarray:
    """Loan life coverage ratio at the start of each month (or of the first only).

    Parameters
    ----------
    cfads_usd : array_like, shape (..., n)
        Cash flow available for debt service [USD].
    opening_balance_usd : array_like, shape (..., n)
        Debt outstanding at the start of each month [USD]
        (:attr:`Schedule.opening_balance_usd`).
    rate_per_year : array_like, shape (...)
        Annual effective discount rate [1/year]: the loan's interest rate.
    maturity_months : array_like of int, shape (...)
        The loan's tenor [months]: CFADS of months ``>= maturity`` do not count.

    at_start : bool
        Only the first month's, at the draw: shape (...), without the others' work.

    Returns
    -------
    numpy.ndarray, shape (..., n)
        LLCR [-]; NaN at and after maturity and where nothing is owed.

    Notes
    -----
    ``LLCR_k = sum_{k <= s < T} CFADS_s e**(-(s - k + 1) L) / B_k``, ``L = log(1 + r) / 12``:
    month-end CFADS discounted to the start of month ``k``. At the loan rate the
    debt service discounts to the balance, so a loan sculpted to a DSCR target and
    repaid exactly at maturity has LLCR equal to that target in every repayment month.
    """
    cf = np.asarray(cfads_usd, dtype=np.float64)
    balance = np.asarray(opening_balance_usd, dtype=np.float64)
    lg = (np.log1p(np.asarray(rate_per_year, dtype=np.float64)) / 12.0)[..., None]
    tenor = _int_months("maturity_months", maturity_months)[..., None]
    k = np.arange(cf.shape[-1])
    live = k < tenor
    # discount to month 0, nothing after maturity: the shape of the rate and tenor only
    weights = np.where(live, np.exp(-(k + 1) * lg), 0.0)
    if at_start:  # one pass over the CFADS (a matrix product when every loan shares them)
        pv = cf @ weights if weights.ndim == 1 else np.einsum("...k,...k->...", cf, weights)
        return np.where(live[..., 0], _ratio(pv, balance[..., 0]), np.nan)
    pv_start = cf * weights
    remaining = np.flip(np.cumsum(np.flip(pv_start, axis=-1), axis=-1), axis=-1)
    return np.where(live, _ratio(remaining * np.exp(k * lg), balance), np.nan)


def equity_cash_flow(
    project_cash_flow_usd: npt.ArrayLike, drawn_usd: npt.ArrayLike, debt_service_usd: npt.ArrayLike
) -> np.ndarray:
    """Cash flow to equity: the project's, plus what the lender lends, less what it is paid.

    Parameters
    ----------
    project_cash_flow_usd : array_like, shape (..., n)
        Unlevered project cash flow [USD], capex negative, after tax.
    drawn_usd : array_like, shape (..., n)
        Loan drawn each month [USD].
    debt_service_usd : array_like, shape (..., n)
        Interest and principal paid each month [USD].

    Returns
    -------
    numpy.ndarray, shape (..., n)
        Equity cash flow [USD].

    Notes
    -----
    ``CF_equity = CF_project + drawn - DS``. Tax is the caller's: interest's tax
    shield belongs in the project cash flow passed in, if the tax rules allow it.
    """
    project, drawn, service = (
        np.asarray(x, dtype=np.float64)
        for x in (project_cash_flow_usd, drawn_usd, debt_service_usd)
    )
    # in place: one new array, not a temporary as large as the result
    equity = np.empty(np.broadcast_shapes(project.shape, drawn.shape, service.shape))
    np.add(project, drawn, out=equity)
    return np.subtract(equity, service, out=equity)


@dataclass(frozen=True)
class Breach:
    """First covenant breach (:func:`first_breach`); -1 where there is none. The month is
    found when first read: a run reports the year."""

    cover: DSCR
    floor: np.ndarray
    """The covenant minimum, shape ``(..., 1)``."""
    year: np.ndarray
    """First project year whose DSCR is below the minimum [year index], shape ``(...)``."""

    @functools.cached_property
    def month(self) -> np.ndarray:
        """First month whose DSCR is below the minimum [month index], shape ``(...)``."""
        return _first(self.cover.monthly < self.floor)


def _first(flags: np.ndarray) -> np.ndarray:
    """Index of the first True on the last axis, -1 where there is none."""
    return np.where(flags.any(axis=-1), np.argmax(flags, axis=-1), -1)


def first_breach(cover: DSCR, *, min_dscr: npt.ArrayLike) -> Breach:
    """First month and first project year whose DSCR falls below a covenant minimum.

    Parameters
    ----------
    cover : DSCR
        The loan's cover (:func:`dscr`), computed once for the cover and the covenant.
    min_dscr : array_like, shape (...)
        Covenant minimum DSCR [-].

    Returns
    -------
    Breach
        Month and year indices from the start, int64, -1 where never breached.

    Notes
    -----
    A period without debt service cannot breach (its DSCR is NaN).
    """
    floor = np.asarray(min_dscr, dtype=np.float64)[..., None]
    return Breach(cover, floor, _first(cover.yearly < floor))
