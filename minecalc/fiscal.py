"""The fiscal summary a ministry, a lender or an IMF desk reads: what the plan asks of the
state's purse and of its dollars.

Reads only a Dataset, of a run (:func:`minecalc.model.run`) or of a comparison
(:func:`minecalc.compare.compare`, which carries its state-mining run's figures,
:data:`minecalc.model.variables.FISCAL`); data flows one way. With Monte Carlo paths each
figure is the median over the paths, and the minimum DSCR also its P90 (the value exceeded
in 90 % of paths: the case lenders size debt on).
"""

from __future__ import annotations

import json
from typing import Any

import xarray as xr

from .formatting import Figure, finite_or_none, line, money, percent, quantity, sig

P90 = 0.1
"""The quantile exceeded in 90 % of paths."""


def values(ds: xr.Dataset, paths: xr.Dataset | None = None) -> dict[str, float | None]:
    """Each figure, as one number (the median over paths), finite or None; the P90 of the
    minimum DSCR as ``dscr_min_p90`` with paths (of ``ds``, or of the Monte Carlo run
    ``paths`` beside a central ``ds``)."""
    from .model.variables import FISCAL  # on use: the model's summary stage imports results

    out: dict[str, float | None] = {}
    runs = ds if paths is None else paths
    if "dscr_min" in runs and "path" in runs.dscr_min.dims:
        out["dscr_min_p90"] = finite_or_none(float(runs.dscr_min.quantile(P90, "path")))
    for name in FISCAL:
        if name in ds:
            da = ds[name]
            out[name] = finite_or_none(float(da.median("path") if "path" in da.dims else da))
    return out


def _scenario(ds: xr.Dataset) -> dict:
    return json.loads(ds.attrs.get("scenario", "{}"))


def reserve_cap_btc(ds: xr.Dataset) -> float | None:
    """The scenario's cap on the reserve [BTC], None without one."""
    return _scenario(ds).get("finance", {}).get("reserve_cap_btc")


def _fx_notes(ds: xr.Dataset, v: dict[str, float | None]) -> str:
    """What the peak FX need counts beyond the run's own dollars."""
    notes = ["with USD loans"] if "dscr_min" in v else []
    sector = (_scenario(ds).get("options") or {}).get("power_sector") or {}
    if "state_peak_fx_need_usd" in ds and sector.get("fuel_usd_share"):
        notes.append("and the imported fuel" if notes else "with the imported fuel")
    return f"({' '.join(notes)})" if notes else ""


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
            f"{_month(v, 'peak_fx_need')} {_fx_notes(ds, v)}".strip(),
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
        out.append(Figure("Import cover", "n/a", "(no fx block: reserves, imports)"))
    if "dscr_min" in v:
        notes = []
        if "dscr_min_p90" in v:
            notes.append(f"P90 {_ratio(v['dscr_min_p90'])}")
        if v.get("covenant_min_dscr") is not None:
            year = v.get("covenant_breach_year")
            notes.append(
                f"covenant {sig(v['covenant_min_dscr'])}, "
                + ("never breached" if year is None else f"breached in year {year:.0f}")
            )
        out += [
            Figure("Minimum DSCR", _ratio(v["dscr_min"]), f"({'; '.join(notes)})" if notes else ""),
            Figure("LLCR at the draw", _ratio(v.get("llcr"))),
            Figure(
                "Equity IRR",
                "n/a" if v.get("equity_irr") is None else percent(v["equity_irr"]) + "/yr",
            ),
        ]
    else:
        out.append(Figure("Minimum DSCR", "n/a", "(no loans)"))
    out.append(
        Figure("Tax paid", money(v["tax_usd_total"]))
        if "tax_usd_total" in v
        else Figure("Tax paid", "none", _untaxed(ds))
    )
    out.append(_subsidy(v, currency, ", sell power" if "option" in ds.dims else ""))
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
            f"(cash {sig(v.get('cost_per_btc_cash_usd'))}; "
            f"all-in {sig(v.get('cost_per_btc_all_in_usd'))})",
        )
    )
    return out


def _ratio(value: float | None) -> str:
    """A cover ratio; one within rounding of 0 (CFADS that is exactly 0 up to the last
    digit, e.g. BTC sold only to pay the costs) reads 0."""
    return sig(0.0 if value is not None and abs(value) < 1e-9 else value)


def _month(v: dict, name: str) -> str:
    month = v.get(f"{name}_month")
    return "" if month is None else f"in month {month:.0f}"


def _untaxed(ds: xr.Dataset) -> str:
    if "option" in ds.dims:
        return "(the state does not tax itself)"
    return "(no tax block)"


def _subsidy(v: dict, currency: str, whose: str) -> Figure:
    label = f"Subsidy test{whose}"
    if "subsidised" not in v:
        return Figure(label, "n/a", "(no options.power_sector)")
    cost_recovery = f"cost recovery {sig(v['cost_recovery_per_kwh'])} {currency}/kWh"
    if v["subsidised"]:
        return Figure(
            label,
            "SUBSIDY",
            f"({sig(v['subsidy_gap_per_kwh'])} {currency}/kWh below {cost_recovery}, "
            f"{money(v['subsidy_cost_per_year'], currency)} a year)",
        )
    return Figure(label, "passes", f"(covers {cost_recovery})")


def text(ds: xr.Dataset) -> list[str]:
    """The fiscal summary as lines for a terminal."""
    paths = f", medians over {ds.sizes['path']:,} paths" if "path" in ds.dims else ""
    head = "Fiscal summary" + (" of state mining" if "option" in ds.dims else "") + paths
    return [head, *(line(f) for f in figures(ds))]


def as_dict(ds: xr.Dataset) -> dict[str, Any]:
    """The fiscal summary's numbers for JSON (variable names as keys; None: undefined)."""
    return {**values(ds), "reserve_cap_btc": reserve_cap_btc(ds)}
