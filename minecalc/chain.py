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

Every function broadcasts over any number of leading scenario dimensions. Python loops
only over months; the events inside a month, which follow one another, are stepped for
every scenario by one compiled loop (:func:`minecalc.kernels.chain_month`), so no
scenario's numbers depend on which others run beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

from . import kernels
from .protocol import (
    HALVING_INTERVAL,
    HASHES_PER_DIFFICULTY,
    LAST_ERA,
    RETARGET_INTERVAL,
    SECONDS_PER_YEAR,
    SUBSIDY_BY_ERA_BTC,
    TARGET_BLOCK_TIME_S,
    TARGET_TIMESPAN_S,
)

_K = HASHES_PER_DIFFICULTY

GROWTH_PERIOD_S = {
    "per_epoch": float(TARGET_TIMESPAN_S),
    "per_month": SECONDS_PER_YEAR / 12,
    "per_year": SECONDS_PER_YEAR,
}
"""Length of the period each growth-rate convention refers to [s]: a nominal
epoch of 2016 x 600 s, a twelfth of a year, a year of 365.2425 days."""

MonthHook = Callable[[int, np.ndarray, np.ndarray], "npt.ArrayLike"]
"""A hook of :func:`project`: ``f(j, difficulty, subsidy_btc)`` -> a factor, scenario-shaped."""


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

    Monthly fields have a trailing month axis (n), as views of one month-major block (the
    order the chain computes them in); epoch fields a trailing axis
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


class _State:
    """Every scenario's place on the chain, flat over scenarios, advanced in place by
    :func:`minecalc.kernels.chain_month`.

    The scenario shape broadcasts ``time_shapes`` (the leading shapes of the
    hashrate inputs) with the start state's; ``record_width`` > 0 keeps epoch and
    halving records, that many epochs wide to begin with (widened as needed). The tip
    height is implicit in the block counters to the next retarget and halving.
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
        epoch, era = tip // RETARGET_INTERVAL, tip // HALVING_INTERVAL
        # rows as kernels.chain_month reads them
        self.counters = np.stack([epoch, era])
        self.values = np.stack(
            [
                self.flat(difficulty),
                self.flat(epoch_elapsed_s),  # time since the epoch's first block [s]
                RETARGET_INTERVAL * (epoch + 1) - 1 - tip,  # blocks to the epoch's last
                HALVING_INTERVAL * (era + 1) - 1 - tip,  # blocks to the era's last
                np.zeros(self.size),  # blocks since the start
            ]
        )
        self.in_network = self.flat(include, bool)
        self.first = np.array([epoch.min(), era.min()]) if self.size else np.zeros(2, np.int64)
        if record_width:  # start heights far apart need their own columns
            record_width += int(epoch.max() - self.first[0])
        self.records = np.full((4, self.size, record_width), np.nan)
        if record_width:
            rows, col = np.arange(self.size), epoch - self.first[0]
            self.records[0, rows, col] = -self.values[1]
            self.records[1, rows, col] = self.values[0]

    @property
    def d(self) -> np.ndarray:
        """Difficulty in force [-], flat."""
        return self.values[0]

    @property
    def subsidy(self) -> np.ndarray:
        """Block subsidy in force [BTC], flat."""
        # by era, as the state holds it (no division of heights, every month)
        return SUBSIDY_BY_ERA_BTC[np.minimum(self.counters[1], LAST_ERA)]

    def flat(self, x: npt.ArrayLike, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """``x`` broadcast to the scenario shape, as a fresh flat array."""
        return np.broadcast_to(x, self.shape).reshape(self.size).astype(dtype)

    def advance(
        self, month_start_s: float, span_s: float, hashrate: np.ndarray, sums: np.ndarray
    ) -> None:
        """Step every scenario through one month (:func:`minecalc.kernels.chain_month`),
        widening the records for scenarios that outrun them."""
        rows = np.arange(self.size)
        while rows.size:
            rows = kernels.chain_month(
                rows,
                span_s,
                month_start_s,
                hashrate,
                self.values,
                self.counters,
                sums,
                self.records,
                self.first,
                loops=rows.size,
            )
            if rows.size:
                width = self.records.shape[2]
                wider = np.full((*self.records.shape[:2], 2 * width), np.nan)
                wider[..., :width] = self.records
                self.records = wider

    def recorded(self) -> dict[str, Any]:
        """The epoch and halving fields of :class:`Projection` (None without records)."""
        if not self.records.shape[2]:
            return dict.fromkeys(RECORD_FIELDS)
        epochs = int(self.counters[0].max() - self.first[0]) + 1
        halvings = int(self.counters[1].max() - self.first[1])
        start, difficulty, interval, halving = (r.reshape(*self.shape, -1) for r in self.records)
        return dict(
            first_epoch=int(self.first[0]),
            epoch_start_s=start[..., :epochs],
            epoch_difficulty=difficulty[..., :epochs],
            epoch_block_interval_s=interval[..., :epochs],
            first_halving=int(self.first[1]) + 1,
            halving_time_s=halving[..., :halvings],
        )


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


def _month(
    state: _State,
    j: int,
    other: np.ndarray,
    fleet: np.ndarray,
    run_fraction: MonthHook | None,
    other_factor: MonthHook | None,
    hashrate: np.ndarray,
) -> None:
    """Month ``j``'s hashrates from the inputs and the callbacks' answers, into
    ``hashrate`` (4, scenarios): the rest of the network at the month's start and end,
    the fleet's mean after ``run_fraction``, and the part of it that sets the block rate.

    The callbacks see the difficulty and subsidy in force as the month starts.
    """
    other_now, other_end, fleet_j, counted = (row.reshape(state.shape) for row in hashrate)
    other_now[...], other_end[...], fleet_j[...] = other[..., j], other[..., j + 1], fleet[..., j]
    hooked = other_factor is not None or run_fraction is not None
    in_force = (state.d.reshape(state.shape), state.subsidy.reshape(state.shape)) if hooked else ()
    if other_factor is not None:
        scale = other_factor(j, *in_force)
        other_now *= scale
        other_end *= scale
    if run_fraction is not None:
        fleet_j *= run_fraction(j, *in_force)
    np.multiply(fleet_j, state.in_network.reshape(state.shape), out=counted)


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
    hashrate = np.empty((4, state.size))
    # month by month, each month's sums contiguous as the kernel writes them (a scenario's
    # months side by side would take a cache line per value written); the monthly fields
    # are views of this block (copying them scenario-major cost ~0.5 us a scenario)
    sums = np.empty((n, len(kernels.MONTH_SUMS), state.size))
    for j in range(n):
        _month(state, j, other, fleet, run_fraction, other_factor, hashrate)
        state.advance(edges[j], edges[j + 1] - edges[j], hashrate, sums[j])
    out = {name: sums[:, k].T.reshape(*state.shape, n) for k, name in enumerate(kernels.MONTH_SUMS)}
    return Projection(
        blocks=out["blocks"],
        subsidy_btc=out["subsidy"],
        time_over_difficulty_s=out["tod"],
        subsidy_time_over_difficulty_btc_s=out["stod"],
        mined_hashrate_h_s=out["mined"],
        fleet_hashrate_h_s=out["fleet"],
        difficulty_end=out["d_end"],
        height_end=np.broadcast_to(state.height, state.shape)[..., None]
        + out["blocks_since_start"],
        **state.recorded(),
    )


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
    # no temporaries beyond h, whose memory the subsidy takes over: each new array is a pass
    # over fresh memory
    h = projection.fleet_hashrate_h_s / _K
    blocks = h * projection.time_over_difficulty_s
    subsidy = np.multiply(h, projection.subsidy_time_over_difficulty_btc_s, out=h)
    btc = np.asarray(fees_btc_per_block, dtype=np.float64) * blocks
    btc += subsidy
    return blocks, subsidy, btc
