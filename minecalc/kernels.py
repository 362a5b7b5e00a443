"""Compiled loops (numba) for the running maxima of the profit tax, which step through
each scenario's months.

The tax's carry-forward is a running maximum of a running sum; Newton's method on it
needs, at every step, one pass along the months of every scenario still moving. In numpy
each pass is several full-size temporaries; compiled, it is one loop that keeps a
scenario's months in registers. The loop over scenarios is machine code, not Python.
Kernels are serial: callers may already run in several threads (dask), and numba's default
thread pool must not be entered from two at once.

Imported on use (numba costs about 0.2 s to import), so runs without profit tax never pay
for it.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit


def _compiled(function: Callable[..., Any]) -> Any:
    """``function`` compiled on its first call, and cached on disk where numba finds a
    writable place (beside the package, or the user's cache). Where it finds none (a
    read-only install run by an account without a home, as a server may be) it compiles
    afresh in each process instead of failing."""
    try:
        return njit(cache=True, nogil=True)(function)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return njit(nogil=True)(function)


@_compiled
def taxed_newton(  # noqa: PLR0913, PLR0917  (compiled: positional only; each array with its row)
    n0: np.ndarray,
    s0: np.ndarray,
    rate: np.ndarray,
    earnings: np.ndarray,
    earnings_row: np.ndarray,
    slope: np.ndarray,
    slope_row: np.ndarray,
    weights: np.ndarray,
    weights_row: np.ndarray,
    max_steps: int,
) -> np.ndarray:
    """Root ``k`` of ``n0 + (k - 1) s0 - rate PV(tax base)`` of each scenario, by Newton.

    Parameters
    ----------
    n0, s0, rate : numpy.ndarray, shape (m,)
        NPV before tax at ``k = 1`` and its slope in ``k`` [USD], profit tax rate [1].
    earnings, slope : numpy.ndarray, shape (rows, n)
        Earnings before tax at ``k = 1`` and their slope in ``k``, by month [USD]; row
        ``earnings_row[i]`` (``slope_row[i]``) is scenario ``i``'s.
    weights : numpy.ndarray, shape (rows, n)
        ``d_t - d_t+1`` of the discount factors [1]; row ``weights_row[i]`` is scenario
        ``i``'s.
    max_steps : int
        Newton steps before a scenario is given up.

    Returns
    -------
    numpy.ndarray, shape (m,)
        ``k`` [1]; NaN where NPV does not move with ``k`` or no root was reached.

    Notes
    -----
    The taxable base is the running maximum of the running earnings and 0; along ``k`` it
    moves with the running slope where that maximum was last raised (a subgradient: all
    Newton's method needs on the convex PV of the base). Stopping rules as
    :func:`minecalc.finance.taxed_breakevens` states them.
    """
    m, n = n0.size, earnings.shape[1]
    out = np.full(m, np.nan)
    for i in range(m):
        e, g, w = earnings[earnings_row[i]], slope[slope_row[i]], weights[weights_row[i]]
        # start at the root before tax: tax only lowers NPV, so that is on the root's far
        # side (or on it), where Newton's steps on a concave NPV never overshoot it
        k = 1.0 - n0[i] / s0[i] if s0[i] != 0.0 else np.nan
        scale = abs(n0[i]) + abs(s0[i])
        for _ in range(max_steps):
            if not np.isfinite(k):
                break
            step = k - 1.0
            running_e = running_g = top = along = tax = dtax = 0.0
            for t in range(n):
                running_e += e[t]
                running_g += g[t]
                earned = running_g * step + running_e
                if earned > top:
                    top, along = earned, running_g
                tax += w[t] * top
                dtax += w[t] * along
            value = n0[i] + step * s0[i] - rate[i] * tax
            derivative = s0[i] - rate[i] * dtax
            if abs(value) <= 1e-12 * scale:
                out[i] = k
                break
            if derivative == 0.0:
                break
            change = value / derivative
            k -= change
            # a step below rounding lands on the root as closely as doubles can
            if abs(change) <= 1e-14 * max(abs(k), 1.0):
                out[i] = k
                break
    return out


@_compiled
def profit_tax(earnings: np.ndarray, earnings_row: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Tax with losses carried forward, each scenario's months in one pass.

    Parameters
    ----------
    earnings : numpy.ndarray, shape (rows, n)
        Earnings before tax by month [currency]; row ``earnings_row[i]`` is scenario
        ``i``'s.
    rate : numpy.ndarray, shape (m,)
        Profit tax rate [1].

    Returns
    -------
    numpy.ndarray, shape (m, n)
        Tax paid by month [currency]: ``rate`` times the rise of the taxable base, the
        running maximum of 0 and the running earnings
        (:func:`minecalc.finance.profit_tax`).
    """
    m, n = rate.size, earnings.shape[1]
    out = np.empty((m, n))
    for i in range(m):
        e = earnings[earnings_row[i]]
        running = base = 0.0
        for t in range(n):
            running += e[t]
            top = np.maximum(base, running)  # NaN stays NaN, as in numpy
            out[i, t] = rate[i] * (top - base)
            base = top
    return out
