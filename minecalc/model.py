"""Orchestration: a validated scenario (plus optional scenario dimensions) -> labelled Dataset.

This is the only module that knows both the config objects and xarray. It turns
the scenario into arrays, calls the pure core (:mod:`minecalc.chain`) once, and
labels what comes back: a ``time`` dimension of monthly periods, an ``epoch``
dimension over retarget epochs and a ``halving`` dimension, plus one dimension
per swept parameter. Every variable carries ``units`` and ``long_name``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from . import __version__, chain, history
from .results import summarize
from .config import Scenario
from .protocol import HASHES_PER_DIFFICULTY, SECONDS_PER_DAY, hashrate_from_difficulty

EH = 1e18
"""Hashes per second in one EH/s."""

# Scenario parameters the core takes as arrays, by their config path.
PARAMETERS = (
    "network.height",
    "network.difficulty",
    "network.hashrate_eh_s",
    "network.fees_btc_per_block",
    "network.hashrate_growth",
    "network.include_fleet_in_network",
    "site.capacity_mw",
    "site.mining_share",
    "site.pue",
    "fleet.efficiency_j_per_th",
    "market.btc_price_usd",
)


def month_edges(start_date, horizon_months):
    """Edges of the monthly periods: ``start_date + k`` calendar months, k = 0..n.

    Returns
    -------
    pandas.DatetimeIndex
        ``n + 1`` edges (UTC-naive), so period k covers ``[edges[k], edges[k+1])``.
        A period is labelled by its start; its calendar month is the start's.
    """
    start = pd.Timestamp(start_date)
    return pd.DatetimeIndex([start + pd.DateOffset(months=k) for k in range(horizon_months + 1)])


def fleet_hashrate_h_s(capacity_mw, mining_share, pue, efficiency_j_per_th):
    """Hashrate of the fleet the site can power [H/s].

    Notes
    -----
    IT power = ``capacity_mw * mining_share / pue`` [MW];
    hashrate = IT power [W] / efficiency [J/TH] [TH/s].
    """
    it_power_w = np.multiply(capacity_mw, mining_share) / pue * 1e6
    return it_power_w / efficiency_j_per_th * 1e12


def _fleet_efficiency(scenario: Scenario) -> float:
    """Efficiency of the fleet's mix by share of IT power [J/TH] (hashrate-weighted harmonic)."""
    fleet = scenario.fleet
    return 1 / sum(s / e for s, e in zip(fleet.machine_shares, fleet.machine_efficiencies_j_per_th))


def _growth_value(scenario: Scenario):
    """The growth setting as (kind, value) with trend fits turned into a yearly rate."""
    growth = scenario.network.hashrate_growth
    kind = growth.kind
    if kind == "trend_epochs":
        return "per_year", history.growth_trend_per_year(growth.trend_epochs)
    return kind, getattr(growth, kind)


def _parameters(scenario: Scenario) -> dict:
    """The scenario's array parameters (0-d here; sweeps replace them by labelled arrays)."""
    net = scenario.network
    hashrate = net.hashrate_eh_s
    values = {
        "network.height": net.height,
        "network.difficulty": net.difficulty,
        "network.hashrate_eh_s": np.nan if hashrate is None else hashrate,
        "network.fees_btc_per_block": net.fees_btc_per_block,
        "network.hashrate_growth": _growth_value(scenario)[1],
        "network.include_fleet_in_network": net.include_fleet_in_network,
        "site.capacity_mw": scenario.site.capacity_mw,
        "site.mining_share": scenario.site.mining_share,
        "site.pue": scenario.site.pue,
        "fleet.efficiency_j_per_th": _fleet_efficiency(scenario),
        "market.btc_price_usd": scenario.market.btc_price_usd,
    }
    return {k: xr.DataArray(v) for k, v in values.items()}


def _as_arrays(params: dict):
    """Numpy views of labelled parameters on one shared dimension order.

    Each array keeps size 1 on the dimensions it does not vary along, so the
    core only does the work the parameters really need (a fee sweep does not
    re-run the chain per fee).
    """
    sizes = {}
    for p in params.values():
        for d, n in p.sizes.items():
            if sizes.setdefault(d, n) != n:
                raise ValueError(f"{d}: expected the same length ({sizes[d]}) everywhere, got {n}")
    dims = list(sizes)
    arrays = {}
    for name, p in params.items():
        full = p.expand_dims([d for d in dims if d not in p.dims]).transpose(*dims)
        arrays[name] = np.asarray(full.data)
    return dims, sizes, arrays


def _scenario_coords(params: dict, dims) -> dict:
    """Coordinates of the scenario dimensions, from the parameters that carry them."""
    coords = {}
    for p in params.values():
        coords.update({d: p[d].variable for d in p.dims if d in p.coords and d not in coords})
    return {d: coords.get(d, np.arange(next(p.sizes[d] for p in params.values() if d in p.dims)))
            for d in dims}


def _other_network_path(scenario: Scenario, arrays: dict, edges_s: np.ndarray):
    """Hashrate of the rest of the network at the period edges [H/s], shape (..., n + 1)."""
    start = np.where(
        np.isnan(arrays["network.hashrate_eh_s"]),
        hashrate_from_difficulty(arrays["network.difficulty"]),
        arrays["network.hashrate_eh_s"] * EH,
    )
    growth = scenario.network.hashrate_growth
    if growth.kind != "path":
        kind, _ = _growth_value(scenario)
        rate = chain.growth_rate_per_s(arrays["network.hashrate_growth"], kind)
        return chain.exponential_path(start, rate, edges_s)
    t0 = pd.Timestamp(scenario.start_date)
    knot_s = np.array([(pd.Timestamp(p.date) - t0).total_seconds() for p in growth.path])
    knot_h = np.array([p.hashrate_eh_s * EH for p in growth.path])
    if knot_s[0] > 0:  # the path starts from today's network
        knot_s = np.concatenate([[0.0], knot_s])
        knot_h = np.concatenate([np.broadcast_to(start[..., None], (*start.shape, 1)),
                                 np.broadcast_to(knot_h, (*start.shape, knot_h.size))], axis=-1)
    return chain.log_linear_path(knot_s, knot_h, edges_s)


def _var(data, dims, units, long_name, scenario_sizes=None):
    """A variable with its attrs; datetimes get no ``units`` (xarray encodes those itself).

    With ``scenario_sizes`` the leading axes of ``data`` are scenario dimensions, and
    those on which it has size 1 but the scenario does not (it does not vary along
    them) are dropped rather than stored repeated.
    """
    attrs = {"long_name": long_name} if units is None else {"units": units, "long_name": long_name}
    if scenario_sizes:
        data = np.asarray(data)
        lead = list(scenario_sizes.items())
        keep = [i for i, (d, n) in enumerate(lead) if data.shape[i] == n]
        data = data[tuple(slice(None) if i in keep else 0 for i in range(len(lead)))]
        dims = (*(lead[i][0] for i in keep), *dims[len(lead):])
    return xr.Variable(dims, data, attrs=attrs)


def run(scenario: Scenario, params: dict | None = None) -> xr.Dataset:
    """Run a scenario through the chain projection and label the results.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`minecalc.config.load_config`).
    params : dict of str to xarray.DataArray, optional
        Replacement values for entries of :data:`PARAMETERS`, each with its own
        named dimensions; the result gains those dimensions.

    Returns
    -------
    xarray.Dataset
        Monthly variables on ``time``, per-epoch ones on ``epoch``, halvings on
        ``halving``; the scenario and package version in ``attrs``.
    """
    params = dict(params or {})  # its dimensions come first, in the caller's order
    all_params = {**params, **{k: v for k, v in _parameters(scenario).items() if k not in params}}
    dims, sizes, a = _as_arrays(all_params)
    edges = month_edges(scenario.start_date, scenario.horizon_months)
    edges_s = (edges - edges[0]).total_seconds().to_numpy()
    period_s = np.diff(edges_s)
    n = period_s.size

    fleet = fleet_hashrate_h_s(a["site.capacity_mw"], a["site.mining_share"], a["site.pue"],
                               a["fleet.efficiency_j_per_th"])
    fleet_monthly = np.broadcast_to(fleet[..., None], (*fleet.shape, n))
    elapsed = None
    if scenario.network.epoch_start_date is not None:
        start = pd.Timestamp(scenario.start_date, tz="UTC")
        elapsed = (start - pd.Timestamp(scenario.network.epoch_start_date)).total_seconds()
    proj = chain.project(
        edges_s,
        _other_network_path(scenario, a, edges_s),
        fleet_monthly,
        a["network.difficulty"],
        a["network.height"],
        epoch_elapsed_s=elapsed,
        include_fleet_in_network=a["network.include_fleet_in_network"],
    )
    fees = a["network.fees_btc_per_block"][..., None]
    fleet_blocks, fleet_subsidy, fleet_btc = chain.fleet_yield(proj, fees)
    price = a["market.btc_price_usd"][..., None]
    # Revenue of one PH/s for a day [BTC], averaged over the period.
    hashvalue = 1e15 * SECONDS_PER_DAY / HASHES_PER_DIFFICULTY * (
        proj.subsidy_time_over_difficulty_btc_s + fees * proj.time_over_difficulty_s
    ) / period_s
    days = period_s / SECONDS_PER_DAY
    other = proj.mined_hashrate_h_s - np.where(a["network.include_fleet_in_network"][..., None],
                                               fleet_monthly, 0.0)

    def v(data, tail, units, long_name):
        """A variable over the scenario dimensions it varies along, then ``tail``."""
        return _var(data, (*dims, *tail), units, long_name, sizes)

    t, e = ("time",), ("epoch",)
    start_ns = np.datetime64(edges[0].to_datetime64(), "ns")

    def to_time(seconds):
        return start_ns + np.round(np.nan_to_num(seconds, nan=0) * 1e9).astype("timedelta64[ns]")

    def dated(seconds):
        return np.where(np.isnan(seconds), np.datetime64("NaT"), to_time(seconds))

    data = {
        "period_days": _var(days, "time", "d", "length of the period"),
        "fleet_hashrate_eh_s": v(fleet_monthly / EH, t,
                                    "EH/s", "fleet hashrate"),
        "other_hashrate_eh_s": v(other / EH, t, "EH/s",
                                    "hashrate of the rest of the network (mean)"),
        "network_hashrate_eh_s": v((other + fleet_monthly) / EH, t, "EH/s",
                                      "network hashrate including the fleet (mean)"),
        "difficulty": v(period_s / proj.time_over_difficulty_s, t, "1",
                           "difficulty (time-weighted harmonic mean)"),
        "difficulty_end": v(proj.difficulty_end, t, "1", "difficulty at the end of the period"),
        "network_blocks": v(proj.blocks, t, "blocks",
                               "expected blocks found by the network"),
        "block_interval_s": v(period_s / proj.blocks, t, "s", "mean block interval"),
        "height_end": v(proj.height_end, t, "blocks",
                           "expected chain height at the end of the period"),
        "subsidy_btc_per_block": v(proj.subsidy_btc / proj.blocks, t, "BTC/block",
                                      "mean block subsidy"),
        "fleet_blocks": v(fleet_blocks, t, "blocks", "expected blocks won by the fleet"),
        "network_share": v(fleet_blocks / proj.blocks, t, "1",
                              "fleet's share of the network's blocks"),
        "fleet_subsidy_btc": v(fleet_subsidy, t, "BTC", "subsidy won by the fleet"),
        "fleet_fees_btc": v(fleet_btc - fleet_subsidy, t, "BTC", "fees won by the fleet"),
        "fleet_btc": v(fleet_btc, t, "BTC", "BTC mined by the fleet (subsidy + fees)"),
        "fleet_btc_per_day": v(fleet_btc / days, t, "BTC/d", "BTC mined per day"),
        "fleet_btc_cumulative": v(np.cumsum(fleet_btc, axis=-1), t, "BTC",
                                     "cumulative BTC mined by the fleet"),
        "hashvalue_btc_per_ph_day": v(hashvalue, t, "BTC/(PH/s)/d",
                                         "expected BTC per PH/s per day"),
        "hashprice_usd_per_ph_day": v(hashvalue * price, t, "USD/(PH/s)/d",
                                         "expected revenue per PH/s per day"),
        "epoch_start_time": v(dated(proj.epoch_start_s), e, None,
                                 "time of the epoch's first block (UTC)"),
        "epoch_difficulty": v(proj.epoch_difficulty, e, "1", "difficulty of the epoch"),
        "epoch_block_interval_s": v(proj.epoch_block_interval_s, e, "s",
                                       "mean block interval of the epoch (retarget timespan / 2015)"),
        "halving_time": v(dated(proj.halving_time_s), ("halving",), None,
                             "time the first block of the halving era is found (UTC)"),
    }
    coords = {
        "time": _var(edges[:-1].to_numpy(), "time", None, "start of the monthly period (UTC)"),
        "epoch_start_height": _var(2016 * (proj.first_epoch + np.arange(proj.epoch_difficulty.shape[-1])),
                                   "epoch", "blocks", "height of the epoch's first block"),
        "halving_height": _var(210_000 * (proj.first_halving + np.arange(proj.halving_time_s.shape[-1])),
                               "halving", "blocks", "height of the first block of the era"),
    }
    coords.update(_scenario_coords(all_params, dims))
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        title=scenario.name,
        minecalc_version=__version__,
        scenario=json.dumps(scenario.to_dict()),
        hashes_per_difficulty=HASHES_PER_DIFFICULTY,
        conventions="monthly periods start at start_date + k months; expected values of a "
        "Poisson block process; 2**48/0xffff hashes per unit of difficulty",
    )
    return summarize(ds)

