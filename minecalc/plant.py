"""The plant: from allocated megawatts to hashrate, energy and energy cost, month by month.

Pure functions over numpy arrays. Monthly quantities have a trailing month axis
``(..., n)``; any leading axes are scenario dimensions. Hourly tariffs add a
trailing hour axis ``(..., n, 24)``; fleet mixes a trailing machine axis
``(..., m)``.

Broadcasting follows numpy's rules: a per-scenario constant of shape ``(...)``
goes in as ``x[..., None]`` against a month axis (as in
:func:`minecalc.chain.fleet_yield`). The exceptions say so in their docstrings:
:func:`fleet_vintages` is a stateful model over months (like
:func:`minecalc.chain.project`) and takes its per-scenario parameters as ``(...)``,
and :func:`tariff_by_hour` adds the axes its ``profile`` names.

Conventions
-----------
- Power: the site's allocated MW for mining, ``capacity_mw * mining_share``, is
  drawn at the meter; the machines get ``/ pue`` of it (IT power). Hashrate is IT
  power / efficiency. Energy is counted at the meter (IT energy x PUE).
- Degradation is a loss of hashrate at unchanged power: a machine of age ``t``
  years hashes ``(1 - d)**t`` of its nameplate, so its effective efficiency is
  ``efficiency / factor`` [J/TH]. Use that for hashcost and dispatch.
- Availability (seasonal, the supplier's) and uptime (the fleet's own) scale the
  hours a period's machines run; economic dispatch decides, hour of the day by
  hour of the day, whether running pays. The three are taken as independent, so
  the run fraction is their product.
- Times are seconds from the start of the run; years are
  :data:`minecalc.protocol.SECONDS_PER_YEAR` long (mean Gregorian year).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

from .protocol import SECONDS_PER_YEAR

HOURS_PER_DAY = 24
KWH_PER_MWH = 1000.0
W_PER_MW = 1e6
H_PER_TH = 1e12
TH_PER_PH = 1000.0

RAMP_KINDS = ("steps", "linear")
DISPATCH_MODES = ("always", "economic")
TARIFF_PROFILES = ("flat", "daily", "monthly")

_SHARE_ATOL = 1e-6
"""Tolerance on a fleet mix's shares summing to 1."""


def _problem(field: str, expected: str, got: object) -> ValueError:
    return ValueError(f"{field}: expected {expected}, got {got}")


def _f(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


# --------------------------------------------------------------------------- fleet mix


class FleetMix(NamedTuple):
    """Result of :func:`fleet_mix`."""

    efficiency_j_per_th: np.ndarray
    """Fleet efficiency, IT power / hashrate [J/TH], shape ``(...)``."""
    hashrate_share: np.ndarray
    """Each machine's share of the fleet's hashrate [fraction], shape ``(..., m)``."""


def fleet_mix(shares: npt.ArrayLike, efficiency_j_per_th: npt.ArrayLike) -> FleetMix:
    """Efficiency of a mix of machines given by their shares of IT power.

    Parameters
    ----------
    shares : array_like, shape (..., m)
        Share of the fleet's IT power drawn by each machine model [fraction],
        >= 0, summing to 1 along the last axis.
    efficiency_j_per_th : array_like, broadcastable to (..., m)
        Nameplate efficiency of each model [J/TH], > 0.

    Returns
    -------
    FleetMix
        Fleet efficiency [J/TH] ``(...)`` and each model's hashrate share ``(..., m)``.

    Raises
    ------
    ValueError
        Naming ``fleet.machines[i].share`` (or ``.efficiency_j_per_th``) when a share
        is negative, an efficiency not positive, or the shares do not sum to 1.

    Notes
    -----
    Model ``i`` draws ``s_i P`` of the IT power ``P`` and so hashes
    ``h_i = s_i P / e_i``. The fleet hashes ``h = P sum_i s_i / e_i``, hence

    ``e_fleet = P / h = 1 / sum_i (s_i / e_i)``

    (the power-weighted harmonic mean of the efficiencies, which is also the
    hashrate-weighted arithmetic mean ``sum_i (h_i / h) e_i``), and model ``i``'s
    share of the hashrate is ``h_i / h = (s_i / e_i) e_fleet``.
    """
    s = _f(shares)
    e = _f(efficiency_j_per_th)
    s, e = np.broadcast_arrays(s, e)
    if s.ndim == 0 or s.shape[-1] == 0:
        raise _problem("fleet.machines", "at least one machine", "none")
    m = s.shape[-1]
    for i in range(m):
        if np.any(~(s[..., i] >= 0)):
            raise _problem(
                f"fleet.machines[{i}].share", "a share >= 0", float(np.nanmin(s[..., i]))
            )
        if np.any(~(e[..., i] > 0)):
            raise _problem(
                f"fleet.machines[{i}].efficiency_j_per_th",
                "a value > 0 [J/TH]",
                float(np.nanmin(e[..., i])),
            )
    total = s.sum(axis=-1)
    worst = np.max(np.abs(total - 1))
    if worst > _SHARE_ATOL:
        names = " + ".join(f"fleet.machines[{i}].share" for i in range(m))
        got = float(np.ravel(total)[np.argmax(np.ravel(np.abs(total - 1)))])
        raise _problem(names, "a sum of 1", got)
    per_power = s / e  # hashrate per unit of IT power [TH/J]
    eff = 1.0 / per_power.sum(axis=-1)
    return FleetMix(efficiency_j_per_th=eff, hashrate_share=per_power * eff[..., None])


# --------------------------------------------------------------------------- ramp


class _Ramp(NamedTuple):
    times: np.ndarray  # (..., p)
    mw: np.ndarray  # (..., p)
    slope: np.ndarray  # (..., p): MW/s after each point (0 after the last, and for steps)
    cum: np.ndarray  # (..., p): integral of the ramp from the first point to each point [MW s]


def _ramp(ramp_times_s: npt.ArrayLike, ramp_mw: npt.ArrayLike, kind: str) -> _Ramp:
    """Validate a ramp and precompute its pieces, broadcast to one leading shape."""
    if kind not in RAMP_KINDS:
        raise _problem("kind", "'steps' or 'linear'", repr(kind))
    times, mw = _f(ramp_times_s), _f(ramp_mw)
    if times.ndim == 0 or mw.ndim == 0 or times.shape[-1] == 0 or times.shape[-1] != mw.shape[-1]:
        raise _problem(
            "ramp_times_s, ramp_mw",
            "the same number (>= 1) of points",
            f"shapes {times.shape} and {mw.shape}",
        )
    shape = np.broadcast_shapes(times.shape, mw.shape)
    times, mw = np.broadcast_to(times, shape), np.broadcast_to(mw, shape)
    if not np.all(np.isfinite(times)) or not np.all(np.isfinite(mw)):
        raise _problem("ramp_times_s, ramp_mw", "finite values", f"{times} and {mw}")
    dt = np.diff(times, axis=-1)
    if np.any(dt <= 0):
        raise _problem("ramp_times_s", "strictly increasing times [s]", times)
    if kind == "steps":
        slope = np.zeros(shape)
        seg = mw[..., :-1] * dt
    else:
        slope = np.concatenate([np.diff(mw, axis=-1) / dt, np.zeros((*shape[:-1], 1))], axis=-1)
        seg = 0.5 * (mw[..., :-1] + mw[..., 1:]) * dt
    cum = np.concatenate([np.zeros((*shape[:-1], 1)), np.cumsum(seg, axis=-1)], axis=-1)
    return _Ramp(times, mw, slope, cum)


def _at(
    ramp: _Ramp, t: npt.ArrayLike, strict: bool
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Index of the last ramp point at (or, if ``strict``, before) each time, and what to gather.

    Returns the piece index ``k`` (-1 before the first point), and a function that
    gathers a ``(..., p)`` array of the ramp at ``k``; all of shape ``(..., n)``.
    """
    t = _f(t)
    compare = np.less if strict else np.less_equal
    before = compare(ramp.times[..., None, :], t[..., None])
    k = before.sum(axis=-1) - 1
    shape = np.broadcast_shapes(k.shape, (*ramp.times.shape[:-1], 1))
    k = np.broadcast_to(k, shape)
    kk = np.maximum(k, 0)

    def gather(a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(np.broadcast_to(a, (*shape[:-1], a.shape[-1])), kk, axis=-1)

    return k, gather


def _ramp_integral(ramp: _Ramp, t: npt.ArrayLike) -> np.ndarray:
    """``integral of the ramp from -inf to t`` [MW s], shape (..., n)."""
    t = _f(t)
    k, g = _at(ramp, t, strict=False)
    dt = t - g(ramp.times)
    return np.where(k >= 0, g(ramp.cum) + dt * (g(ramp.mw) + 0.5 * g(ramp.slope) * dt), 0.0)


def _ramp_level_before(ramp: _Ramp, t: npt.ArrayLike) -> np.ndarray:
    """Left limit of the ramp at each time, ``r(t-)`` [MW], shape (..., n)."""
    t = _f(t)
    k, g = _at(ramp, t, strict=True)
    return np.where(k >= 0, g(ramp.mw) + g(ramp.slope) * (t - g(ramp.times)), 0.0)


# ------------------------------------------------------------------- degradation and vintages


class Vintages(NamedTuple):
    """Result of :func:`fleet_vintages`; every field has shape ``(..., n)``.

    MW are in the unit of the ramp given (pass IT MW to get IT MW out).
    """

    mw: np.ndarray
    """Machines in service, mean over the month [MW]."""
    efficiency_j_per_th: np.ndarray
    """Nameplate efficiency of the machines in service: MW / sum(MW_c / e_c) [J/TH]
    (the initial efficiency where nothing is in service)."""
    degradation_factor: np.ndarray
    """Hashrate-weighted degradation factor of the machines in service [fraction]
    (1 where nothing is in service)."""
    bought_mw: np.ndarray
    """Initial machines bought (installed) in the month, from the ramp [MW]."""
    refresh_bought_mw: np.ndarray
    """Refresh machines bought at the start of the month to replace retired ones [MW]."""
    retired_mw: np.ndarray
    """Machines retired at the start of the month (initial and refresh) [MW]."""

    @property
    def effective_efficiency_j_per_th(self) -> np.ndarray:
        """Energy per hash actually delivered, efficiency / degradation factor [J/TH]."""
        return self.efficiency_j_per_th / self.degradation_factor


def lifetime_months(lifetime_years: npt.ArrayLike, n: int) -> np.ndarray:
    """Machine lifetime in whole months, ``round(12 * lifetime_years)``; ``n + 1`` for inf.

    Parameters
    ----------
    lifetime_years : array_like
        Lifetime [years], > 1/24 (at least one month after rounding); ``inf`` = never
        retire.
    n : int
        Number of months in the run.

    Returns
    -------
    numpy.ndarray of int64
        Lifetime [months], at most ``n + 1`` (never reached within the run).
    """
    years = _f(lifetime_years)
    if np.any(~(years * 12 >= 0.5)):
        raise _problem("lifetime_years", "at least half a month (>= 1/24) [years]", years)
    months = np.where(np.isfinite(years), np.rint(np.minimum(years, n) * 12), n + 1)
    return np.minimum(months, n + 1).astype(np.int64)


def fleet_vintages(  # noqa: PLR0913 (the ramp's three, the rest keyword-only)
    month_edges_s: npt.ArrayLike,
    ramp_times_s: npt.ArrayLike,
    ramp_mw: npt.ArrayLike,
    *,
    kind: str,
    efficiency_j_per_th: npt.ArrayLike,
    degradation_per_year: npt.ArrayLike = 0.0,
    lifetime_years: npt.ArrayLike = np.inf,
    refresh_efficiency_j_per_th: npt.ArrayLike | None = np.nan,
) -> Vintages:
    """A cohort model of the fleet: purchases, retirements, refreshes and ageing.

    Parameters
    ----------
    month_edges_s : array_like, shape (n + 1,)
        Edges of the months [s from start], increasing.
    ramp_times_s : array_like, shape (p,) or (..., p)
        Times of the deployment ramp's points [s from start], strictly increasing; may be
        negative (capacity online before the run starts).
    ramp_mw : array_like, shape (p,) or (..., p)
        MW online at each point [MW], >= 0 and non-decreasing (the ramp only adds machines;
        retirement is this model's job).
    kind : {"steps", "linear"}
        ``"steps"``: the MW jump to each point's value at its time and hold it; ``"linear"``:
        linear between points. Either way ``r(t)`` is 0 before the first point and flat after the
        last; a linear ramp from nothing starts with a point of 0 MW (at time 0 or later).
    efficiency_j_per_th : array_like, shape (...)
        Nameplate efficiency of the initial machines [J/TH] (of a mix: :func:`fleet_mix`'s).
    degradation_per_year : array_like, shape (...)
        Hashrate lost per year of age [fraction], in [0, 1).
    lifetime_years : array_like, shape (...)
        Service life [years], rounded to months (:func:`lifetime_months`); ``inf`` = never retire.
    refresh_efficiency_j_per_th : array_like, shape (...)
        Nameplate efficiency of the model that replaces retired machines [J/TH]; NaN = no
        refresh (retired capacity stays empty).

    Returns
    -------
    Vintages
        MW in service, nameplate efficiency and degradation factor of the machines in
        service, MW bought (initial and refresh) and MW retired, each ``(..., n)``. The
        fleet hashes ``fleet_hashrate_h_s(mw, efficiency, degradation_factor)``.

    Notes
    -----
    A cohort is what is bought in one month. The initial cohort of month ``j`` is the ramp's
    increase over the month, ``P_j = r(e_{j+1}-) - r(e_j-)`` (with ``r(e_0-) = 0``, so what is
    online at the start is bought in month 0), installed at its MW-weighted mean time
    ``tau_j = e_j + (e_{j+1} - e_j)(r(e_{j+1}-) - rbar_j) / P_j`` (by parts), where
    ``rbar_j = (F(e_{j+1}) - F(e_j)) / (e_{j+1} - e_j)`` is the month's mean ramp and ``F(t)``
    the ramp's integral up to ``t`` (exact for a piecewise-linear ramp). In month ``j`` the
    cohort serves ``rbar_j - r(e_j-)`` MW on average (exact), then ``P_j`` in full.

    Every cohort retires at the start of month ``j + L``, ``L`` the lifetime in whole
    months. With a refresh, a cohort of the refresh model of the same MW is bought and
    installed at that moment (``R_k = P_{k-L} + R_{k-L}``, so refreshes are refreshed in
    turn); with a refresh the MW in service is the ramp's mean.

    A cohort of efficiency ``e_c`` and age ``a`` hashes ``MW_c / e_c (1 - d)**a``; age is
    taken at the month's midpoint (at least 0 in the month of install), from ``tau_j`` for
    initial cohorts and from the month's start for refreshes. Summed over cohorts in
    service (MW ``m_c``):

    ``efficiency = sum m_c / sum (m_c / e_c)``,
    ``factor = sum (m_c / e_c (1 - d)**a_c) / sum (m_c / e_c)``,

    so ``MW / efficiency * factor`` is the fleet's hashrate per 1e6/1e12.
    """
    edges, ramp = _edges_and_ramp(month_edges_s, ramp_times_s, ramp_mw, kind)
    e0, er, q_log = _machines(
        efficiency_j_per_th, refresh_efficiency_j_per_th, degradation_per_year
    )
    v = _VintageInputs(edges, ramp, e0, er, q_log, lifetime_months(lifetime_years, edges.size - 1))
    bought, partial, tau = _initial_cohorts(v)
    refresh_bought, retired = _retire_and_refresh(v, bought)
    mw, eff, factor = _mix_in_service(v, *_in_service(v, bought, partial, tau, refresh_bought))
    return Vintages(mw, eff, factor, bought.copy(), refresh_bought, retired)


class _VintageInputs(NamedTuple):
    """:func:`fleet_vintages`'s inputs, validated; per-scenario ones of shape ``(...)``."""

    edges: np.ndarray  # month edges [s], (n + 1,)
    ramp: _Ramp
    e0: np.ndarray  # initial efficiency [J/TH]
    er: np.ndarray  # refresh efficiency [J/TH], NaN = no refresh
    q_log: np.ndarray  # ln(1 - d) [1/year]
    life: np.ndarray  # lifetime [months], int64

    @property
    def n(self) -> int:
        return self.edges.size - 1

    @property
    def refresh(self) -> np.ndarray:
        """Whether retired machines are replaced, (...) bool."""
        return ~np.isnan(self.er)

    @property
    def lead(self) -> tuple[int, ...]:
        """The scenario shape all inputs broadcast to."""
        return np.broadcast_shapes(
            self.ramp.times.shape[:-1],
            self.e0.shape,
            self.er.shape,
            self.q_log.shape,
            self.life.shape,
        )


def _per_month(x: npt.ArrayLike, v: _VintageInputs) -> np.ndarray:
    return np.broadcast_to(x, (*v.lead, v.n))


def _per_scenario(x: npt.ArrayLike, v: _VintageInputs) -> np.ndarray:
    return np.broadcast_to(x, v.lead)[..., None]


def _edges_and_ramp(
    month_edges_s: npt.ArrayLike, ramp_times_s: npt.ArrayLike, ramp_mw: npt.ArrayLike, kind: str
) -> tuple[np.ndarray, _Ramp]:
    """Validated month edges [s] and ramp (only adding machines) of :func:`fleet_vintages`."""
    edges = _f(month_edges_s)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise _problem("month_edges_s", "at least two increasing edges [s]", edges)
    ramp = _ramp(ramp_times_s, ramp_mw, kind)
    if np.any(ramp.mw < 0) or np.any(np.diff(ramp.mw, axis=-1) < 0):
        raise _problem("ramp_mw", "non-negative, non-decreasing MW", ramp.mw)
    return edges, ramp


def _machines(
    efficiency_j_per_th: npt.ArrayLike,
    refresh_efficiency_j_per_th: npt.ArrayLike | None,
    degradation_per_year: npt.ArrayLike,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated efficiencies [J/TH] (refresh: NaN for none) and ``ln(1 - d)`` [1/year]."""
    e0 = _f(efficiency_j_per_th)
    if np.any(~(e0 > 0)):
        raise _problem("efficiency_j_per_th", "a value > 0 [J/TH]", e0)
    er = _f(np.nan if refresh_efficiency_j_per_th is None else refresh_efficiency_j_per_th)
    refresh = ~np.isnan(er)
    if np.any(~(er[refresh] > 0)):
        raise _problem("refresh_efficiency_j_per_th", "a value > 0 [J/TH] or NaN (no refresh)", er)
    d = _f(degradation_per_year)
    if np.any(~((d >= 0) & (d < 1))):
        raise _problem("degradation_per_year", "a fraction in [0, 1)", d)
    return e0, er, np.log1p(-d)


def _initial_cohorts(v: _VintageInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ramp's cohorts, each ``(..., n)``: MW bought, MW served in that month, install time.

    Returns ``P_j`` [MW], ``rbar_j - r(e_j-)`` [MW] and ``tau_j`` [s] of
    :func:`fleet_vintages`'s Notes.
    """
    start, end = v.edges[:-1], v.edges[1:]
    span = end - start
    level = _ramp_level_before(v.ramp, v.edges)  # r(e_k-), (..., n + 1)
    level = np.concatenate([np.zeros_like(level[..., :1]), level[..., 1:]], axis=-1)
    rbar = (_ramp_integral(v.ramp, end) - _ramp_integral(v.ramp, start)) / span
    bought = _per_month(np.diff(level, axis=-1), v)
    rbar = _per_month(rbar, v)
    partial = np.clip(rbar - level[..., :-1], 0.0, bought)  # first month of each cohort
    has = bought > 0
    frac_after = np.divide(bought - partial, bought, out=np.zeros_like(bought), where=has)
    tau = start + span * np.clip(frac_after, 0.0, 1.0)  # mean install time [s]
    return bought, partial, tau


def _retire_and_refresh(v: _VintageInputs, bought: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MW bought to refresh and MW retired at the start of each month, each ``(..., n)``.

    ``R_k = P_{k-L} + R_{k-L}`` where there is a refresh (else 0), retired
    ``P_{k-L} + R_{k-L}``; ``P`` is ``bought`` [MW].
    """
    n, life_ = v.n, _per_scenario(v.life, v)
    k = np.arange(n)
    # Refresh purchases: every earlier cohort (initial or refresh) retiring now.
    refresh_bought = np.zeros((*v.lead, n))
    if np.any(v.refresh):
        for g in range(1, n // max(int(v.life.min()), 1) + 1):
            src = k - g * life_
            refresh_bought += np.where(
                src >= 0, np.take_along_axis(bought, np.maximum(src, 0), axis=-1), 0.0
            )
        refresh_bought *= _per_scenario(v.refresh, v)
    src = k - life_
    back = np.maximum(src, 0)
    retired = np.where(src >= 0, np.take_along_axis(bought + refresh_bought, back, axis=-1), 0.0)
    return refresh_bought, retired


def _in_service(
    v: _VintageInputs,
    bought: np.ndarray,
    partial: np.ndarray,
    tau: np.ndarray,
    refresh_bought: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums over the cohorts in service in each month, each ``(..., n)``.

    Returns MW ``sum m_c`` [MW], and ``sum m_c / e_c`` and ``sum m_c / e_c (1 - d)**a_c``
    [MW TH/J]. Because ``(1 - d)**(t - tau) = (1 - d)**t (1 - d)**(-tau)``, the sums over a
    window of cohorts are differences of cumulative sums: the cost is linear in the number
    of months.
    """
    lead, n = v.lead, v.n
    start, end = v.edges[:-1], v.edges[1:]
    e0_, er_ = _per_scenario(v.e0, v), _per_scenario(np.where(v.refresh, v.er, 1.0), v)
    ql, life_ = _per_scenario(v.q_log, v), _per_scenario(v.life, v)
    k = np.arange(n)
    # Window sums over cohorts in service in month k: initial cohorts j in
    # (k - L, k) in full plus month k's partial one; refresh cohorts j in (k - L, k].
    t0 = v.edges[0]
    mid_years = ((start + end) / 2 - t0) / SECONDS_PER_YEAR
    grow_init = np.exp(-ql * (tau - t0) / SECONDS_PER_YEAR)  # (1 - d)**(-tau)
    grow_refresh = np.exp(-ql * (start - t0) / SECONDS_PER_YEAR)
    lo = np.maximum(k - life_ + 1, 0)

    def window(x: np.ndarray, upto: int) -> np.ndarray:
        """sum_{j = lo}^{k - 1 + upto} x_j for each month k."""
        c = np.concatenate([np.zeros((*lead, 1)), np.cumsum(x, axis=-1)], axis=-1)
        hi = np.broadcast_to(k + upto, (*lead, n))
        return np.take_along_axis(c, hi, axis=-1) - np.take_along_axis(c, lo, axis=-1)

    mw = partial + window(bought, 0) + window(refresh_bought, 1)
    hash_w = partial / e0_ + window(bought / e0_, 0) + window(refresh_bought / er_, 1)
    age_partial = np.maximum(mid_years - (tau - t0) / SECONDS_PER_YEAR, 0.0)
    hash_d = partial / e0_ * np.exp(ql * age_partial) + np.exp(ql * mid_years) * (
        window(bought / e0_ * grow_init, 0) + window(refresh_bought / er_ * grow_refresh, 1)
    )
    return mw, hash_w, hash_d


def _mix_in_service(
    v: _VintageInputs, mw: np.ndarray, hash_w: np.ndarray, hash_d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MW [MW], nameplate efficiency [J/TH] and degradation factor [fraction] in service.

    Where nothing is in service: 0 MW, the initial efficiency and a factor of 1.
    """
    # Differences of cumulative sums leave round-off where nothing is in service.
    scale = np.max(np.maximum(mw, 0.0), axis=-1, keepdims=True)
    on = mw > 1e-12 * scale
    mw = np.where(on, mw, 0.0)
    e0_ = np.broadcast_to(_per_scenario(v.e0, v), mw.shape)
    eff = np.where(on, mw / np.where(on, hash_w, 1.0), e0_)
    factor = np.where(on, hash_d / np.where(on, hash_w, 1.0), 1.0)
    return mw, eff, np.minimum(factor, 1.0)


# --------------------------------------------------------------------------- power and hashrate


def it_power_mw(
    capacity_mw: npt.ArrayLike, mining_share: npt.ArrayLike, pue: npt.ArrayLike
) -> np.ndarray | float:
    """IT power of the machines from the site's allocated capacity.

    Parameters
    ----------
    capacity_mw : array_like
        Grid capacity of the site [MW] (or a ramp of it, ``(..., n)``).
    mining_share : array_like
        Share of the capacity given to mining [fraction].
    pue : array_like
        Power usage effectiveness, meter power / IT power [-], >= 1.

    Returns
    -------
    numpy.ndarray or float
        IT power [MW], broadcast of the inputs.

    Notes
    -----
    ``it_mw = capacity_mw * mining_share / pue``.
    """
    return np.multiply(capacity_mw, mining_share) / _f(pue)


def fleet_hashrate_h_s(
    it_mw: npt.ArrayLike,
    efficiency_j_per_th: npt.ArrayLike,
    degradation_factor: np.ndarray | float = 1.0,
) -> np.ndarray | float:
    """Hashrate of machines drawing a given IT power.

    Parameters
    ----------
    it_mw : array_like
        IT power of the machines [MW].
    efficiency_j_per_th : array_like
        Nameplate efficiency [J/TH].
    degradation_factor : array_like, optional
        Share of nameplate hashrate left [fraction].

    Returns
    -------
    numpy.ndarray or float
        Hashrate [H/s], broadcast of the inputs.

    Notes
    -----
    ``h = it_mw * 1e6 [W/MW] / efficiency [J/TH] * 1e12 [H/TH] * factor``.
    """
    return _f(it_mw) * W_PER_MW / _f(efficiency_j_per_th) * H_PER_TH * degradation_factor


def hardware_capex_usd(
    it_mw: npt.ArrayLike, efficiency_j_per_th: npt.ArrayLike, price_usd_per_th: npt.ArrayLike
) -> np.ndarray | float:
    """Price of machines drawing a given IT power.

    Parameters
    ----------
    it_mw : array_like
        IT power of the machines bought [MW] (e.g. :attr:`Vintages.bought_mw` in IT MW).
    efficiency_j_per_th : array_like
        Their nameplate efficiency [J/TH].
    price_usd_per_th : array_like
        Their price [USD per TH/s of nameplate hashrate].

    Returns
    -------
    numpy.ndarray or float
        Hardware capital expenditure [USD].

    Notes
    -----
    ``capex = it_mw * 1e6 / efficiency * price_usd_per_th`` (nameplate TH/s times price).
    """
    return _f(it_mw) * W_PER_MW / _f(efficiency_j_per_th) * _f(price_usd_per_th)


# --------------------------------------------------------------------------- availability


def available_fraction(
    calendar_month_index: npt.ArrayLike,
    availability_by_month: npt.ArrayLike,
    uptime: npt.ArrayLike = 1.0,
) -> np.ndarray:
    """Fraction of each period the machines have power and are up.

    Parameters
    ----------
    calendar_month_index : array_like of int, shape (n,) or (..., n)
        Calendar month of each period, 0 = January .. 11 = December (for monthly
        periods starting at ``start_date``: ``(start_date.month - 1 + k) % 12``).
    availability_by_month : array_like, shape (12,) or (..., 12)
        Share of the hours in each calendar month (Jan..Dec) in which the supplier
        delivers power [fraction], in [0, 1].
    uptime : array_like, optional
        Share of time the fleet itself is up [fraction], in [0, 1]; broadcastable
        to ``(..., n)`` (a per-scenario constant as ``uptime[..., None]``).

    Returns
    -------
    numpy.ndarray, shape (..., n)
        ``availability_by_month[month] * uptime`` [fraction].

    Notes
    -----
    Supplier outages and the fleet's own downtime are taken as independent, so
    the fractions multiply. For a take-or-pay contract the supplier's part alone
    (``uptime=1``) defines the energy made available.
    """
    idx = np.asarray(calendar_month_index)
    if not np.issubdtype(idx.dtype, np.integer) or np.any((idx < 0) | (idx > 11)):
        raise _problem("calendar_month_index", "integers 0..11", idx)
    avail = _f(availability_by_month)
    if avail.ndim == 0 or avail.shape[-1] != 12:
        raise _problem(
            "availability_by_month", "12 values (January..December)", f"shape {avail.shape}"
        )
    for name, x in (("availability_by_month", avail), ("uptime", _f(uptime))):
        if np.any(~((x >= 0) & (x <= 1))):
            raise _problem(name, "fractions in [0, 1]", x)
    shape = np.broadcast_shapes((*avail.shape[:-1], 1), idx.shape)
    by_period = np.take_along_axis(
        np.broadcast_to(avail, (*shape[:-1], 12)), np.broadcast_to(idx, shape), axis=-1
    )
    return by_period * _f(uptime)


# --------------------------------------------------------------------------- tariffs and dispatch


def tariff_by_hour(
    tariff: npt.ArrayLike, calendar_month_index: npt.ArrayLike, profile: str
) -> np.ndarray:
    """Hourly prices of each period from a tariff given flat, per day or per month.

    Parameters
    ----------
    tariff : array_like
        Prices [currency/kWh]: shape ``(...)`` for ``"flat"``, ``(..., 24)`` (hours
        0..23, one profile for every month) for ``"daily"``, ``(..., 12, 24)``
        (calendar months Jan..Dec by hour) for ``"monthly"``.
    calendar_month_index : array_like of int, shape (n,)
        Calendar month of each period, 0 = January.
    profile : {"flat", "daily", "monthly"}
        How ``tariff`` is laid out.

    Returns
    -------
    numpy.ndarray, shape (..., n, 24)
        Price in each hour of the day of each period [currency/kWh].
    """
    idx = np.asarray(calendar_month_index)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or np.any((idx < 0) | (idx > 11)):
        raise _problem("calendar_month_index", "integers 0..11, shape (n,)", idx)
    p = _f(tariff)
    n = idx.size
    if profile == "flat":
        return np.broadcast_to(p[..., None, None], (*p.shape, n, HOURS_PER_DAY)).copy()
    if profile == "daily":
        if p.ndim < 1 or p.shape[-1] != HOURS_PER_DAY:
            raise _problem("tariff", "24 hourly prices (..., 24)", f"shape {p.shape}")
        return np.broadcast_to(p[..., None, :], (*p.shape[:-1], n, HOURS_PER_DAY)).copy()
    if profile == "monthly":
        if p.ndim < 2 or p.shape[-2:] != (12, HOURS_PER_DAY):
            raise _problem("tariff", "12 x 24 prices (..., 12, 24)", f"shape {p.shape}")
        return p[..., idx, :]
    raise _problem("profile", "'flat', 'daily' or 'monthly'", repr(profile))


def breakeven_price_usd_per_kwh(
    hashprice_usd_per_ph_day: npt.ArrayLike, efficiency_j_per_th: npt.ArrayLike, pue: npt.ArrayLike
) -> np.ndarray | float:
    """Electricity price at which one hour of mining just pays for its energy.

    Parameters
    ----------
    hashprice_usd_per_ph_day : array_like
        Revenue of 1 PH/s for a day [USD/(PH/s)/day].
    efficiency_j_per_th : array_like
        Effective efficiency of the machines [J/TH] (nameplate / degradation factor).
    pue : array_like
        Meter power / IT power [-].

    Returns
    -------
    numpy.ndarray or float
        Price [USD/kWh] at the meter.

    Notes
    -----
    1 PH/s at ``e`` J/TH draws ``e * 1000`` W at the chips and ``e * 1000 * pue`` W
    at the meter: ``e * pue`` kWh in an hour. It earns ``hashprice / 24`` in that
    hour, so it pays while ``price <= hashprice / (24 * e * pue)``. The inverse of
    :func:`hashcost_usd_per_ph_day`.
    """
    return _f(hashprice_usd_per_ph_day) / (HOURS_PER_DAY * _f(efficiency_j_per_th) * _f(pue))


class Dispatch(NamedTuple):
    """Result of :func:`dispatch_fraction`; shapes as the hourly prices without the hour axis."""

    run_fraction: np.ndarray
    """Share of the hours the fleet runs [fraction]."""
    mean_price_usd_per_kwh: np.ndarray
    """Mean price over the hours run (energy-weighted: the fleet draws the same power
    in each) [USD/kWh]; where no hour runs, the cheapest hour's price."""


def dispatch_hours(
    hourly_price_per_kwh_usd: npt.ArrayLike,
    hashprice_usd_per_ph_day: npt.ArrayLike,
    efficiency_j_per_th: npt.ArrayLike,
    pue: npt.ArrayLike,
    mode: str = "always",
) -> np.ndarray:
    """Whether the fleet runs in each hour of the day.

    Parameters are those of :func:`dispatch_fraction`.

    Returns
    -------
    numpy.ndarray of bool, shape of ``hourly_price_per_kwh_usd`` (broadcast)
        True where the fleet runs.
    """
    price = _f(hourly_price_per_kwh_usd)
    if mode == "always":
        return np.ones(price.shape, dtype=bool)
    if mode == "economic":
        limit = breakeven_price_usd_per_kwh(hashprice_usd_per_ph_day, efficiency_j_per_th, pue)
        return price <= _f(limit)[..., None]
    raise _problem("mode", "'always' or 'economic'", repr(mode))


def dispatch_fraction(
    hourly_price_per_kwh_usd: npt.ArrayLike,
    hashprice_usd_per_ph_day: npt.ArrayLike,
    efficiency_j_per_th: npt.ArrayLike,
    pue: npt.ArrayLike,
    mode: str = "always",
) -> Dispatch:
    """Which hours of the day the fleet runs, and the price it pays for them.

    Parameters
    ----------
    hourly_price_per_kwh_usd : array_like, shape (..., n, 24)
        Price in each hour of the day of each period [USD/kWh] (see
        :func:`tariff_by_hour`; divide a local-currency tariff by the FX rate first).
        Any trailing hour axis works, e.g. ``(..., 24)`` for one period.
    hashprice_usd_per_ph_day : array_like, broadcastable to (..., n)
        Revenue of 1 PH/s for a day [USD/(PH/s)/day].
    efficiency_j_per_th : array_like, broadcastable to (..., n)
        Effective efficiency of the fleet [J/TH] (nameplate / degradation factor).
    pue : array_like, broadcastable to (..., n)
        Meter power / IT power [-]; a per-scenario constant as ``pue[..., None]``.
    mode : {"always", "economic"}
        ``"always"`` runs every hour; ``"economic"`` runs an hour only when its
        revenue covers its energy cost.

    Returns
    -------
    Dispatch
        Share of hours run and the mean price paid over them, each ``(..., n)``.

    Notes
    -----
    Per PH/s and hour: revenue ``hashprice / 24`` [USD]; energy at the meter
    ``e [J/TH] * 1000 [TH/PH] * pue`` W for 1 h, i.e. ``e * pue`` kWh, costing
    ``e * pue * price``. An hour runs when revenue >= cost, i.e. when
    ``price <= hashprice / (24 e pue)`` (:func:`breakeven_price_usd_per_kwh`; a tie
    runs). The fleet is dispatched as one unit at its mean efficiency; revenue per
    hour is the same in every hour of a period (hashprice is a period mean).
    Take-or-pay is not part of this decision (see :func:`take_or_pay_mwh`).
    """
    price = _f(hourly_price_per_kwh_usd)
    run = dispatch_hours(price, hashprice_usd_per_ph_day, efficiency_j_per_th, pue, mode)
    hours = run.sum(axis=-1)
    paid = np.where(run, price, 0.0).sum(axis=-1)
    mean = np.where(hours > 0, paid / np.maximum(hours, 1), price.min(axis=-1))
    return Dispatch(run_fraction=hours / price.shape[-1], mean_price_usd_per_kwh=mean)


# --------------------------------------------------------------------------- energy and its cost


def energy_mwh(
    it_mw: npt.ArrayLike,
    pue: npt.ArrayLike,
    hours_in_period: npt.ArrayLike,
    run_fraction: npt.ArrayLike = 1.0,
) -> np.ndarray | float:
    """Energy drawn at the meter in a period.

    Parameters
    ----------
    it_mw : array_like
        IT power of the machines [MW], e.g. ``(..., n)``.
    pue : array_like
        Meter power / IT power [-]; a per-scenario constant as ``pue[..., None]``.
    hours_in_period : array_like, shape (n,)
        Length of each period [h].
    run_fraction : array_like, optional
        Share of the period the machines run [fraction] (availability x uptime x
        dispatch).

    Returns
    -------
    numpy.ndarray or float
        Energy [MWh].

    Notes
    -----
    ``E = it_mw * pue * hours * run_fraction``.
    """
    return _f(it_mw) * _f(pue) * _f(hours_in_period) * _f(run_fraction)


class TakeOrPay(NamedTuple):
    """Result of :func:`take_or_pay_mwh`."""

    billed_mwh: np.ndarray
    """Energy paid for [MWh]: the larger of the energy used and the minimum."""
    unused_mwh: np.ndarray
    """Energy paid for but not used [MWh], ``billed - used``."""


def take_or_pay_mwh(
    energy_used_mwh: npt.ArrayLike,
    energy_available_mwh: npt.ArrayLike,
    take_or_pay_fraction: npt.ArrayLike,
) -> TakeOrPay:
    """Energy billed under a take-or-pay minimum.

    Parameters
    ----------
    energy_used_mwh : array_like
        Energy the fleet drew [MWh].
    energy_available_mwh : array_like
        Energy the supplier made available in the period [MWh], e.g.
        ``energy_mwh(it_mw, pue, hours, availability)`` (the fleet running in every
        hour the supplier delivers).
    take_or_pay_fraction : array_like
        Minimum share of the available energy paid for whether used or not
        [fraction], in [0, 1]; 0 = no minimum.

    Returns
    -------
    TakeOrPay
        Energy billed and energy billed but unused [MWh].

    Notes
    -----
    ``billed = max(used, fraction * available)``; ``unused = billed - used``. The
    unused energy is priced by the contract (e.g. at the period's mean tariff).
    """
    f = _f(take_or_pay_fraction)
    if np.any(~((f >= 0) & (f <= 1))):
        raise _problem("take_or_pay_fraction", "a fraction in [0, 1]", f)
    used = _f(energy_used_mwh)
    billed = np.maximum(used, f * _f(energy_available_mwh))
    return TakeOrPay(billed_mwh=billed, unused_mwh=billed - used)


def hashcost_usd_per_ph_day(
    efficiency_j_per_th: npt.ArrayLike, price_usd_per_kwh: npt.ArrayLike, pue: npt.ArrayLike = 1.0
) -> np.ndarray | float:
    """Energy cost of 1 PH/s for a day.

    Parameters
    ----------
    efficiency_j_per_th : array_like
        Efficiency [J/TH] (effective: nameplate / degradation factor).
    price_usd_per_kwh : array_like
        Electricity price at the meter [USD/kWh].
    pue : array_like, optional
        Meter power / IT power [-].

    Returns
    -------
    numpy.ndarray or float
        Hashcost [USD/(PH/s)/day].

    Notes
    -----
    ``hashcost = e * price_usd_per_mwh * 24 / 1000 * pue`` (domain.md section 2):
    1 PH/s draws ``e * 1000`` W, ``e * 24`` kWh a day at the chips, ``* pue`` at the
    meter. E.g. 17.5 J/TH, 80 USD/MWh, PUE 1.1: ``17.5 * 80 * 24 / 1000 * 1.1 = 36.96``.
    A machine earns its running cost while hashprice >= hashcost.
    """
    price_usd_per_mwh = _f(price_usd_per_kwh) * KWH_PER_MWH
    return _f(efficiency_j_per_th) * price_usd_per_mwh * HOURS_PER_DAY / 1000 * _f(pue)
