"""Stage 1, inputs: the scenario's parameters and monthly paths as arrays on shared dimensions.

Any entry of :data:`PARAMETERS` may carry its own named dimensions (a sweep); the monthly
paths of :data:`PATHS` carry theirs (Monte Carlo's ``path``). Each array keeps size 1 on
the dimensions it does not vary along, so the core only does the work the parameters
really need (a fee sweep does not re-run the chain per fee).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import xarray as xr

from .. import chain, hardware, history, plant
from ..config import Scenario
from ..errors import InputError
from ..protocol import SECONDS_PER_YEAR

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
    "costs.facilities_usd_share",
    "costs.om_usd_share",
    "finance.discount_rate",
    "finance.btc_held_fraction",
    "finance.alternative_energy_price_per_kwh",
    "tax.profit_tax_rate",
    "inflation.usd_per_year",
    "inflation.local_per_year",
)
"""Scenario parameters the core takes as arrays, by their config path."""

PATHS = {
    "btc_price_usd": "BTC price in each month [USD], dims (..., time)",
    "fees_btc_per_block": "fees per block in each month [BTC], dims (..., time)",
    "other_hashrate_factor": "rest of the network's hashrate relative to the start at each "
    "month edge [1], dims (..., edge); replaces the growth setting",
}
"""Monthly paths :func:`minecalc.model.run` accepts in ``paths`` (Monte Carlo draws them)."""

TIME_AXES = ("time", "edge")
"""Trailing axes of per-month paths (``time``) and of values at month edges (``edge``)."""


@dataclass(frozen=True)
class Inputs:
    """The scenario and its arrays, ready for the stages."""

    scenario: Scenario
    dims: tuple[str, ...]
    """Scenario dimensions, in order (swept fields first, in the caller's order)."""
    sizes: dict[str, int]
    values: dict[str, np.ndarray]
    """Each entry of :data:`PARAMETERS`, shape ``(*sizes)`` with 1 where it does not vary."""
    paths: dict[str, np.ndarray]
    """The monthly paths given (keys of :data:`PATHS`), scenario axes then ``time``/``edge``."""
    coords: dict[str, xr.Variable]
    """Coordinates of the scenario dimensions."""
    swept: frozenset[str]
    """The parameters the caller gave (they may vary along scenario dimensions)."""

    def per_month(self, key: str) -> np.ndarray:
        """A parameter with a trailing axis of length 1, to broadcast against months."""
        return self.values[key][..., None]


def fleet_mix(scenario: Scenario) -> plant.FleetMix:
    """The fleet's machine mix: efficiency [J/TH] and each machine's share of hashrate."""
    return plant.fleet_mix(
        scenario.fleet.machine_shares, scenario.fleet.machine_efficiencies_j_per_th
    )


def _hardware_price(scenario: Scenario) -> float:
    """Price of the fleet's machines [USD per TH/s]: the cost setting, else the catalogue's.

    A mix is priced by hashrate share, so the price times the fleet's TH/s is what it costs.
    """
    if scenario.costs.hardware_usd_per_th is not None:
        return scenario.costs.hardware_usd_per_th
    scenario.check_priced()
    prices = [m.price_usd_per_th for m in scenario.fleet.machines or ()]
    return float(np.dot(fleet_mix(scenario).hashrate_share, np.array(prices, dtype=float)))


def refresh_machines(scenario: Scenario) -> tuple[float, float]:
    """Efficiency [J/TH] and price [USD per TH/s] of refresh machines; NaN when none.

    A custom machine without a price costs nothing; a catalogue machine needs a price.
    """
    refresh = scenario.fleet.refresh
    if refresh is None:
        return np.nan, np.nan
    price = refresh.hardware_usd_per_th
    if refresh.model is None:  # the config requires an efficiency for a custom machine
        return float(refresh.efficiency_j_per_th or np.nan), price or 0.0
    machine = hardware.get_machine(refresh.model)
    price = machine.price_usd_per_th if price is None else price
    if price is None:
        raise InputError(
            f"fleet.refresh.hardware_usd_per_th: expected a price (the catalogue "
            f"has none for {machine.model}), got null"
        )
    return machine.efficiency_j_per_th, price


def growth(scenario: Scenario) -> tuple[str, float]:
    """The growth of the rest of the network as ``(kind, value)``: the one place that reads
    the growth setting's form.

    ``kind`` is ``per_epoch``, ``per_month``, ``per_year`` (a trend fit over the packaged
    history becomes ``per_year``) or ``path``, whose points shape the network directly
    (value NaN).
    """
    setting = scenario.network.hashrate_growth
    if setting.trend_epochs is not None:
        return "per_year", history.growth_trend_per_year(setting.trend_epochs)
    return setting.kind, np.nan if setting.kind == "path" else getattr(setting, setting.kind)


def growth_per_year(scenario: Scenario) -> float:
    """The scenario's growth of the rest of the network as a fraction per year [1/year]."""
    kind, value = growth(scenario)
    if kind == "path":
        raise InputError(
            "network.hashrate_growth: expected per_epoch, per_month, per_year or "
            "trend_epochs, got path"
        )
    return float(np.expm1(chain.growth_rate_per_s(value, kind) * SECONDS_PER_YEAR))


def base_parameters(scenario: Scenario) -> dict:
    """The scenario's value of each entry of :data:`PARAMETERS`, resolved (catalogue prices,
    growth trends) as the model uses it."""
    net, site, costs = scenario.network, scenario.site, scenario.costs
    tariff, finance = scenario.tariff, scenario.finance
    response, inflation = net.response, scenario.inflation
    return {
        "network.height": net.height,
        "network.difficulty": net.difficulty,
        "network.hashrate_eh_s": np.nan if net.hashrate_eh_s is None else net.hashrate_eh_s,
        "network.fees_btc_per_block": net.fees_btc_per_block,
        "network.hashrate_growth": growth(scenario)[1],
        "network.include_fleet_in_network": net.include_fleet_in_network,
        # No response block: elasticity 0 (the lag then has no effect).
        "network.response.elasticity": 0.0 if response is None else response.elasticity,
        "network.response.lag_months": 1.0 if response is None else response.lag_months,
        "site.capacity_mw": site.capacity_mw,
        "site.mining_share": site.mining_share,
        "site.pue": site.pue,
        "site.uptime": site.uptime,
        "fleet.efficiency_j_per_th": float(fleet_mix(scenario).efficiency_j_per_th),
        "fleet.degradation_per_year": scenario.fleet.degradation_per_year,
        "market.btc_price_usd": scenario.market.btc_price_usd,
        "market.btc_price_growth_per_year": scenario.market.btc_price_growth_per_year,
        "tariff.energy_price_per_kwh": tariff.energy_price_per_kwh,
        "tariff.usd_fx_rate": tariff.usd_fx_rate,
        "tariff.usd_fx_change_per_year": tariff.usd_fx_change_per_year,
        "tariff.take_or_pay_fraction": tariff.take_or_pay_fraction,
        "costs.pool_fee": costs.pool_fee,
        "costs.hardware_usd_per_th": _hardware_price(scenario),
        "costs.infrastructure_usd_per_mw": costs.infrastructure_usd_per_mw,
        "costs.om_usd_per_mw_year": costs.om_usd_per_mw_year,
        "costs.fixed_usd_per_year": costs.fixed_usd_per_year,
        "costs.salvage_fraction": costs.salvage_fraction,
        "costs.facilities_usd_share": costs.facilities_usd_share,
        "costs.om_usd_share": costs.om_usd_share,
        "finance.discount_rate": finance.discount_rate,
        "finance.btc_held_fraction": finance.btc_held_fraction,
        "finance.alternative_energy_price_per_kwh": (
            tariff.energy_price_per_kwh
            if finance.alternative_energy_price_per_kwh is None
            else finance.alternative_energy_price_per_kwh
        ),
        # no block: no tax, constant prices
        "tax.profit_tax_rate": 0.0 if scenario.tax is None else scenario.tax.profit_tax_rate,
        "inflation.usd_per_year": 0.0 if inflation is None else inflation.usd_per_year,
        "inflation.local_per_year": 0.0 if inflation is None else inflation.local_per_year,
    }


def _check_keys(given: Iterable[str], known: Iterable[str], what: str, named: str) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InputError(f"{what}: expected keys among {named}, got {', '.join(unknown)}")


def _shared_sizes(labelled: Iterable[xr.DataArray]) -> dict[str, int]:
    """Length of each scenario dimension, checked to agree across the arrays."""
    sizes: dict[str, int] = {}
    for p in labelled:
        for d, n in cast("Mapping[str, int]", p.sizes).items():  # names are str here
            if d not in TIME_AXES and sizes.setdefault(d, n) != n:
                raise InputError(f"{d}: expected the same length ({sizes[d]}) everywhere, got {n}")
    return sizes


def _on_dims(p: xr.DataArray, dims: Sequence[str]) -> np.ndarray:
    """``p`` as numpy on the scenario ``dims`` (size 1 where it does not vary), then time."""
    tail = [d for d in TIME_AXES if d in p.dims]
    return np.asarray(
        p.expand_dims([d for d in dims if d not in p.dims]).transpose(*dims, *tail).data
    )


def _coords(labelled: Iterable[xr.DataArray], dims: Iterable[str]) -> dict[str, xr.Variable]:
    """Coordinates of the scenario dimensions (and any others the arrays carry, such as the
    values of fields varied together along one dimension)."""
    coords: dict[str, xr.Variable] = {}
    for p in labelled:
        coords.update(
            {
                c: p.coords[c].variable
                for c in cast("Iterable[str]", p.coords)  # names are str here
                if c not in coords and c not in TIME_AXES
            }
        )
    for d in dims:
        coords.setdefault(
            d, xr.Variable(d, np.arange(next(p.sizes[d] for p in labelled if d in p.dims)))
        )
    return coords


def inputs(scenario: Scenario, *, params: dict | None = None, paths: dict | None = None) -> Inputs:
    """Stage 1: the scenario's parameters (``params`` replacing some) and monthly paths.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    params : dict of str to xarray.DataArray, optional
        Replacement values for entries of :data:`PARAMETERS`, with their own dimensions.
    paths : dict of str to xarray.DataArray, optional
        Monthly paths (keys of :data:`PATHS`).

    Returns
    -------
    Inputs
    """
    params, paths = dict(params or {}), dict(paths or {})
    _check_keys(params, PARAMETERS, "params", "model.PARAMETERS")
    _check_keys(paths, PATHS, "paths", ", ".join(PATHS))
    base = base_parameters(scenario)
    # the caller's dimensions come first, in the caller's order
    labelled = {**params, **{k: xr.DataArray(v) for k, v in base.items() if k not in params}}
    everything = [*labelled.values(), *paths.values()]
    sizes = _shared_sizes(everything)
    dims = tuple(sizes)
    return Inputs(
        scenario=scenario,
        dims=dims,
        sizes=sizes,
        values={k: _on_dims(v, dims) for k, v in labelled.items()},
        paths={k: _on_dims(v, dims) for k, v in paths.items()},
        coords=_coords(everything, dims),
        swept=frozenset(params),
    )
