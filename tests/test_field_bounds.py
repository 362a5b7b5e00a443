"""Every numeric scenario field at each of its bounds (issue 13, item 2, "Bounded values").

The fields and their bounds are read from the schema, walked from :class:`Scenario`: the
``ge``/``gt``/``le``/``lt`` constraints of a field, or of the numbers in a list field. The
packaged pk2000mw runs with one field at a time set to a bound (the nearest accepted number
inside a strict one) through ``--set``'s overrides, with all detail. Every output must be
finite wherever it is defined: the few that are undefined by design may be NaN only where
:data:`UNDEFINED` says, never inf. A bound that other fields refuse in pk2000mw's context
must be refused in one line naming the field (:data:`REFUSED`), not skipped.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple, get_args, get_origin

import numpy as np
import pytest
import xarray as xr
from annotated_types import Ge, Gt, Le, Lt
from click.testing import CliRunner
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from minecalc import history, model, scenario_sets
from minecalc.cli import main
from minecalc.compare import compare
from minecalc.config import ConfigError, Scenario, _submodel, load_config, schema_rows

HORIZON_MONTHS = 24
"""Long enough to pass the 2028 halving (month 19) and retire machines of a 1-year life."""

OPS = {Ge: ">=", Gt: ">", Le: "<=", Lt: "<"}


class Bound(NamedTuple):
    """One bound of one numeric field."""

    field: str
    """Dotted path, list items left out (as ``minecalc schema`` shows it)."""
    op: str
    bound: float
    value: float
    """The bound itself, or the accepted number nearest to it inside a strict one."""

    @property
    def id(self) -> str:
        return f"{self.field}{self.op}{self.bound:g}"


def _inside(op: str, bound: float) -> float:
    """The number nearest ``bound`` that ``op`` accepts and validation can take.

    Just above 0 is the least normal number: a capacity below it is refused (too small to
    compute with), and a machine's hashrate or power or share there is refused anyway.
    """
    if op in ("<=", ">="):
        return bound
    if bound == 0:
        return sys.float_info.min if op == ">" else -sys.float_info.min
    return math.nextafter(bound, math.inf if op == ">" else -math.inf)


def _constraints(info: FieldInfo) -> list:
    """A field's own constraints, or those on the numbers of a list field."""

    def items(annotation: Any) -> list:
        if get_origin(annotation) is Annotated:
            return [c for m in get_args(annotation)[1:] for c in getattr(m, "metadata", [m])]
        return [c for a in get_args(annotation) for c in items(a)]

    return info.metadata + items(info.annotation)


def numeric_bounds(schema: type[BaseModel] = Scenario, prefix: str = "") -> list[Bound]:
    """Every bound of every numeric field under ``schema``, in schema order."""
    found = []
    for name, info in schema.model_fields.items():
        path = prefix + name
        for c in _constraints(info):
            for kind, op in OPS.items():
                if isinstance(c, kind):
                    bound = getattr(c, kind.__name__.lower())  # Ge(ge=1).ge
                    found.append(Bound(path, op, bound, _inside(op, bound)))
        sub = _submodel(info.annotation)
        if sub is not None:
            keyed = get_origin(info.annotation) is dict
            found += numeric_bounds(sub, f"{path}.<name>." if keyed else f"{path}.")
    return found


BOUNDS = numeric_bounds()

# -- setting one field in pk2000mw -----------------------------------------------------------

PRICED = "costs.hardware_usd_per_th=13.5"  # a custom fleet has no catalogue price
OPTIONS_BLOCK = (
    "options={power_sector: {marginal_cost_per_kwh: 9}, sell_power: {tariff_per_kwh: 23},"
    " sell_elsewhere: {energy_price_per_kwh: 23}}"
)
SETUP = {  # what pk2000mw lacks for the fields under a path to be set on their own
    "network.response.": ["network.response={elasticity: 0.23, lag_months: 4.3}"],  # its fit
    "fleet.efficiency_j_per_th": ["fleet.machines=null", PRICED],
    "fleet.machines.": [PRICED],
    "finance.": [OPTIONS_BLOCK],  # compared too: the reserve policy is the state's
    "options.": [OPTIONS_BLOCK],
    "tax.": ["tax.profit_tax_rate=0.29"],
    "fx.": ["fx={reserves_usd: 1.4e10, imports_usd_per_month: 5e9}"],
    "financing.min_dscr": [
        "financing.tranches=[{share_of_capex: 0.5, rate_per_year: 0.08, tenor_months: 24}]"
    ],
    "options.sell_power.efficiency_j_per_th": ["options.sell_power.hardware_usd_per_th=13.5"],
    # machines of a 1-year life are replaced within the horizon
    "fleet.refresh.": ["fleet.lifetime_years=1", "fleet.refresh={efficiency_j_per_th: 15}"],
}
LISTS = {  # list fields: the items given; the value goes into the last (into every number)
    "network.hashrate_growth.path": [{"date": "2027-09-05", "hashrate_eh_s": 1000}],
    "site.ramp.points": [{"date": "2026-09-05", "capacity_mw": 2000}],
    "fleet.machines": [{"hashrate_th_s": 200, "power_w": 3500, "share": 1}],
    "market.btc_price_path": [
        {"date": "2026-09-05", "btc_price_usd": 63400},
        {"date": "2027-09-05", "btc_price_usd": 63400},
    ],
    "options.sell_power.levy": [{"up_to_tariff_per_kwh": 20, "levy_per_kwh": 1}],
    "tariff.usd_fx_path": [{"date": "2027-09-05", "usd_fx_rate": 300}],
    "financing.tranches": [{"share_of_capex": 0.5, "rate_per_year": 0.08, "tenor_months": 24}],
    "site.availability_by_month": [1.0] * 12,
    "tariff.time_of_use": [[1.0] * 24],
}


def _filled(items: Any, value: float) -> Any:
    """A list of numbers (nested) with every number replaced by ``value``."""
    return [_filled(x, value) for x in items] if isinstance(items, list) else value


HISTORY = history.load_difficulty_history()


def height_for(difficulty: float) -> int:
    """A start height whose packaged difficulty retargets can reach ``difficulty`` from
    (within a factor 4 per retarget, as validation requires)."""
    near = HISTORY[HISTORY.difficulty * 4 >= difficulty]
    if len(near):
        return int(near.height.iloc[0])
    last = HISTORY.iloc[-1]
    return int(last.height) + 2016 * math.ceil(math.log(difficulty / last.difficulty, 4))


def difficulty_at(height: int) -> float:
    """The packaged difficulty of ``height``'s epoch (or the last one)."""
    return float(HISTORY[HISTORY.height <= height].difficulty.iloc[-1])


def overrides(b: Bound) -> list[str]:
    """``--set`` overrides giving pk2000mw's field ``b.field`` the value ``b.value``, with the
    chain state it needs (a height that the difficulty can be reached from, and back)."""
    sets = [f"horizon_months={HORIZON_MONTHS}"]
    sets += [s for prefix, more in SETUP.items() if b.field.startswith(prefix) for s in more]
    value: Any = b.value
    path = b.field
    if path == "network.hashrate_eh_s":  # with the difficulty it implies (within a factor 4)
        difficulty = value * 1e18 * 600 * 0xFFFF / 2**48
        sets += [f"network.difficulty={difficulty!r}", f"network.height={height_for(difficulty)}"]
    elif path == "network.difficulty":
        sets.append(f"network.height={height_for(value)}")
    elif path == "network.height":
        sets.append(f"network.difficulty={difficulty_at(value)!r}")
    if path.startswith("scenario_sets.<name>."):  # one set, named s, with the value
        path, value = "scenario_sets", {"s": {path.rpartition(".")[2]: value}}
    if path in LISTS:
        value = _filled(LISTS[path], value)
    elif path.rpartition(".")[0] in LISTS:
        path, _, key = path.rpartition(".")
        item = {**LISTS[path][-1], key: value}
        if key == "amount_usd":  # a loan is a share of the capex or an amount, not both
            item.pop("share_of_capex")
        value = [*LISTS[path][:-1], item]
    return [*sets, f"{path}={json.dumps(value)}"]


REFUSED = {  # bounds that pk2000mw's other settings refuse, and why
    "network.hashrate_growth.trend_epochs<=10000": "the packaged history has 479 epochs",
    "network.response.elasticity<=100": "with lag_months 4.3 the monthly step would oscillate",
    "site.ramp.points.capacity_mw<=1e+06": "more than site.capacity_mw, 2,000 MW",
    "fleet.machines.hashrate_th_s>0": "power_w / hashrate_th_s is no efficiency then",
    "fleet.machines.power_w>0": "power_w / hashrate_th_s is no efficiency then",
    "fleet.machines.share>0": "the one machine's share must be 1",
    "financing.tranches.grace_months<=599": "grace must leave a repayment month in the tenor",
}

# -- what a run must hold --------------------------------------------------------------------

Where = Callable[[xr.Dataset], xr.DataArray]


def _no_btc(ds: xr.Dataset) -> xr.DataArray:
    return ds.btc_net.sum("time") == 0


def _no_breakeven(ds: xr.Dataset) -> xr.DataArray:
    """Nothing billed (NPV does not move with the tariff), or every profit taxed away (no
    price lifts the NPV to zero)."""
    tax = json.loads(ds.attrs["scenario"]).get("tax") or {}
    return (ds.energy_cost_usd.sum("time") == 0) | (tax.get("profit_tax_rate") == 1)


UNDEFINED: dict[str, Where] = {  # outputs with no value by design: where they may be NaN
    # the cash flow never changes sign, or has no root in the bracket (finance.IRR_REASONS)
    "irr": lambda ds: ds.irr_reason.isin([1, 2]),
    # "NaN: never" (the registry): the cumulative cash flow ends below 0
    "payback_months": lambda ds: ds.cumulative_cash_usd.isel(time=-1) < 0,
    # per BTC or per MWh of nothing (finance.cost_per_btc)
    "cost_per_btc_cash_usd": _no_btc,
    "cost_per_btc_all_in_usd": _no_btc,
    "energy_mwh_per_btc": _no_btc,
    "levelized_cost_per_btc_usd": _no_btc,
    "mining_value_usd_per_mwh": lambda ds: ds.energy_mwh == 0,
    "mining_value_usd_per_mwh_mean": lambda ds: ds.energy_mwh.sum("time") == 0,
    # no breakeven where NPV does not move with it (finance.breakeven_of_linear): nothing is
    # billed, as nothing runs or the tariff is 0 (the linear solve's two points, 0 and the
    # tariff, are then one)
    "breakeven_energy_price_per_kwh": _no_breakeven,
    "breakeven_energy_price_usd_per_kwh": _no_breakeven,
    "breakeven_btc_price_usd": lambda ds: _no_btc(ds) | _no_breakeven(ds),
    # an epoch still open at the horizon has no retarget timespan (chain.Projection)
    "epoch_block_interval_s": lambda ds: ds.epoch_start_time.shift(epoch=-1).isnull(),
    # no halving within the horizon
    "halving_date": lambda ds: xr.DataArray(ds.sizes.get("halving", 0) == 0),
    # the equity's cash flow never changes sign, or has no root (as irr)
    "equity_irr": lambda ds: ds.equity_irr_reason.isin([1, 2]),
    # nothing funded, no dollars needed: no month to name
    "peak_funding_month": lambda ds: ds.peak_funding_usd == 0,
    "peak_fx_need_month": lambda ds: ds.peak_fx_need_usd == 0,
    # no project year with debt service
    "dscr_min": lambda ds: ds.debt_service_usd.sum("time") == 0,
    "dscr_mean": lambda ds: ds.debt_service_usd.sum("time") == 0,
    # no covenant, or never breached
    "covenant_min_dscr": lambda ds: xr.DataArray(True),  # NaN is "none" by definition
    "covenant_breach_year": lambda ds: (
        ds.covenant_min_dscr.isnull() | (ds.dscr_min >= ds.covenant_min_dscr)
    ),
}


def _no_exit(ds: xr.Dataset) -> xr.DataArray:
    npv = ds.miners_npv_by_tariff_usd.values
    return xr.DataArray(not ((npv[:-1] >= 0) & (npv[1:] < 0)).any())


COMPARE_UNDEFINED: dict[str, Where] = {  # the comparison's outputs with no value by design
    # no tariff lets private miners come, or none within the grid stops them
    "best_tariff_per_kwh": lambda ds: (ds.miners_share_by_tariff == 0).all(),
    "exit_tariff_per_kwh": _no_exit,
    # miners who stay away may have a cash flow that never changes sign
    "miners_irr": lambda ds: ds.miners_come == 0,
    # nothing funded, no dollars needed: no month to name
    "state_peak_funding_month": lambda ds: ds.state_peak_funding_usd == 0,
    "state_peak_fx_need_month": lambda ds: ds.state_peak_fx_need_usd == 0,
}


def check_compare_outputs(ds: xr.Dataset) -> None:
    """The comparison: finite where defined, never inf; BTC held and energy >= 0."""
    for name in ds.data_vars:
        values = ds[name]
        assert not np.isinf(values.values).any(), f"{name} is infinite"
        missing = values.isnull()
        if name in COMPARE_UNDEFINED:
            missing &= ~COMPARE_UNDEFINED[name](ds).astype(bool)
        assert not missing.any(), f"{name} is NaN where it is defined"
    assert (ds.state_reserve_btc >= 0).all() and (ds.energy_gwh >= 0).all()
    assert ((ds.miners_share_by_tariff >= 0) & (ds.miners_share_by_tariff <= 1)).all()


def check_outputs(ds: xr.Dataset) -> None:
    """Finite where defined, never inf; BTC, shares and energy within their physical range."""
    for name in [*ds.data_vars, *ds.coords]:
        values = ds[name]
        if values.dtype.kind == "f":
            assert not np.isinf(values.values).any(), f"{name} is infinite"
        missing = values.isnull()
        if name in UNDEFINED:
            missing &= ~UNDEFINED[name](ds)
        assert not missing.any(), f"{name} is NaN where it is defined"
    for name, values in ds.data_vars.items():
        units, data = values.attrs.get("units", ""), values.values
        if units.startswith("BTC"):
            assert (data >= 0).all(), f"{name} < 0"
        if units in ("MWh", "GWh"):
            assert (data >= 0).all(), f"{name} < 0"
        if "share" in str(name) or str(name).startswith("run_"):
            # to rounding: a price taker capped at every block found has h / H = 1 + 2e-16
            assert ((data >= 0) & (data <= 1)).all(), f"{name} outside [0, 1]"
    assert float(ds.btc_total) <= 21e6


# -- the tests -------------------------------------------------------------------------------


def test_every_numeric_field_of_the_schema_is_covered():
    fields = {b.field for b in BOUNDS}
    assert fields == {row["field"] for row in schema_rows() if row["range"]}
    assert len(fields) >= 40 and len(BOUNDS) >= 2 * len(fields)
    assert {"site.availability_by_month", "market.btc_price_path.btc_price_usd"} <= fields
    assert set(REFUSED) <= {b.id for b in BOUNDS}


@pytest.mark.parametrize("b", BOUNDS, ids=lambda b: b.id)
def test_outputs_are_finite_at_the_bound(b):
    sets = overrides(b)
    if b.id in REFUSED:
        with pytest.raises(ConfigError) as refused:
            load_config("pk2000mw", sets)
        (line,) = refused.value.problems
        where = re.sub(r"\[\d+\]", "", line.partition(":")[0])
        assert b.field.startswith(where) and b.field.rpartition(".")[2] in line, line
        return
    scenario = load_config("pk2000mw", sets)
    if b.field.startswith("scenario_sets."):  # the set's paths through the model
        check_outputs(scenario_sets.run(scenario, ["s"], paths=5).isel(scenario_set=0, path=0))
        return
    check_outputs(model.run(scenario))
    if b.field.startswith(("options.", "finance.")):
        check_compare_outputs(compare(scenario))


@pytest.mark.parametrize(
    "setting, field",
    [
        ("site.capacity_mw=5e-324", "site.capacity_mw"),
        (f"site.availability_by_month={[1] * 11 + [5e-324]}", "site.availability_by_month"),
        ("site.ramp.points=[{date: 2026-09-05, capacity_mw: 1e-310}]", "site.ramp.points[0]"),
    ],
)
def test_power_too_small_to_compute_with_is_refused(setting, field):
    # a subnormal number of megawatts gives a fleet whose hashrate rounds to 0
    with pytest.raises(ConfigError) as refused:
        load_config("pk2000mw", [setting])
    (line,) = refused.value.problems
    assert line.startswith(field) and "too small to compute with" in line


@pytest.mark.parametrize("lag_months", [0.01, 4.3, 1200])
def test_the_strongest_response_allowed_stays_finite(lag_months):
    most = min(100, 1 / -math.expm1(-1 / lag_months))
    sets = [f"network.response={{elasticity: {most!r}, lag_months: {lag_months!r}}}"]
    ds = model.run(load_config("pk2000mw", ["horizon_months=120", *sets]), detail=())
    check_outputs(ds)
    assert (abs(ds.response_deviation) < 1).all()  # no oscillation grown wild


@pytest.mark.parametrize(
    "height, epochs, code",
    [
        (1_000_000, 490, 2),  # beyond the packaged history, which holds 479 epochs
        (1_000_000, 479, 0),
        (100_000, 100, 2),  # 49 epochs before the start
    ],
)
def test_validate_and_run_agree_on_trend_epochs(height, epochs, code):
    sets = [
        f"network.height={height}",
        f"network.difficulty={difficulty_at(height)!r}",
        f"network.hashrate_growth={{trend_epochs: {epochs}}}",
        "horizon_months=1",
    ]
    args = [arg for s in sets for arg in ("--set", s)]
    for command in ("validate", "run"):
        result = CliRunner().invoke(main, [command, "pk2000mw", *args])
        assert result.exit_code == code, result.output
        if code:
            (line,) = result.output.splitlines()
            assert line.startswith("error: network.hashrate_growth.trend_epochs: expected 2 to")
