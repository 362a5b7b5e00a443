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

from . import __version__, chain, finance, hardware, history, plant, response
from .config import Scenario
from .protocol import (
    HASHES_PER_DIFFICULTY,
    SECONDS_PER_DAY,
    SECONDS_PER_YEAR,
    block_subsidy_btc,
    expected_btc,
    hashrate_from_difficulty,
)
from .results import summarize

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
    "network.response.elasticity",
    "network.response.lag_months",
    "site.capacity_mw",
    "site.mining_share",
    "site.pue",
    "site.uptime",
    "fleet.efficiency_j_per_th",
    "fleet.degradation_per_year",
    "market.btc_price_usd",
    "market.btc_price_growth_per_year",
    "tariff.energy_price_per_kwh",
    "tariff.usd_fx_rate",
    "tariff.usd_fx_change_per_year",
    "tariff.take_or_pay_fraction",
    "costs.pool_fee",
    "costs.hardware_usd_per_th",
    "costs.infrastructure_usd_per_mw",
    "costs.om_usd_per_mw_year",
    "costs.fixed_usd_per_year",
    "costs.salvage_fraction",
    "finance.discount_rate",
    "finance.btc_held_fraction",
    "finance.alternative_energy_price_per_kwh",
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


def _hardware_price(scenario: Scenario) -> float:
    """Price of the fleet's machines [USD per TH/s]: the cost setting, else the catalogue's.

    A mix is priced by hashrate share, so the price times the fleet's TH/s is what it costs.
    """
    if scenario.costs.hardware_usd_per_th is not None:
        return scenario.costs.hardware_usd_per_th
    machines = scenario.fleet.machines or ()
    prices = [m.price_usd_per_th for m in machines]
    if not machines or None in prices:
        raise ValueError("costs.hardware_usd_per_th: expected a price (the fleet has a machine "
                         "without a catalogue price), got null")
    return float(np.dot(_fleet_mix(scenario).hashrate_share, prices))


def _fleet_mix(scenario: Scenario) -> plant.FleetMix:
    """The fleet's machine mix: efficiency [J/TH] and each machine's share of hashrate."""
    return plant.fleet_mix(scenario.fleet.machine_shares, scenario.fleet.machine_efficiencies_j_per_th)


def _refresh(scenario: Scenario):
    """Efficiency [J/TH] and price [USD per TH/s] of refresh machines; NaN when none."""
    refresh = scenario.fleet.refresh
    if refresh is None:
        return np.nan, np.nan
    if refresh.model is None:
        return refresh.efficiency_j_per_th, refresh.hardware_usd_per_th or 0.0
    machine = hardware.get_machine(refresh.model)
    price = refresh.hardware_usd_per_th
    return machine.efficiency_j_per_th, machine.price_usd_per_th if price is None else price


def _growth_value(scenario: Scenario):
    """The growth setting as (kind, value) with trend fits turned into a yearly rate.

    A path has no single value (NaN): its points shape the network directly.
    """
    growth = scenario.network.hashrate_growth
    kind = growth.kind
    if kind == "trend_epochs":
        return "per_year", history.growth_trend_per_year(growth.trend_epochs)
    return kind, np.nan if kind == "path" else getattr(growth, kind)


def base_parameters(scenario: Scenario) -> dict:
    """The scenario's value of each entry of :data:`PARAMETERS`, resolved (catalogue prices,
    growth trends) as the model uses it."""
    return {k: v.item() for k, v in _parameters(scenario).items()}


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
        # No response block: elasticity 0 (the lag then has no effect).
        "network.response.elasticity": 0.0 if net.response is None else net.response.elasticity,
        "network.response.lag_months": 1.0 if net.response is None else net.response.lag_months,
        "site.capacity_mw": scenario.site.capacity_mw,
        "site.mining_share": scenario.site.mining_share,
        "site.pue": scenario.site.pue,
        "site.uptime": scenario.site.uptime,
        "fleet.efficiency_j_per_th": float(_fleet_mix(scenario).efficiency_j_per_th),
        "fleet.degradation_per_year": scenario.fleet.degradation_per_year,
        "market.btc_price_usd": scenario.market.btc_price_usd,
        "market.btc_price_growth_per_year": scenario.market.btc_price_growth_per_year,
        "tariff.energy_price_per_kwh": scenario.tariff.energy_price_per_kwh,
        "tariff.usd_fx_rate": scenario.tariff.usd_fx_rate,
        "tariff.usd_fx_change_per_year": scenario.tariff.usd_fx_change_per_year,
        "tariff.take_or_pay_fraction": scenario.tariff.take_or_pay_fraction,
        "costs.pool_fee": scenario.costs.pool_fee,
        "costs.hardware_usd_per_th": _hardware_price(scenario),
        "costs.infrastructure_usd_per_mw": scenario.costs.infrastructure_usd_per_mw,
        "costs.om_usd_per_mw_year": scenario.costs.om_usd_per_mw_year,
        "costs.fixed_usd_per_year": scenario.costs.fixed_usd_per_year,
        "costs.salvage_fraction": scenario.costs.salvage_fraction,
        "finance.discount_rate": scenario.finance.discount_rate,
        "finance.btc_held_fraction": scenario.finance.btc_held_fraction,
        "finance.alternative_energy_price_per_kwh": (
            scenario.tariff.energy_price_per_kwh
            if scenario.finance.alternative_energy_price_per_kwh is None
            else scenario.finance.alternative_energy_price_per_kwh),
    }
    return {k: xr.DataArray(v) for k, v in values.items()}


TIME_AXES = ("time", "edge")
"""Trailing axes of per-month paths (``time``) and of values at month edges (``edge``)."""

PATHS = {
    "btc_price_usd": "BTC price in each month [USD], dims (..., time)",
    "fees_btc_per_block": "fees per block in each month [BTC], dims (..., time)",
    "other_hashrate_factor": "rest of the network's hashrate relative to the start at each "
                             "month edge [-], dims (..., edge); replaces the growth setting",
}
"""Monthly paths :func:`run` accepts in ``paths`` (Monte Carlo draws them)."""


def _as_arrays(params: dict):
    """Numpy views of labelled parameters on one shared dimension order.

    Each array keeps size 1 on the dimensions it does not vary along, so the
    core only does the work the parameters really need (a fee sweep does not
    re-run the chain per fee).
    """
    sizes = {}
    for p in params.values():
        for d, n in p.sizes.items():
            if d not in TIME_AXES and sizes.setdefault(d, n) != n:
                raise ValueError(f"{d}: expected the same length ({sizes[d]}) everywhere, got {n}")
    dims = list(sizes)
    arrays = {}
    for name, p in params.items():
        tail = [d for d in TIME_AXES if d in p.dims]
        full = p.expand_dims([d for d in dims if d not in p.dims]).transpose(*dims, *tail)
        arrays[name] = np.asarray(full.data)
    return dims, sizes, arrays


def _scenario_coords(params: dict, dims) -> dict:
    """Coordinates of the scenario dimensions (and any others the parameters carry, such
    as the values of fields varied together along one dimension)."""
    coords = {}
    for p in params.values():
        coords.update({c: p.coords[c].variable for c in p.coords
                       if c not in coords and c not in TIME_AXES})
    for d in dims:
        coords.setdefault(d, np.arange(next(p.sizes[d] for p in params.values() if d in p.dims)))
    return coords


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
    return _dated_path(scenario.start_date, [(p.date, p.hashrate_eh_s * EH) for p in growth.path],
                       start, edges_s)


def _seconds_from(start_date, dates) -> np.ndarray:
    """Dates as seconds after start_date [s]."""
    t0 = pd.Timestamp(start_date)
    return np.array([(pd.Timestamp(d) - t0).total_seconds() for d in dates])


def _dated_path(start_date, points, today, times_s):
    """Log-linear path through dated ``(date, value)`` points, from ``today`` at start_date.

    ``today`` (shape ``(...)``) is the value at the start unless the first point is
    on or before start_date; after the last point the path stays flat.
    """
    knot_s = _seconds_from(start_date, [d for d, _ in points])
    today = np.asarray(today, dtype=np.float64)
    knots = np.broadcast_to(np.array([v for _, v in points]), (*today.shape, len(points)))
    if knot_s[0] > 0:
        knot_s = np.concatenate([[0.0], knot_s])
        knots = np.concatenate([today[..., None], knots], axis=-1)
    return chain.log_linear_path(knot_s, knots, times_s)


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


def _hashvalue_btc_per_ph_day(proj: chain.Projection, fees, period_s):
    """Revenue of one PH/s for a day, averaged over each period [BTC/(PH/s)/d]."""
    return 1e15 * SECONDS_PER_DAY / HASHES_PER_DIFFICULTY * (
        proj.subsidy_time_over_difficulty_btc_s + fees * proj.time_over_difficulty_s) / period_s


def _response_hook(a: dict, alone: chain.Projection, fees, period_s, deviation: dict):
    """The chain's ``other_factor``: other miners' lagged answer to the fleet's effect on
    hashprice, against the fleet-free world ``alone`` (:mod:`minecalc.response`).

    Each month's deviation is stored in ``deviation[j]``.
    """
    def at_month_starts(start, ends):
        """Values when each month starts: ``start``, then the previous months' ends."""
        first = np.broadcast_to(start, ends.shape[:-1])[..., None]
        return np.concatenate([first, ends[..., :-1]], axis=-1)

    start_d = at_month_starts(a["network.difficulty"], alone.difficulty_end)
    start_height = at_month_starts(a["network.height"], alone.height_end)
    start_subsidy = block_subsidy_btc(np.floor(start_height).astype(np.int64))
    fees = np.broadcast_to(fees, (*np.shape(fees)[:-1], period_s.size))

    def other_factor(j, difficulty, subsidy_btc):
        gap = response.hashprice_gap(subsidy_btc, fees[..., j], difficulty, start_subsidy[..., j],
                                     start_d[..., j])
        deviation[j] = response.adjust(deviation.get(j - 1, 0.0), gap, period_s[j],
                                       a["network.response.elasticity"],
                                       a["network.response.lag_months"])
        return np.exp(deviation[j])

    return other_factor


def _hashprice_usd_per_ph_day(reward_btc, difficulty, price_usd):
    """Revenue of 1 PH/s for a day [USD]: what 1e15 H/s wins in 86,400 s, at the price."""
    return expected_btc(1e15, SECONDS_PER_DAY, difficulty, reward_btc) * price_usd


def _money(scenario, a, fleet_v, site_mw, run_share, supply, pue, hours, paid_usd,
           mean_tariff_usd, fx, price, fleet_btc, pool_fee, mid_years, refresh, lifetime, n):
    """Energy, costs, cash flows and the financial summary; ``name -> (data, tail, units, long_name)``.

    Cash flows are placed at the middle of their month. Held BTC is valued at the last
    month's price and counted, with the machines' salvage, in the last month.
    """
    def pm(key):
        return np.asarray(a[key])[..., None]

    period_years = hours * 3600 / SECONDS_PER_YEAR
    energy_used = plant.energy_mwh(fleet_v.mw, pue, hours, run_share)
    billed = plant.take_or_pay_mwh(energy_used, plant.energy_mwh(fleet_v.mw, pue, hours, supply),
                                   pm("tariff.take_or_pay_fraction"))
    energy_usd = 1000 * (energy_used * paid_usd + billed.unused_mwh * mean_tariff_usd)
    btc_net = fleet_btc * (1 - pool_fee)
    refresh_eff, refresh_price = refresh
    hardware_usd = plant.hardware_capex_usd(fleet_v.bought_mw, pm("fleet.efficiency_j_per_th"),
                                            pm("costs.hardware_usd_per_th"))
    if not np.isnan(refresh_eff):
        hardware_usd = hardware_usd + plant.hardware_capex_usd(fleet_v.refresh_bought_mw,
                                                               refresh_eff, refresh_price)
    capex = hardware_usd + fleet_v.bought_mw * pue / pm("site.mining_share") * pm(
        "costs.infrastructure_usd_per_mw")
    opex = (pm("costs.om_usd_per_mw_year") * site_mw + pm("costs.fixed_usd_per_year")) * period_years
    life = plant.lifetime_months(lifetime, n) if np.isfinite(lifetime) else n
    depreciation = finance.straight_line_depreciation(hardware_usd, life, n)
    book_end = hardware_usd.sum(-1) - depreciation.sum(-1)
    reserve = finance.treasury(btc_net, price, pm("finance.btc_held_fraction"))
    end = np.zeros(n)
    end[-1] = 1.0
    terminal = (reserve.reserve_value_usd[..., -1] + a["costs.salvage_fraction"] * book_end)[..., None] * end
    revenue = reserve.sales_usd + terminal
    cash = revenue - energy_usd - opex - capex
    rate = a["finance.discount_rate"]
    npv = finance.npv(cash, rate, mid_years)
    irr = finance.irr_with_reason(cash, mid_years)
    btc_total = btc_net.sum(-1)
    energy_total = energy_usd.sum(-1)
    pv_energy = finance.npv(energy_usd, rate, mid_years)
    pv_revenue = finance.npv(reserve.sales_usd + reserve.reserve_value_usd[..., -1:] * end, rate,
                             mid_years)
    tariff0 = a["tariff.energy_price_per_kwh"]
    if scenario.tariff.dispatch == "economic":
        # With dispatch NPV is not linear in either price: run() solves these by root
        # finding over whole runs (_solve_breakevens).
        breakeven_tariff = breakeven_price = np.full(np.shape(npv), np.nan)
    else:
        # NPV is linear in the tariff (energy costs scale with it) and in the BTC price
        # path (sales and the reserve's value scale with it): two points give the root.
        breakeven_tariff = finance.breakeven_of_linear(npv + pv_energy, npv, 0.0, tariff0)
        breakeven_price = a["market.btc_price_usd"] * finance.breakeven_of_linear(
            npv - pv_revenue, npv, 0.0, 1.0)
    out = {
        "energy_mwh": (energy_used, "time", "MWh", "energy used at the meter"),
        "energy_billed_mwh": (billed.billed_mwh, "time", "MWh", "energy paid for (take-or-pay)"),
        "energy_price_usd_per_kwh": (paid_usd, "time", "USD/kWh", "mean price of the energy used"),
        "energy_cost_usd": (energy_usd, "time", "USD", "energy cost"),
        "energy_cost_local": (energy_usd * fx, "time", scenario.tariff.currency,
                              "energy cost in the tariff currency"),
        "run_fraction": (run_share, "time", "1", "share of the month the machines in service hash"),
        "site_mw": (site_mw, "time", "MW", "grid capacity in service"),
        "btc_price_usd": (price, "time", "USD", "BTC price"),
        "usd_fx_rate": (fx, "time", f"{scenario.tariff.currency}/USD", "tariff currency per USD"),
        "pool_fee_btc": (fleet_btc - btc_net, "time", "BTC", "pool fee"),
        "btc_net": (btc_net, "time", "BTC", "BTC received after the pool fee"),
        "btc_held": (btc_net - reserve.btc_sold, "time", "BTC", "BTC put in the reserve"),
        "reserve_btc": (reserve.reserve_btc, "time", "BTC", "BTC in the reserve"),
        "reserve_value_usd": (reserve.reserve_value_usd, "time", "USD", "value of the reserve"),
        "sales_usd": (reserve.sales_usd, "time", "USD", "BTC sold"),
        "capex_hardware_usd": (hardware_usd, "time", "USD", "machines bought"),
        "capex_usd_by_month": (capex, "time", "USD", "capital spending"),
        "opex_usd": (opex, "time", "USD", "operations, maintenance and fixed costs"),
        "depreciation_usd": (depreciation, "time", "USD", "straight-line depreciation of machines"),
        "cash_flow_usd": (cash, "time", "USD", "net cash flow (the last month includes the "
                          "reserve's value and the salvage)"),
        "cumulative_cash_usd": (np.cumsum(cash, axis=-1), "time", "USD", "cumulative cash flow"),
        "hashcost_usd_per_ph_day": (plant.hashcost_usd_per_ph_day(
            fleet_v.effective_efficiency_j_per_th, paid_usd, pue), "time", "USD/(PH/s)/d",
            "energy cost of 1 PH/s for a day"),
        "mining_value_usd_per_mwh": (finance.cost_per_btc(btc_net * price, energy_used), "time", "USD/MWh", "BTC mined per MWh, in USD"),
        "energy_gwh_total": (energy_used.sum(-1) / 1000, (), "GWh", "energy used over the horizon"),
        "fleet_nameplate_hashrate_eh_s": (
            plant.fleet_hashrate_h_s(fleet_v.mw, fleet_v.efficiency_j_per_th).max(-1) / EH, (),
            "EH/s", "nameplate hashrate of the largest fleet in service"),
        "capex_usd": (capex.sum(-1), (), "USD", "capital spending over the horizon"),
        "npv_usd": (npv, (), "USD", "net present value"),
        "irr": (irr.irr_per_year, (), "1/year", "internal rate of return"),
        "irr_reason": (irr.reason, (), "1", "0 ok, 1 no sign change, 2 no root, 3 several roots"),
        "payback_months": (finance.payback_months(cash), (), "months",
                           "months until the cumulative cash flow stays >= 0 (NaN: never)"),
        "cost_per_btc_cash_usd": (finance.cost_per_btc(energy_total + opex.sum(-1), btc_total), (),
                                  "USD/BTC", "energy and operating cost per BTC received"),
        "cost_per_btc_all_in_usd": (finance.cost_per_btc(
            energy_total + opex.sum(-1) + depreciation.sum(-1), btc_total), (), "USD/BTC",
            "cash cost plus depreciation per BTC received"),
        "energy_mwh_per_btc": (finance.cost_per_btc(energy_used.sum(-1), btc_total), (), "MWh/BTC",
                               "energy per BTC received"),
        "breakeven_energy_price_per_kwh": (breakeven_tariff, (), f"{scenario.tariff.currency}/kWh",
                                           "tariff at which NPV is zero"),
        "breakeven_energy_price_usd_per_kwh": (breakeven_tariff / a["tariff.usd_fx_rate"], (),
                                               "USD/kWh", "tariff at which NPV is zero, at the "
                                               "starting exchange rate"),
        "breakeven_btc_price_usd": (breakeven_price, (), "USD", "starting BTC price (the path "
                                    "scaled with it) at which NPV is zero"),
        "reserve_btc_end": (reserve.reserve_btc[..., -1], (), "BTC", "BTC in the reserve at the end"),
        "mining_value_usd_per_mwh_mean": (finance.cost_per_btc((btc_net * price).sum(-1),
                                                               energy_used.sum(-1)), (), "USD/MWh",
                                          "BTC mined per MWh over the horizon, in USD"),
        "alternative_value_usd_per_mwh": (
            1000 * pm("finance.alternative_energy_price_per_kwh") / fx, "time", "USD/MWh",
            "what the energy would earn sold at the alternative price"),
    }
    return out


def _solve_breakevens(scenario: Scenario, params: dict, paths: dict, sizes: dict,
                      ds: xr.Dataset) -> xr.Dataset:
    """Breakeven tariff and BTC price by root finding over whole model runs.

    Needed with economic dispatch, where the fleet's switch-off moves difficulty and
    NPV is no longer linear in either price. Each iteration is one vectorized run.
    """
    template = ds.npv_usd.expand_dims({d: n for d, n in sizes.items()
                                       if d not in ds.npv_usd.dims})
    dims, shape = template.dims, template.shape

    def npv_at(key):
        def f(x):
            x = xr.DataArray(np.broadcast_to(x, shape), dims=dims)
            again = run(scenario, {**params, key: x}, paths=paths, solve_breakevens=False)
            return again.npv_usd.broadcast_like(template).transpose(*dims).values
        return f

    tariff = scenario.tariff.energy_price_per_kwh
    scale = tariff + 1.0
    x = finance.breakeven(npv_at("tariff.energy_price_per_kwh"), 0.0, 2 * scale,
                          xmin=-1e3 * scale, xmax=1e3 * scale)
    price = scenario.market.btc_price_usd
    y = finance.breakeven(npv_at("market.btc_price_usd"), price / 4, price * 4,
                          xmin=1.0, xmax=price * 1e3)
    fx0 = params.get("tariff.usd_fx_rate", scenario.tariff.usd_fx_rate)
    updates = {
        "breakeven_energy_price_per_kwh": xr.DataArray(x, dims=dims),
        "breakeven_energy_price_usd_per_kwh": xr.DataArray(x, dims=dims) / fx0,
        "breakeven_btc_price_usd": xr.DataArray(y, dims=dims),
    }
    for name, value in updates.items():
        value.attrs = ds[name].attrs
        ds[name] = value.drop_vars([c for c in value.coords if c not in value.dims])
    return ds


def run(scenario: Scenario, params: dict | None = None, *, paths: dict | None = None,
        solve_breakevens: bool = True, record_epochs: bool = True,
        without_fleet: bool = True) -> xr.Dataset:
    """Run a scenario through the chain projection and label the results.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`minecalc.config.load_config`).
    params : dict of str to xarray.DataArray, optional
        Replacement values for entries of :data:`PARAMETERS`, each with its own
        named dimensions; the result gains those dimensions.
    paths : dict of str to xarray.DataArray, optional
        Monthly paths replacing the scenario's constant or trend values (see
        :data:`PATHS`); their other dimensions (e.g. ``path``) become scenario dimensions.
    record_epochs : bool
        Keep the per-epoch and halving variables (scenarios x epochs values: turn off for
        large sweeps and Monte Carlo).
    solve_breakevens : bool
        With ``dispatch: economic``, find the breakeven tariff and BTC price by root
        finding over whole model runs (about 20 runs each); False leaves them NaN.
    without_fleet : bool
        Also project the network as if the fleet had not come (one more chain run):
        the ``*_without_fleet`` variables and the fleet's undiluted yield, which show
        what the fleet's own hashrate does to difficulty and to its revenue.

    Returns
    -------
    xarray.Dataset
        Monthly variables on ``time``, per-epoch ones on ``epoch``, halvings on
        ``halving``; the scenario and package version in ``attrs``.
    """
    params = dict(params or {})  # its dimensions come first, in the caller's order
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"params: expected keys among model.PARAMETERS, got {', '.join(unknown)}")
    all_params = {**params, **{k: v for k, v in _parameters(scenario).items() if k not in params}}
    paths = dict(paths or {})
    unknown = sorted(set(paths) - set(PATHS))
    if unknown:
        raise ValueError(f"paths: expected keys among {', '.join(PATHS)}, got {', '.join(unknown)}")
    dims, sizes, a = _as_arrays({**all_params, **{f"path:{k}": v for k, v in paths.items()}})
    edges = month_edges(scenario.start_date, scenario.horizon_months)
    edges_s = (edges - edges[0]).total_seconds().to_numpy()
    period_s = np.diff(edges_s)
    n = period_s.size

    years = edges_s / SECONDS_PER_YEAR
    mid_years = finance.cash_flow_times(years)
    month_index = edges[:-1].month.to_numpy() - 1
    hours = period_s / 3600

    def per_month(x):
        return np.asarray(x)[..., None]

    # The plant: machines in service by cohort, availability, hashrate available.
    share, pue = per_month(a["site.mining_share"]), per_month(a["site.pue"])
    ramp = scenario.site.ramp
    if ramp is None:
        ramp_s, ramp_site_mw, kind = np.zeros(1), per_month(a["site.capacity_mw"]), "steps"
    else:
        ramp_s = _seconds_from(scenario.start_date, [q.date for q in ramp.points])
        ramp_site_mw, kind = np.array([q.capacity_mw for q in ramp.points]), ramp.shape
    refresh_eff, refresh_price = _refresh(scenario)
    lifetime = scenario.fleet.lifetime_years or np.inf
    fleet_v = plant.fleet_vintages(
        edges_s, ramp_s, plant.it_power_mw(ramp_site_mw, share, pue), kind,
        a["fleet.efficiency_j_per_th"], a["fleet.degradation_per_year"], lifetime, refresh_eff)
    supply = plant.available_fraction(month_index, np.array(scenario.site.availability_by_month))
    up = supply * per_month(a["site.uptime"])
    available_h_s = plant.fleet_hashrate_h_s(fleet_v.mw * up, fleet_v.efficiency_j_per_th,
                                             fleet_v.degradation_factor)
    site_mw = fleet_v.mw * pue / share  # grid capacity in service

    # Prices through time: BTC at each period's middle, FX, hourly tariff in USD.
    market = scenario.market
    if "path:btc_price_usd" in a:
        price = a["path:btc_price_usd"]
    elif market.btc_price_path is None:
        price = per_month(a["market.btc_price_usd"]) * (
            1 + per_month(a["market.btc_price_growth_per_year"])) ** mid_years
    else:
        price = _dated_path(scenario.start_date,
                            [(q.date, q.btc_price_usd) for q in market.btc_price_path],
                            a["market.btc_price_usd"], mid_years * SECONDS_PER_YEAR)
    fx = per_month(a["tariff.usd_fx_rate"]) * (1 + per_month(a["tariff.usd_fx_change_per_year"])) ** mid_years
    tou = scenario.tariff.time_of_use
    profile = "flat" if tou is None else ("daily" if len(tou) == 1 else "monthly")
    factors = 1.0 if tou is None else np.array(tou[0] if len(tou) == 1 else tou)
    base = a["tariff.energy_price_per_kwh"].reshape(a["tariff.energy_price_per_kwh"].shape
                                                    + (1,) * np.ndim(factors))
    hourly_usd = plant.tariff_by_hour(base * factors, month_index, profile) / fx[..., None]
    fees = a.get("path:fees_btc_per_block", per_month(a["network.fees_btc_per_block"]))
    pool_fee = per_month(a["costs.pool_fee"])
    effective_eff = fleet_v.effective_efficiency_j_per_th

    # Economic dispatch decides each month from the difficulty in force when it starts.
    decided, net_hashprice = {}, {}

    def run_fraction(j, difficulty, subsidy_btc):
        hashprice = (1 - pool_fee[..., 0]) * _hashprice_usd_per_ph_day(
            subsidy_btc + fees[..., 0], difficulty, price[..., j])
        net_hashprice[j] = hashprice
        decided[j] = plant.dispatch_fraction(hourly_usd[..., j, :], hashprice,
                                             effective_eff[..., j], pue[..., 0], "economic")
        return decided[j].run_fraction

    economic = scenario.tariff.dispatch == "economic"
    elapsed = None
    if scenario.network.epoch_start_date is not None:
        start = pd.Timestamp(scenario.start_date, tz="UTC")
        elapsed = (start - pd.Timestamp(scenario.network.epoch_start_date)).total_seconds()
    other_path = (_other_network_path(scenario, a, edges_s)
                  * a.get("path:other_hashrate_factor", 1.0))
    responding = scenario.network.response is not None or "network.response.elasticity" in params
    alone = None
    if without_fleet or responding:
        # The network as it would be without the fleet: its difficulty never sees the fleet.
        alone = chain.project(edges_s, other_path, available_h_s, a["network.difficulty"],
                              a["network.height"], epoch_elapsed_s=elapsed,
                              include_fleet_in_network=False, record_epochs=False)
    other_factor, deviation = None, {}
    if responding:
        other_factor = _response_hook(a, alone, fees, period_s, deviation)
        # The chain's scenario shape must hold the response's own dimensions.
        other_path = other_path * np.ones_like(a["network.response.elasticity"]
                                               * a["network.response.lag_months"])[..., None]
    proj = chain.project(
        edges_s,
        other_path,
        available_h_s,
        a["network.difficulty"],
        a["network.height"],
        epoch_elapsed_s=elapsed,
        include_fleet_in_network=a["network.include_fleet_in_network"],
        run_fraction=run_fraction if economic else None,
        other_factor=other_factor,
        record_epochs=record_epochs,
    )
    fleet_monthly = proj.fleet_hashrate_h_s
    fleet_blocks, fleet_subsidy, fleet_btc = chain.fleet_yield(proj, fees)
    hashvalue = _hashvalue_btc_per_ph_day(proj, fees, period_s)
    days = period_s / SECONDS_PER_DAY
    other = proj.mined_hashrate_h_s - fleet_monthly
    if economic:
        dispatched = np.stack([decided[j].run_fraction for j in range(n)], axis=-1)
        paid_usd = np.stack([decided[j].mean_price_usd_per_kwh for j in range(n)], axis=-1)
    else:
        dispatched, paid_usd = np.ones(n), hourly_usd.mean(axis=-1)
    money = _money(scenario, a, fleet_v, site_mw, up * dispatched, supply, pue, hours, paid_usd,
                   hourly_usd.mean(axis=-1), fx, price, fleet_btc, pool_fee, mid_years,
                   (refresh_eff, refresh_price), lifetime, n)

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
    }
    coords = {"time": _var(edges[:-1].to_numpy(), "time", None, "start of the monthly period (UTC)")}
    if record_epochs:
        data.update({
            "epoch_start_time": v(dated(proj.epoch_start_s), e, None,
                                  "time of the epoch's first block (UTC)"),
            "epoch_difficulty": v(proj.epoch_difficulty, e, "1", "difficulty of the epoch"),
            "epoch_block_interval_s": v(proj.epoch_block_interval_s, e, "s", "mean block "
                                        "interval of the epoch (retarget timespan / 2015)"),
            "halving_time": v(dated(proj.halving_time_s), ("halving",), None,
                              "time the first block of the halving era is found (UTC)"),
        })
        coords["epoch_start_height"] = _var(
            2016 * (proj.first_epoch + np.arange(proj.epoch_difficulty.shape[-1])), "epoch",
            "blocks", "height of the epoch's first block")
        # Month x hour detail: which hours the machines hash, and what the energy costs then.
        decision = (np.stack([net_hashprice[j] for j in range(n)], axis=-1) if economic
                    else np.nan)
        hashing = plant.dispatch_hours(hourly_usd, decision, effective_eff, pue,
                                       scenario.tariff.dispatch)
        data.update({
            "run_by_hour": v(up[..., None] * hashing, (*t, "hour"), "1",
                             "share of the hour the machines hash (availability x uptime x "
                             "dispatch)"),
            "energy_price_by_hour_usd_per_kwh": v(hourly_usd, (*t, "hour"), "USD/kWh",
                                                  "energy price by hour of day"),
        })
        coords["hour"] = _var(np.arange(24), "hour", "h", "hour of day (local time of the tariff)")
        coords["halving_height"] = _var(
            210_000 * (proj.first_halving + np.arange(proj.halving_time_s.shape[-1])), "halving",
            "blocks", "height of the first block of the era")
    data.update({name: v(x, (tail,) if tail else (), units, long_name)
                 for name, (x, tail, units, long_name) in money.items()})
    data["hashprice_usd_per_ph_day"] = v(hashvalue * price, t, "USD/(PH/s)/d",
                                         "expected revenue per PH/s per day (before pool fee)")
    if alone is not None:
        # The same fleet hashing as a price taker: difficulty never sees it.
        blocks_u, _, btc_u = chain.fleet_yield(alone._replace(fleet_hashrate_h_s=fleet_monthly),
                                               fees)
        hashvalue_u = _hashvalue_btc_per_ph_day(alone, fees, period_s)
        baseline_other = alone.mined_hashrate_h_s - alone.fleet_hashrate_h_s
        data.update({
            "difficulty_without_fleet": v(period_s / alone.time_over_difficulty_s, t, "1",
                                          "difficulty without the fleet (time-weighted "
                                          "harmonic mean)"),
            "network_hashrate_without_fleet_eh_s": v(baseline_other / EH, t, "EH/s",
                                                     "network hashrate without the fleet (mean)"),
            "hashprice_without_fleet_usd_per_ph_day": v(
                hashvalue_u * price, t, "USD/(PH/s)/d",
                "hashprice without the fleet (before pool fee)"),
            "network_share_undiluted": v(blocks_u / alone.blocks, t, "1",
                                         "fleet's share if difficulty ignored it (h / H)"),
            "fleet_btc_undiluted": v(btc_u, t, "BTC",
                                     "BTC the fleet would mine if difficulty ignored it"),
            "displaced_hashrate_eh_s": v((baseline_other - other) / EH, t, "EH/s",
                                         "other miners' hashrate switched off (or never "
                                         "deployed) because of the fleet"),
        })
    if responding:
        # The fleet's yield if the other miners did not answer (their growth path alone).
        fixed = chain.project(edges_s, other_path, fleet_monthly, a["network.difficulty"],
                              a["network.height"], epoch_elapsed_s=elapsed,
                              include_fleet_in_network=a["network.include_fleet_in_network"],
                              record_epochs=False)
        _, _, btc_fixed = chain.fleet_yield(fixed, fees)
        data.update({
            "fleet_btc_without_response": v(btc_fixed, t, "BTC", "BTC the fleet would mine if "
                                            "the other miners did not respond"),
            "hashprice_without_response_usd_per_ph_day": v(
                _hashvalue_btc_per_ph_day(fixed, fees, period_s) * price, t, "USD/(PH/s)/d",
                "hashprice if the other miners did not respond (before pool fee)"),
            "response_deviation": v(np.stack([deviation[j] for j in range(n)], axis=-1), t, "1",
                                    "log deviation of the other miners' hashrate from their "
                                    "path (the response)"),
        })
    coords.update(_scenario_coords({**all_params, **paths}, dims))
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        title=scenario.name,
        tariff_currency=scenario.tariff.currency,
        minecalc_version=__version__,
        scenario=json.dumps(scenario.to_dict()),
        hashes_per_difficulty=HASHES_PER_DIFFICULTY,
        conventions="monthly periods start at start_date + k months; expected values of a "
        "Poisson block process; 2**48/0xffff hashes per unit of difficulty",
    )
    if solve_breakevens and economic:
        ds = _solve_breakevens(scenario, params, paths, sizes, ds)
    return summarize(ds)

