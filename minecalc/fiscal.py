"""The fiscal summary a ministry, a lender or an IMF desk reads: what the plan asks of the
state's purse and of its dollars.

Reads only a Dataset, of a run (:func:`minecalc.model.run`) or of a comparison
(:func:`minecalc.compare.compare`, whose state-mining run's figures it carries); data flows
one way. With Monte Carlo paths each figure is the median over the paths, and the minimum
DSCR also its P90 (the value exceeded in 90 % of paths: the case lenders size debt on).
"""

from __future__ import annotations

import json
from typing import Any

import xarray as xr

from .formatting import Figure, finite_or_none, line, money, percent, quantity, sig

FIGURES = (
    "peak_funding_usd",
    "peak_funding_month",
    "peak_fx_need_usd",
    "peak_fx_need_month",
    "import_cover_months",
    "import_cover_with_btc_months",
    "dscr_min",
    "llcr",
    "covenant_min_dscr",
    "covenant_breach_year",
    "equity_irr",
    "tax_usd_total",
    "cost_recovery_per_kwh",
    "subsidised",
    "subsidy_gap_per_kwh",
    "subsidy_cost_per_year",
    "reserve_btc_end",
    "levelized_cost_per_btc_usd",
    "cost_per_btc_cash_usd",
    "cost_per_btc_all_in_usd",
)
"""The variables the summary reads, where the Dataset has them."""

P90 = 0.1
"""The quantile exceeded in 90 % of paths."""


def _own(ds: xr.Dataset, name: str) -> xr.DataArray | None:
    """A figure of the plan's own fleet: a run's variable, or a comparison's state mining."""
    if name in ds:
        return ds[name]
    by_option = {
        "peak_funding_usd": "state_peak_funding_usd",
        "peak_funding_month": "state_peak_funding_month",
        "reserve_btc_end": "state_reserve_btc_end",
    }
    if by_option.get(name) in ds and "state_mining" in ds.option.values:
        return ds[by_option[name]].sel(option="state_mining", drop=True)
    return None


def values(ds: xr.Dataset, paths: xr.Dataset | None = None) -> dict[str, float | None]:
    """Each figure, as one number (the median over paths), finite or None; the P90 of the
    minimum DSCR as ``dscr_min_p90`` with paths (of ``ds``, or of the Monte Carlo run
    ``paths`` beside a central ``ds``)."""
    out: dict[str, float | None] = {}
    if paths is not None and "dscr_min" in paths:
        out["dscr_min_p90"] = finite_or_none(float(paths.dscr_min.quantile(P90, "path")))
    for name in FIGURES:
        da = _own(ds, name)
        if da is None:
            continue
        if "path" in da.dims:
            if name == "dscr_min":
                out["dscr_min_p90"] = finite_or_none(float(da.quantile(P90, "path")))
            da = da.median("path")
        out[name] = finite_or_none(float(da))
    return out


def reserve_cap_btc(ds: xr.Dataset) -> float | None:
    """The scenario's cap on the reserve [BTC], None without one."""
    scenario = json.loads(ds.attrs.get("scenario", "{}"))
    return scenario.get("finance", {}).get("reserve_cap_btc")


def figures(ds: xr.Dataset, paths: xr.Dataset | None = None) -> list[Figure]:
    """The fiscal summary as figures, in reading order; a missing block says what to add.
    ``paths``: a Monte Carlo run beside the central ``ds``, for the P90 DSCR."""
    v = values(ds, paths)
    currency = ds.attrs.get("tariff_currency", ds.attrs.get("currency", "USD"))
    out = [
        Figure("Peak funding need", money(v.get("peak_funding_usd")), _month(v, "peak_funding")),
        Figure(
            "Peak FX need",
            money(v.get("peak_fx_need_usd")),
            (_month(v, "peak_fx_need") + " (dollars out less in, USD loans included)").strip(),
        ),
    ]
    if "import_cover_months" in v:
        out.append(
            Figure(
                "Import cover at the worst",
                quantity(v["import_cover_months"], "months"),
                f"({sig(v['import_cover_with_btc_months'])} counting the held BTC)",
            )
        )
    else:
        out.append(Figure("Import cover", "n/a", "(give fx: reserves_usd, imports_usd_per_month)"))
    if "dscr_min" in v:
        notes = []
        if "dscr_min_p90" in v:
            notes.append(f"P90 {sig(v['dscr_min_p90'])}, exceeded in 90 % of paths")
        if v.get("covenant_min_dscr") is not None:
            year = v.get("covenant_breach_year")
            notes.append(
                f"covenant {sig(v['covenant_min_dscr'])}, "
                + ("never breached" if year is None else f"first breached in year {year:.0f}")
            )
        out += [
            Figure("Minimum DSCR", sig(v["dscr_min"]), f"({'; '.join(notes)})" if notes else ""),
            Figure("LLCR at the draw", sig(v.get("llcr"))),
            Figure(
                "Equity IRR",
                "n/a" if v.get("equity_irr") is None else percent(v["equity_irr"]) + "/yr",
            ),
        ]
    else:
        out.append(Figure("Minimum DSCR", "n/a", "(no loans: add a financing block)"))
    out.append(
        Figure("Tax paid", money(v["tax_usd_total"]))
        if "tax_usd_total" in v
        else Figure("Tax paid", "none", _untaxed(ds))
    )
    out.append(_subsidy(v, currency))
    cap = reserve_cap_btc(ds)
    out.append(
        Figure(
            "Reserve at the end",
            quantity(v.get("reserve_btc_end"), "BTC"),
            "(no cap)" if cap is None else f"(cap {sig(cap)} BTC)",
        )
    )
    out.append(
        Figure(
            "Levelized cost per BTC",
            money(v.get("levelized_cost_per_btc_usd")),
            f"(cash {money(v.get('cost_per_btc_cash_usd'))}; "
            f"all-in {money(v.get('cost_per_btc_all_in_usd'))})",
        )
    )
    return out


def _month(v: dict, name: str) -> str:
    month = v.get(f"{name}_month")
    return "" if month is None else f"in month {month:.0f}"


def _untaxed(ds: xr.Dataset) -> str:
    if "option" in ds.dims:
        return "(state mining pays none to itself; private miners' tax is in sell power's take)"
    return "(no tax block)"


def _subsidy(v: dict, currency: str) -> Figure:
    if "subsidised" not in v:
        return Figure("Subsidy test", "n/a", "(needs options.power_sector)")
    cost_recovery = f"cost recovery {sig(v['cost_recovery_per_kwh'])} {currency}/kWh"
    if v["subsidised"]:
        return Figure(
            "Subsidy test",
            "SUBSIDY",
            f"({sig(v['subsidy_gap_per_kwh'])} {currency}/kWh below {cost_recovery}, "
            f"{money(v['subsidy_cost_per_year'], currency)} a year)",
        )
    return Figure("Subsidy test", "passes", f"(the tariff covers {cost_recovery})")


def text(ds: xr.Dataset) -> list[str]:
    """The fiscal summary as lines for a terminal."""
    paths = f", medians over {ds.sizes['path']:,} paths" if "path" in ds.dims else ""
    head = "Fiscal summary" + (" of state mining" if "option" in ds.dims else "") + paths
    return [head, *(line(f) for f in figures(ds))]


def as_dict(ds: xr.Dataset) -> dict[str, Any]:
    """The fiscal summary's numbers for JSON (variable names as keys; None: undefined)."""
    return {**values(ds), "reserve_cap_btc": reserve_cap_btc(ds)}
