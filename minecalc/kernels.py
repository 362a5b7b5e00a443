"""Loops that step through each scenario's months or events, written once and run two ways.

Some work is sequential within a scenario: the chain's events inside a month (each
retarget changes the block rate that times the next), and the running maxima of the
profit tax. In numpy each step is several passes over every scenario's memory; here it is
one loop per scenario that keeps its values in registers.

A :class:`Kernel` runs its loop as plain Python for a few scenarios, and compiled by numba
for many (or for a few many times over: :func:`repeated`). The source is the same; the
compiled form pays numba's import and cache load (about 0.5 s, once per process; a few
seconds more the first time on a machine, to compile), which a single run must not pay (the
CLI's start-up budget), and which a large run earns back many times over. Compiled kernels
are serial and release the GIL: callers run them in several threads (Monte Carlo's blocks,
dask) where that pays; numba's own thread pool must not be entered from two threads at
once.

Kernels follow numpy's floating-point rules in both forms: NaN and inf propagate, nothing
raises (``error_model="numpy"`` compiled; numpy scalars with warnings silenced in Python).
"""

import contextlib
import contextvars
import os
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .protocol import (
    HALVING_INTERVAL,
    HASHES_PER_DIFFICULTY,
    RETARGET_INTERVAL,
    block_subsidy_btc,
    retarget_difficulty,
)

COMPILE_FROM = 64
"""Scenarios from which a kernel runs compiled [-]: below, the interpreter is faster than
loading numba (the chain's loop takes about 40 us a scenario-month interpreted: 0.15 s for
63 scenarios x 60 months)."""

_numba_loaded = False
"""Whether a kernel has been compiled in this process: from then on every kernel runs
compiled whatever its size, numba's load being paid (the two forms agree to about 1e-15)."""

_REPEATS: contextvars.ContextVar[int] = contextvars.ContextVar("repeats", default=1)


@contextlib.contextmanager
def repeated(times: int) -> Iterator[None]:
    """Inside, every kernel call counts as ``times`` calls in choosing its form: a run that
    will be repeated (economic dispatch's breakevens, some 40 runs) loads numba once rather
    than interpreting every time. Nested, the counts multiply."""
    token = _REPEATS.set(_REPEATS.get() * times)
    try:
        yield
    finally:
        _REPEATS.reset(token)


class Kernel:
    """A loop run by the interpreter for fewer than :data:`COMPILE_FROM` scenarios (until
    numba is loaded in the process) and compiled by numba (on first use, cached on disk)
    otherwise.

    ``helpers`` are names of the module's plain functions the loop calls; the compiled
    loop calls their compiled forms.
    """

    def __init__(self, function: Callable[..., Any], helpers: tuple[str, ...] = ()) -> None:
        self.python = function
        self.helpers = helpers
        self._compiled: Any = None
        self._compiling = threading.Lock()  # Monte Carlo's workers may ask at once
        self.__doc__ = function.__doc__
        self.__name__ = function.__name__

    def __call__(self, *args: Any, loops: int) -> Any:
        """Run on ``args`` (positional, as numba takes them); ``loops`` is the number of
        scenarios the loop runs over, which chooses the form."""
        if not _numba_loaded and loops * _REPEATS.get() < COMPILE_FROM:
            with np.errstate(all="ignore"):
                return self.python(*args)
        return self.compiled(*args)

    @property
    def compiled(self) -> Any:
        """The numba-compiled loop (compiled, or read from numba's cache, on first use)."""
        global _numba_loaded  # once per process: what every kernel chooses by
        with self._compiling:
            if self._compiled is None:
                self._compiled = _compile(self.python, self.helpers)
        _numba_loaded = True
        return self._compiled


def _compile(function: Callable[..., Any], helpers: tuple[str, ...]) -> Any:
    """``function`` compiled, calling compiled ``helpers``; cached on disk where numba
    finds a writable place (beside the package, or the user's cache). Where it finds none
    (a read-only install run by an account without a home, as a server may be) it compiles
    afresh in each process instead of failing."""
    # numba colours its error messages through colorama where that is installed, whose
    # exit handler then writes an escape sequence after our output on a terminal (JSON)
    os.environ.setdefault("NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING", "1")
    from numba import njit  # imported on use: numba costs about 0.5 s

    def jit(f: Callable[..., Any], cache: bool) -> Any:
        return njit(cache=cache, nogil=True, error_model="numpy")(f)

    namespace = dict(function.__globals__)
    for name in helpers:
        namespace[name] = jit(namespace[name], cache=False)
    twin = types.FunctionType(function.__code__, namespace, function.__name__)
    twin.__qualname__, twin.__module__ = function.__qualname__, function.__module__
    try:
        return jit(twin, cache=True)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return jit(twin, cache=False)


def kernel(*helpers: str) -> Callable[[Callable[..., Any]], Kernel]:
    """Decorator: the function as a :class:`Kernel` calling ``helpers``."""
    return lambda function: Kernel(function, helpers)


@kernel()
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


@kernel()
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


_LAST_ERA = 64
SUBSIDY_BY_ERA_BTC = np.asarray(block_subsidy_btc(np.arange(_LAST_ERA + 1) * HALVING_INTERVAL))
"""Block subsidy of each halving era [BTC]; the last, 0, serves every era from 64 on."""
MONTH_SUMS = ("blocks", "subsidy", "tod", "stod", "mined", "fleet", "blocks_since_start", "d_end")
"""The rows of :func:`chain_month`'s ``sums``."""
_K = HASHES_PER_DIFFICULTY
# the rows of chain_month's values of the month, by scenario
_OTHER, _RATE, _COUNTED, _LEFT0, _LEFT, _T, _D, _CLOCK, _TO_RETARGET, _TO_HALVING = range(10)
_BLOCKS, _ISSUED, _TOD, _STOD, _MINED, _WORK, _DT, _GROWTH = range(10, 18)
_V = 18
_HALLEY_TRUST = 1e-4
_TIME_ATOL_S = 1e-9
_MAX_ITER = 50


def segment_duration(other: float, rate: float, fleet: float, work: float) -> tuple[float, float]:
    """Time for a hashrate ``other * exp(rate t) + fleet`` to do ``work`` hashes [s], and
    ``exp(rate t)`` [1] at that time.

    Solves ``G(t) = other * expm1(rate t) / rate + fleet * t = work`` for ``t``: without a
    fleet, ``log1p(rate work / other) / rate``; else the root of G's second-order expansion,
    then Halley steps on the exact form. Halley converges cubically, so once the relative
    residual is below 1e-4 the step taken leaves it below about 1e-12; in a plausible month
    (``rate * t`` of a few percent) one step is enough.
    """
    if fleet == 0.0:  # nothing mines at a constant rate: G(t) = work is solved exactly
        y = rate * work / other  # = expm1(rate t)
        return (np.log1p(y) / rate if rate != 0.0 else work / other), 1.0 + y
    h = other + fleet
    t = 2.0 * work / (h + np.sqrt(max(h * h + 2.0 * other * rate * work, 0.0)))
    em1 = step = 0.0
    for _ in range(_MAX_ITER):
        x = rate * t
        em1 = np.expm1(x)
        relative = em1 / x if x != 0.0 else 1.0  # expm1(x) / x -> 1 as x -> 0
        resid = t * (other * relative + fleet) - work
        slope = other * (1.0 + em1) + fleet
        curve = rate * (slope - fleet)
        step = 2.0 * resid * slope / (2.0 * slope * slope - resid * curve)
        t -= step
        if abs(resid) <= _HALLEY_TRUST * work + _TIME_ATOL_S * h:
            break
    # exp(rate t) from the last expm1, taken before that last step: the step is within
    # Halley's trust region (1e-4 of t), so three terms of exp(-rate step) are exact to
    # rounding, and no exp is needed
    y = rate * step
    return t, (1.0 + em1) * (1.0 - y * (1.0 - y * (0.5 - y / 6.0)))


@kernel("retarget_difficulty", "segment_duration")
def chain_month(  # noqa: PLR0912, PLR0913, PLR0915, PLR0917  (compiled: positional only)
    rows: np.ndarray,
    span_s: float,
    month_start_s: float,
    hashrate: np.ndarray,
    state: np.ndarray,
    counters: np.ndarray,
    sums: np.ndarray,
    records: np.ndarray,
    first: np.ndarray,
) -> np.ndarray:
    """Step scenarios ``rows`` through one month of the chain, event to event, in place.

    Parameters
    ----------
    rows : numpy.ndarray of int64, shape (r,)
        The scenarios to step.
    span_s, month_start_s : float
        The month's length and start [s; s from start].
    hashrate : numpy.ndarray, shape (4, m)
        By scenario: the rest of the network at the month's start and end, the fleet's
        mean hashrate and the part of it that sets the block rate [H/s].
    state : numpy.ndarray, shape (5, m)
        Difficulty [-], time since the epoch's first block [s], blocks to the epoch's last
        block and to the era's last block [-], blocks since the start [-]; advanced to the
        month's end.
    counters : numpy.ndarray of int64, shape (2, m)
        Epoch and halving era [-]; advanced.
    sums : numpy.ndarray, shape (8, m)
        Written, the month's: blocks [-], subsidy [BTC], ``integral dt / D`` [s],
        ``integral subsidy dt / D`` [BTC s], the mean hashrate mining and the fleet's [H/s]
        (:data:`MONTH_SUMS`), and at its end the blocks since the start [-] and the
        difficulty in force [-].
    records : numpy.ndarray, shape (4, m, w)
        Written when ``w`` > 0, at column epoch - ``first[0]`` (the epoch) or era -
        ``first[1]`` - 1 (the halving): each epoch's start [s from start], difficulty [-]
        and mean block interval [s], and each halving's time [s from start].
    first : numpy.ndarray of int64, shape (2,)
        The first epoch and era recorded.

    Returns
    -------
    numpy.ndarray of int64
        The rows whose records would run past ``w`` columns, left as they were: record
        them again, wider.

    Notes
    -----
    Within the month the rest of the network grows at the constant rate that joins its
    edge values, and the fleet mines at its mean; an event's time solves the closed form
    of cumulative work by Halley's method (:func:`segment_duration`).
    """
    # All scenarios go through their month together, one event each per pass, and each
    # pass in three sweeps over them (what each mines next, when, then what it changes).
    # A scenario's events wait on each other's results; different scenarios' do not, so
    # the processor overlaps those (a scenario's month at a time: ~25 % slower).
    m, width = rows.size, records.shape[2]
    v = np.empty((_V, m))  # the month's values by scenario, rows as named above
    epoch = counters[0, rows]
    era = counters[1, rows]
    for k in range(m):
        i = rows[k]
        rate = np.log(hashrate[1, i] / hashrate[0, i]) / span_s
        x = rate * span_s
        v[_OTHER, k], v[_RATE, k], v[_COUNTED, k] = hashrate[0, i], rate, hashrate[3, i]
        v[_LEFT0, k] = v[_LEFT, k] = span_s * (
            hashrate[0, i] * (np.expm1(x) / x if x != 0.0 else 1.0) + hashrate[3, i]
        )
        v[_D, k], v[_CLOCK, k] = state[0, i], state[1, i]
        v[_TO_RETARGET, k], v[_TO_HALVING, k] = state[2, i], state[3, i]
        v[_T, k] = v[_BLOCKS, k] = v[_ISSUED, k] = v[_TOD, k] = v[_STOD, k] = 0.0
    event = np.empty(m, dtype=np.bool_)
    overflow = np.zeros(m, dtype=np.bool_)
    active = np.arange(m)
    n_active = m
    while n_active:
        for a in range(n_active):  # what each mines to its next event, or to the month's end
            k = active[a]
            work_per_block = v[_D, k] * _K
            room = v[_LEFT, k] / work_per_block  # blocks left in the month
            step = min(v[_TO_RETARGET, k], v[_TO_HALVING, k])
            event[k] = step <= room  # False at the month's end (or NaN: stop)
            v[_MINED, k] = step if event[k] else room
            v[_WORK, k] = v[_MINED, k] * work_per_block if event[k] else v[_LEFT, k]
        for a in range(n_active):  # when
            k = active[a]
            if event[k]:
                v[_DT, k], v[_GROWTH, k] = segment_duration(
                    v[_OTHER, k], v[_RATE, k], v[_COUNTED, k], v[_WORK, k]
                )
            else:
                v[_DT, k] = span_s - v[_T, k]
        n_next = 0
        for a in range(n_active):  # what it changes
            k = active[a]
            d, mined, dt = v[_D, k], v[_MINED, k], v[_DT, k]
            subsidy = SUBSIDY_BY_ERA_BTC[min(era[k], _LAST_ERA)]
            q = dt / d
            v[_BLOCKS, k] += mined
            v[_ISSUED, k] += mined * subsidy
            v[_TOD, k] += q
            v[_STOD, k] += q * subsidy
            v[_CLOCK, k] += dt
            v[_T, k] += dt
            v[_TO_RETARGET, k] -= mined
            v[_TO_HALVING, k] -= mined
            v[_LEFT, k] -= v[_WORK, k]
            if not event[k]:
                continue
            # The tip has reached the last block of an epoch and/or of an era.
            v[_OTHER, k] *= v[_GROWTH, k]
            hashrate_now = v[_OTHER, k] + v[_COUNTED, k]
            at_s = month_start_s + v[_T, k]
            if v[_TO_RETARGET, k] <= 0:
                new_d = retarget_difficulty(d, v[_CLOCK, k])
                first_block_s = new_d * _K / hashrate_now
                if width:
                    col = epoch[k] - first[0]
                    if col + 1 >= width:
                        overflow[k] = True
                        continue
                    records[2, rows[k], col] = v[_CLOCK, k] / (RETARGET_INTERVAL - 1)
                    records[0, rows[k], col + 1] = at_s + first_block_s
                    records[1, rows[k], col + 1] = new_d
                epoch[k] += 1
                v[_D, k] = new_d
                v[_CLOCK, k] = -first_block_s
                v[_TO_RETARGET, k] = RETARGET_INTERVAL
            if v[_TO_HALVING, k] <= 0:
                era[k] += 1
                if width:  # the era's first block is mined at the new difficulty
                    col = era[k] - first[1] - 1
                    if col >= width:
                        overflow[k] = True
                        continue
                    records[3, rows[k], col] = at_s + v[_D, k] * _K / hashrate_now
                v[_TO_HALVING, k] = HALVING_INTERVAL
            active[n_next] = k  # n_next <= a: the list shrinks in place
            n_next += 1
        n_active = n_next
    n_undone = 0
    for k in range(m):
        i = rows[k]
        if overflow[k]:
            active[n_undone] = i
            n_undone += 1
            continue
        state[0, i], state[1, i] = v[_D, k], v[_CLOCK, k]
        state[2, i], state[3, i] = v[_TO_RETARGET, k], v[_TO_HALVING, k]
        state[4, i] += v[_BLOCKS, k]
        counters[0, i], counters[1, i] = epoch[k], era[k]
        sums[0, i], sums[1, i] = v[_BLOCKS, k], v[_ISSUED, k]
        sums[2, i], sums[3, i] = v[_TOD, k], v[_STOD, k]
        sums[4, i] = v[_LEFT0, k] / span_s + (hashrate[2, i] - hashrate[3, i])
        sums[5, i], sums[6, i], sums[7, i] = hashrate[2, i], state[4, i], v[_D, k]
    return active[:n_undone]
