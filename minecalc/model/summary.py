"""Stage 8, summary: the headline figures of a run as variables without ``time``."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..results import project_year
from . import variables

SUMMARY_READS = (
    "fleet_btc",
    "fleet_hashrate_eh_s",
    "network_share",
    "fleet_btc_per_day",
    "difficulty_end",
)
"""The monthly variables :func:`summarize` reads: every run builds them."""


def summarize(ds: xr.Dataset) -> xr.Dataset:
    """Add the headline figures of a run as variables without ``time``.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`minecalc.model.run`.

    Returns
    -------
    xarray.Dataset
        ``ds`` with ``btc_total`` [BTC], ``btc_by_year`` [BTC] on ``project_year``,
        ``network_share_first_month`` [1], ``btc_per_day_first_month`` [BTC/d],
        ``btc_per_day_full_deployment`` [BTC/d], ``halving_date``,
        ``final_difficulty`` [1], and ``btc_total_undiluted`` [BTC] when the run
        has the fleet-free comparison, ``btc_total_without_response`` [BTC] when the
        other miners respond.

    Notes
    -----
    Full deployment is the month after the fleet first runs at its largest
    hashrate for a whole month: by then the network has retargeted to it, so
    the entrant's windfall of the first weeks is not counted as its steady rate.
    Project years as in :func:`minecalc.results.project_year`.
    """
    first = ds.isel(time=0)
    full = ds.fleet_hashrate_eh_s >= ds.fleet_hashrate_eh_s.max("time") * (1 - 1e-9)
    steady = np.minimum(full.argmax("time") + 1, ds.sizes["time"] - 1)
    halving = (
        ds.halving_time.isel(halving=0)
        if ds.sizes.get("halving")
        else xr.full_like(first.fleet_btc, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    )
    out = {
        "btc_total": ds.fleet_btc.sum("time"),
        "btc_by_year": ds.fleet_btc.groupby(project_year(ds)).sum().transpose("project_year", ...),
        "network_share_first_month": first.network_share,
        "btc_per_day_first_month": first.fleet_btc_per_day,
        "btc_per_day_full_deployment": ds.fleet_btc_per_day.isel(time=steady),
        "halving_date": halving,
        "final_difficulty": ds.difficulty_end.isel(time=-1),
    }
    if "fleet_btc_undiluted" in ds:
        out["btc_total_undiluted"] = ds.fleet_btc_undiluted.sum("time")
    if "fleet_btc_without_response" in ds:
        out["btc_total_without_response"] = ds.fleet_btc_without_response.sum("time")
    return ds.assign({name: _labelled(name, value) for name, value in out.items()})


def _labelled(name: str, value: xr.DataArray) -> xr.DataArray:
    """``value`` with only its own dimensions' coordinates and the registry's attrs."""
    value = value.drop_vars([c for c in value.coords if c not in value.dims]).rename(name)
    value.attrs = variables.attrs(name)
    return value
