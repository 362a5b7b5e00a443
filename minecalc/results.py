"""Headline figures of a run: scalar variables in the Dataset and a JSON-ready dict.

Every function here reduces over ``time`` (or ``halving``) and keeps any scenario
dimensions, so the same summary serves one run and a sweep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from . import fiscal
from .errors import InputError
from .finance import IRR_REASON_NAMES, IRR_REASONS
from .formatting import (
    Figure,
    clean,
    finite_or_none,
    line,
    money,
    percent,
    quantity,
    scale,
    sig,
    table,
)

SCENARIO_FREE_DIMS = ("time", "epoch", "halving", "project_year", "hour")
ECONOMICS = (
    "energy_gwh_total",
    "capex_usd",
    "npv_usd",
    "irr",
    "payback_months",
    "cost_per_btc_cash_usd",
    "cost_per_btc_all_in_usd",
    "energy_mwh_per_btc",
    "breakeven_energy_price_per_kwh",
    "breakeven_energy_price_usd_per_kwh",
    "breakeven_btc_price_usd",
    "reserve_btc_end",
    "irr_reason",
    "mining_value_usd_per_mwh_mean",
)
"""Scalar economic results copied as they are into the summary."""


def _attrs(da: xr.DataArray, units: str | None, long_name: str) -> xr.DataArray:
    da.attrs = (
        {"long_name": long_name} if units is None else {"units": units, "long_name": long_name}
    )
    return da


def project_year(ds: xr.Dataset) -> xr.DataArray:
    """Each month's project year, 1 for the first 12 months (for ``groupby``)."""
    return xr.DataArray(
        np.arange(ds.sizes["time"]) // 12 + 1,
        dims="time",
        name="project_year",
        attrs={"units": "1", "long_name": "project year (12 months from start_date)"},
    )


def yearly(ds: xr.Dataset) -> xr.Dataset:
    """Per project year: BTC, BTC/day, network share, end difficulty, mean network hashrate.

    Project year k covers months ``12 (k - 1)`` to ``12 k - 1`` (the last may be partial).
    """
    year = project_year(ds)
    sums = (
        ds[
            [
                "fleet_btc",
                "fleet_blocks",
                "network_blocks",
                "period_days",
                "energy_mwh",
                "cash_flow_usd",
            ]
        ]
        .groupby(year)
        .sum()
    )
    grouped = ds[["difficulty_end", "network_hashrate_eh_s"]].groupby(year)
    return xr.Dataset(
        {
            "fleet_btc": _attrs(sums.fleet_btc, "BTC", "BTC mined in the project year"),
            "fleet_btc_per_day": _attrs(
                sums.fleet_btc / sums.period_days, "BTC/d", "BTC mined per day in the project year"
            ),
            "network_share": _attrs(
                sums.fleet_blocks / sums.network_blocks, "1", "fleet's share of the year's blocks"
            ),
            "energy_gwh": _attrs(sums.energy_mwh / 1000, "GWh", "energy used in the project year"),
            "cash_flow_usd": _attrs(sums.cash_flow_usd, "USD", "net cash flow in the project year"),
            "difficulty_end": _attrs(
                grouped.last().difficulty_end, "1", "difficulty at the end of the project year"
            ),
            "network_hashrate_eh_s": _attrs(
                grouped.mean().network_hashrate_eh_s,
                "EH/s",
                "mean network hashrate including the fleet",
            ),
        }
    )


def _plain(value):
    """A JSON-ready Python value from a 0-d array."""
    value = np.asarray(value)
    if np.issubdtype(value.dtype, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value[()]).isoformat(timespec="seconds")
    return value.item()  # summary_dict turns non-finite numbers into None


def summary_dict(ds: xr.Dataset) -> dict:
    """The headline figures of a single run (no scenario dimensions) as plain Python.

    Keys follow the Dataset's variable names; ``btc_by_year`` maps project year
    to BTC; ``difficulty_path`` lists the difficulty at the end of each project year.
    Every number is finite or None (strict JSON: ``null``, never ``NaN``).
    """
    extra = [d for d in ds.dims if d not in SCENARIO_FREE_DIMS]
    if extra:
        raise InputError(f"summary_dict: expected a single run, got scenario dimensions {extra}")
    start = pd.Timestamp(ds.time.values[0])
    end = start + pd.DateOffset(months=ds.sizes["time"])
    year_end = yearly(ds).difficulty_end
    return finite_or_none(_summary(ds, start, end, year_end))


def _summary(ds: xr.Dataset, start, end, year_end) -> dict:
    return {
        "name": ds.attrs.get("title"),
        "start_date": pd.Timestamp(ds.time.values[0]).date().isoformat(),
        "horizon_months": ds.sizes["time"],
        "fleet_hashrate_eh_s": _plain(ds.fleet_nameplate_hashrate_eh_s),
        "network_share_first_month": _plain(ds.network_share_first_month),
        "btc_per_day_first_month": _plain(ds.btc_per_day_first_month),
        "btc_per_day_full_deployment": _plain(ds.btc_per_day_full_deployment),
        "btc_total": _plain(ds.btc_total),
        "btc_by_year": {
            str(int(y)): _plain(v)
            for y, v in zip(ds.project_year.values, ds.btc_by_year.values, strict=True)
        },
        "btc_total_undiluted": _plain(ds.btc_total_undiluted)
        if "btc_total_undiluted" in ds
        else None,
        "btc_total_without_response": (
            _plain(ds.btc_total_without_response) if "btc_total_without_response" in ds else None
        ),
        "displaced_hashrate_eh_s_end": (
            _plain(ds.displaced_hashrate_eh_s[-1]) if "displaced_hashrate_eh_s" in ds else None
        ),
        "halving_height": _plain(ds.halving_height[0]) if ds.sizes.get("halving") else None,
        "halving_date": _plain(ds.halving_date),
        "final_difficulty": _plain(ds.final_difficulty),
        **{key: _plain(ds[key]) for key in ECONOMICS},
        "irr_reason": IRR_REASON_NAMES[int(ds.irr_reason)],
        "hashprice_usd_per_ph_day_first_month": _plain(ds.hashprice_usd_per_ph_day[0]),
        "hashcost_usd_per_ph_day_first_month": _plain(ds.hashcost_usd_per_ph_day[0]),
        "alternative_value_usd_per_mwh_mean": _plain(ds.alternative_value_usd_per_mwh.mean()),
        "tariff_currency": ds.attrs.get("tariff_currency"),
        "usd_fx_rate_start": _plain(ds.usd_fx_rate[0]),
        "energy_gwh_by_year": {
            str(int(y)): _plain(v)
            for y, v in zip(ds.project_year.values, yearly(ds).energy_gwh.values, strict=True)
        },
        "fiscal": fiscal.as_dict(ds),
        "difficulty_path": [
            {
                "date": min(start + pd.DateOffset(years=int(y)), end).date().isoformat(),
                "difficulty": float(d),
            }
            for y, d in zip(year_end.project_year.values, year_end.values, strict=True)
        ],
    }


def headline(summary: dict) -> dict[str, Figure]:
    """Every headline figure of a run, phrased once for the terminal, the report and its brief.

    Parameters
    ----------
    summary : dict
        :func:`summary_dict` of a run.

    Returns
    -------
    dict of str to Figure
        In reading order, the chain's figures then the money's; ``undiluted`` and
        ``without_response`` only where the run has them.
    """
    return {**_chain_figures(summary), **_money_figures(summary)}


def _chain_figures(s: dict) -> dict[str, Figure]:
    """What the fleet mines and what the network does."""
    undiluted, fixed = s["btc_total_undiluted"], s["btc_total_without_response"]
    figures = {
        "fleet_hashrate": Figure("Fleet hashrate", quantity(s["fleet_hashrate_eh_s"], "EH/s")),
        "share": Figure("Network share, first month", percent(s["network_share_first_month"])),
        "btc_per_day": Figure(
            "BTC/day, first month", quantity(s["btc_per_day_first_month"], "BTC/d")
        ),
        "btc_per_day_full": Figure(
            "BTC/day, full deployment", quantity(s["btc_per_day_full_deployment"], "BTC/d")
        ),
        "btc_total": Figure(
            f"BTC mined in {s['horizon_months']} months",
            quantity(s["btc_total"], "BTC"),
            "(before the pool fee)",
        ),
    }
    if undiluted and undiluted != s["btc_total"]:
        figures["undiluted"] = Figure(
            "... if difficulty ignored it",
            quantity(undiluted, "BTC"),
            f"(self-dilution costs {percent(1 - s['btc_total'] / undiluted)})",
        )
    if fixed:
        figures["without_response"] = Figure(
            "... if others did not respond",
            quantity(fixed, "BTC"),
            f"(the response gives back {percent(s['btc_total'] / fixed - 1, sign=True)}; "
            f"{quantity(s['displaced_hashrate_eh_s_end'], 'EH/s')} displaced at the end)",
        )
    figures["halving"] = (
        Figure(f"Block {s['halving_height']:,} (halving)", s["halving_date"][:10])
        if s["halving_date"]
        else Figure("Next halving", "beyond the horizon")
    )
    figures["final_difficulty"] = Figure(
        "Final difficulty", quantity(s["final_difficulty"] / 1e12, "T")
    )
    figures["energy"] = Figure("Energy used", quantity(s["energy_gwh_total"], "GWh"))
    return figures


def _money_figures(s: dict) -> dict[str, Figure]:
    """What the plan costs and earns."""
    cur, irr, usd_tariff = s["tariff_currency"], s["irr"], s["breakeven_energy_price_usd_per_kwh"]
    reason = IRR_REASONS[next(k for k, v in IRR_REASON_NAMES.items() if v == s["irr_reason"])]
    in_local = f"= {money(s['npv_usd'] * s['usd_fx_rate_start'], cur)} at the starting rate"
    cents = "" if usd_tariff is None else f"= {quantity(100 * usd_tariff, 'US cents/kWh')}"
    payback = s["payback_months"]
    return {
        "capex": Figure("Capex", money(s["capex_usd"])),
        "npv": Figure("NPV", money(s["npv_usd"]), "" if cur == "USD" else in_local),
        "irr": Figure(
            "IRR", "n/a" if irr is None else percent(irr) + "/yr", f"({reason})" if reason else ""
        ),
        "payback": Figure(
            "Payback",
            "never (within the horizon)" if payback is None else quantity(payback, "months"),
        ),
        "cost_cash": Figure("Cost per BTC, cash", money(s["cost_per_btc_cash_usd"])),
        "cost_all_in": Figure("Cost per BTC, all-in", money(s["cost_per_btc_all_in_usd"])),
        "breakeven_tariff": Figure(
            "Breakeven tariff",
            quantity(s["breakeven_energy_price_per_kwh"], f"{cur}/kWh"),
            "" if cur == "USD" else cents,
        ),
        "breakeven_price": Figure("Breakeven BTC price", money(s["breakeven_btc_price_usd"])),
        "hashprice": Figure(
            "Hashprice, month 1",
            quantity(s["hashprice_usd_per_ph_day_first_month"], "USD/PH/day"),
            f"vs hashcost {quantity(s['hashcost_usd_per_ph_day_first_month'], 'USD/PH/day')}",
        ),
        "mining_value": Figure(
            "Mining earns, per MWh",
            money(s["mining_value_usd_per_mwh_mean"]),
            f"vs {money(s['alternative_value_usd_per_mwh_mean'])} selling the energy",
        ),
    }


def summary_text(summary: dict, ds: xr.Dataset) -> str:
    """The headline figures and the yearly table of a run, as text for a terminal."""
    lines = [
        f"{clean(summary['name'])} - {summary['horizon_months']} months from "
        f"{summary['start_date']}",
        "",
    ]
    for key, figure in headline(summary).items():
        if key == "capex":  # the money, after a blank line
            lines.append("")
        lines.append(line(figure))
    return "\n".join([*lines, "", *fiscal.text(ds), "", *yearly_text(ds)])


def yearly_text(ds: xr.Dataset) -> list[str]:
    """The per-year table (:func:`yearly`) as aligned text lines, one unit per column."""
    years = yearly(ds)
    factor, cash_unit = scale(years.cash_flow_usd.values)
    header = [
        "Year",
        "BTC mined",
        "BTC/day",
        "share %",
        "energy GWh",
        f"cash flow {cash_unit}",
        "difficulty end (T)",
    ]
    rows = [
        [
            str(int(y)),
            sig(row.fleet_btc),
            sig(row.fleet_btc_per_day),
            sig(100 * float(row.network_share)),
            sig(row.energy_gwh),
            sig(float(row.cash_flow_usd) / factor),
            sig(float(row.difficulty_end) / 1e12),
        ]
        for y, row in ((y, years.sel(project_year=y)) for y in years.project_year.values)
    ]
    return table(header, rows)
