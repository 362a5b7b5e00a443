"""What should the state do with its surplus megawatts? Every option on the same paths.

The mining options are whole model runs of a variant of the scenario (the state's fleet
with its energy costed at cost recovery; the private fleet at the tariff plus levy, with
economic dispatch and its own hurdle rate), so a private fleet dilutes itself through the
chain exactly as the state's does. The other options are ledgers on the same price paths
(:mod:`minecalc.model.options`). Everything is valued from the state's side, incremental
to leaving the power idle, at the scenario's discount rate.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr
from scipy import optimize

from . import __version__, finance, model, state
from .config import ConfigError, Scenario, config_from_dict
from .model import options as ledgers
from .model import variables
from .model.timeline import Timeline, timeline

TARIFF_POINTS = 41
"""Tariffs tried between 0 and twice the larger of the tariff and cost recovery."""

QUANTILES = (0.1, 0.5)
"""NPV exceeded in 90 % of paths (P90, the lender's conservative case) and the median."""


def _variant(scenario: Scenario, drop: tuple[str, ...] = (), **changes: dict[str, Any]) -> Scenario:
    """``scenario`` without options (and the sections in ``drop``), with some sections'
    fields replaced (validated again)."""
    data = scenario.to_dict()
    for section in ("options", *drop):
        data.pop(section, None)
    for section, fields in changes.items():
        data[section] = {**data.get(section, {}), **fields}
    return config_from_dict({k: v for k, v in data.items() if v is not None})


def state_mining_scenario(scenario: Scenario, cost_recovery_per_kwh: float) -> Scenario:
    """The state mines, paying for its energy what it costs the power sector (and no profit
    tax: that would be paid to itself)."""
    return _variant(
        scenario,
        drop=("tax",),
        tariff={
            "energy_price_per_kwh": cost_recovery_per_kwh,
            "time_of_use": None,
            "take_or_pay_fraction": 0.0,
        },
    )


def private_scenario(scenario: Scenario, price_per_kwh: float) -> Scenario:
    """Private miners at ``price_per_kwh`` (tariff plus levy), on their own economics: after
    their profit tax, all equity (their loans are theirs)."""
    sell = _options(scenario).sell_power
    assert sell is not None
    fleet: dict[str, Any] = {}
    costs: dict[str, Any] = {}
    lives = scenario.tax.model_dump(exclude_none=True) if scenario.tax is not None else {}
    if sell.efficiency_j_per_th is not None:  # priced: the scenario checks it
        fleet = {"efficiency_j_per_th": sell.efficiency_j_per_th, "machines": None}
    if sell.hardware_usd_per_th is not None:
        costs["hardware_usd_per_th"] = sell.hardware_usd_per_th
    return _variant(
        scenario,
        drop=("financing", "fx"),
        tariff={
            "energy_price_per_kwh": price_per_kwh,
            "time_of_use": None,
            "take_or_pay_fraction": 0.0,
            "dispatch": "economic",
        },
        tax={**lives, "profit_tax_rate": sell.profit_tax_rate},
        finance={
            "discount_rate": sell.hurdle_rate,
            "btc_held_fraction": 0.0,
            "sell_to_cover_costs": False,
            "reserve_cap_btc": None,
        },
        fleet=fleet,
        costs=costs,
    )


def _options(scenario: Scenario):
    if scenario.options is None:
        raise ConfigError(
            [
                "options: expected an options block naming what to compare (see minecalc "
                "init --from pk2000mw_options), got none"
            ]
        )
    return scenario.options


def _run(
    scenario: Scenario,
    params: dict | None = None,
    paths: dict | None = None,
    detail: tuple[str, ...] = (),
):
    return model.run(
        scenario, params, paths=paths, detail=detail, without_fleet=False, solve_breakevens=False
    )


def _levied(scenario: Scenario, tariff: np.ndarray | float) -> np.ndarray:
    """Tariff plus levy at each tariff [currency/kWh]."""
    sell = _options(scenario).sell_power
    assert sell is not None
    if not sell.levy:
        return np.asarray(tariff, dtype=float)
    tops = [s.up_to_tariff_per_kwh for s in sell.levy]
    return tariff + state.levy_per_kwh(tariff, tops, [s.levy_per_kwh for s in sell.levy])


def _arrays(ds: xr.Dataset, names: list[str], lead: list[str]) -> dict[str, np.ndarray]:
    """Variables of a run as arrays with axes ``(*lead, time)``, broadcast as needed."""
    out = {}
    for name in names:
        da = ds[name]
        for dim in lead:
            if dim not in da.dims:
                da = da.expand_dims({dim: ds.sizes[dim]})
        out[name] = np.ascontiguousarray(da.transpose(*lead, "time").values)
    return out


def _private_ledger(ds: xr.Dataset, lead: list[str], price, cr: float, comes, usd: bool):
    """The state's ledger from a private fleet's run; ``usd``: the tariff is in USD."""
    names = ["energy_billed_mwh", "usd_fx_rate", "local_price_level"]
    a = _arrays(ds, names + (["tax_usd"] if "tax_usd" in ds else []), lead)
    return ledgers.sell_power(
        energy_mwh=a["energy_billed_mwh"],
        price_per_kwh=price,
        cost_recovery_per_kwh=cr,
        fx=a["usd_fx_rate"] / a["local_price_level"],
        miners_tax_usd=a.get("tax_usd", 0.0),
        comes=comes,
        paid_in_usd=usd,
    )


def compare(
    scenario: Scenario,
    *,
    paths: dict[str, xr.DataArray] | None = None,
    solve_tariffs: bool = True,
) -> xr.Dataset:
    """Value each use of the surplus power to the state on the same paths.

    Parameters
    ----------
    scenario : Scenario
        A scenario with an ``options`` block.
    paths : dict of str to xarray.DataArray, optional
        Monthly paths (Monte Carlo's, :func:`minecalc.uncertainty.draw_paths`) shared by
        every option; their ``path`` dimension becomes the result's.
    solve_tariffs : bool
        With sell_power, find the tariff that maximises the state's take while the
        miners still come, and the tariff at which they stop coming (about 15 more runs).

    Returns
    -------
    xarray.Dataset
        The ``options`` group of :mod:`minecalc.model.variables` on an ``option``
        dimension (and ``path`` with paths), plus the ``tariffs`` group with sell_power.
    """
    opts = _options(scenario)
    sector = opts.power_sector
    cr = float(state.cost_recovery_per_kwh(sector.marginal_cost_per_kwh, sector.losses_fraction))
    mined = _run(state_mining_scenario(scenario, cr), paths=paths, detail=("dollars",))
    lead = [str(d) for d in mined.npv_usd.dims]  # the scenario's own: path, with paths
    a = _arrays(
        mined,
        ["cash_flow_usd", "btc_net", "btc_price_usd", "usd_fx_rate", "sales_usd",
         "reserve_btc", "reserve_value_usd", "energy_billed_mwh", "capex_usd_by_month",
         "energy_cost_usd", "opex_usd", "period_days", "usd_price_level", "local_price_level",
         "fx_in_usd", "fx_out_usd"]
        + (["equity_cash_flow_usd"] if "equity_cash_flow_usd" in mined else []),
        lead,
    )  # fmt: skip
    n = a["cash_flow_usd"].shape[-1]
    held = np.diff(a["reserve_btc"], axis=-1, prepend=0.0)
    reserve = finance.Treasury(
        a["reserve_btc"], a["btc_net"] - held, a["sales_usd"], a["reserve_value_usd"]
    )
    # the surplus: the allocated megawatts in the months the grid supplies them
    supply = np.array(scenario.site.availability_by_month)[mined.time.dt.month.values - 1]
    allocated_mw = scenario.site.capacity_mw * scenario.site.mining_share
    hours = 24 * a["period_days"]
    surplus_kwh = 1000 * allocated_mw * hours * supply
    made: dict[str, ledgers.Ledger] = {"idle": ledgers.idle(months=n)}
    extra: dict[str, Any] = {}
    for kind in opts.kinds:
        if kind == "state_mining":
            made[kind] = ledgers.state_mining(
                # with loans, what the state itself pays and receives
                cash_usd=a.get("equity_cash_flow_usd", a["cash_flow_usd"]),
                reserve=reserve,
                energy_mwh=a["energy_billed_mwh"],
                dollars_usd=a["fx_in_usd"] - a["fx_out_usd"],
            )
        elif kind == "buy_btc":
            buy = opts.buy_btc
            outlay = (
                a["capex_usd_by_month"] + a["energy_cost_usd"] + a["opex_usd"]
                if buy.spend == "as_state_mining"
                else state.schedule_outlay_usd(
                    days=a["period_days"],
                    btc_price_usd=a["btc_price_usd"],
                    btc_per_day=buy.btc_per_day,
                    usd_per_month=buy.usd_per_month,
                )
                * (a["usd_price_level"] if buy.usd_per_month is not None else 1.0)
            )
            made[kind] = ledgers.buy_btc(
                outlay_usd=outlay,
                btc_price_usd=a["btc_price_usd"],
                cap_btc=scenario.finance.reserve_cap_btc,
            )
        elif kind == "sell_elsewhere":
            made[kind] = _elsewhere(scenario, a, surplus_kwh, allocated_mw, cr)
        elif kind == "sell_power":
            made[kind], extra = _sell_power(scenario, lead, paths, cr, solve_tariffs)
    # the imported fuel of each kWh the surplus supplies, at start prices in USD, escalated
    fuel_usd_per_kwh = (
        cr * sector.fuel_usd_share / scenario.tariff.usd_fx_rate * a["usd_price_level"]
    )
    rate, mid_years = _state_rate(scenario), _months(scenario).mid_years
    worth = {
        kind: ledgers.worth(
            ledger=led, surplus_mwh=surplus_kwh / 1000, discount_rate=rate, mid_years=mid_years,
            fuel_usd_per_kwh=fuel_usd_per_kwh, reserves=scenario.fx,
        )
        for kind, led in made.items()
    }  # fmt: skip
    ds = _dataset(scenario, mined, lead, made, worth, cr, extra)
    return _risk(ds) if "path" in ds.dims else ds


def compare_paths(
    scenario: Scenario, paths: int, seed: int = 0, *, path_model=None, solve_tariffs=True
) -> xr.Dataset:
    """:func:`compare` over random paths (:func:`minecalc.uncertainty.draw_paths`), the same
    for every option: the ``options_mc`` group on top."""
    from .uncertainty import PathModel, checked, draw_paths, path_attrs, responding

    model_ = checked(path_model or PathModel())
    drawn = draw_paths(scenario, paths=paths, seed=seed, path_model=model_)
    scenario = responding(scenario, model_)
    paths_ = {str(name): da for name, da in drawn.data_vars.items()}
    ds = compare(scenario, paths=paths_, solve_tariffs=solve_tariffs)
    price = drawn.btc_price_usd.assign_coords(time=ds.time)
    return ds.assign(
        btc_price_usd=price.assign_attrs(variables.attrs("btc_price_usd"))
    ).assign_attrs(**path_attrs(scenario, paths=paths, seed=seed, path_model=model_))


def _risk(ds: xr.Dataset) -> xr.Dataset:
    """Over the paths: P(the option loses against idle), P90 and P50 NPV, and how often
    each option is worth most."""
    npv = ds.state_npv_usd
    ranked = npv
    if float(ds.get("miners_come", 1.0)) == 0:  # selling to nobody is idle: not a rival
        ranked = npv.where(npv.option != "sell_power", -np.inf)
    top = ranked == ranked.max("option")
    credit = top / top.sum("option")  # options that tie on a path share it
    quantiles = npv.quantile(list(QUANTILES), dim="path")
    risk = {
        "prob_state_loses": (npv < 0).mean("path"),
        "state_npv_p90_usd": quantiles.sel(quantile=QUANTILES[0], drop=True),
        "state_npv_p50_usd": quantiles.sel(quantile=QUANTILES[1], drop=True),
        "best_share": credit.mean("path"),
    }
    currency = ds.attrs["currency"]
    return ds.assign({k: v.assign_attrs(variables.attrs(k, currency)) for k, v in risk.items()})


def _elsewhere(scenario, a, surplus_kwh, allocated_mw, cr) -> ledgers.Ledger:
    other = _options(scenario).sell_elsewhere
    assert other is not None
    n = surplus_kwh.shape[-1]
    running = (np.arange(n) >= other.lead_months).astype(float)
    hours = 24 * a["period_days"]
    capex = np.zeros(n)
    capex[0] = other.capex_usd_per_mw * allocated_mw
    return ledgers.sell_elsewhere(
        surplus_kwh=surplus_kwh,
        firm_kwh=1000 * allocated_mw * hours * running,
        margin_per_kwh=other.energy_price_per_kwh - cr,
        fx=a["usd_fx_rate"] / a["local_price_level"],  # local prices escalate
        lease_usd=other.lease_usd_per_kw_month
        * 1000
        * allocated_mw
        * running
        * a["usd_price_level"],
        firming_cost_per_kwh=other.firming_cost_per_kwh,
        capex_usd=capex,
    )


SHARES = np.linspace(0.05, 1.0, 20)
"""Shares of the allocation private miners may take with ``entry: share``."""


def _shares(entry: str) -> np.ndarray:
    return SHARES if entry == "share" else np.array([1.0])


def _entered(npv: np.ndarray, entry: str) -> tuple[np.ndarray, np.ndarray]:
    """Which share of the allocation comes (index on the last axis) and whether any does.

    Free entry: miners keep coming while the whole private fleet's NPV at the hurdle rate
    stays at least 0, so the largest such share comes (``always``: all of it).
    """
    ok = (npv >= 0) | (entry == "always")
    last = ok.shape[-1] - 1 - np.argmax(ok[..., ::-1], axis=-1)
    return np.where(ok.any(-1), last, 0), np.asarray(ok.any(-1))


def _capacity(base: Scenario, shares: np.ndarray) -> xr.DataArray:
    return xr.DataArray(base.site.capacity_mw * shares, dims="miners_share")


def _sell_power(scenario, lead, paths, cr, solve_tariffs):
    """The sell_power ledger on the paths, the miners' own figures, and the tariff curve."""
    sell = _options(scenario).sell_power
    assert sell is not None
    price = float(_levied(scenario, sell.tariff_per_kwh))
    base = private_scenario(scenario, price)
    usd = scenario.tariff.currency == "USD"
    shares = _shares(sell.entry)
    central = _run(base, {"site.capacity_mw": _capacity(base, shares)})
    k, comes = _entered(central.npv_usd.values, sell.entry)
    central = central.isel(miners_share=int(k))
    if paths is None or not comes:  # nobody comes: nothing to run on the paths
        ledger = _private_ledger(central, [], np.asarray(price), cr, comes, usd)
    else:
        capacity = {"site.capacity_mw": _capacity(base, shares[k : k + 1])}
        on_paths = _run(base, capacity, paths).isel(miners_share=0)
        ledger = _private_ledger(on_paths, lead, np.asarray(price), cr, comes, usd)
    extra: dict[str, Any] = {
        "miners_npv_usd": float(central.npv_usd),
        "miners_irr": float(central.irr),
        "miners_come": float(comes),
        "miners_share": float(shares[k]) if comes else 0.0,
        "miners_energy_kwh_per_year": 1000
        * float(central.energy_billed_mwh.sum())
        / (central.sizes["time"] / 12),
        "sell_power_tariff_per_kwh": sell.tariff_per_kwh,
        "sell_power_price_per_kwh": price,
    }
    if solve_tariffs:
        extra.update(_tariffs(scenario, base, cr))
    return ledger, extra


def _tariffs(scenario: Scenario, base: Scenario, cr: float) -> dict[str, Any]:
    """The state's take and the miners' NPV over tariffs; the best tariff and the exit."""
    sell = _options(scenario).sell_power
    assert sell is not None
    top = 2 * max(sell.tariff_per_kwh, cr, 1e-9)
    grid = np.linspace(0.0, top, TARIFF_POINTS)
    priced = xr.DataArray(
        _levied(scenario, grid), dims="tariff_per_kwh", coords={"tariff_per_kwh": grid}
    )
    shares = _shares(sell.entry)
    swept = _run(
        base,
        {"tariff.energy_price_per_kwh": priced, "site.capacity_mw": _capacity(base, shares)},
    )
    npv = swept.npv_usd.transpose("tariff_per_kwh", "miners_share").values
    k, comes = _entered(npv, sell.entry)
    ledger = _private_ledger(
        swept,
        ["tariff_per_kwh", "miners_share"],
        _levied(scenario, grid)[:, None],
        cr,
        comes[:, None],
        scenario.tariff.currency == "USD",
    )
    take = np.take_along_axis(
        np.asarray(
            finance.npv(ledger.cash_usd, _state_rate(scenario), _months(scenario).mid_years)
        ),
        k[:, None],
        axis=-1,
    )[:, 0]
    miners = np.take_along_axis(npv, k[:, None], axis=-1)[:, 0]
    exit_tariff = _exit_tariff(scenario, base, grid, npv[:, 0])
    best = int(np.argmax(np.where(comes, take, -np.inf))) if comes.any() else None
    return {
        "tariff_per_kwh": grid,
        "state_take_by_tariff_usd": take,
        "miners_npv_by_tariff_usd": miners,
        "miners_share_by_tariff": np.where(comes, shares[k], 0.0),
        "best_tariff_per_kwh": np.nan if best is None else grid[best],
        "exit_tariff_per_kwh": exit_tariff,
    }


def _state_rate(scenario: Scenario) -> np.ndarray:
    """The state's discount rate for nominal cash flows [1/year]."""
    usd = 0.0 if scenario.inflation is None else scenario.inflation.usd_per_year
    return finance.nominal_discount_rate(
        scenario.finance.discount_rate, scenario.finance.discount_rate_basis, usd
    )


def _months(scenario: Scenario) -> Timeline:
    return timeline(start_date=scenario.start_date, horizon_months=scenario.horizon_months)


def _exit_tariff(scenario: Scenario, base: Scenario, grid: np.ndarray, miners: np.ndarray):
    """The tariff at which the NPV at the hurdle rate of the smallest private fleet that may
    come crosses zero (NaN if it does not within the grid), by root finding over whole runs."""
    crossing = np.flatnonzero((miners[:-1] >= 0) & (miners[1:] < 0))
    if crossing.size == 0:
        return np.nan
    lo, hi = grid[crossing[0]], grid[crossing[0] + 1]

    def npv_at(tariff: float) -> float:
        price = float(_levied(scenario, tariff))
        smallest = _capacity(base, _shares(_options(scenario).sell_power.entry)[:1])
        params = {"tariff.energy_price_per_kwh": xr.DataArray([price], dims="one")}
        return float(_run(base, {**params, "site.capacity_mw": smallest}).npv_usd.squeeze())

    return optimize.brentq(npv_at, lo, hi, xtol=1e-9 * max(hi, 1.0), rtol=1e-12)


def _by_option(parts: list, sizes: tuple[int, ...], tail: tuple[int, ...] = ()) -> np.ndarray:
    """One quantity of every option, each broadcast to ``(*sizes, *tail)`` (the scenario's
    axes, then the quantity's own), stacked on an option axis after the scenario's."""
    shape = (*sizes, *tail)
    return np.stack(
        [np.broadcast_to(np.asarray(p, dtype=float), shape) for p in parts], axis=len(sizes)
    )


def _mining_dollars(mining: ledgers.Worth) -> dict[str, np.ndarray]:
    """State mining's dollar figures for the fiscal summary: the state's, the imported fuel
    included (its run's own leave the fuel out)."""
    out = {
        "peak_fx_need_usd": mining.fx.peak_need_usd,
        "peak_fx_need_month": state.month_of_peak(mining.fx.peak_month, mining.fx.peak_need_usd),
    }
    if mining.cover_with_btc_months is not None:
        out["import_cover_months"] = mining.fx.import_cover_months
        out["import_cover_with_btc_months"] = mining.cover_with_btc_months
    return out


def _dataset(scenario, mined, lead, made, worth, cr, extra) -> xr.Dataset:
    """The options' figures, labelled from the registry."""
    currency = scenario.tariff.currency
    sizes = tuple(mined.sizes[d] for d in lead)
    months = _months(scenario)
    rate = _state_rate(scenario)
    fx = _arrays(mined, ["usd_fx_rate"], lead)["usd_fx_rate"]
    data: dict[str, tuple[tuple[str, ...], Any]] = {}

    def put(name: str, values) -> None:  # on the paths, or one value for all
        own = variables.VARIABLES[name].dims
        values = np.asarray(values)
        data[name] = (own if values.ndim == len(own) else (*lead, *own), values)

    ledgers_ = list(made.values())
    by_month = (months.n,)
    cash = _by_option([led.cash_usd for led in ledgers_], sizes, by_month)
    put("state_cash_flow_usd", cash)
    put("state_cumulative_cash_usd", np.cumsum(cash, axis=-1))
    put("state_cash_flow_local", cash * fx[..., None, :])  # fx on the option axis too
    put(
        "state_reserve_btc",
        _by_option([led.reserve.reserve_btc for led in ledgers_], sizes, by_month),
    )
    put(
        "state_reserve_value_usd",
        _by_option([led.reserve.reserve_value_usd for led in ledgers_], sizes, by_month),
    )
    by_kind = list(made)

    def each(get) -> np.ndarray:
        return _by_option([get(kind) for kind in by_kind], sizes)

    put("state_npv_usd", each(lambda k: worth[k].npv_usd))
    put(
        "state_npv_local",
        each(lambda k: finance.npv(np.asarray(made[k].cash_usd) * fx, rate, months.mid_years)),
    )
    put("state_value_usd_per_mwh", each(lambda k: worth[k].usd_per_mwh))
    put("state_peak_funding_usd", each(lambda k: worth[k].peak_funding.usd))
    put(
        "state_peak_funding_month",
        each(lambda k: state.month_of_peak(worth[k].peak_funding.month, worth[k].peak_funding.usd)),
    )
    put("state_peak_fx_need_usd", each(lambda k: worth[k].fx.peak_need_usd))
    put(
        "state_peak_fx_need_month",
        each(lambda k: state.month_of_peak(worth[k].fx.peak_month, worth[k].fx.peak_need_usd)),
    )
    put("reserve_drawdown", each(lambda k: worth[k].drawdown.fraction))
    put("state_reserve_btc_end", each(lambda k: made[k].reserve.reserve_btc[..., -1]))
    put("state_reserve_value_end_usd", each(lambda k: made[k].reserve.reserve_value_usd[..., -1]))
    put("energy_gwh", each(lambda k: made[k].energy_kwh.sum(-1) / 1e6))
    years = months.n / 12
    sector = _options(scenario).power_sector
    if sector.capacity_payments_per_year is not None and sector.system_sales_gwh_per_year:

        def charge(kind: str) -> np.ndarray:
            return state.capacity_charge(
                sector.capacity_payments_per_year,
                sector.system_sales_gwh_per_year * 1e6,
                made[kind].energy_sold_kwh.sum(-1) / years,
            ).after_per_kwh

        put("capacity_charge_per_kwh", each(charge))
        put("capacity_payments_per_year", sector.capacity_payments_per_year)
    put("cost_recovery_per_kwh", cr)
    if "state_mining" in worth:
        for key, value in _mining_dollars(worth["state_mining"]).items():
            put(key, value)
    for figure in variables.FISCAL:  # the state-mining run's, for the fiscal summary
        if figure in mined and figure not in data:
            put(figure, mined[figure].values)
    scalars = {k: v for k, v in extra.items() if np.ndim(v) == 0 and k in variables.VARIABLES}
    for name, value in scalars.items():
        put(name, value)
    if "sell_power_tariff_per_kwh" in extra:
        test = state.subsidy_test(
            extra["sell_power_tariff_per_kwh"], cr, extra["miners_energy_kwh_per_year"]
        )
        put("subsidised", float(test.subsidised))
        put("subsidy_gap_per_kwh", test.gap_per_kwh)
        put("subsidy_cost_per_year", test.cost_per_year)
    coords: dict[str, Any] = {"option": by_kind, "time": mined.time.values}
    if "tariff_per_kwh" in extra:
        coords["tariff_per_kwh"] = extra["tariff_per_kwh"]
        for name in (
            "state_take_by_tariff_usd",
            "miners_npv_by_tariff_usd",
            "miners_share_by_tariff",
        ):
            data[name] = (("tariff_per_kwh",), extra[name])
    coords.update({d: mined[d].values for d in lead if d in mined.coords})
    ds = xr.Dataset(
        {
            k: xr.Variable(dims, v, attrs=variables.attrs(k, currency))
            for k, (dims, v) in data.items()
        },
        coords=coords,
    )
    for name in ds.coords:
        if name in variables.VARIABLES:
            ds[name].attrs.update(variables.attrs(str(name), currency))
    ds.attrs.update(
        title=scenario.name,
        currency=currency,
        minecalc_version=__version__,
        reference="idle: capacity payments are due in every option and cancel",
        scenario=json.dumps(scenario.to_dict()),
    )
    return ds
