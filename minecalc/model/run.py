"""The pipeline: a scenario (plus scenario dimensions) through the stages to a Dataset."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

import numpy as np
import xarray as xr

from .. import kernels, state
from ..config import Scenario
from ..errors import InputError
from . import breakevens, dataset, outputs, variables
from .financing import financing
from .fleet import Fleet, fleet
from .fx_ledger import fx_ledger
from .inputs import Inputs, inputs
from .money import Money, money
from .network import Network, network
from .prices import Prices, prices
from .summary import SUMMARY_READS, summarize
from .timeline import Timeline, timeline

DETAIL = ("epochs", "hourly", "dollars")
"""Optional detail: per-epoch and halving records; month x hour dispatch; the dollars out
and in by month (always there with an ``fx`` block)."""


def run(  # noqa: PLR0913 - the scenario, its dimensions, then keyword-only options
    scenario: Scenario,
    params: dict | None = None,
    *,
    paths: dict | None = None,
    detail: Collection[str] = DETAIL,
    without_fleet: bool = True,
    solve_breakevens: bool = True,
    record_epochs: bool | None = None,
    monthly: Collection[str] | None = None,
) -> xr.Dataset:
    """Run a scenario through the model's stages and label the results.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`minecalc.config.load_config`).
    params : dict of str to xarray.DataArray, optional
        Replacement values for entries of :data:`~minecalc.model.PARAMETERS`, each with
        its own named dimensions; the result gains those dimensions.
    paths : dict of str to xarray.DataArray, optional
        Monthly paths replacing the scenario's constant or trend values (see
        :data:`~minecalc.model.PATHS`); their other dimensions (e.g. ``path``) become
        scenario dimensions.
    detail : collection of {"epochs", "hourly", "dollars"}
        Keep the per-epoch and halving variables, the month x hour dispatch and the dollars
        by month; each holds many values per scenario, so large sweeps and Monte Carlo pass
        ``()``.
    without_fleet : bool
        Also project the network as if the fleet had not come (one more chain run): the
        ``without_fleet`` group, which shows what the fleet's own hashrate does; with a
        response, also the fleet's chain had the other miners kept to their path (the
        ``response`` group, one more). Monte Carlo and large sweeps pass False.
    solve_breakevens : bool
        With ``dispatch: economic``, find the breakeven tariff and BTC price by root
        finding over whole runs (about 20 runs each); False leaves them NaN.
    record_epochs : bool, optional
        The old name of ``detail``: False means ``detail=()``, True all detail.
    monthly : collection of str, optional
        The ``core`` group's monthly variables to build (with those the summary reads);
        None builds them all. Monte Carlo keeps few of its paths' series and saves the
        building of the rest.

    Returns
    -------
    xarray.Dataset
        The variables of :data:`minecalc.model.variables.VARIABLES` whose groups the
        options ask for; the scenario and package version in ``attrs``.
    """
    detail = _detail(detail, record_epochs)
    only = None if monthly is None else _monthly(monthly)
    solving = solve_breakevens and scenario.tariff.dispatch == "economic"
    with kernels.repeated(BREAKEVEN_RUNS if solving else 1):
        return _run(scenario, params, paths, detail, without_fleet, solve_breakevens, only)


BREAKEVEN_RUNS = 40
"""About how many runs the breakevens of an economic dispatch take (two root findings): the
kernels choose their form for all of them (:func:`minecalc.kernels.repeated`)."""


def _run(
    scenario: Scenario,
    params: dict | None,
    paths: dict | None,
    detail: frozenset[str],
    without_fleet: bool,
    solve_breakevens: bool,
    only: frozenset[str] | None,
) -> xr.Dataset:
    given = inputs(scenario, params=params, paths=paths)
    months = timeline(start_date=scenario.start_date, horizon_months=scenario.horizon_months)
    machines = fleet(inputs=given, timeline=months)
    priced = prices(inputs=given, timeline=months)
    chain_run = network(
        inputs=given,
        timeline=months,
        fleet=machines,
        prices=priced,
        epochs="epochs" in detail,
        without_fleet=without_fleet,
    )
    cash = money(
        inputs=given,
        timeline=months,
        fleet=machines,
        prices=priced,
        network=chain_run,
        solve_breakevens=solve_breakevens,
    )
    if solve_breakevens and scenario.tariff.dispatch == "economic":
        cash = _breakevens(cash, given, params, paths)
    groups = _groups(given, months, machines, priced, chain_run, cash, detail, only=only)
    ds = dataset.build(
        inputs=given, timeline=months, groups=groups, coords=_coords(months, chain_run, detail)
    )
    return summarize(ds)


def _detail(detail: Collection[str], record_epochs: bool | None) -> frozenset[str]:
    if record_epochs is not None:
        return frozenset(DETAIL if record_epochs else ())
    unknown = set(detail) - set(DETAIL)
    if unknown:
        raise InputError(
            f"detail: expected some of {', '.join(DETAIL)}, got {', '.join(sorted(unknown))}"
        )
    return frozenset(detail)


def _monthly(monthly: Collection[str]) -> frozenset[str]:
    """The core variables to build: those asked for and those the summary reads."""
    unknown = set(monthly) - set(variables.names("core"))
    if unknown:
        raise InputError(
            f"monthly: expected variables of the core group, got {', '.join(sorted(unknown))}"
        )
    return frozenset({*monthly, *SUMMARY_READS})


def _groups(  # noqa: PLR0913 - the stages' results, one each
    given: Inputs,
    months: Timeline,
    machines: Fleet,
    priced: Prices,
    chain_run: Network,
    cash: Money,
    detail: frozenset[str],
    *,
    only: frozenset[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The registry groups this run has, as arrays."""
    common: dict[str, Any] = {"timeline": months, "prices": priced, "network": chain_run}
    scenario = given.scenario
    financed = (
        None
        if scenario.financing is None
        else financing(terms=scenario.financing, money=cash, fx=priced.fx, timeline=months)
    )
    dollars = fx_ledger(money=cash, financed=financed, reserves=scenario.fx)
    groups = {
        "core": outputs.core(**common, fleet=machines, money=cash, only=only),
        "economics": outputs.economics(
            fleet=machines,
            prices=priced,
            money=cash,
            fx_start=given.values["tariff.usd_fx_rate"],
            discount=(cash.discount_rate, months.mid_years),
            dollars=dollars,
        ),
    }
    if "epochs" in detail:
        groups["epochs"] = outputs.epochs(network=chain_run, to_time=dataset.time_converter(months))
    if "hourly" in detail:
        groups["hourly"] = outputs.hourly(
            fleet=machines,
            prices=priced,
            network=chain_run,
            dispatch=given.scenario.tariff.dispatch,
        )
    if chain_run.alone is not None:
        groups["without_fleet"] = outputs.without_fleet(**common)
    if chain_run.fixed is not None:
        groups["response"] = outputs.response(**common)
    if financed is not None:
        groups["financing"] = outputs.financing(financed=financed)
    if cash.taxes is not None:
        groups["tax"] = outputs.tax(taxes=cash.taxes)
    if scenario.fx is not None or "dollars" in detail:
        groups["dollars"] = outputs.dollars(ledger=dollars)
    if scenario.fx is not None:
        groups["fx"] = outputs.fx(ledger=dollars)
    if scenario.options is not None:
        sector = scenario.options.power_sector
        groups["subsidy"] = outputs.subsidy(
            tariff_per_kwh=given.values["tariff.energy_price_per_kwh"],
            cost_recovery_per_kwh=float(
                state.cost_recovery_per_kwh(sector.marginal_cost_per_kwh, sector.losses_fraction)
            ),
            money=cash,
            months=months.n,
        )
    return groups


def _coords(months: Timeline, chain_run: Network, detail: frozenset[str]) -> dict[str, Any]:
    """The registry's coordinates this run has."""
    proj = chain_run.projection
    coords = {"time": months.edges[:-1].to_numpy()}
    if "epochs" in detail:
        coords["epoch_start_height"] = 2016 * (
            proj.first_epoch + np.arange(proj.epoch_difficulty.shape[-1])
        )
        coords["halving_height"] = 210_000 * (
            proj.first_halving + np.arange(proj.halving_time_s.shape[-1])
        )
    if "hourly" in detail:
        coords["hour"] = np.arange(24)
    return coords


def _breakevens(cash: Money, given: Inputs, params: dict | None, paths: dict | None) -> Money:
    """``cash`` with the breakevens found by root finding over whole runs."""
    scenario, dims, sizes = given.scenario, given.dims, given.sizes
    template = xr.DataArray(np.zeros(tuple(sizes.values())), dims=dims)

    def npv_at(key: str, values: np.ndarray) -> np.ndarray:
        x = xr.DataArray(np.broadcast_to(values, template.shape), dims=dims)
        again = run(
            scenario,
            {**(params or {}), key: x},
            paths=paths,
            detail=(),
            without_fleet=False,
            solve_breakevens=False,
        )
        return again.npv_usd.broadcast_like(template).transpose(*dims).values

    tariff, price = breakevens.solve(
        npv_at=npv_at,
        tariff_per_kwh=scenario.tariff.energy_price_per_kwh,
        btc_price_usd=scenario.market.btc_price_usd,
    )
    value = dataclasses.replace(
        cash.value, breakeven_energy_price_per_kwh=tariff, breakeven_btc_price_usd=price
    )
    return dataclasses.replace(cash, value=value)
