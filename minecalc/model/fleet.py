"""Stage 3, fleet: from megawatts to the hashrate available each month.

Machines are bought with the ramp in cohorts, age with degradation, retire and are
optionally refreshed at the end of their life; availability and uptime scale what runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from .. import plant
from .inputs import Inputs, refresh_machines
from .timeline import Timeline, seconds_from


@dataclass(frozen=True)
class Fleet:
    """The machines in service and what they can hash, shape ``(..., n)``."""

    vintages: plant.Vintages
    supply: np.ndarray
    """Share of each month the grid supplies power [1], shape (n,)."""
    up: np.ndarray
    """Share of each month the machines can run: supply x uptime [1]."""
    available_h_s: np.ndarray
    """Hashrate available, before dispatch [H/s]."""
    site_mw: np.ndarray
    """Grid capacity in service [MW]."""
    pue: np.ndarray
    """Power usage effectiveness, with a trailing month axis [1]."""
    refresh: tuple[float, float]
    """Refresh machines' efficiency [J/TH] and price [USD per TH/s]; NaN when none."""
    lifetime_years: float
    """Machine lifetime [years]; inf when they never retire."""


def _ramp(inputs: Inputs) -> tuple[np.ndarray, np.ndarray, str]:
    """Ramp times [s], grid capacity at them [MW] and the ramp's shape."""
    ramp = inputs.scenario.site.ramp
    if ramp is None:
        return np.zeros(1), inputs.per_month("site.capacity_mw"), "steps"
    times = seconds_from(inputs.scenario.start_date, [q.date for q in ramp.points])
    return times, np.array([q.capacity_mw for q in ramp.points]), ramp.shape


def fleet(*, inputs: Inputs, timeline: Timeline) -> Fleet:
    """Stage 3: the machines in service, month by month, and their available hashrate."""
    scenario = inputs.scenario
    share, pue = inputs.per_month("site.mining_share"), inputs.per_month("site.pue")
    ramp_s, ramp_site_mw, kind = _ramp(inputs)
    refresh = refresh_machines(scenario)
    lifetime = scenario.fleet.lifetime_years or np.inf
    vintages = plant.fleet_vintages(
        timeline.edges_s,
        ramp_s,
        plant.it_power_mw(ramp_site_mw, share, pue),
        kind=kind,
        efficiency_j_per_th=inputs.values["fleet.efficiency_j_per_th"],
        degradation_per_year=inputs.values["fleet.degradation_per_year"],
        lifetime_years=lifetime,
        refresh_efficiency_j_per_th=refresh[0],
    )
    supply = plant.available_fraction(
        timeline.month_index, np.array(scenario.site.availability_by_month)
    )
    up = supply * inputs.per_month("site.uptime")
    available = cast(  # (..., n) arrays in, an array out
        "np.ndarray",
        plant.fleet_hashrate_h_s(
            vintages.mw * up, vintages.efficiency_j_per_th, vintages.degradation_factor
        ),
    )
    return Fleet(
        vintages=vintages,
        supply=supply,
        up=up,
        available_h_s=available,
        site_mw=vintages.mw * pue / share,
        pue=pue,
        refresh=refresh,
        lifetime_years=lifetime,
    )
