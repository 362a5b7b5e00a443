"""Named scenario sets: base, bear, bull and a scenario's own, each a labelled set of paths.

A set says how its Monte Carlo paths differ from the command's path model
(:class:`minecalc.uncertainty.PathModel`): a median price that falls or rises, another
calibration window, GBM instead of the joint bootstrap. Every set draws with the same seed,
so the sets share their random numbers and differ only by what they change, and all of
them run through the model in one vectorized call, on a ``scenario_set`` dimension.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap

import pandas as pd
import xarray as xr

from . import model
from .config import Scenario, ScenarioSet
from .errors import InputError
from .formatting import exceedance, money, percent, sig
from .progress import Progress, tell
from .uncertainty import (
    OVER_PATHS,
    PathModel,
    checked,
    draw_paths,
    monte_carlo_summary,
    path_attrs,
    responding,
    risk,
)

BUILT_IN = {
    "base": ScenarioSet(description="history's joint moves; the median price flat"),
    "bear": ScenarioSet(
        description="the median price falling 25 % a year (to a quarter in five years)",
        median_growth_per_year=-0.25,
    ),
    "bull": ScenarioSet(
        description="the median price rising 25 % a year (threefold in five years)",
        median_growth_per_year=0.25,
    ),
}
"""The sets every scenario has; a scenario's ``scenario_sets`` may add or redefine them.
Bear and bull are assumptions, not calibrated: BTC's monthly mean fell to about a quarter
of its December 2017 and November 2021 peaks within a year, and rose sevenfold from January
2020 to November 2021 (the packaged prices)."""


def available(scenario: Scenario) -> dict[str, ScenarioSet]:
    """The scenario's sets by name: the built-in ones, then its own."""
    return {**BUILT_IN, **scenario.scenario_sets}


def chosen(scenario: Scenario, names) -> dict[str, ScenarioSet]:
    """The sets ``names`` of the scenario, in that order (once each), or an
    :class:`~minecalc.errors.InputError` naming those it does not have."""
    known = available(scenario)
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise InputError(
            f"sets: expected some of {', '.join(known)}, got {', '.join(unknown) or 'none'}",
            option="sets",
        )
    return {n: known[n] for n in names}


def path_model(entry: ScenarioSet, base: PathModel) -> PathModel:
    """``base`` with what the set changes."""
    changes = entry.model_dump(exclude={"description"}, exclude_none=True)
    return dataclasses.replace(base, **changes)


def run(
    scenario: Scenario,
    names,
    paths: int = 1000,
    seed: int = 0,
    *,
    base: PathModel | None = None,
    params: dict | None = None,
    progress: Progress | None = None,
) -> xr.Dataset:
    """Monte Carlo of each named set, in one model run on a ``scenario_set`` dimension.

    Parameters
    ----------
    scenario : Scenario
    names : sequence of str
        Sets to run (:func:`available`), in the order wanted.
    paths, seed : int
        Paths per set and the seed every set draws with.
    base : PathModel, optional
        The command's path model, which each set changes (default :class:`PathModel`).
        Its ``response`` holds for every set: one law for the other miners.
    params : dict, optional
        Swept parameters (:func:`minecalc.sweep.parameters`): every grid point runs every
        set, in the same call.
    progress : callable, optional

    Returns
    -------
    xarray.Dataset
        The run on ``scenario_set`` x ``path``, with the Monte Carlo group of the registry
        by set; ``mc_sets`` in ``attrs`` holds each set's path model (JSON) and the
        ``scenario_set_description`` coordinate what each stands for.
    """
    sets = chosen(scenario, names)
    names = list(sets)
    base = checked(base or PathModel())
    models = {n: checked(path_model(s, base)) for n, s in sets.items()}  # base's response
    drawn = xr.concat(
        [draw_paths(scenario, paths=paths, seed=seed, path_model=m) for m in models.values()],
        dim=pd.Index(names, name="scenario_set"),
    )
    drawn = _swept_starts(scenario, drawn, params or {})
    answering = responding(scenario, base)
    tell(progress, f"Monte Carlo, {len(names)} scenario sets x {paths:,} paths")
    ds = model.run(answering, params, paths=dict(drawn.data_vars), **OVER_PATHS)
    return (
        ds.assign(risk(ds))
        .assign_coords(
            scenario_set_description=("scenario_set", [s.description for s in sets.values()])
        )
        .assign_attrs(
            **path_attrs(answering, paths=paths, seed=seed, path_model=base),
            mc_sets=json.dumps({n: dataclasses.asdict(m) for n, m in models.items()}),
        )
    )


def _swept_starts(scenario: Scenario, drawn: xr.Dataset, params: dict) -> xr.Dataset:
    """The paths from a swept starting price or fee level: both scale their paths (the
    draws are relative moves), which gain the swept dimension. The network's growth sets
    the draws' own trend, so a sweep of it has no paths to scale."""
    if any(key.startswith("network.hashrate_growth") for key in params):
        raise InputError(
            "--vary: expected fields the paths leave alone or scale (market.btc_price_usd, "
            "network.fees_btc_per_block, ...), got network.hashrate_growth: a set's "
            "network_growth_per_year sets its trend",
            option="vary",
        )
    starts = {
        "market.btc_price_usd": ("btc_price_usd", scenario.market.btc_price_usd),
        "network.fees_btc_per_block": ("fees_btc_per_block", scenario.network.fees_btc_per_block),
    }
    scaled = {
        var: drawn[var] * (params[key] / start)
        for key, (var, start) in starts.items()
        if key in params and start > 0
    }
    return drawn.assign(scaled)


def risk_table(ds: xr.Dataset) -> tuple[pd.DataFrame, dict[str, str]]:
    """P(NPV < 0) and the NPV quantiles of each set and scenario of :func:`run` (a sweep's
    grid points too), one row each, and the columns' units."""
    npv = ds.npv_usd_quantiles
    columns = {
        "prob_npv_negative": ds.prob_npv_negative,
        **{
            f"npv_usd_q{round(100 * q)}": npv.sel(quantile=q, drop=True)
            for q in npv["quantile"].values
        },
    }
    frame = xr.Dataset(columns).to_dataframe()[list(columns)]
    return frame, {"prob_npv_negative": "1", **dict.fromkeys(list(columns)[1:], "USD")}


def one(ds: xr.Dataset, name: str) -> xr.Dataset:
    """Set ``name`` of :func:`run` as a Monte Carlo of its own (its path model in the
    ``mc_*`` attributes), for the summaries of :mod:`minecalc.uncertainty`."""
    models = json.loads(ds.attrs["mc_sets"])
    attrs = {f"mc_{k}": "" if v is None else v for k, v in models[name].items()}
    return ds.sel(scenario_set=name, drop=True).assign_attrs(attrs)


def summary(ds: xr.Dataset) -> dict:
    """Each set's headline figures (:func:`minecalc.uncertainty.monte_carlo_summary`) and
    what it stands for, by name: the JSON of ``--sets``."""
    return {
        str(name): {
            "description": str(ds.scenario_set_description.sel(scenario_set=name).item()),
            **monte_carlo_summary(one(ds, str(name))),
        }
        for name in ds.scenario_set.values
    }


def text(ds: xr.Dataset) -> str:
    """The sets side by side for a terminal: P(loss), NPV in the lender's P-convention, BTC
    mined and where the median price ends; then each set's model in words."""
    figures = summary(ds)
    names = list(figures)
    width = max(15, *(len(n) + 2 for n in names))
    rows = [
        ("P(NPV < 0)", lambda s: percent(s["prob_npv_negative"])),
        ("P(no payback)", lambda s: percent(s["prob_no_payback"])),
        *(
            (
                f"NPV, {exceedance(q / 100) if q != 50 else 'P50 (median)'}",
                lambda s, q=q: money(s[f"npv_usd_q{q}"]),
            )
            for q in (10, 50, 90)
        ),
        ("BTC mined, P50 (median)", lambda s: sig(s["btc_total_q50"])),
        ("Median price at the end [x start]", lambda s: sig(s["median_price_ratio_at_horizon"])),
    ]
    label = max(len(r[0]) for r in rows) + 2
    lines = [
        f"{ds.attrs['title']}: scenario sets, {ds.attrs['mc_paths']:,} paths each "
        f"(seed {ds.attrs['mc_seed']})",
        "",
        "  " + " " * label + "".join(f"{n:>{width}}" for n in names),
    ]
    for name, cell in rows:
        lines.append(f"  {name:<{label}}" + "".join(f"{cell(figures[n]):>{width}}" for n in names))
    lines.append("")
    for n in names:
        said = f"{n}: {figures[n]['description']}. " if figures[n]["description"] else f"{n}: "
        lines += ["  " + line for line in textwrap.wrap(said + figures[n]["price_model"], 88)]
    return "\n".join(lines)


def compare(
    scenario: Scenario, names, paths: int = 1000, seed: int = 0, *, base: PathModel | None = None
) -> dict[str, xr.Dataset]:
    """The state's options (:func:`minecalc.compare.compare_paths`) under each named set.

    One comparison per set, each vectorized over its paths and options: a comparison
    solves tariffs and the private miners' entry on its own paths, which does not stack
    on a further dimension.
    """
    from .compare import compare_paths

    base = base or PathModel()
    return {
        n: compare_paths(scenario, paths, seed, path_model=path_model(s, base))
        for n, s in chosen(scenario, names).items()
    }


def compare_text(results: dict[str, xr.Dataset]) -> str:
    """Each option's P50 NPV to the state and P(worse than idle), set by set."""
    from .decision import LABELS

    first = next(iter(results.values()))
    names = list(results)
    width = max(24, *(len(n) + 2 for n in names))
    lines = [
        f"{first.attrs['title']}: under each scenario set, "
        f"{first.sizes['path']:,} paths each (seed {first.attrs['mc_seed']})",
        "NPV to the state, P50 (median), and P(worse than idle), incremental to idle.",
        "",
        "  " + " " * 16 + "".join(f"{n:>{width}}" for n in names),
    ]
    for option in first.option.values:
        cells = [
            f"{money(float(ds.state_npv_p50_usd.sel(option=option)))} "
            f"({percent(float(ds.prob_state_loses.sel(option=option)))})"
            for ds in results.values()
        ]
        lines.append(f"  {LABELS[str(option)]:<16}" + "".join(f"{c:>{width}}" for c in cells))
    return "\n".join(lines)
