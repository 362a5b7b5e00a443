"""Money: discounting, NPV, IRR, payback, breakevens, cost per BTC, depreciation, treasury.

Every function takes numpy arrays with a trailing time axis of periods (monthly
in minecalc), shape ``(..., n)``, and any number of leading scenario dimensions;
scalar summaries come back with shape ``(...)``. Nothing here loops over
scenarios; the root finders iterate over all scenarios at once.

Time conventions
----------------
Period ``k`` covers ``[k, k + 1)`` periods from the start. Discounting needs the
*time of each period's cash flow* in years from the start, ``t_k``; the caller
chooses it: mid-period (operating margins that accrue through the month) or
end-period (the spreadsheet convention). :func:`cash_flow_times` turns period
edges into either. A payment at ``t = 0`` (the initial capex) is either put in
period 0's cash flow (it is then discounted like period 0) or given its own
column in front of the periodic flows, with time 0 in front of their times;
the latter is exact for NPV and IRR. Payback counts periods and expects the
capex inside period 0 (no extra column), so its answer is in months from the
start.

Rates are annual effective rates: ``(1 + r)**t`` with ``t`` in years, so a
monthly rate ``m`` is the annual ``(1 + m)**12 - 1`` exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import kernels

if TYPE_CHECKING:
    import numpy.typing as npt

IRR_BRACKET_PER_YEAR = (-0.9999, 10.0)
"""Default search interval of :func:`irr` [fraction per year]: -99.99 % to +1000 %."""

IRR_OK = 0
"""Reason code: a unique IRR was found in the bracket."""
IRR_NO_SIGN_CHANGE = 1
"""Reason code: the cash flows never change sign (all >= 0 or all <= 0): no IRR exists."""
IRR_NO_ROOT = 2
"""Reason code: no root in the bracket (or non-finite cash flows or times)."""
IRR_MULTIPLE = 3
"""Reason code: several IRRs in the bracket; the one nearest zero (in ``log(1 + r)``)
is returned."""

# Grid of u = log(1 + r) [per year] scanned for roots when the cash flows change
# sign more than once: fine (0.02) for |u| <= 1 (rates -63 % .. +172 %), coarse
# outside. Roots closer together than the spacing can be missed (NPV then
# barely touches zero); see irr_with_reason.
_FINE_U = np.linspace(-1.0, 1.0, 101)
_COARSE_STEP_U = 0.1

# Rows per block of the IRR's grid scan: a block's NPVs on the grid (about 200 doubles a
# row) stay in the processor's cache.
_IRR_BLOCK = 4_096


def cash_flow_times(period_edges: npt.ArrayLike, timing: str = "mid") -> np.ndarray:
    """Time of each period's cash flow from its edges.

    Parameters
    ----------
    period_edges : array_like, shape (..., n + 1)
        Period edges, increasing, in any unit (pass years for discounting:
        seconds / 31,556,952 for years of 365.2425 days).
    timing : {"mid", "end", "start"}
        Where in the period the cash flow is taken to fall.

    Returns
    -------
    numpy.ndarray, shape (..., n)
        Times in the unit of ``period_edges``.

    Notes
    -----
    mid: ``(e_k + e_{k+1}) / 2``; end: ``e_{k+1}``; start: ``e_k``.
    """
    e = np.asarray(period_edges, dtype=np.float64)
    if timing == "mid":
        return 0.5 * (e[..., :-1] + e[..., 1:])
    if timing == "end":
        return e[..., 1:]
    if timing == "start":
        return e[..., :-1]
    raise ValueError(f"timing: expected 'mid', 'end' or 'start', got {timing!r}")


def discount_factors(
    discount_rate_per_year: npt.ArrayLike, period_mid_years: npt.ArrayLike
) -> np.ndarray:
    """Present value of one USD paid at each period's cash-flow time.

    Parameters
    ----------
    discount_rate_per_year : array_like, shape (...)
        Annual effective discount rate [fraction per year], > -1.
    period_mid_years : array_like, shape (n,) or (..., n)
        Time of each period's cash flow [years from start]: mid-period or
        end-period times, the caller's choice (see :func:`cash_flow_times`).

    Returns
    -------
    numpy.ndarray, shape (..., n)
        Discount factors [-].

    Notes
    -----
    ``DF_k = (1 + r)**(-t_k)``.
    """
    r = np.asarray(discount_rate_per_year, dtype=np.float64)[..., None]
    return np.power(1.0 + r, -np.asarray(period_mid_years, dtype=np.float64))


def npv(
    cash_flow_usd: npt.ArrayLike, discount_rate_per_year: npt.ArrayLike, period_years: npt.ArrayLike
) -> np.ndarray | float:
    """Net present value of a cash-flow series.

    Parameters
    ----------
    cash_flow_usd : array_like, shape (..., n)
        Signed cash flow of each period [USD]; capex in the first period (or in
        a column of its own at ``t = 0``).
    discount_rate_per_year : array_like, shape (...)
        Annual effective discount rate [fraction per year], > -1.
    period_years : array_like, shape (n,) or (..., n)
        Time of each period's cash flow [years from start].

    Returns
    -------
    numpy.ndarray, shape (...)
        NPV [USD]; leading shapes of the three inputs broadcast.

    Notes
    -----
    ``NPV = sum_k CF_k (1 + r)**(-t_k)``. With ``t_k = k`` this is
    ``numpy_financial.npv(r, CF)`` (first flow undiscounted).
    """
    cf = np.asarray(cash_flow_usd, dtype=np.float64)
    # a contraction: no temporary as large as the cash flows (a fresh one per run is costly)
    return np.einsum("...k,...k->...", cf, discount_factors(discount_rate_per_year, period_years))


IRR_REASONS = {
    0: "",
    1: "the cash flow never changes sign",
    2: "no rate between -99.99 % and +1000 %/yr",
    3: "the cash flow changes sign more than once: not unique",
}
"""What each ``reason`` code of :func:`irr_with_reason` means."""
IRR_REASON_NAMES = {0: "ok", 1: "no_sign_change", 2: "no_root", 3: "several_roots"}
"""Each ``reason`` code as a word, for JSON and CSV (the Dataset keeps the code)."""


class IRRResult(NamedTuple):
    """Result of :func:`irr_with_reason`; both fields have the scenario shape ``(...)``."""

    irr_per_year: np.ndarray
    """Annual IRR [fraction per year]; NaN where ``reason`` is 1 or 2."""
    reason: np.ndarray
    """int8: 0 ok, 1 no sign change, 2 no root in the bracket, 3 several roots (the one
    nearest zero returned)."""


def _scaled_npv(
    rate: np.ndarray, cf: np.ndarray, t: np.ndarray, t_lo: np.ndarray, t_hi: np.ndarray
) -> np.ndarray:
    """``sum CF_k (1+r)**(s - t_k)`` with ``s`` chosen so no factor exceeds 1.

    Same sign and roots as the NPV; ``s = t_hi`` where ``1 + r < 1`` and ``t_lo``
    elsewhere, so nothing overflows at the ends of the bracket (far terms
    underflow to 0 harmlessly). ``rate`` (k,), ``cf`` (k, n), ``t`` (n,) or (k, n),
    ``t_lo``/``t_hi`` scalars or (k,).
    """
    u = np.log1p(rate)
    s = np.where(u < 0, t_hi, t_lo)
    factors = np.subtract(t, s[..., None])  # one temporary, then worked on in place
    factors *= -u[:, None]
    np.exp(factors, out=factors)
    return np.einsum("...k,...k->...", cf, factors)


def _sign_changes(cf: np.ndarray) -> np.ndarray:
    """Number of sign changes along the last axis, zeros skipped."""
    above, below = cf > 0, cf < 0  # booleans: an eighth of the memory of np.sign's floats
    if (above | below).all():  # the usual case: no zero flows to skip
        return np.count_nonzero(above[..., 1:] != above[..., :-1], axis=-1)
    n = cf.shape[-1]
    last_nonzero = np.maximum.accumulate(np.where(above | below, np.arange(n), 0), axis=-1)
    above, below = (np.take_along_axis(x, last_nonzero, axis=-1) for x in (above, below))
    flips = (above[..., 1:] & below[..., :-1]) | (below[..., 1:] & above[..., :-1])
    return np.count_nonzero(flips, axis=-1)


def _solve(
    f: Callable[..., np.ndarray], lo: np.ndarray, hi: np.ndarray, args: tuple[np.ndarray, ...]
) -> np.ndarray:
    """``find_root`` on 1-D brackets; returns the root, NaN where it did not converge."""
    if lo.size == 0:
        return np.empty(0)
    from scipy.optimize import elementwise  # imported on use: it costs 0.2 s at start-up

    res = elementwise.find_root(f, (lo, hi), args=args)
    return np.where(res.success, res.x, np.nan)


def irr_with_reason(
    cash_flow_usd: npt.ArrayLike,
    period_years: npt.ArrayLike,
    bracket: tuple[float, float] = IRR_BRACKET_PER_YEAR,
) -> IRRResult:
    """Annual internal rate of return, vectorized, with the reason where there is none.

    Parameters
    ----------
    cash_flow_usd : array_like, shape (..., n)
        Signed cash flows [USD], finite.
    period_years : array_like, shape (n,) or (..., n)
        Time of each cash flow [years from start]; may be non-uniform (months
        of 28-31 days). A shared (n,) axis is fastest.
    bracket : (float, float)
        Search interval for the annual rate [fraction per year], ``-1 < lo < hi``.

    Returns
    -------
    IRRResult
        ``irr_per_year`` [fraction per year] and ``reason`` (int8), shape ``(...)``:

        - 0: the IRR, unique in the bracket;
        - 1: the cash flows never change sign (all >= 0 or all <= 0): NaN;
        - 2: no root strictly inside the bracket, or non-finite input: NaN;
        - 3: several IRRs in the bracket: the one nearest zero in ``log(1 + r)``
          (scale-free: the same root whether rates are monthly or annual).

    Notes
    -----
    Solves ``sum_k CF_k (1 + r)**(-t_k) = 0`` for ``r`` by Chandrupatla's
    bracketing method (``scipy.optimize.elementwise.find_root``) to full double
    precision. By Descartes' rule of signs (which holds for real exponents),
    cash flows with one sign change have at most one IRR. NPV is scanned on a
    grid of ``log(1 + r)`` (spacing 0.02 for rates between -63 % and +172 % a
    year, 0.1 outside; 0 is a grid point; one matrix product when every row
    shares its times) and the sign change nearest zero on each side of 0 is
    refined within its grid step; a pair of roots closer than the spacing can
    go unseen. Flows with two sign changes whose running sums prove NPV keeps
    one sign at every rate skip the scan; with times of their own per row,
    flows with one sign change skip it too (the bracket's ends decide). For
    ``t_k = k / 12`` this is ``(1 + m)**12 - 1`` with ``m = numpy_financial.irr(CF)``
    the monthly IRR (up to which root is called nearest zero when there are several).
    """
    flows, lo, hi, shape = _irr_inputs(cash_flow_usd, period_years, bracket)
    cf2, t2, size = flows.cf, flows.t, flows.cf.shape[0]
    # a NaN or inf flow makes its row's sum non-finite (one matrix-vector product, no copy)
    finite = np.isfinite(cf2 @ np.ones(cf2.shape[-1])) & (
        np.isfinite(t2).all(axis=-1) if not flows.shared else bool(np.isfinite(t2).all())
    )
    # rows with a NaN or inf get no root: their flows are zeroed only when there are any
    checked = cf2 if finite.all() else np.where(finite[:, None], cf2, 0.0)
    changes = np.where(finite, _sign_changes(checked), 0)
    reason = np.full(size, IRR_NO_ROOT, dtype=np.int8)
    reason[finite & (changes == 0)] = IRR_NO_SIGN_CHANGE
    out = np.full(size, np.nan)
    # One sign change: at most one root. With times shared by every row the grid scan
    # below (one matrix product) brackets it within a grid step, so the solver has little
    # left to do; otherwise the bracket's ends tell whether it is inside.
    if flows.shared:
        scanned = changes >= 1
    else:
        bracketed, root = _irr_one_change(flows, np.flatnonzero(changes == 1), lo, hi)
        out[bracketed] = root
        reason[bracketed] = IRR_OK
        scanned = changes >= 2
    # Several sign changes: a grid scan, the root nearest zero; two changes whose running
    # sums prove there is no root at any rate (the usual loss-making case) skip it.
    many, two = np.flatnonzero(scanned), np.flatnonzero(changes == 2)
    if two.size and bool((np.diff(t2, axis=-1) >= 0).all()):
        many = np.setdiff1d(many, two[_irr_no_root(flows.cf, two)], assume_unique=True)
    if many.size:
        out[many], reason[many] = _irr_several_changes(flows, many, lo, hi)
    # The solver did not converge: no root to report.
    failed = np.isnan(out) & ((reason == IRR_OK) | (reason == IRR_MULTIPLE))
    reason[failed] = IRR_NO_ROOT
    return IRRResult(out.reshape(shape)[()], reason.reshape(shape)[()])


class _Flows(NamedTuple):
    """Cash flows of every scenario as rows, and their times (see :func:`irr_with_reason`)."""

    cf: np.ndarray  # (size, n) [USD]
    t: np.ndarray  # (n,) when shared by every row, else (size, n) [years]
    t_lo: np.ndarray  # earliest time: scalar when shared, else (size,) [years]
    t_hi: np.ndarray  # latest time, likewise [years]
    shared: bool

    def npv(self, rate: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """NPV of ``rows`` at ``rate``, scaled (:func:`_scaled_npv`), shape of ``rows``."""
        t = (
            (self.t, self.t_lo, self.t_hi)
            if self.shared
            else (self.t[rows], self.t_lo[rows], self.t_hi[rows])
        )
        return _scaled_npv(rate, self.cf[rows], *t)


def _irr_inputs(
    cash_flow_usd: npt.ArrayLike, period_years: npt.ArrayLike, bracket: tuple[float, float]
) -> tuple[_Flows, float, float, tuple[int, ...]]:
    """Validate :func:`irr_with_reason`'s inputs: the flows as rows, the bracket, the shape."""
    cf = np.asarray(cash_flow_usd, dtype=np.float64)
    t = np.asarray(period_years, dtype=np.float64)
    if cf.ndim == 0 or t.ndim == 0 or t.shape[-1] != cf.shape[-1]:
        raise ValueError(
            f"period_years: expected a time axis matching cash_flow_usd {cf.shape}, got {t.shape}"
        )
    lo, hi = (float(b) for b in bracket)
    if not -1.0 < lo < hi:
        raise ValueError(f"bracket: expected -1 < lo < hi, got {bracket}")
    n = cf.shape[-1]
    shape = np.broadcast_shapes(cf.shape[:-1], t.shape[:-1])
    size = int(np.prod(shape))
    cf2 = np.broadcast_to(cf, (*shape, n)).reshape(size, n)
    shared = t.ndim == 1
    t2 = t if shared else np.broadcast_to(t, (*shape, n)).reshape(size, n)
    t_lo, t_hi = (t2.min(), t2.max()) if shared else (t2.min(axis=-1), t2.max(axis=-1))
    return _Flows(cf2, t2, t_lo, t_hi, shared), lo, hi, shape


def _blocks(rows: np.ndarray) -> list[np.ndarray]:
    """``rows`` in blocks of at most :data:`_IRR_BLOCK`: a block's work stays in cache, and
    memory does not grow with the number of scenarios."""
    return np.array_split(rows, max(1, -(-rows.size // _IRR_BLOCK)))


def _irr_no_root(cf: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (flows in time order, two sign changes each) have no IRR at any rate:
    every running sum, from the start and from the end, has the first flow's sign.

    Say the flows run -, +, - in blocks A, B, C (the other way round, flip every sign). For
    ``u = log(1 + r) >= 0`` and ``tau`` between A and B, ``e^(u tau) NPV`` weighs A by
    factors >= 1 and B by factors <= 1, so it is at most ``sum A + sum B`` (C only lowers
    it); for ``u <= 0`` and ``tau`` between B and C it is at most ``sum B + sum C``. Both
    are running sums, so NPV < 0 at every rate. The margin (1e-12 of the flows' absolute
    sum) keeps the proof above rounding, so the grid scan would have found no root either.
    """
    sure = np.zeros(rows.size, dtype=bool)
    for part in _blocks(np.arange(rows.size)):
        block = cf[rows[part]]
        up = block[np.arange(part.size), np.argmax(block != 0, axis=-1)] > 0
        margin = 1e-12 * np.abs(block).sum(axis=-1)
        ahead = np.cumsum(block, axis=-1, out=block)  # the sums from the start, in place
        # the sums from the end are the total less a sum from the start one month earlier
        low, high = ahead[:, :-1].min(axis=-1), ahead[:, :-1].max(axis=-1)
        total = ahead[:, -1]
        sure[part] = np.where(
            up,
            (np.minimum(low, total) > margin) & (np.minimum(total, total - high) > margin),
            (np.minimum(-high, -total) > margin) & (low - total > margin),
        )
    return sure


def _irr_one_change(
    flows: _Flows, one: np.ndarray, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``one`` (one sign change) with their IRR in the bracket, and that IRR.

    One sign change means at most one root; the bracket's ends tell whether it is inside.
    """
    ends = [flows.npv(np.full(one.size, x), one) for x in (lo, hi)]
    bracketed = one[np.sign(ends[0]) * np.sign(ends[1]) < 0]
    root = _solve(flows.npv, np.full(bracketed.size, lo), np.full(bracketed.size, hi), (bracketed,))
    return bracketed, root


def _irr_grid(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid scanned for roots: ``u = log(1 + r)`` and the rates ``r``, ends exactly the bracket."""
    u_lo, u_hi = np.log1p(lo), np.log1p(hi)
    coarse = np.concatenate(
        [
            np.linspace(u_lo, -1.0, max(2, int(np.ceil((-1.0 - u_lo) / _COARSE_STEP_U)) + 1)),
            np.linspace(1.0, u_hi, max(2, int(np.ceil((u_hi - 1.0) / _COARSE_STEP_U)) + 1)),
        ]
    )
    u = np.unique(np.concatenate([[u_lo, u_hi, 0.0], _FINE_U, coarse]))
    u = u[(u >= u_lo) & (u <= u_hi)]
    grid = np.expm1(u)
    grid[0], grid[-1] = lo, hi
    return u, grid


def _irr_several_changes(
    flows: _Flows, many: np.ndarray, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray]:
    """IRR nearest zero and reason code of the rows ``many`` (several sign changes).

    Scans NPV on :func:`_irr_grid` and refines the sign change nearest zero on each side.
    """
    u, grid = _irr_grid(lo, hi)
    # markers in order of rate: grid point j at 2j, interval (j, j+1) at 2j+1; those from
    # `split` on lie at or above zero
    where_u = np.empty(2 * u.size - 1)
    where_u[0::2] = u
    where_u[1::2] = 0.5 * (u[:-1] + u[1:])
    split = int(np.searchsorted(where_u, 0.0))
    scans = [_irr_scan(flows, b, (u, grid), split) for b in _blocks(many)]
    count, has_up, j_up, has_down, j_down = (
        np.concatenate(found) for found in zip(*scans, strict=True)
    )
    reason = np.where(count == 0, IRR_NO_ROOT, np.where(count == 1, IRR_OK, IRR_MULTIPLE))
    # |log(1 + r)| of each side's root lies in its marker's grid interval: refine a side only
    # where its root can be the nearer one
    k_up, k_down = j_up // 2, j_down // 2
    near_up, far_up = u[k_up], u[np.minimum(k_up + j_up % 2, u.size - 1)]
    near_down, far_down = -u[np.minimum(k_down + j_down % 2, u.size - 1)], -u[k_down]
    pos = _irr_root(flows, many, grid, j_up, has_up & ~(has_down & (far_down < near_up)))
    neg = _irr_root(flows, many, grid, j_down, has_down & ~(has_up & (far_up <= near_down)))
    best = np.where(np.isnan(neg) | (np.abs(np.log1p(pos)) <= np.abs(np.log1p(neg))), pos, neg)
    return best, reason


def _irr_scan(
    flows: _Flows, rows: np.ndarray, grids: tuple[np.ndarray, np.ndarray], split: int
) -> tuple[np.ndarray, ...]:
    """For ``rows``: how many sign changes NPV makes on the grid (``u = log(1 + r)`` and the
    rates), and on each side of zero whether there is one and the marker of the nearest
    (see :func:`_irr_marker`; markers from ``split`` on lie at or above zero)."""
    u, grid = grids
    if flows.shared:  # one matrix product for every scenario
        s = np.where(u < 0, flows.t_hi, flows.t_lo)
        values = flows.cf[rows] @ np.exp(-u[:, None] * (flows.t[None, :] - s[:, None])).T
    else:
        values = np.stack([flows.npv(np.full(rows.size, g), rows) for g in grid], axis=-1)
    above = values > 0
    if (values == 0).any():  # an NPV exactly zero on the grid: a root marker of its own
        below = values < 0
        marks = np.zeros((rows.size, 2 * u.size - 1), dtype=bool)
        marks[:, 0::2] = ~(above | below)
        marks[:, 1::2] = (above[:, :-1] & below[:, 1:]) | (below[:, :-1] & above[:, 1:])
        cut, scale, offset = split, 1, 0  # marks' columns are the markers
    else:  # the usual case: markers only between grid points (2j + 1), where the sign flips
        marks = above[:, 1:] != above[:, :-1]
        cut, scale, offset = split // 2, 2, 1
    up, down = (_irr_marker(marks, cut, upward=side) for side in (True, False))
    return (
        np.count_nonzero(marks, axis=-1),
        up[0],
        scale * up[1] + offset,
        down[0],
        scale * down[1] + offset,
    )


def _irr_marker(marks: np.ndarray, split: int, upward: bool) -> tuple[np.ndarray, ...]:
    """Whether each row has a marker at or above zero (``upward``: columns from ``split`` on)
    or below it, and the one nearest zero: the first at or above, the last below."""
    side = marks[:, split:] if upward else marks[:, :split][:, ::-1]
    if not side.shape[1]:  # the bracket lies on one side of zero
        return np.zeros(marks.shape[0], dtype=bool), np.zeros(marks.shape[0], dtype=np.intp)
    first = np.argmax(side, axis=-1)  # on a slice, not a masked copy
    has = np.take_along_axis(side, first[:, None], axis=-1)[:, 0]
    return has, (split + first) if upward else (split - 1 - first)


def _irr_root(
    flows: _Flows, many: np.ndarray, grid: np.ndarray, j: np.ndarray, wanted: np.ndarray
) -> np.ndarray:
    """The root at marker ``j`` (a grid point, or refined between two) of the rows
    ``wanted``; NaN elsewhere."""
    on_point = wanted & (j % 2 == 0)
    between = wanted & (j % 2 == 1)
    root = np.full(many.size, np.nan)
    root[on_point] = grid[j[on_point] // 2]
    k = j[between] // 2
    root[between] = _solve(flows.npv, grid[k], grid[k + 1], (many[between],))
    return root


def irr(
    cash_flow_usd: npt.ArrayLike,
    period_years: npt.ArrayLike,
    bracket: tuple[float, float] = IRR_BRACKET_PER_YEAR,
) -> np.ndarray | float:
    """Annual internal rate of return [fraction per year], shape ``(...)``.

    NaN where there is none in the bracket; :func:`irr_with_reason` gives the
    reason in the same solve (see it for parameters and method).
    """
    return irr_with_reason(cash_flow_usd, period_years, bracket).irr_per_year


def payback_months(cumulative_cash_usd: npt.ArrayLike) -> np.ndarray | float:
    """Payback time with linear interpolation inside the crossing period [months].

    Parameters
    ----------
    cumulative_cash_usd : array_like, shape (..., n)
        Running sum of the signed cash flow of the monthly periods [USD], capex in
        period 0 (a run has it: the cumulative cash flow).

    Returns
    -------
    numpy.ndarray, shape (...)
        Months from the start until the cumulative cash flow is back to zero for
        good; 0 if it is never negative; NaN if it does not pay back within the
        horizon (or the flows are not finite).

    Notes
    -----
    Period ``k`` covers months ``[k, k + 1)`` and its cash flow accrues evenly
    through it. With ``C_j = sum_{k <= j} CF_k`` and ``p = 1 + max{j : C_j < 0}``
    the first period from which the cumulative stays >= 0 (a cumulative that turns
    positive and then negative again has not paid back at the first crossing), if
    ``p > 0``, ``payback = p - C_{p-1} / (C_p - C_{p-1})``, in ``(p, p + 1]`` (``p`` itself
    when ``C_{p-1}`` is negligible next to ``C_p``).
    """
    cum = np.asarray(cumulative_cash_usd, dtype=np.float64)
    if cum.ndim == 0:
        raise ValueError(f"cumulative_cash_usd: expected a time axis, got shape {cum.shape}")
    n = cum.shape[-1]
    # a NaN or inf flow leaves every later sum non-finite, the last one included
    neg = cum < 0
    last_neg = n - 1 - np.argmax(neg[..., ::-1], axis=-1)
    p = np.where(neg.any(axis=-1), last_neg + 1, 0)
    p = np.where((p >= n) | ~np.isfinite(cum[..., -1]), -1, p)  # -1: no payback
    k = np.maximum(p, 1)[..., None]
    before = np.take_along_axis(cum, k - 1, axis=-1)[..., 0]
    at = np.take_along_axis(cum, np.minimum(k, n - 1), axis=-1)[..., 0]
    crossing = p > 0
    frac = np.divide(-before, at - before, out=np.zeros_like(before), where=crossing)
    return np.where(p < 0, np.nan, np.where(crossing, p + frac, 0.0))[()]


def cost_per_btc(cost_usd: npt.ArrayLike, btc: npt.ArrayLike) -> np.ndarray | float:
    """Cost per BTC mined, NaN where nothing was mined.

    Parameters
    ----------
    cost_usd : array_like
        Cost over the same span as ``btc`` [USD]: cash cost (energy + opex) or
        all-in cost (plus depreciation), the caller's choice.
    btc : array_like
        BTC mined [BTC]; shapes broadcast.

    Returns
    -------
    numpy.ndarray
        ``cost_usd / btc`` [USD/BTC]; NaN (no warning) where ``btc == 0``.
    """
    cost = np.asarray(cost_usd, dtype=np.float64)
    btc = np.asarray(btc, dtype=np.float64)
    shape = np.broadcast_shapes(cost.shape, btc.shape)
    out = np.full(shape, np.nan)
    # btc == 0 means no production, not an infinitely expensive coin: leave NaN.
    np.divide(cost, btc, out=out, where=btc != 0)
    return out[()]


def breakeven_of_linear(
    npv_at_a: npt.ArrayLike, npv_at_b: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike
) -> np.ndarray | float:
    """Zero of the line through ``(a, NPV(a))`` and ``(b, NPV(b))``.

    Exact (to rounding) when NPV is linear in ``x``: NPV is linear in the
    energy price, and in a multiplier of the BTC price path (held BTC valued at
    the same prices included), as long as nothing else depends on them — no
    dispatch or switch-off rule, no tax on positive profits, no price-dependent
    network response. Otherwise use :func:`breakeven`.

    Parameters
    ----------
    npv_at_a, npv_at_b : array_like, shape (...)
        NPV at ``x = a`` and ``x = b`` [USD].
    a, b : array_like, shape (...)
        The two values of the parameter, ``a != b`` [unit of x].

    Returns
    -------
    numpy.ndarray, shape (...)
        Breakeven ``x`` [unit of x]; NaN where ``NPV(a) == NPV(b)`` (NPV does
        not depend on x).

    Notes
    -----
    ``x* = a - NPV(a) (b - a) / (NPV(b) - NPV(a))``.
    """
    fa = np.asarray(npv_at_a, dtype=np.float64)
    fb = np.asarray(npv_at_b, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    step = np.full(np.broadcast_shapes(fa.shape, fb.shape, a.shape, b.shape), np.nan)
    np.divide(fa * (b - a), fb - fa, out=step, where=fb != fa)
    return (a - step)[()]


def breakeven(
    f: Callable[[np.ndarray], np.ndarray],
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
    *,
    xmin: npt.ArrayLike | None = None,
    xmax: npt.ArrayLike | None = None,
    tolerances: dict[str, float] | None = None,
    maxiter: int | None = None,
) -> np.ndarray | float:
    """Per-scenario root of ``f(x) = 0`` for a scalar parameter ``x``, vectorized.

    Parameters
    ----------
    f : callable
        Maps ``x`` of the scenario shape ``(...)`` to NPV of shape ``(...)``
        [USD]; it must broadcast ``x`` against its own scenario arrays (called
        first with ``lo`` as given, then with full ``(...)`` arrays). Each call
        evaluates every scenario; converged ones are held at their root.
    lo, hi : array_like, broadcastable to (...)
        Bracket [unit of x], ``lo < hi``.
    xmin, xmax : array_like, optional
        If either is given, brackets without a sign change are first widened
        (``scipy.optimize.elementwise.bracket_root``, factor 2) within
        ``[xmin, xmax]``.
    tolerances : dict, optional
        Passed to ``scipy.optimize.elementwise.find_root`` (default: full
        double precision in x).
    maxiter : int, optional
        Passed to ``find_root``.

    Returns
    -------
    numpy.ndarray, shape (...)
        ``x`` with ``f(x) = 0`` [unit of x]; NaN where the (widened) bracket has
        no sign change or the solver did not converge. Where ``f`` crosses zero
        several times, one of the crossings.

    Notes
    -----
    Chandrupatla's bracketing method; needs ``f`` continuous in ``x`` but not
    linear (dispatch rules make NPV piecewise linear in prices). For NPV known
    to be linear, :func:`breakeven_of_linear` needs two evaluations.
    """
    x_lo = np.asarray(lo, dtype=np.float64)
    shape = np.broadcast_shapes(x_lo.shape, np.shape(hi), np.shape(f(x_lo)))
    g = _one_x_per_scenario(f, shape, _flat(x_lo, shape))
    from scipy.optimize import elementwise  # imported on use: it costs 0.2 s at start-up

    rows = np.arange(int(np.prod(shape)))
    a, b = _flat(x_lo, shape), _flat(hi, shape)
    if xmin is not None or xmax is not None:
        wide = elementwise.bracket_root(
            g,
            a,
            b,
            xmin=None if xmin is None else _flat(xmin, shape),
            xmax=None if xmax is None else _flat(xmax, shape),
            args=(rows,),
        )
        a = np.where(wide.success, wide.bracket[0], a)
        b = np.where(wide.success, wide.bracket[1], b)
    res = elementwise.find_root(g, (a, b), args=(rows,), tolerances=tolerances, maxiter=maxiter)
    return np.where(res.success, res.x, np.nan).reshape(shape)[()]


def _flat(v: npt.ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """``v`` broadcast to ``shape``, as a new flat float array."""
    size = int(np.prod(shape))
    return np.broadcast_to(np.asarray(v, dtype=np.float64), shape).reshape(size).copy()


def _one_x_per_scenario(
    f: Callable[[np.ndarray], np.ndarray], shape: tuple[int, ...], x_full: np.ndarray
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``f`` of :func:`breakeven` as its solvers call it: ``g(x, rows)`` -> ``f`` at rows ``rows``.

    ``x_full`` (flat, updated in place) holds each scenario's latest ``x``; ``f`` is called
    with all of them, reshaped to ``shape``.
    """

    def g(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        # The solvers hand over only the scenarios still iterating, and bracket_root
        # may ask for two points of one scenario at once (growing left and right);
        # f wants one x per scenario, so evaluate such duplicates in further calls.
        out = np.empty_like(x)
        todo = np.arange(x.size)
        while todo.size:
            _, first = np.unique(rows[todo], return_index=True)
            now = todo[first]
            x_full[rows[now]] = x[now]
            out[now] = _flat(f(x_full.reshape(shape)), shape)[rows[now]]
            todo = np.setdiff1d(todo, now)
        return out

    return g


def straight_line_depreciation(
    capex_usd_by_period: npt.ArrayLike, life_months: npt.ArrayLike, n: int
) -> np.ndarray:
    """Straight-line depreciation of capex spent over several periods.

    Parameters
    ----------
    capex_usd_by_period : array_like, shape (..., m)
        Capex spent in each period [USD]; periods ``>= n`` are ignored.
    life_months : array_like of int, shape (...)
        Depreciation life [months], >= 1; may differ by scenario.
    n : int
        Number of periods of the result (the horizon).

    Returns
    -------
    numpy.ndarray, shape (..., n)
        Depreciation in each period [USD]. Capex of period ``j`` is written off
        in equal parts over periods ``j .. j + L - 1``; parts after the horizon
        are dropped (so the sum is below total capex when ``j + L > n``).

    Notes
    -----
    ``Dep_k = (K_k - K_{k-L}) / L`` with ``K_k = sum_{j <= k} capex_j`` and
    ``K_{k-L} = 0`` for ``k < L``.
    """
    capex = np.asarray(capex_usd_by_period, dtype=np.float64)
    life = np.asarray(life_months)
    if capex.ndim == 0:
        raise ValueError(f"capex_usd_by_period: expected a time axis, got shape {capex.shape}")
    if not (np.all(life >= 1) and np.all(np.mod(life, 1) == 0)):
        raise ValueError(f"life_months: expected whole months >= 1, got {life}")
    n = int(n)
    capex = capex[..., :n]
    if capex.shape[-1] < n:
        capex = np.concatenate([capex, np.zeros((*capex.shape[:-1], n - capex.shape[-1]))], axis=-1)
    shape = np.broadcast_shapes(capex.shape[:-1], life.shape)
    cum = np.broadcast_to(np.cumsum(capex, axis=-1), (*shape, n))
    life = np.broadcast_to(life.astype(np.int64), shape)[..., None]
    back = np.arange(n) - life
    before = np.where(back >= 0, np.take_along_axis(cum, np.maximum(back, 0), axis=-1), 0.0)
    return (cum - before) / life


class Treasury(NamedTuple):
    """Result of :func:`treasury`, each of shape ``(..., n)``."""

    reserve_btc: np.ndarray
    """BTC held at the end of each period (cumulative) [BTC]."""
    btc_sold: np.ndarray
    """BTC sold in each period [BTC]."""
    sales_usd: np.ndarray
    """Proceeds of the sales in each period [USD]."""
    reserve_value_usd: np.ndarray
    """Reserve valued at the period's price [USD]."""


def treasury(
    btc_mined: npt.ArrayLike,
    btc_price_usd: npt.ArrayLike,
    held_fraction: npt.ArrayLike,
    *,
    cover_usd: npt.ArrayLike | None = None,
    cap_btc: npt.ArrayLike | None = None,
) -> Treasury:
    """Split production into BTC held in a reserve and BTC sold, by a reserve policy.

    Parameters
    ----------
    btc_mined : array_like, shape (..., n)
        BTC mined (or bought) in each period [BTC].
    btc_price_usd : array_like, broadcastable to (..., n)
        BTC price in each period, at which sales are made and the reserve is
        valued [USD/BTC]; a per-scenario constant as ``price[..., None]``.
    held_fraction : array_like, broadcastable to (..., n)
        Share kept of what is left after covering costs [1], in [0, 1]; a per-scenario
        constant as ``held[..., None]``.
    cover_usd : array_like, broadcastable to (..., n), optional
        Costs the period's BTC is sold to cover first [USD]; None = none.
    cap_btc : array_like, broadcastable to (...), optional
        Most the reserve may hold [BTC]; what would go above it is sold. None (or inf) = no
        cap, 0 = no accumulation at all.

    Returns
    -------
    Treasury
        ``reserve_btc``, ``btc_sold``, ``sales_usd``, ``reserve_value_usd``,
        shape ``(..., n)``.

    Notes
    -----
    ``cover_k = min(B_k, C_k / P_k)``, ``keep_k = h_k (B_k - cover_k)``,
    ``held_k = min(keep_k, max(cap - sum_{j<k} keep_j, 0))`` (the reserve is never sold, so
    capping the running sum caps every period), ``reserve_k = sum_{j<=k} held_j``,
    ``sold_k = B_k - held_k``,
    ``sales_k = sold_k P_k``, ``value_k = reserve_k P_k``. Sold plus held is what came in.
    """
    mined = np.asarray(btc_mined, dtype=np.float64)
    price = np.asarray(btc_price_usd, dtype=np.float64)
    h = np.asarray(held_fraction, dtype=np.float64)
    if np.any((h < 0) | (h > 1)):
        raise ValueError(f"held_fraction: expected values in [0, 1], got {h}")
    # the policy's steps cost full-size temporaries: a run without them skips them
    covered: np.ndarray | float = 0.0
    if cover_usd is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            covered = np.minimum(mined, np.where(price > 0, np.asarray(cover_usd) / price, 0.0))
    shape = np.broadcast_shapes(mined.shape, h.shape, price.shape, np.shape(covered))
    held = np.broadcast_to(h * (mined - covered), shape)
    if cap_btc is not None:
        cap = np.asarray(cap_btc, dtype=np.float64)[..., None]
        before = np.cumsum(held, axis=-1) - held  # what would be held before each period
        # exactly what is kept below the cap (no rounding from differencing a running sum)
        held = np.where(before + held <= cap, held, np.maximum(cap - before, 0.0))
    reserve = np.cumsum(held, axis=-1)
    sold = mined - held
    return Treasury(reserve, sold, sold * price, reserve * price)


def profit_tax(earnings: npt.ArrayLike, rate: npt.ArrayLike) -> np.ndarray:
    """Tax on profit with losses carried forward without limit, by period.

    Parameters
    ----------
    earnings : array_like, shape (..., n)
        Earnings before tax of each period [currency]; a loss is negative.
    rate : array_like, shape (...)
        Tax rate [1].

    Returns
    -------
    numpy.ndarray, shape (..., n)
        Tax paid in each period [currency], never negative.

    Notes
    -----
    The taxable base ``B(t) = max_{s<=t} max(sum_{u<=s} EBT(u), 0)`` and
    ``tax(t) = rate (B(t) - B(t-1))``: the month-by-month carry-forward rule in closed form
    (the project's domain notes, section 9), in one compiled pass over each scenario's
    months (:func:`minecalc.kernels.profit_tax`): in numpy it is five passes over memory.
    """
    e = np.asarray(earnings, dtype=np.float64)
    if e.ndim == 0:
        raise ValueError(f"earnings: expected a time axis, got shape {e.shape}")
    shape = np.broadcast_shapes(e.shape[:-1], np.shape(rate))  # a swept rate adds its axes
    grid = _Rows(shape or (1,))
    tax = kernels.profit_tax(*grid.own(e), grid.each(rate), loops=grid.size)
    return tax.reshape(*shape, e.shape[-1])


class _Rows:
    """Arrays laid out for the compiled loops, which take one row per scenario of a grid
    (the broadcast shape of a run's scenario axes)."""

    def __init__(self, grid: tuple[int, ...]) -> None:
        self.grid = grid
        self.size = int(np.prod(grid))
        self._scenario = np.unravel_index(np.arange(self.size), grid)

    def each(self, a: npt.ArrayLike) -> np.ndarray:
        """``a`` (...) with one value per scenario: the loops are built for writable
        contiguous arrays only (one build, cached), so never a read-only broadcast view."""
        return np.array(np.broadcast_to(np.asarray(a, dtype=np.float64), self.grid).reshape(-1))

    def own(self, a: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """``a`` (..., n) as its own rows (never broadcast in full), and each scenario's
        row."""
        a = np.asarray(a, dtype=np.float64)
        own = (1,) * (len(self.grid) + 1 - a.ndim) + a.shape[:-1]  # its scenario axes
        at = np.ravel_multi_index(
            [i if m > 1 else np.zeros_like(i) for i, m in zip(self._scenario, own, strict=True)],
            own,
        )
        rows = a.reshape(int(np.prod(own)), a.shape[-1])
        return np.require(rows, requirements=["C", "W"]), at


def taxed_breakevens(
    *,
    npv_untaxed: npt.ArrayLike,
    earnings_usd: np.ndarray,
    directions: Sequence[tuple[npt.ArrayLike, np.ndarray]],
    rate: npt.ArrayLike,
    factors: np.ndarray,
    max_steps: int = 60,
) -> tuple[np.ndarray, ...]:
    """The multipliers ``k`` at which NPV after profit tax is zero, by Newton's method.

    Parameters
    ----------
    npv_untaxed : array_like, shape (...)
        NPV before tax at ``k = 1`` [USD].
    earnings_usd : numpy.ndarray, shape (..., n)
        Earnings before tax at ``k = 1`` [USD].
    directions : sequence of (array_like, numpy.ndarray)
        What ``k`` multiplies, each as the slope in ``k`` of the NPV before tax (...) and
        of the earnings (..., n) [USD]: NPV before tax is linear in ``k``.
    rate : array_like, shape (...)
        Profit tax rate [1] (:func:`profit_tax`: losses carried forward without limit).
    factors : numpy.ndarray, shape (..., n)
        Discount factors of the months [1].
    max_steps : int
        Newton steps before a scenario is given up (NaN).

    Returns
    -------
    tuple of numpy.ndarray, each shape (...)
        ``k`` [1] of each direction; NaN where NPV does not move with ``k`` or no root was
        reached.

    Notes
    -----
    NPV(k) = N(k) - PV(tax(E + (k - 1) G)): N is linear and, with discount factors that
    fall with time, PV(tax) is convex and piecewise linear in ``k`` (a positive combination
    of running maxima of linear functions). So NPV is concave and piecewise linear. The
    steps start at the root of N, where NPV <= 0 (tax only lowers it), stay on that side of
    the root and end on it exactly, one linear piece at a time. Each scenario steps on its
    own, one compiled pass over its months per step (:func:`minecalc.kernels.taxed_newton`).
    """
    shape = np.broadcast_shapes(
        np.shape(npv_untaxed),
        earnings_usd.shape[:-1],
        np.shape(rate),
        *(np.broadcast_shapes(np.shape(s), np.shape(g)[:-1]) for s, g in directions),
    )
    grid = _Rows(shape or (1,))  # one scenario still has a scenario axis to index

    # sum_t (B_t - B_t-1) d_t = sum_t B_t (d_t - d_t+1), B the taxable base
    d = np.asarray(factors, dtype=np.float64)
    w = d - np.concatenate([d[..., 1:], np.zeros_like(d[..., :1])], axis=-1)
    n0, r = grid.each(npv_untaxed), grid.each(rate)
    earnings, weights = grid.own(earnings_usd), grid.own(w)
    out = []
    for s, g in directions:
        k = kernels.taxed_newton(
            n0, grid.each(s), r, *earnings, *grid.own(g), *weights, max_steps, loops=grid.size
        )
        out.append(k.reshape(shape)[()])
    return tuple(out)


def nominal_rate(
    real_rate_per_year: npt.ArrayLike, inflation_per_year: npt.ArrayLike
) -> np.ndarray:
    """The nominal rate matching a real rate under inflation: ``(1 + r)(1 + pi) - 1``
    [1/year] (never the approximation ``r + pi``)."""
    real, pi = np.asarray(real_rate_per_year), np.asarray(inflation_per_year)
    return np.asarray(real + pi + real * pi)  # = (1 + r)(1 + pi) - 1, exact at pi = 0


def nominal_discount_rate(
    rate_per_year: npt.ArrayLike, basis: str, inflation_per_year: npt.ArrayLike
) -> np.ndarray:
    """The rate that discounts nominal cash flows: ``rate`` as is (``basis`` "nominal") or
    :func:`nominal_rate` of it (``basis`` "real") [1/year]."""
    if basis == "real":
        return nominal_rate(rate_per_year, inflation_per_year)
    return np.asarray(rate_per_year)


def escalation(inflation_per_year: npt.ArrayLike, period_years: npt.ArrayLike) -> np.ndarray:
    """The price level at each period relative to the start, ``(1 + pi)**t`` [1].

    Parameters
    ----------
    inflation_per_year : array_like, shape (...)
        Inflation [1/year].
    period_years : array_like, shape (n,)
        Time of each period [years from start], e.g. month middles.
    """
    pi = np.asarray(inflation_per_year, dtype=np.float64)[..., None]
    return (1 + pi) ** np.asarray(period_years, dtype=np.float64)
