"""Project the Bitcoin chain forward: epochs, difficulty, block times, halvings.

The projection is the expected (fluid) path of a Poisson block process: blocks
arrive at rate ``H(t) / (D * 2**48/0xffff)``, where ``H`` is the hashrate that
mines and ``D`` the difficulty of the current epoch. It steps through calendar
months; inside a month it jumps from event to event (a retarget when the
epoch's 2016th block is found, a halving at a multiple of 210,000) so that
difficulty, subsidy and calendar time follow Bitcoin's rules exactly.

Within a month the rest of the network grows exponentially between its values
at the month's edges (exact for a constant growth rate) and the fleet mines at
its monthly mean hashrate. Cumulative work then has the closed form
``G(t) = a t exprel(r t) + f t``; the time of an event is found by Halley's
method on that closed form to a relative error of about 1e-12, so no sub-steps
are needed.

Every function broadcasts over any number of leading scenario dimensions;
the only loops are over months and over the events inside a month.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

from .protocol import (
    HALVING_INTERVAL,
    HASHES_PER_DIFFICULTY,
    RETARGET_INTERVAL,
    SECONDS_PER_YEAR,
    TARGET_BLOCK_TIME_S,
    TARGET_TIMESPAN_S,
    block_subsidy_btc,
    retarget_difficulty,
)

_K = HASHES_PER_DIFFICULTY
_HALLEY_TRUST = 1e-4
_TIME_ATOL_S = 1e-9
_MAX_ITER = 50

GROWTH_PERIOD_S = {
    "per_epoch": float(TARGET_TIMESPAN_S),
    "per_month": SECONDS_PER_YEAR / 12,
    "per_year": SECONDS_PER_YEAR,
}
"""Length of the period each growth-rate convention refers to [s]: a nominal
epoch of 2016 x 600 s, a twelfth of a year, a year of 365.2425 days."""

MonthHook = Callable[[int, np.ndarray, np.ndarray], "npt.ArrayLike"]
"""A hook of :func:`project`: ``f(j, difficulty, subsidy_btc)`` -> a factor, scenario-shaped."""


def _exprel(x: np.ndarray) -> np.ndarray:
    """``expm1(x) / x``, 1 at 0: the growth integral, without importing scipy.special."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0, 1.0, np.expm1(x) / np.where(x == 0, 1.0, x))


def growth_rate_per_s(growth: npt.ArrayLike, period: str) -> np.ndarray | float:
    """Continuous growth rate equivalent to a growth fraction per period.

    Parameters
    ----------
    growth : array_like
        Growth per period [fraction], > -1.
    period : {"per_epoch", "per_month", "per_year"}
        The period the fraction refers to (see :data:`GROWTH_PERIOD_S`).

    Returns
    -------
    numpy.ndarray or float
        Continuous rate [1/s].

    Notes
    -----
    ``r = ln(1 + g) / T``, so ``(1 + g_year) = (1 + g_month)**12`` exactly.
    """
    return np.log1p(growth) / GROWTH_PERIOD_S[period]


def exponential_path(
    start_h_s: npt.ArrayLike, rate_per_s: npt.ArrayLike, times_s: np.ndarray | float
) -> np.ndarray:
    """Hashrate growing at a constant continuous rate, sampled at times.

    Parameters
    ----------
    start_h_s : array_like
        Hashrate at time 0 [H/s], shape ``(...)``.
    rate_per_s : array_like
        Continuous growth rate [1/s], shape ``(...)``.
    times_s : array_like, shape (n,)
        Sample times [s].

    Returns
    -------
    numpy.ndarray, shape (..., n)
        ``H0 * exp(r t)`` [H/s].
    """
    start = np.asarray(start_h_s, dtype=np.float64)[..., None]
    return start * np.exp(np.asarray(rate_per_s, dtype=np.float64)[..., None] * times_s)


def log_linear_path(
    knot_times_s: npt.ArrayLike, knot_h_s: npt.ArrayLike, times_s: np.ndarray | Sequence[float]
) -> np.ndarray:
    """Hashrate interpolated log-linearly between knots, held flat outside them.

    Parameters
    ----------
    knot_times_s : array_like, shape (p,)
        Strictly increasing knot times [s], shared by all scenarios.
    knot_h_s : array_like, shape (..., p)
        Hashrate at the knots [H/s], > 0.
    times_s : array_like, shape (n,)
        Sample times [s].

    Returns
    -------
    numpy.ndarray, shape (..., n)
        Interpolated hashrate [H/s]; between knots it grows exponentially, so the
        chain's within-month exponential form is exact on such a path.
    """
    knots = np.asarray(knot_times_s, dtype=np.float64)
    # Interpolation weights are the same for every scenario: interpolate the
    # identity matrix once, then one matrix product serves all scenarios.
    weights = np.stack([np.interp(times_s, knots, row) for row in np.eye(knots.size)], axis=-1)
    return np.exp(np.log(np.asarray(knot_h_s, dtype=np.float64)) @ weights.T)


class Projection(NamedTuple):
    """Result of :func:`project`; leading dimensions are the scenario dimensions.

    Monthly fields have a trailing month axis (n); epoch fields a trailing axis
    over absolute epochs ``first_epoch, first_epoch + 1, ...`` (NaN where a
    scenario does not reach the epoch); halving fields a trailing axis over the
    halvings ``first_halving, first_halving + 1, ...`` reached in the horizon.
    """

    blocks: np.ndarray
    """Expected blocks found by the whole network in each month [-]."""
    subsidy_btc: np.ndarray
    """Subsidy issued by the whole network in each month [BTC]."""
    time_over_difficulty_s: np.ndarray
    """``integral dt / D`` over each month [s]; hashrate h wins ``h * this / K`` blocks."""
    subsidy_time_over_difficulty_btc_s: np.ndarray
    """``integral subsidy(t) dt / D`` over each month [BTC s]."""
    mined_hashrate_h_s: np.ndarray
    """Mean hashrate mining in each month: the rest of the network plus the fleet [H/s]
    (the fleet sets the block rate only where it is included in the network)."""
    fleet_hashrate_h_s: np.ndarray
    """The fleet's mean hashrate in each month, after ``run_fraction`` [H/s]."""
    difficulty_end: np.ndarray
    """Difficulty in force at the end of each month [-]."""
    height_end: np.ndarray
    """Expected chain height at the end of each month [-] (fractional: an expected value)."""
    first_epoch: int
    epoch_start_s: np.ndarray
    """Time of each epoch's first block [s from start]; the current epoch's may be negative."""
    epoch_difficulty: np.ndarray
    """Difficulty of each epoch [-]."""
    epoch_block_interval_s: np.ndarray
    """Mean interval of each completed epoch, its retarget timespan / 2015 [s]."""
    first_halving: int
    halving_time_s: np.ndarray
    """Time the first block of each halving era is found [s from start]."""


RECORD_FIELDS = (
    "first_epoch",
    "epoch_start_s",
    "epoch_difficulty",
    "epoch_block_interval_s",
    "first_halving",
    "halving_time_s",
)
"""Fields of :class:`Projection` that are None when ``record_epochs`` is off."""


class _Records:
    """Per-scenario values indexed by an event counter, widened as events occur."""

    def __init__(self, size: int, fields: Iterable[str], width: int) -> None:
        self._data = {f: np.full((size, width), np.nan) for f in fields}
        self.used = 0

    def put(self, field: str, rows: np.ndarray, cols: np.ndarray, values: npt.ArrayLike) -> None:
        width = next(iter(self._data.values())).shape[1]
        if cols.max() >= width:
            # every field together, as ``get`` reads them all to the same width; scenarios
            # far apart in height need more than one doubling at the start
            width = max(2 * width, int(cols.max()) + 1)
            for name, data in self._data.items():
                wider = np.full((data.shape[0], width), np.nan)
                wider[:, : data.shape[1]] = data
                self._data[name] = wider
        self._data[field][rows, cols] = values
        self.used = max(self.used, int(cols.max()) + 1)

    def get(self, field: str, shape: tuple[int, ...]) -> np.ndarray:
        return self._data[field][:, : self.used].reshape(*shape, self.used)


def _segment_duration(
    other: np.ndarray, rate: np.ndarray, fleet: np.ndarray, work: np.ndarray
) -> np.ndarray:
    """Time for a hashrate ``other * exp(rate t) + fleet`` to do ``work`` hashes.

    Solves ``G(t) = other * expm1(rate t) / rate + fleet * t = work`` for ``t``
    [s]: the root of G's second-order expansion, then Halley steps on the exact
    form. Halley converges cubically, so once the relative residual is below
    1e-4 the step taken leaves it below about 1e-12; in a plausible month
    (``rate * t`` of a few percent) one step is enough.
    """
    h = other + fleet
    t = 2 * work / (h + np.sqrt(np.maximum(h * h + 2 * other * rate * work, 0.0)))
    for _ in range(_MAX_ITER):
        x = rate * t
        em1 = np.expm1(x)
        # G(t) = t * other * expm1(x) / x + fleet * t, with expm1(x)/x -> 1 as x -> 0.
        rel = np.divide(em1, x, out=np.ones_like(x), where=x != 0)
        resid = t * (other * rel + fleet) - work
        slope = other * (1 + em1) + fleet
        curve = rate * (slope - fleet)
        t = t - 2 * resid * slope / (2 * slope * slope - resid * curve)
        if np.all(np.abs(resid) <= _HALLEY_TRUST * work + _TIME_ATOL_S * h):
            break
    return t


class _State:
    """Every scenario's place on the chain, flat over scenarios, advanced in place.

    The scenario shape broadcasts ``time_shapes`` (the leading shapes of the
    hashrate inputs) with the start state's; ``record_width`` > 0 keeps epoch and
    halving records, that many epochs wide to begin with. The tip height is
    implicit in the block counters ``to_retarget`` and ``to_halving``; ``clock``
    is the time since the current epoch's first block [s].
    """

    def __init__(
        self,
        time_shapes: Iterable[tuple[int, ...]],
        difficulty: npt.ArrayLike,
        height: npt.ArrayLike,
        epoch_elapsed_s: npt.ArrayLike | None,
        include: npt.ArrayLike,
        record_width: int,
    ) -> None:
        self.height = height = np.asarray(height, dtype=np.int64)
        if epoch_elapsed_s is None:
            epoch_elapsed_s = (height % RETARGET_INTERVAL) * float(TARGET_BLOCK_TIME_S)
        include = np.asarray(include, dtype=bool)
        self.shape = np.broadcast_shapes(
            *time_shapes,
            np.shape(difficulty),
            height.shape,
            np.shape(epoch_elapsed_s),
            include.shape,
        )
        self.size = int(np.prod(self.shape))
        tip = self.flat(height, np.int64)
        self.epoch = tip // RETARGET_INTERVAL
        self.era = tip // HALVING_INTERVAL
        self.to_retarget = (RETARGET_INTERVAL * (self.epoch + 1) - 1 - tip).astype(np.float64)
        self.to_halving = (HALVING_INTERVAL * (self.era + 1) - 1 - tip).astype(np.float64)
        self.subsidy = cast("np.ndarray", block_subsidy_btc(self.era * HALVING_INTERVAL))
        self.d = self.flat(difficulty)
        self.work_per_block = self.d * _K
        self.clock = self.flat(epoch_elapsed_s)
        self.in_network = self.flat(include, bool)
        self.epochs: _Records | None = None
        self.halvings: _Records | None = None
        if record_width:
            self.first_epoch, self.first_era = int(self.epoch.min()), int(self.era.min())
            self.epochs = _Records(self.size, ("start", "difficulty", "interval"), record_width)
            self.halvings = _Records(self.size, ("time",), 2)
            all_rows, col = np.arange(self.size), self.epoch - self.first_epoch
            self.epochs.put("start", all_rows, col, -self.clock)
            self.epochs.put("difficulty", all_rows, col, self.d)

    def flat(self, x: npt.ArrayLike, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """``x`` broadcast to the scenario shape, as a fresh flat array."""
        return np.broadcast_to(x, self.shape).reshape(self.size).astype(dtype)

    def retarget(self, rows: np.ndarray, hashrate_now: np.ndarray, time_s: np.ndarray) -> None:
        """Start the next epoch in ``rows``, whose tip is an epoch's last block.

        ``hashrate_now`` [H/s] mines at that block, found at ``time_s`` [s from start].
        """
        new_d = retarget_difficulty(self.d[rows], self.clock[rows])
        first_block_s = new_d * _K / hashrate_now[rows]
        if self.epochs is not None:
            col = self.epoch[rows] - self.first_epoch
            self.epochs.put("interval", rows, col, self.clock[rows] / (RETARGET_INTERVAL - 1))
            self.epochs.put("start", rows, col + 1, time_s + first_block_s)
            self.epochs.put("difficulty", rows, col + 1, new_d)
        self.epoch[rows] += 1
        self.d[rows] = new_d
        self.work_per_block[rows] = new_d * _K
        self.clock[rows] = -first_block_s
        self.to_retarget[rows] = RETARGET_INTERVAL

    def halve(self, rows: np.ndarray, hashrate_now: np.ndarray, time_s: np.ndarray) -> None:
        """Start the next halving era in ``rows``, whose tip is an era's last block.

        Call after :meth:`retarget`: the era's first block is mined at the new difficulty.
        """
        self.era[rows] += 1
        self.subsidy[rows] = block_subsidy_btc(self.era[rows] * HALVING_INTERVAL)
        if self.halvings is not None:
            block_s = self.work_per_block[rows] / hashrate_now[rows]
            self.halvings.put("time", rows, self.era[rows] - self.first_era - 1, time_s + block_s)
        self.to_halving[rows] = HALVING_INTERVAL


def _time_axes(
    month_edges_s: npt.ArrayLike,
    other_hashrate_h_s: npt.ArrayLike,
    fleet_hashrate_h_s: npt.ArrayLike,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three time-axis inputs of :func:`project` as float arrays, checked to agree."""
    edges = np.asarray(month_edges_s, dtype=np.float64)
    other = np.asarray(other_hashrate_h_s, dtype=np.float64)
    fleet = np.asarray(fleet_hashrate_h_s, dtype=np.float64)
    n = edges.size - 1
    if other.shape[-1] != n + 1 or fleet.shape[-1] != n:
        raise ValueError(
            f"time axes: expected other_hashrate_h_s (..., {n + 1}) and fleet_hashrate_h_s "
            f"(..., {n}), got {other.shape} and {fleet.shape}"
        )
    return edges, other, fleet


class _Month(NamedTuple):
    """One month's hashrates, flat over scenarios, as the callbacks left them."""

    span_s: float
    """Length of the month [s]."""
    other_start_h_s: np.ndarray
    """The rest of the network at the month's start [H/s]."""
    other_end_h_s: np.ndarray
    """The rest of the network at the month's end [H/s]."""
    rate_per_s: np.ndarray
    """Its continuous growth rate within the month [1/s]."""
    fleet_h_s: np.ndarray
    """The fleet's mean hashrate, after ``run_fraction`` [H/s]."""
    counted_h_s: np.ndarray
    """The part of the fleet's hashrate that sets the block rate [H/s]."""
    work_h: np.ndarray
    """Hashes the counted network does in the month [-]."""


def _month(
    state: _State,
    j: int,
    edges: np.ndarray,
    other: np.ndarray,
    fleet: np.ndarray,
    run_fraction: MonthHook | None,
    other_factor: MonthHook | None,
) -> _Month:
    """Month ``j``'s hashrates from the inputs and the callbacks' answers, as a :class:`_Month`.

    The callbacks see the difficulty and subsidy in force as the month starts.
    """
    span = edges[j + 1] - edges[j]
    other_now = state.flat(other[..., j])
    other_next = state.flat(other[..., j + 1])
    if other_factor is not None:
        scale = state.flat(
            other_factor(j, state.d.reshape(state.shape), state.subsidy.reshape(state.shape))
        )
        other_now, other_next = other_now * scale, other_next * scale
    rate = np.log(other_next / other_now) / span
    fleet_j = state.flat(fleet[..., j])
    if run_fraction is not None:
        fleet_j *= state.flat(
            run_fraction(j, state.d.reshape(state.shape), state.subsidy.reshape(state.shape))
        )
    f = np.where(state.in_network, fleet_j, 0.0)
    work = span * (other_now * _exprel(rate * span) + f)
    return _Month(span, other_now, other_next, rate, fleet_j, f, work)


def _month_events(
    state: _State, month_start_s: float, month: _Month
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step every scenario through one month, from event to event.

    ``month_start_s`` is the month's start [s from start]. Returns the month's
    blocks [-], subsidy [BTC], ``integral dt / D`` [s] and
    ``integral subsidy dt / D`` [BTC s].
    """
    span, other_now, other_next, rate, _, f, work_left = month
    work_left = work_left.copy()  # hashes to the month's end, used up pass by pass
    t = np.zeros(state.size)
    blocks, issued, tod, stod = (np.zeros(state.size) for _ in range(4))  # cache-friendly sums
    # Each pass takes every scenario to its next retarget, halving or the month's
    # end; scenarios already at the month's end pass through with zero work.
    while True:
        room = work_left / state.work_per_block  # blocks left in the month
        step = np.minimum(state.to_retarget, state.to_halving)
        event = step <= room
        mined = np.where(event, step, room)
        work = mined * state.work_per_block
        if event.all():
            dt = _segment_duration(other_now, rate, f, work)
        else:  # late passes: few scenarios still have an event this month
            dt = span - t
            ev = np.flatnonzero(event)
            dt[ev] = _segment_duration(other_now[ev], rate[ev], f[ev], work[ev])
        q = dt / state.d
        blocks += mined
        issued += mined * state.subsidy
        tod += q
        stod += q * state.subsidy
        state.clock += dt
        t += dt
        state.to_retarget -= mined
        state.to_halving -= mined
        work_left -= work
        other_now = np.where(event, other_now * np.exp(rate * dt), other_next)
        if not event.any():
            return blocks, issued, tod, stod
        # The tip has reached the last block of an epoch and/or of an era.
        hashrate_now = other_now + f
        ret = np.flatnonzero(event & (state.to_retarget <= 0))
        if ret.size:
            state.retarget(ret, hashrate_now, month_start_s + t[ret])
        hal = np.flatnonzero(event & (state.to_halving <= 0))
        if hal.size:
            state.halve(hal, hashrate_now, month_start_s + t[hal])


def _projection(out: dict[str, np.ndarray], state: _State) -> Projection:
    """The :class:`Projection` from the monthly sums ``out`` (month, scenario) and the records."""
    shape, n = state.shape, out["blocks"].shape[0]

    def months(x: np.ndarray) -> np.ndarray:
        return np.moveaxis(x, 0, -1).reshape(*shape, n)

    records: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)
    if state.epochs is not None and state.halvings is not None:  # kept together
        records = dict(
            first_epoch=state.first_epoch,
            epoch_start_s=state.epochs.get("start", shape),
            epoch_difficulty=state.epochs.get("difficulty", shape),
            epoch_block_interval_s=state.epochs.get("interval", shape),
            first_halving=state.first_era + 1,
            halving_time_s=state.halvings.get("time", shape),
        )
    return Projection(
        blocks=months(out["blocks"]),
        subsidy_btc=months(out["subsidy"]),
        time_over_difficulty_s=months(out["tod"]),
        subsidy_time_over_difficulty_btc_s=months(out["stod"]),
        mined_hashrate_h_s=months(out["mined"]),
        fleet_hashrate_h_s=months(out["fleet"]),
        difficulty_end=months(out["d_end"]),
        height_end=(
            np.broadcast_to(state.height, shape)[..., None]
            + months(np.cumsum(out["blocks"], axis=0))
        ),
        **records,
    )


def project(  # noqa: PLR0913 - the start state and two hooks, all keyword-only
    month_edges_s: npt.ArrayLike,
    other_hashrate_h_s: npt.ArrayLike,
    fleet_hashrate_h_s: npt.ArrayLike,
    *,
    difficulty: npt.ArrayLike,
    height: npt.ArrayLike,
    epoch_elapsed_s: npt.ArrayLike | None = None,
    include_fleet_in_network: npt.ArrayLike = True,
    run_fraction: MonthHook | None = None,
    other_factor: MonthHook | None = None,
    record_epochs: bool = True,
) -> Projection:
    """Project difficulty, block times, halvings and issuance month by month.

    Parameters
    ----------
    month_edges_s : array_like, shape (n + 1,)
        Edges of the time steps [s from start], increasing, first 0.
    other_hashrate_h_s : array_like, shape (..., n + 1)
        Hashrate of the rest of the network at the edges [H/s], > 0. Between
        edges it changes exponentially.
    fleet_hashrate_h_s : array_like, shape (..., n)
        The fleet's mean hashrate in each step [H/s], >= 0.
    difficulty : array_like, shape (...)
        Difficulty of the current epoch at the start [-].
    height : array_like of int, shape (...)
        Chain tip height at the start [-].
    epoch_elapsed_s : array_like, shape (...), optional
        Time since the current epoch's first block [s]. Default: 600 s for each
        block of the epoch already mined.
    include_fleet_in_network : bool or array_like of bool
        Whether the fleet's hashrate counts toward the block rate and so the
        retargets (self-dilution). False gives the price-taker view.
    run_fraction, other_factor : callable, optional
        ``f(j, difficulty, subsidy_btc)`` from the difficulty [1] and subsidy [BTC] in
        force when month ``j`` starts (scenario-shaped arrays): the share of the month
        the fleet runs (economic dispatch), and a factor on the rest of the network's
        hashrate (the other miners' response, :mod:`minecalc.response`). Default 1.
    record_epochs : bool
        Keep per-epoch and per-halving records (scenarios x epochs values).

    Returns
    -------
    Projection

    Notes
    -----
    Blocks arrive at rate ``H(t) / (D K)``, ``K = 2**48/0xffff``. The tip
    reaches the last block of an epoch after ``2015 - height % 2016`` more
    blocks; the next difficulty is ``retarget_difficulty(D, timespan)`` where
    ``timespan`` runs from the epoch's first to its last block (2015
    intervals). Blocks at heights ``>= 210000 k`` pay the subsidy of era k.
    Hashrate ``h`` over a month wins ``h / K * integral dt / D`` blocks.
    """
    edges, other, fleet = _time_axes(month_edges_s, other_hashrate_h_s, fleet_hashrate_h_s)
    n = edges.size - 1
    state = _State(
        (other.shape[:-1], fleet.shape[:-1]),
        difficulty,
        height,
        epoch_elapsed_s,
        include_fleet_in_network,
        record_width=3 * n if record_epochs else 0,
    )
    out = {
        k: np.zeros((n, state.size))
        for k in ("blocks", "subsidy", "tod", "stod", "mined", "d_end", "fleet")
    }
    for j in range(n):
        month = _month(state, j, edges, other, fleet, run_fraction, other_factor)
        out["fleet"][j] = month.fleet_h_s
        out["mined"][j] = month.work_h / month.span_s + np.where(
            state.in_network, 0.0, month.fleet_h_s
        )
        sums = _month_events(state, edges[j], month)
        out["blocks"][j], out["subsidy"][j], out["tod"][j], out["stod"][j] = sums
        out["d_end"][j] = state.d
    return _projection(out, state)


def fleet_yield(
    projection: Projection, fees_btc_per_block: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blocks and BTC won by the fleet in each month of a projection.

    Parameters
    ----------
    projection : Projection
        Output of :func:`project`.
    fees_btc_per_block : array_like, broadcastable to (..., n)
        Mean transaction fees per block in each month [BTC]; give a per-scenario
        constant as ``fees[..., None]``.

    Returns
    -------
    blocks, subsidy_btc, btc : numpy.ndarray, shape (..., n)
        Expected blocks [-], subsidy [BTC] and subsidy + fees [BTC] won.

    Notes
    -----
    With ``h`` the fleet's mean hashrate in the month (constant within it):
    ``blocks = h / K * integral dt / D``;
    ``btc = h / K * (integral subsidy dt / D + fees * integral dt / D)``.
    """
    h = projection.fleet_hashrate_h_s / _K
    fees = np.asarray(fees_btc_per_block, dtype=np.float64)
    blocks = h * projection.time_over_difficulty_s
    subsidy = h * projection.subsidy_time_over_difficulty_btc_s
    return blocks, subsidy, subsidy + fees * blocks
