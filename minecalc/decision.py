"""The options compared, in words and tables: for the terminal, JSON, CSV and the report.

Reads only the Dataset of :func:`minecalc.compare.compare` (data flows one way).
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import xarray as xr

from . import fiscal
from .formatting import clean, finite_or_none, money, percent, scale, sig, table
from .output import units_table

LABELS = {
    "idle": "idle",
    "sell_power": "sell power",
    "state_mining": "state mining",
    "buy_btc": "buy BTC",
    "sell_elsewhere": "sell elsewhere",
}

ROWS = (
    ("state_npv_usd", "NPV to the state", "amount"),
    ("state_npv_local", "... in the tariff currency", "local"),
    ("state_value_usd_per_mwh", "NPV per MWh of surplus [USD/MWh]", "number"),
    ("state_peak_funding_usd", "Peak funding", "amount"),
    ("state_peak_funding_month", "... in month", "number"),
    ("state_peak_fx_need_usd", "Peak FX need", "amount"),
    ("state_peak_fx_need_month", "... in month", "number"),
    ("state_reserve_btc_end", "BTC held at the end", "number"),
    ("state_reserve_value_end_usd", "... worth", "amount"),
    ("reserve_drawdown", "Reserve's largest drawdown", "percent"),
    ("energy_gwh", "Surplus used or sold [GWh]", "number"),
    ("capacity_charge_per_kwh", "Capacity charge, others [{currency}/kWh]", "number"),
    ("prob_state_loses", "P(worse than idle)", "percent"),
    ("state_npv_p90_usd", "NPV, P90 (exceeded in 90 % of paths)", "amount"),
    ("state_npv_p50_usd", "NPV, P50 (median)", "amount"),
    ("best_share", "Worth most, share of paths", "percent"),
)
"""The side-by-side table: variable, label, how to show it."""


def _central(ds: xr.Dataset, name: str) -> xr.DataArray:
    """A per-option figure: as it is, or its median over the paths (no month of a peak
    where the median needs nothing)."""
    da = ds[name]
    if "path" not in da.dims:
        return da
    peaks = {
        "state_peak_funding_month": "state_peak_funding_usd",
        "state_peak_fx_need_month": "state_peak_fx_need_usd",
    }
    if name in peaks:
        return da.median("path").where(ds[peaks[name]].median("path") > 0)
    return da.median("path")


def rows(ds: xr.Dataset) -> list[list[str]]:
    """The side-by-side table's rows (labels, then one cell per option)."""
    currency = ds.attrs["currency"]
    out = []
    for name, label, kind in ROWS:
        if name not in ds:
            continue
        values = _central(ds, name).values
        if kind in ("amount", "local"):
            unit = "USD" if kind == "amount" else currency
            factor, unit = scale(values, unit)
            label = f"{label} [{unit}]"
            cells = [sig(v / factor) for v in values]
        elif kind == "percent":
            cells = [percent(v) for v in values]
        else:
            cells = [sig(v) for v in values]
        out.append([label.replace("{currency}", currency), *cells])
    return out


def best(ds: xr.Dataset) -> str:
    """The option worth most to the state (median over paths with paths)."""
    return str(_central(ds, "state_npv_usd").idxmax("option").item())


def answer(ds: xr.Dataset) -> list[str]:
    """The decision in a few sentences: which option, how sure, and the tariff's tests."""
    currency = ds.attrs["currency"]
    npv = _central(ds, "state_npv_usd")
    top = best(ds)
    median = " (medians over the paths)" if "path" in ds.dims else ""
    if top == "idle":
        # the closest option that does something (not selling to miners who stay away)
        idle_too = ["idle"] + (["sell_power"] if float(ds.get("miners_come", 1)) == 0 else [])
        others = npv.drop_sel(option=[o for o in idle_too if o in npv.option])
        closest = str(others.idxmax("option").item()) if others.size else None
        lines = [
            "Leaving the power idle is worth most to the state: no option gains against it"
            + (
                f"; the closest is {LABELS[closest]}, {money(float(others.max()))}{median}."
                if closest
                else "."
            )
        ]
    else:
        lines = [
            f"Worth most to the state: {LABELS[top]}, {money(float(npv.sel(option=top)))} "
            f"over idle{median}."
        ]
    if "best_share" in ds:
        shares = ds.best_share.sortby(ds.best_share, ascending=False)
        most = [
            f"{LABELS[str(o)]} in {percent(float(v))}"
            for o, v in zip(shares.option.values, shares.values, strict=True)
            if v > 0
        ]
        lines.append(f"Worth most, path by path: {', '.join(most)} of the paths.")
        if top != "idle":
            loses = float(ds.prob_state_loses.sel(option=top))
            lines.append(
                f"{LABELS[top].capitalize()} does worse than idle in {percent(loses)} of paths."
            )
    lines += _sell_power_lines(ds, currency)
    cr = float(ds.cost_recovery_per_kwh)
    lines.append(
        f"Cost recovery: {sig(cr)} {currency}/kWh (the plants' marginal cost grossed up for "
        "losses); a tariff below it is a subsidy."
    )
    if "capacity_charge_per_kwh" in ds:
        charge = _central(ds, "capacity_charge_per_kwh")
        before = float(charge.sel(option="idle"))
        after = float(charge.min())
        lines.append(
            f"Capacity charge for every other consumer: {sig(before)} {currency}/kWh today, "
            f"{sig(after)} with the most energy sold ({LABELS[str(charge.idxmin().item())]}). "
            f"Capacity payments ({money(float(ds.capacity_payments_per_year), currency)}/yr) "
            "are due in every option and are not counted."
        )
    return lines


def _sell_power_lines(ds: xr.Dataset, currency: str) -> list[str]:
    if "sell_power_tariff_per_kwh" not in ds:
        return []
    tariff = float(ds.sell_power_tariff_per_kwh)
    come = bool(ds.miners_come)
    lines = [
        f"Selling power at {sig(tariff, 4)} {currency}/kWh: private miners "
        + (f"take {percent(float(ds.miners_share))} of the power" if come else "do not come")
        + f" (their NPV at their hurdle rate: {money(float(ds.miners_npv_usd))})."
    ]
    if "exit_tariff_per_kwh" in ds:
        exit_tariff, best_tariff = float(ds.exit_tariff_per_kwh), float(ds.best_tariff_per_kwh)
        at_best = ""
        if np.isfinite(best_tariff):
            take = float(ds.state_take_by_tariff_usd.sel(tariff_per_kwh=best_tariff))
            at_best = (
                f"the state's take is largest at {sig(best_tariff, 4)} {currency}/kWh, "
                f"{money(take)}" + (" (a loss: below cost recovery)" if take < 0 else "")
            )
        if np.isfinite(exit_tariff):
            lines.append(f"They stop coming above {sig(exit_tariff, 4)} {currency}/kWh; {at_best}.")
        elif np.isfinite(best_tariff):
            lines.append(f"They come at every tariff tried; {at_best}.")
        else:
            lines.append("They do not come at any tariff tried, not even free power.")
    gap = float(ds.subsidy_gap_per_kwh)
    lines.append(
        f"Subsidy test: the tariff is {sig(gap)} {currency}/kWh below cost recovery, "
        f"{money(float(ds.subsidy_cost_per_year), currency)} a year."
        if bool(ds.subsidised)
        else "Subsidy test: the tariff covers cost recovery; it is not a subsidy."
    )
    return lines


def text(ds: xr.Dataset) -> str:
    """The comparison for a terminal: the table, then the answer in words."""
    options = [LABELS[str(o)] for o in ds.option.values]
    months = ds.sizes["time"]
    head = (
        f"{clean(ds.attrs['title'])}: what the state could do with the power, {months} months"
        + (f", {ds.sizes['path']:,} paths" if "path" in ds.dims else "")
    )
    lines = [
        head,
        "The state's side (treasury and power sector), incremental to leaving the power idle.",
        "",
        *table(["", *options], rows(ds)),
        "",
        *(
            wrapped
            for line in answer(ds)
            for wrapped in textwrap.wrap(line, 92, initial_indent="  ", subsequent_indent="    ")
        ),
    ]
    if "state_mining" in ds.option.values:
        lines += ["", *fiscal.text(ds)]
    return "\n".join(lines)


def summary(ds: xr.Dataset) -> dict[str, Any]:
    """The comparison as plain JSON: per option, and the sell_power and tariff figures."""
    per_option = {
        str(option): {
            name: finite_or_none(float(_central(ds, name).sel(option=option)))
            for name, _, _ in ROWS
            if name in ds
        }
        for option in ds.option.values
    }
    scalars = {
        str(name): finite_or_none(float(v)) for name, v in ds.data_vars.items() if v.ndim == 0
    }
    return {
        "title": ds.attrs["title"],
        "currency": ds.attrs["currency"],
        "paths": ds.sizes.get("path", 0),
        "best": best(ds),
        "options": per_option,
        **scalars,
        "answer": answer(ds),
        **({"fiscal": fiscal.as_dict(ds)} if "state_mining" in ds.option.values else {}),
    }


def frame(ds: xr.Dataset):
    """One row per option (and path), its figures as columns with units (for CSV)."""
    return units_table(
        ds, [n for n, v in ds.data_vars.items() if v.dims and v.dims[-1] == "option"]
    )
