"""Loops that step through each scenario's months or events, written once and run two ways.

Some work is sequential within a scenario: the chain's events inside a month (each
retarget changes the block rate that times the next), and the running maxima of the
profit tax. In numpy each step is several passes over every scenario's memory; here the
tax is one loop per scenario that keeps its values in registers, and the chain one pass
per event over the month's values, packed in contiguous rows, on SIMD lanes.

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
Compiled, a multiply and an add may fuse into one rounding (FMA, ``fastmath={"contract"}``:
the chain's series and Halley steps, 10-20 % faster); no other licence is taken, so the two
forms agree to a few units in the last place.
"""

import contextlib
import contextvars
import math
import os
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .protocol import (
    HALVING_INTERVAL,
    HASHES_PER_DIFFICULTY,
    LAST_ERA,
    RETARGET_INTERVAL,
    SUBSIDY_BY_ERA_BTC,
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
    """``function`` compiled, calling compiled ``helpers`` (which may call each other);
    cached on disk where numba finds a writable place (beside the package, or the user's
    cache). Where it finds none (a read-only install run by an account without a home, as
    a server may be) it compiles afresh in each process instead of failing."""
    # numba colours its error messages through colorama where that is installed, whose
    # exit handler then writes an escape sequence after our output on a terminal (JSON)
    os.environ.setdefault("NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING", "1")
    from numba import njit  # imported on use: numba costs about 0.5 s

    def jit(f: Callable[..., Any], cache: bool) -> Any:
        return njit(cache=cache, nogil=True, error_model="numpy", fastmath={"contract"})(f)

    namespace = dict(function.__globals__)

    def rebound(f: Callable[..., Any]) -> Callable[..., Any]:
        """``f``, if of this module, reading its globals from ``namespace``: it calls the
        compiled helpers."""
        if f.__globals__ is not function.__globals__:
            return f
        twin = types.FunctionType(f.__code__, namespace, f.__name__)
        twin.__qualname__, twin.__module__ = f.__qualname__, f.__module__
        return twin

    for name in helpers:  # helpers may call each other
        namespace[name] = jit(rebound(namespace[name]), cache=False)
    try:
        return jit(rebound(function), cache=True)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return jit(rebound(function), cache=False)


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


MONTH_SUMS = ("blocks", "subsidy", "tod", "stod", "mined", "fleet", "blocks_since_start", "d_end")
"""The rows of :func:`chain_month`'s ``sums``."""
_K = HASHES_PER_DIFFICULTY
# chain_month's values of the month, a row each, over the scenarios still stepping: the
# first _KEEP rows are carried from pass to pass, the rest are each pass's own
_OTHER, _RATE, _COUNTED, _LEFT0, _LEFT, _T, _D, _CLOCK, _TO_RETARGET, _TO_HALVING = range(10)
_BLOCKS, _ISSUED, _TOD, _STOD, _SUBSIDY = range(10, 15)
_KEEP = 15
_MINED, _WORK, _DT, _GROWTH = range(_KEEP, _KEEP + 4)
_V = _KEEP + 4
_HALLEY_TRUST = 1e-4
_TIME_ATOL_S = 1e-9
_MAX_ITER = 50
# Where the series below are exact to rounding: |x| <= 0.5 for exprel; growth by at most a
# quarter for the logarithm (|s| <= 1/7). A month or event outside (or NaN) takes libm.
_SERIES_X = 0.5
_SERIES_Z = 0.25
# the series' coefficients, highest power first (Horner's order)
_EXPREL = tuple(1.0 / math.factorial(k + 1) for k in range(14, -1, -1))
_ATANH = tuple(1.0 / (2 * k + 1) for k in range(10, -1, -1))


def exprel_series(x: float) -> float:
    """``expm1(x) / x`` (1 at 0) for |x| <= 0.5, by its Taylor series to x**14 (the next
    term is below 2e-18): plain arithmetic, so a loop calling it runs on SIMD lanes, where
    libm's ``expm1`` is a call per scenario."""
    total = 0.0
    for c in _EXPREL:
        total = total * x + c
    return total


def atanh_series(u: float) -> float:
    """``atanh(s) / s`` for ``u = s**2`` <= 1/49, by its series to s**20 (the next term is
    below 2e-19), for SIMD lanes as :func:`exprel_series`: ``log(z) = 2 s atanh_series(s**2)``
    with ``s = (z - 1) / (z + 1)``."""
    total = 0.0
    for c in _ATANH:
        total = total * u + c
    return total


def segment_duration(other: float, rate: float, fleet: float, work: float) -> tuple[float, float]:
    """Time for a hashrate ``other * exp(rate t) + fleet`` to do ``work`` hashes [s], and
    ``exp(rate t)`` [1] at that time.

    Solves ``G(t) = other * expm1(rate t) / rate + fleet * t = work`` for ``t``: without a
    fleet, ``log1p(rate work / other) / rate``; else Halley steps on the exact form from
    :func:`_cubic_start`. Halley converges cubically, so once the relative residual is below
    1e-4 the step taken leaves it below about 1e-12; in a plausible month (``rate * t`` of a
    few percent, up to about 15 %) one step is enough. (:func:`chain_month` takes that step on
    SIMD lanes and calls this for the events it does not settle.)
    """
    if fleet == 0.0:  # nothing mines at a constant rate: G(t) = work is solved exactly
        y = rate * work / other  # = expm1(rate t)
        return (np.log1p(y) / rate if rate != 0.0 else work / other), 1.0 + y
    h = other + fleet
    t = _cubic_start(other, rate, h, work)
    em1 = step = 0.0
    for _ in range(_MAX_ITER):
        x = rate * t
        em1 = np.expm1(x)
        relative = em1 / x if x != 0.0 else 1.0  # expm1(x) / x -> 1 as x -> 0
        step, settled = _halley_step(other, rate, fleet, work, t, em1, relative)
        t -= step
        if settled:
            break
    return t, _exp_back(em1, rate * step)


def _halley_step(
    other: float, rate: float, fleet: float, work: float, t: float, em1: float, relative: float
) -> tuple[float, bool]:
    """Halley's step on ``G(t) = work`` at ``t`` [s], given ``expm1(rate t)`` and
    ``expm1(rate t) / (rate t)`` there [1]: the step [s] to subtract, and whether ``t`` was
    within the trust region (relative residual below 1e-4), so that the step lands about
    1e-12 from the root."""
    resid = t * (other * relative + fleet) - work
    slope = other * (1.0 + em1) + fleet
    curve = rate * (slope - fleet)
    step = 2.0 * resid * slope / (2.0 * slope * slope - resid * curve)
    return step, abs(resid) <= _HALLEY_TRUST * work + _TIME_ATOL_S * (other + fleet)


def _next_event(
    difficulty: float, left: float, to_retarget: float, to_halving: float
) -> tuple[bool, float, float]:
    """What a scenario mines next, in :func:`chain_month`: to its next event (a retarget or
    a halving) if the month's work ``left`` [H] reaches it, else to the month's end: (an
    event?, blocks [-], work [H])."""
    work_per_block = difficulty * _K
    room = left / work_per_block  # blocks left in the month
    step = min(to_retarget, to_halving)
    event = step <= room  # False at the month's end (or NaN: stop)
    return event, (step if event else room), (step * work_per_block if event else left)


def _cubic_start(other: float, rate: float, h: float, work: float) -> float:
    """A start for Halley's method on ``G(t) = work``: the root of G's second-order
    expansion, moved by a Newton step on its third-order term (with G' taken at its mean
    over the segment, which saves a division): Monte Carlo's large monthly moves then
    start within the trust region, not one step outside it."""
    inverse = 1.0 / (h + np.sqrt(max(h * h + 2.0 * other * rate * work, 0.0)))
    t = 2.0 * work * inverse
    return t - other * rate * rate * t * t * t * inverse / 3.0


def _exp_back(em1: float, y: float) -> float:
    """``(1 + em1) exp(-y)`` for |y| within Halley's trust region (1e-4), where three terms
    of ``exp(-y)`` are exact to rounding: ``exp(rate t)`` after the last step from the
    ``expm1`` taken before it, with no ``exp``."""
    return (1.0 + em1) * (1.0 - y * (1.0 - y * (0.5 - y / 6.0)))


@kernel(
    "retarget_difficulty",
    "segment_duration",
    "exprel_series",
    "atanh_series",
    "_exp_back",
    "_cubic_start",
    "_next_event",
    "_halley_step",
)
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
    # All scenarios go through their month together, one event each per pass. The month's
    # values sit in rows over "lanes", the scenarios still stepping packed at the front, so
    # that the arithmetic runs as branch-free loops over contiguous memory, which the
    # compiler puts on SIMD lanes (a scenario's month at a time: over twice as slow); the
    # few lanes the series or one Halley step do not settle, and the bookkeeping of
    # retargets, halvings and finished months, are loops of their own.
    m, width = rows.size, records.shape[2]
    v = np.empty((_V, m))
    other, rate, counted, left0, left = v[_OTHER], v[_RATE], v[_COUNTED], v[_LEFT0], v[_LEFT]
    t_s, d, clock = v[_T], v[_D], v[_CLOCK]
    to_retarget, to_halving = v[_TO_RETARGET], v[_TO_HALVING]
    blocks, issued, tod, stod, subsidy = v[_BLOCKS], v[_ISSUED], v[_TOD], v[_STOD], v[_SUBSIDY]
    mined, work, dt, growth = v[_MINED], v[_WORK], v[_DT], v[_GROWTH]
    lane = rows.copy()  # the scenario in each lane
    epoch, era = counters[0, rows], counters[1, rows]
    event = np.empty(m, dtype=np.bool_)
    by_libm = np.empty(m, dtype=np.bool_)
    end = v[_MINED]  # the month-end hashrate, until the passes take the row
    # scenarios with no fleet mining (a fleet-free world, price-takers) and with one
    any_free = any_fleet = False
    for k in range(m):
        i = rows[k]
        other[k], end[k], counted[k] = hashrate[0, i], hashrate[1, i], hashrate[3, i]
        d[k], clock[k] = state[0, i], state[1, i]
        to_retarget[k], to_halving[k] = state[2, i], state[3, i]
        subsidy[k] = SUBSIDY_BY_ERA_BTC[min(era[k], LAST_ERA)]
        any_free |= counted[k] == 0.0
        any_fleet |= counted[k] != 0.0
    for k in range(m):  # the month's growth rate and work to do
        z = end[k] / other[k]
        s = (z - 1.0) / (z + 1.0)
        rate[k] = 2.0 * s * atanh_series(s * s) / span_s
        x = rate[k] * span_s
        left0[k] = left[k] = span_s * (other[k] * exprel_series(x) + counted[k])
        t_s[k] = blocks[k] = issued[k] = tod[k] = stod[k] = 0.0
        by_libm[k] = not abs(z - 1.0) <= _SERIES_Z
    for k in range(m):
        if by_libm[k]:
            rate[k] = np.log(end[k] / other[k]) / span_s
            x = rate[k] * span_s
            left0[k] = left[k] = span_s * (
                other[k] * (np.expm1(x) / x if x != 0.0 else 1.0) + counted[k]
            )
    undone = np.empty(m, dtype=np.int64)
    n_undone = 0
    n = m
    while n:
        if any_fleet:
            for k in range(n):  # what each mines to its next event or the month's end, and when
                ev, mined[k], w = _next_event(d[k], left[k], to_retarget[k], to_halving[k])
                event[k], work[k] = ev, w
                # segment_duration's first Halley step, with the series for expm1
                o, r, f = other[k], rate[k], counted[k]
                t = _cubic_start(o, r, o + f, w)
                x = r * t
                relative = exprel_series(x)
                em1 = x * relative
                halley, settled = _halley_step(o, r, f, w, t, em1, relative)
                by_libm[k] = ev & (f != 0.0) & (not (settled & (abs(x) <= _SERIES_X)))
                dt[k] = t - halley if ev else span_s - t_s[k]
                growth[k] = _exp_back(em1, r * halley) if ev else 1.0
        else:  # a fleet-free world: no event needs Halley's method (one loop each: the
            # compiler does not split one on a flag, and Halley's step on every lane costs)
            for k in range(n):
                ev, mined[k], work[k] = _next_event(d[k], left[k], to_retarget[k], to_halving[k])
                event[k], by_libm[k] = ev, False
                dt[k], growth[k] = span_s - t_s[k], 1.0
        if any_free:  # with no fleet, G(t) = work is solved exactly: expm1(r t) = r work / o
            for k in range(n):
                if event[k] and counted[k] == 0.0:
                    z = rate[k] * work[k] / other[k]
                    s = z / (2.0 + z)  # log1p(z) = 2 atanh(s), and 2 s / z = 2 / (2 + z)
                    dt[k] = work[k] / other[k] * (2.0 * atanh_series(s * s) / (2.0 + z))
                    growth[k] = 1.0 + z
                    by_libm[k] = not abs(z) <= _SERIES_Z
        for k in range(n):
            if by_libm[k]:
                dt[k], growth[k] = segment_duration(other[k], rate[k], counted[k], work[k])
        for k in range(n):  # what the step adds up to
            q = dt[k] / d[k]
            blocks[k] += mined[k]
            issued[k] += mined[k] * subsidy[k]
            tod[k] += q
            stod[k] += q * subsidy[k]
            clock[k] += dt[k]
            t_s[k] += dt[k]
            to_retarget[k] -= mined[k]
            to_halving[k] -= mined[k]
            left[k] -= work[k]
            other[k] *= growth[k]
        n_next = 0
        for k in range(n):  # what the events change; finished months written back
            if not event[k]:
                i = lane[k]
                state[0, i], state[1, i] = d[k], clock[k]
                state[2, i], state[3, i] = to_retarget[k], to_halving[k]
                state[4, i] += blocks[k]
                counters[0, i], counters[1, i] = epoch[k], era[k]
                sums[0, i], sums[1, i] = blocks[k], issued[k]
                sums[2, i], sums[3, i] = tod[k], stod[k]
                sums[4, i] = left0[k] / span_s + (hashrate[2, i] - hashrate[3, i])
                sums[5, i], sums[6, i], sums[7, i] = hashrate[2, i], state[4, i], d[k]
                continue
            # The tip has reached the last block of an epoch and/or of an era.
            hashrate_now = other[k] + counted[k]
            at_s = month_start_s + t_s[k]
            if to_retarget[k] <= 0:
                new_d = retarget_difficulty(d[k], clock[k])
                first_block_s = new_d * _K / hashrate_now
                if width:
                    col = epoch[k] - first[0]
                    if col + 1 >= width:
                        undone[n_undone] = lane[k]
                        n_undone += 1
                        continue
                    records[2, lane[k], col] = clock[k] / (RETARGET_INTERVAL - 1)
                    records[0, lane[k], col + 1] = at_s + first_block_s
                    records[1, lane[k], col + 1] = new_d
                epoch[k] += 1
                d[k] = new_d
                clock[k] = -first_block_s
                to_retarget[k] = RETARGET_INTERVAL
            if to_halving[k] <= 0:
                era[k] += 1
                subsidy[k] = SUBSIDY_BY_ERA_BTC[min(era[k], LAST_ERA)]
                if width:  # the era's first block is mined at the new difficulty
                    col = era[k] - first[1] - 1
                    if col >= width:
                        undone[n_undone] = lane[k]
                        n_undone += 1
                        continue
                    records[3, lane[k], col] = at_s + d[k] * _K / hashrate_now
                to_halving[k] = HALVING_INTERVAL
            if n_next < k:  # packed: the lanes still stepping stay contiguous
                for row in range(_KEEP):
                    v[row, n_next] = v[row, k]
                lane[n_next], epoch[n_next], era[n_next] = lane[k], epoch[k], era[k]
            n_next += 1
        n = n_next
    return undone[:n_undone]
